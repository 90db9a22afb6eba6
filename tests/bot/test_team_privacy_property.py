"""Property test over random organisations, through the real /teamusage figures and blocks.

Whatever the team and its usage, no figure shown is about fewer than k people, no hidden
figure follows from the visible ones by subtraction, and no person is named.
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
from bot.privacy import CountRequest
from bot.teams import load_teams, team_figures
from storage import queries
from storage.engine import session as open_session
from tests.bot.test_privacy import _recoverable
from tests.factories import add_usage, make_identity, make_person, usage_row

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
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
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=people_strategy, k=st.integers(min_value=2, max_value=6))
def test_teamusage_never_shows_small_or_recoverable_groups(
    engine: Engine, people: list[tuple[int, set[str]]], k: int
) -> None:
    _reset(engine)
    with open_session(engine) as session:
        team_id = queries.upsert_teams(
            session, [{"slug": "t", "name": "T", "parent_id": None, "source": "org_file"}]
        )["t"]
        session.commit()
    memberships, slack_ids, active, users = [], [], set(), {tool: set() for tool in TOOLS}
    for n, (days, tools) in enumerate(people):
        slack_id = f"U{n:06d}X"
        slack_ids.append(slack_id)
        person = make_person(engine, slack_user_id=slack_id, name=f"Person {n}")
        memberships.append({"team_id": team_id, "person_id": person, "role": "member"})
        rows = []
        for tool in tools or set():
            identity = make_identity(engine, tool=tool, external_id=f"{tool}-{n}", person_id=person)
            rows += [usage_row(identity, tool, TODAY - dt.timedelta(days=d)) for d in range(days)]
            if days:
                users[tool].add(person)
        if days and tools:
            active.add(person)
        add_usage(engine, rows)
    with open_session(engine) as session:
        queries.add_memberships(session, memberships)
        session.commit()

    teams = load_teams(engine)
    figures = team_figures(
        engine,
        teams,
        teams[0],
        window_days=28,
        today=TODAY,
        now=NOW,
        k=k,
        thresholds=TierThresholds(),
    )
    disclosure = figures.disclosure

    for key, value in disclosure.counts.items():
        assert value is None or value == 0 or value >= k, (key, value)
    if disclosure.group_visible:
        everyone = frozenset(m["person_id"] for m in memberships)
        requests = [
            CountRequest("active", frozenset(active)),
            CountRequest("inactive", everyone - active),
        ]
        requests += [CountRequest(f"tool:{t}", frozenset(u)) for t, u in users.items() if u]
        shown = {r.key: disclosure.counts.get(r.key) for r in requests}
        assert _recoverable(everyone, requests, shown) == []
    else:
        assert all(value is None for value in disclosure.counts.values())
        assert all(value is None for value in disclosure.medians.values())

    text = blocks_to_text(teamusage_blocks(figures, now=NOW))
    for slack_id in slack_ids:
        assert slack_id not in text
    assert "Person " not in text
