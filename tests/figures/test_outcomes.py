"""Team outcome figures: released through the disclosure layer, over reporting people only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine

from bot.adoption import TierThresholds
from bot.blocks.common import blocks_to_text
from bot.blocks.teamusage import teamusage_blocks
from bot.figures import outcomes
from bot.figures.disclosure import Rules
from bot.figures.periods import last_complete
from bot.figures.releases import PersonFacts, read_release, release_figures
from bot.teams import load_teams
from storage import queries
from storage.engine import session as open_session
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.releases import release_now

EXACT_EPSILON = 1e7  # the means' noise (Laplace, continuous) is then below 1e-3 of a unit
EXACT = Rules(k=5, epsilon=EXACT_EPSILON)
NOW = dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC)
WEEK48 = [dt.date(2026, 11, 23) + dt.timedelta(days=i) for i in range(5)]


def team(engine: Engine, slug: str, members: list[int]) -> None:
    with open_session(engine) as session:
        team_id = queries.upsert_teams(
            session, [{"slug": slug, "name": slug.title(), "source": "org_file"}]
        )[slug]
        queries.add_memberships(
            session, [{"team_id": team_id, "person_id": p, "role": "member"} for p in members]
        )
        session.commit()


def figures(facts: dict[int, PersonFacts], *, weeks: int = 1, rules: Rules = EXACT) -> dict:
    members = frozenset(facts)
    return release_figures(
        members,
        facts=facts,
        keys={person: person * 7919 for person in members},
        holders=set(),
        idle=set(),
        tools=("claude_code",),
        rules=rules,
        thresholds=TierThresholds(),
        weeks=weeks,
    )


def reporting(commits: int, prs: int = 0, *, accepted: int = 0, rejected: int = 0) -> PersonFacts:
    fact = PersonFacts(active=True, tools={"claude_code"})
    fact.add_outcomes([commits, prs, commits * 50, accepted, rejected])
    return fact


def test_people_whose_tools_report_nothing_are_not_counted_as_zeros() -> None:
    facts = {n: reporting(4, 1, accepted=3, rejected=1) for n in range(1, 7)}
    facts.update({n: PersonFacts(active=True, tools={"claude_code"}) for n in range(7, 13)})

    released = figures(facts)

    assert released["counts"][outcomes.REPORTING] == 6
    assert released["counts"][outcomes.LANDED] == 6
    assert released["means"][outcomes.COMMITS] == pytest.approx(4.0, abs=1e-3)  # not 2.0
    assert released["means"][outcomes.PULL_REQUESTS] == pytest.approx(1.0, abs=1e-3)
    assert released["means"][outcomes.LINES_ADDED] == pytest.approx(200.0, abs=1e-2)
    assert released["means"][outcomes.EDIT_ACCEPTANCE] == pytest.approx(0.75, abs=1e-3)


def test_per_week_means_over_longer_periods_and_one_person_is_clamped() -> None:
    facts = {n: reporting(8) for n in range(1, 10)}
    facts[10] = reporting(100_000)  # one runaway script cannot carry the team's mean

    released = figures(facts, weeks=4)

    bound = outcomes.WEEKLY_BOUNDS[outcomes.COMMITS]
    assert released["means"][outcomes.COMMITS] == pytest.approx((9 * 2 + bound) / 10, abs=1e-3)


def test_means_are_withheld_when_fewer_than_k_people_report() -> None:
    facts = {n: reporting(3) for n in range(1, 5)}  # 4 reporting, k = 5
    facts.update({n: PersonFacts(active=True) for n in range(5, 13)})

    released = figures(facts)

    assert released["counts"][outcomes.REPORTING] == 4
    assert all(released["means"][name] is None for name in outcomes.MEANS)


def test_with_real_noise_the_figures_are_near_and_not_always_exact() -> None:
    facts = {n: reporting(5) for n in range(1, 21)}
    exact, near = 0, 0
    for salt in range(1, 41):
        released = release_figures(
            frozenset(facts),
            facts=facts,
            keys={person: person * 7919 + salt * 104_729 for person in facts},
            holders=set(),
            idle=set(),
            tools=("claude_code",),
            rules=Rules(k=5),
            thresholds=TierThresholds(),
        )
        count = released["counts"][outcomes.REPORTING]
        exact += count == 20
        near += abs(count - 20) <= 4
    assert 0 < exact < 40 and near >= 36


def test_outcomes_reach_a_stored_release_from_daily_rows(engine: Engine) -> None:
    people = [make_person(engine) for _ in range(8)]
    rows = []
    for n, person in enumerate(people):
        identity = make_identity(
            engine, tool="claude_code", external_id=f"otel:p{n}@example.com", person_id=person
        )
        reported = n < 6  # two people's tools report no outcomes
        metrics = {
            "interactions": 3,
            "commits": 2 if reported else None,
            "pull_requests": 1 if reported else None,
            "lines_added": 40 if reported else None,
            "lines_removed": None,
            "edits_accepted": 9 if reported else None,
            "edits_rejected": 1 if reported else None,
        }
        rows += [usage_row(identity, "claude_code", day, **metrics) for day in WEEK48]
    add_usage(engine, rows)
    team(engine, "payments", people)

    release_now(engine, NOW, epsilon=EXACT_EPSILON)

    [payments] = [ref for ref in load_teams(engine) if ref.slug == "payments"]
    release = read_release(engine, payments, last_complete(NOW.date()))
    assert release is not None
    shown = outcomes.team_outcomes(release)
    assert shown is not None
    assert (shown.reporting, shown.landed) == (6, 6)
    assert shown.commits == pytest.approx(10.0, abs=1e-3)
    assert shown.pull_requests == pytest.approx(5.0, abs=1e-3)
    assert shown.lines_added == pytest.approx(200.0, abs=1e-2)
    assert shown.edit_acceptance == pytest.approx(0.9, abs=1e-3)
    text = blocks_to_text(teamusage_blocks(release, None, freshness=(), now=NOW))
    assert (
        "*What landed* (~6 people whose tools report it): ~6 made commits or pull requests "
        "with AI · ~10.0 commits, ~5.0 pull requests, ~200 lines added per person a week · "
        "~90% of agent edits accepted"
    ) in text


def test_a_release_without_reporting_people_shows_no_outcomes(engine: Engine) -> None:
    people = [make_person(engine) for _ in range(6)]
    for n, person in enumerate(people):
        identity = make_identity(engine, tool="copilot", external_id=f"gh{n}", person_id=person)
        add_usage(engine, [usage_row(identity, "copilot", day, generations=5) for day in WEEK48])
    team(engine, "quiet", people)

    release_now(engine, NOW)

    [quiet] = [ref for ref in load_teams(engine) if ref.slug == "quiet"]
    release = read_release(engine, quiet, last_complete(NOW.date()))
    assert release is not None and release.visible
    assert outcomes.team_outcomes(release) is None
    text = blocks_to_text(teamusage_blocks(release, None, freshness=(), now=NOW))
    assert "Tier mix" in text and "What landed" not in text


def test_a_person_reported_by_an_admin_api_and_opentelemetry_counts_once(engine: Engine) -> None:
    people = [make_person(engine) for _ in range(6)]
    outcome_columns = ("commits", "pull_requests", "lines_added", "lines_removed")
    for n, person in enumerate(people):
        admin = make_identity(
            engine, tool="claude_code", external_id=f"p{n}@example.com", person_id=person
        )
        otel = make_identity(
            engine, tool="claude_code", external_id=f"otel:p{n}@example.com", person_id=person
        )
        empty = dict.fromkeys((*outcome_columns, "edits_accepted", "edits_rejected"))
        add_usage(  # the admin API: 3 commits a day, no edit decisions
            engine,
            [
                usage_row(admin, "claude_code", day, **(empty | {"commits": 3, "lines_added": 30}))
                for day in WEEK48
            ],
        )
        add_usage(  # OpenTelemetry: the same commits again, and the edit decisions
            engine,
            [
                usage_row(
                    otel,
                    "claude_code",
                    day,
                    source="otlp",
                    **(empty | {"commits": 3, "edits_accepted": 4, "edits_rejected": 1}),
                )
                for day in WEEK48
            ],
        )
    team(engine, "both", people)

    release_now(engine, NOW, epsilon=EXACT_EPSILON)

    [both] = [ref for ref in load_teams(engine) if ref.slug == "both"]
    release = read_release(engine, both, last_complete(NOW.date()))
    assert release is not None
    shown = outcomes.team_outcomes(release)
    assert shown is not None and shown.reporting == 6
    assert shown.commits == pytest.approx(15.0, abs=1e-3)  # 5 days × 3, not 30
    assert shown.lines_added == pytest.approx(150.0, abs=1e-2)
    assert shown.edit_acceptance == pytest.approx(0.8, abs=1e-3)  # filled in from OTel
