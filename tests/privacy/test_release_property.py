"""Property test over random organisations, through the real releases and /teamusage blocks.

Whatever the team and its usage: a team smaller than k gets no figure, every count shown is
within the team, every configured tool is listed, and no person is named.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.adoption import TierThresholds
from bot.blocks.common import blocks_to_text
from bot.blocks.teamusage import teamusage_blocks
from bot.figures.disclosure import Rules
from bot.figures.periods import last_complete
from bot.figures.releases import compute_releases, read_release
from bot.teams import load_teams
from storage import queries
from storage.engine import session as open_session
from tests.factories import add_usage, make_identity, make_person, usage_row

NOW = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)
END = dt.date(2026, 11, 29)
TOOLS = ("copilot", "cursor", "claude_code")

people_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=28),  # active days in the last 28
        st.sets(st.sampled_from(TOOLS), max_size=3),  # tools used on those days
    ),
    min_size=0,
    max_size=14,
)


def _reset(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=people_strategy, k=st.integers(min_value=2, max_value=6))
def test_a_release_never_shows_a_small_team_or_a_name(
    engine: Engine, people: list[tuple[int, set[str]]], k: int
) -> None:
    _reset(engine)
    with open_session(engine) as session:
        team_id = queries.upsert_teams(
            session, [{"slug": "t", "name": "T", "parent_id": None, "source": "org_file"}]
        )["t"]
        session.commit()
    memberships, slack_ids = [], []
    for n, (days, tools) in enumerate(people):
        slack_id = f"U{n:06d}X"
        slack_ids.append(slack_id)
        person = make_person(engine, slack_user_id=slack_id, name=f"Person {n}")
        memberships.append({"team_id": team_id, "person_id": person, "role": "member"})
        rows = []
        for tool in tools:
            identity = make_identity(engine, tool=tool, external_id=f"{tool}-{n}", person_id=person)
            rows += [usage_row(identity, tool, END - dt.timedelta(days=d)) for d in range(days)]
        add_usage(engine, rows)
    with open_session(engine) as session:
        queries.add_memberships(session, memberships)
        session.commit()

    teams = load_teams(engine)
    period = last_complete(NOW.date(), 4)
    compute_releases(
        engine, teams, period, rules=Rules(k=k), thresholds=TierThresholds(), tools=TOOLS
    )
    release = read_release(engine, teams[0], period)
    assert release is not None and release.people == len(people)

    if len(people) < k:
        assert not release.visible and release.counts == {} and release.means == {}
    else:
        assert set(TOOLS) <= set(release.tools)
        for key, value in release.counts.items():
            assert 0 <= value <= len(people), (key, value)
        tiers = [value for key, value in release.counts.items() if key.startswith("tier:")]
        assert sum(tiers) == len(people)

    text = blocks_to_text(teamusage_blocks(release, None, freshness=(), now=NOW))
    for slack_id in slack_ids:
        assert slack_id not in text
    assert "Person " not in text
