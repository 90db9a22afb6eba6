"""`/teamusage` end to end: who may see which team, and only aggregates, never names.

Figures come from releases made here without noise (tests/releases.py), so the assertions can
be exact; what the noise does is tested in tests/privacy/.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from bot.blocks.common import blocks_to_text
from bot.figures.periods import last_complete
from bot.services import Services
from storage import queries
from storage.engine import session as open_session
from tests.blocks.limits import assert_within_slack_limits
from tests.conftest import make_settings
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.fakes.slack_api import FakeSlackAPI
from tests.handlers.conftest import SIGNING_SECRET, RunningApp, start_web_app
from tests.releases import release_now

ADMIN = "U0ADMIN"
ABBREVIATIONS = {"payments": "PAY", "payments-edge": "EDGE", "risk": "RISK", "tiny": "TINY"}
MANAGER = "U0MANAGER"
#: A Wednesday: ISO week 48 (23–29 Nov 2026) is the last complete week.
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
END = last_complete(NOW.date()).end
FOUR_WEEKS = "4 weeks, 02 Nov – 29 Nov 2026"
WEEK_48 = "week 48 (23 Nov – 29 Nov 2026)"


def build_org(engine: Engine) -> dict[str, list[str]]:
    """payments (12) with sub-team payments-edge (6), risk (6), tiny (3); deterministic usage."""
    layout = {"payments": 12, "payments-edge": 6, "risk": 6, "tiny": 3}
    # active days in the 28 days to END for each member, by position in the team
    pattern = [20, 20, 20, 20, 20, 8, 8, 8, 8, 8, 2, 2]
    people: dict[str, list[str]] = {}
    with open_session(engine) as session:
        ids = queries.upsert_teams(
            session,
            [
                {"slug": slug, "name": slug.title(), "parent_id": None, "source": "org_file"}
                for slug in layout
            ],
        )
        session.commit()
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE team SET parent_id = {ids['payments']} WHERE id = {ids['payments-edge']}"
        )
    memberships = []
    for slug, size in layout.items():
        people[slug] = []
        for n in range(size):
            slack_id = f"U{ABBREVIATIONS[slug]}{n:02d}"
            person = make_person(
                engine,
                slack_user_id=slack_id,
                name=f"Secret Name {slug} {n}",
                email=f"{slack_id.lower()}@example.com",
            )
            people[slug].append(slack_id)
            memberships.append({"team_id": ids[slug], "person_id": person, "role": "member"})
            identity = make_identity(
                engine, tool="copilot", external_id=f"gh-{slack_id.lower()}", person_id=person
            )
            days = list(range(pattern[n % len(pattern)] if slug != "risk" else 10))
            if slug.startswith("payments") and n % 2 == 0:
                days.append(35)  # active once in the 4 weeks before, too
            add_usage(
                engine,
                [
                    usage_row(
                        identity,
                        "copilot",
                        END - dt.timedelta(days=d),
                        generations=10,
                        acceptances=3 + n % 3,
                    )
                    for d in days
                ],
            )
    # a configured tool nobody used is listed all the same
    make_identity(engine, tool="cursor", external_id="cursor-payments-00", person_id=None)
    manager = make_person(engine, slack_user_id=MANAGER)
    memberships.append({"team_id": ids["payments"], "person_id": manager, "role": "manager"})
    make_person(engine, slack_user_id=ADMIN)
    with open_session(engine) as session:
        queries.add_memberships(session, memberships)
        session.commit()
    return people


def released_org(engine: Engine) -> dict[str, list[str]]:
    """The org above, with every release due at NOW made."""
    people = build_org(engine)
    release_now(engine, NOW)
    return people


@pytest.fixture
def app(fake_slack: FakeSlackAPI, engine: Engine, database_url: str) -> Iterator[RunningApp]:
    settings = make_settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        admin_user_ids=[ADMIN],
    )
    services = Services(settings=settings, engine=engine, clock=lambda: NOW)
    server = start_web_app(settings, engine, services)
    with httpx.Client(timeout=10) as http:
        yield RunningApp(server.base_url, fake_slack, engine, settings, http)
    server.stop()


def ask(app: RunningApp, text: str, user_id: str) -> str:
    body = app.fake.wait_for(app.command(text, user_id=user_id, command="/teamusage")).body
    assert body["response_type"] == "ephemeral"
    assert_within_slack_limits(body["blocks"])
    return blocks_to_text(body["blocks"])


def test_a_manager_sees_their_team_with_sub_teams_and_no_names(app: RunningApp) -> None:
    people = released_org(app.engine)
    text = ask(app, "payments", MANAGER)

    assert f"Payments — {FOUR_WEEKS}" in text
    assert "People in scope:* 18" in text
    # all 18 were active in the period; 9 of them in the 4 weeks before
    assert "*Active:* ~18 of 18 people (100%), +50 points on the 4 weeks before" in text
    # 5 + 5 power users (20 days), 5 + 1 regular (8), 2 light (2): the mix adds up to 18, and
    # the 2 light people are shown (with noise) like every other figure, not hidden
    assert "inactive ~0 (0%) · light ~2 (11%) · regular ~6 (33%) · power ~10 (56%)" in text
    assert "*GitHub Copilot*: ~18 (100%)" in text and "*Cursor*: ~0 (0%)" in text
    assert "*Acceptance rate* (mean) ~40%" in text  # a mean, not a median
    assert "*Habit* (active 6+ of the last 8 weeks) ~0 (0%)" in text
    assert "no seats linked" in text
    figures = text.split("\n", 2)[2]  # below the header, whose title has a dash
    assert "—" not in figures and "Hidden" not in figures and "median" not in figures
    assert "Counts carry a little random noise (~)" in text
    for slack_id in people["payments"] + people["payments-edge"]:
        assert slack_id not in text
    assert "Secret Name" not in text and "@example.com" not in text


def test_figures_are_not_released_until_the_period_is(app: RunningApp) -> None:
    build_org(app.engine)
    waiting = ask(app, "payments", MANAGER)
    assert f"The figures for *Payments*, {FOUR_WEEKS}, are not released yet" in waiting
    assert "~" not in waiting and "18" not in waiting
    assert "not released yet" in ask(app, "digest payments", MANAGER)

    release_now(app.engine, NOW)
    assert "People in scope:* 18" in ask(app, "payments", MANAGER)
    # the week under way is not over, and weeks long past were never released
    assert "week 49 (30 Nov – 06 Dec 2026), are not released yet" in ask(
        app, "payments 2026-W49", MANAGER
    )
    assert "not released yet" in ask(app, "payments 2026-W10", MANAGER)


def test_members_see_only_their_own_teams(app: RunningApp) -> None:
    people = released_org(app.engine)
    risk_member = people["risk"][0]
    assert f"Risk — {FOUR_WEEKS}" in ask(app, "risk", risk_member)
    refused = ask(app, "payments", risk_member)
    assert "I can't show you `payments`" in refused
    assert "18" not in refused
    # a member of the sub-team cannot see the parent team either
    assert "I can't show you" in ask(app, "payments", people["payments-edge"][0])


def test_a_manager_cannot_see_a_team_they_do_not_manage(app: RunningApp) -> None:
    released_org(app.engine)
    assert "I can't show you `risk`" in ask(app, "risk", MANAGER)
    assert f"Payments-Edge — {FOUR_WEEKS}" in ask(app, "payments-edge", MANAGER)


def test_admins_see_any_team_and_small_teams_show_nothing(app: RunningApp) -> None:
    released_org(app.engine)
    tiny = ask(app, "tiny", ADMIN)
    assert "fewer than 5 people" in tiny
    assert "Active" not in tiny and "~" not in tiny and "Copilot" not in tiny
    risk = ask(app, "risk", ADMIN)
    assert "People in scope:* 6" in risk and "*Active:* ~6 of 6 people (100%)" in risk


def test_unknown_teams_look_the_same_as_forbidden_ones(app: RunningApp) -> None:
    released_org(app.engine)
    assert "I can't show you `nonexistent`" in ask(app, "nonexistent", MANAGER)


def test_listing_and_help(app: RunningApp) -> None:
    released_org(app.engine)
    listing = ask(app, "", MANAGER)
    assert "Teams you manage" in listing and "`payments`" in listing
    assert "`payments-edge`" in listing and "`risk`" not in listing
    help_text = ask(app, "help", MANAGER)
    assert "fewer than 5 people" in help_text and "random noise" in help_text
    confused = ask(app, "payments 30d please", MANAGER)
    assert "didn't understand" in confused
    assert "didn't understand" in ask(app, "payments 30d", MANAGER)


def test_period_argument(app: RunningApp) -> None:
    released_org(app.engine)
    week = ask(app, "risk week", ADMIN)
    assert f"Risk — {WEEK_48}" in week
    # all 6 were active in week 48 and in week 47 too
    assert "*Active:* ~6 of 6 people (100%), +0 points on the week before" in week
    assert ask(app, "risk 7d", ADMIN) == week
    assert ask(app, "risk 2026-W48", ADMIN) == week
    assert "Risk — week 47 (16 Nov – 22 Nov 2026)" in ask(app, "risk 2026-W47", ADMIN)
    assert ask(app, "risk 28d", ADMIN) == ask(app, "risk 4w", ADMIN) == ask(app, "risk", ADMIN)
    assert "Risk — 13 weeks, 31 Aug – 29 Nov 2026" in ask(app, "risk 90d", ADMIN)


def test_managers_preview_and_manage_their_digest(app: RunningApp) -> None:
    released_org(app.engine)
    preview = ask(app, "digest payments", MANAGER)
    assert "Preview" in preview and "Week 48 (23 Nov–29 Nov)" in preview
    # 16 of 18 were active in week 47 (89%), all 18 in week 48
    assert "Payments: ~18 of 18 used AI tools this week (100%), up 11 points" in preview
    assert "Secret Name" not in preview
    assert "won't get the weekly digest for Payments" in ask(app, "unsubscribe payments", MANAGER)
    assert "You'll get the weekly digest for Payments" in ask(app, "subscribe payments", MANAGER)
    # members cannot preview a team they do not manage or belong to
    risk_member = "URISK00"
    assert "I can't show you" in ask(app, "digest payments", risk_member)


def test_subscribers_choose_day_hour_and_quiet_weeks(app: RunningApp) -> None:
    released_org(app.engine)
    text = ask(app, "subscribe payments tue 08 quiet-none", MANAGER)
    assert "on Tuesdays at 08:00 your time; in a quiet week, no digest" in text
    with open_session(app.engine) as session:
        [row] = queries.digest_subscriptions(session)
    assert (row.weekday, row.hour, row.quiet, row.active) == (1, 8, "none", True)
    assert "didn't understand" in ask(app, "subscribe payments someday", MANAGER)
