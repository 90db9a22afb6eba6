"""The weekly rollup gives releases exactly the figures the daily rows give, and stays right
after every kind of write: upserts, a day replaced by a sync, a retention purge, a forget."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from bot.adoption import HABIT_WEEKS, TIER_WINDOW_DAYS, TierThresholds
from bot.figures.disclosure import Rules
from bot.figures.facts import person_facts_by_period
from bot.figures.periods import Period, last_complete
from bot.figures.releases import PersonFacts, person_facts, release_figures
from bot.jobs import purge_expired_usage
from storage import queries, rollup
from storage import releases as store
from storage.engine import session as open_session
from storage.models import Person
from storage.personal import delete_person_data
from tests.conftest import make_settings
from tests.factories import add_usage, make_identity, make_person, usage_row

END = dt.date(2026, 11, 29)  # a Sunday
TOOLS = ("copilot", "cursor", "claude_code")


def reference_facts(session: Session, everyone: set[int], period: Period) -> dict[int, Any]:
    """The facts as releases computed them before the rollup: straight from the daily rows."""
    end = period.end
    tier_start = end - dt.timedelta(days=TIER_WINDOW_DAYS - 1)
    habit_start = end - dt.timedelta(days=7 * HABIT_WEEKS - 1)
    since = min(period.start, tier_start, habit_start)
    days: dict[int, set[dt.date]] = defaultdict(set)
    habit: dict[int, set[int]] = defaultdict(set)
    facts: dict[int, PersonFacts] = {}
    for person, day, tool, generations, acceptances in store.active_usage(session, since, end):
        if person not in everyone:
            continue
        fact = facts.setdefault(person, PersonFacts())
        if day >= tier_start:
            days[person].add(day)
        if day >= habit_start:
            habit[person].add((day - habit_start).days // 7)
        if day >= period.start:
            fact.active = True
            fact.tools.add(tool)
            fact.generations += generations
            fact.acceptances += acceptances
    for person, fact in facts.items():
        fact.tier_days, fact.habit_weeks = len(days[person]), len(habit[person])
    return facts


def stored_rollup(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        table = SQLModel.metadata.tables["usage_week"]
        return [tuple(row) for row in connection.execute(sa.select(table).order_by(*table.c))]


def assert_rollup_fresh(engine: Engine) -> None:
    """The rollup as maintained equals the rollup rebuilt from the daily rows."""
    kept = stored_rollup(engine)
    with open_session(engine) as session:
        rollup.rebuild(session)
        session.commit()
    assert kept == stored_rollup(engine)


def _reset(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())


identities_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # whose (3: nobody yet)
        st.sampled_from(TOOLS),
        st.booleans(),  # verified
    ),
    min_size=1,
    max_size=6,
)
writes_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=5),  # which identity
        st.integers(min_value=0, max_value=130),  # days before END
        st.booleans(),  # active
        st.integers(min_value=0, max_value=9),  # generations
        st.integers(min_value=0, max_value=9),  # acceptances
    ),
    max_size=60,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    identities=identities_strategy,
    first=writes_strategy,
    second=writes_strategy,
    weeks=st.sampled_from((1, 4, 13)),
    back=st.integers(min_value=0, max_value=3),
)
def test_release_figures_from_the_rollup_equal_those_from_daily_rows(  # noqa: PLR0917
    engine: Engine,
    identities: list[tuple[int, str, bool]],
    first: list[tuple[int, int, bool, int, int]],
    second: list[tuple[int, int, bool, int, int]],
    weeks: int,
    back: int,
) -> None:
    _reset(engine)
    people = [make_person(engine) for _ in range(3)]
    ids = [
        make_identity(
            engine,
            tool=tool,
            external_id=f"acct{n}",
            person_id=people[whose] if whose < 3 else None,
            verified=verified,
        )
        for n, (whose, tool, verified) in enumerate(identities)
    ]
    tools = {identity_id: identities[n][1] for n, identity_id in enumerate(ids)}
    for batch in (first, second):  # the second batch replaces some of the first's days
        rows = {}
        for which, before, active, generations, acceptances in batch:
            identity_id = ids[which % len(ids)]
            day = END - dt.timedelta(days=before)
            rows[(identity_id, day)] = usage_row(
                identity_id,
                tools[identity_id],
                day,
                active=active,
                generations=generations,
                acceptances=acceptances,
            )
        add_usage(engine, rows.values())
    period = last_complete(END + dt.timedelta(days=1), weeks)
    for _ in range(back):
        period = period.previous()
    everyone = set(people)
    # A week's run folds all its due periods from one read: the others widen the weeks read.
    others = [last_complete(END + dt.timedelta(days=1), 13).previous(), period.previous()]
    with open_session(engine) as session:
        expected = reference_facts(session, everyone, period)
        got = person_facts(session, everyone, period, tools=TOOLS)
        together = person_facts_by_period(session, everyone, [*others, period], tools=TOOLS)
    assert got == expected
    assert together[period.name] == expected
    keys = dict.fromkeys(people, 7)
    figures = [
        release_figures(
            frozenset(people),
            facts=facts,
            keys=keys,
            holders=set(),
            idle=set(),
            tools=TOOLS,
            rules=Rules(k=2),
            thresholds=TierThresholds(),
        )
        for facts in (expected, got)
    ]
    assert figures[0] == figures[1]
    assert_rollup_fresh(engine)


def _two_accounts(engine: Engine) -> tuple[int, int, int]:
    person = make_person(engine)
    copilot = make_identity(engine, tool="copilot", external_id="octo", person_id=person)
    cursor = make_identity(engine, tool="cursor", external_id="c@x", person_id=person)
    return person, copilot, cursor


def test_a_replaced_day_clears_the_accounts_it_no_longer_has(engine: Engine) -> None:
    _, copilot, cursor = _two_accounts(engine)
    day = END - dt.timedelta(days=3)
    with open_session(engine) as session:
        queries.replace_source_day(
            session, "copilot", day, [usage_row(copilot, "copilot", day, generations=4)]
        )
        session.commit()
    add_usage(engine, [usage_row(cursor, "cursor", day)])
    assert [row[3] for row in stored_rollup(engine)] == [1 << day.weekday()] * 2
    with open_session(engine) as session:  # the vendor now reports nobody for that day
        queries.replace_source_day(session, "copilot", day, [])
        session.commit()
    assert [row[0] for row in stored_rollup(engine)] == [cursor]
    assert_rollup_fresh(engine)


def test_an_upsert_that_makes_a_day_inactive_clears_its_bit(engine: Engine) -> None:
    _, copilot, _ = _two_accounts(engine)
    days = [END - dt.timedelta(days=2), END - dt.timedelta(days=1)]
    add_usage(engine, [usage_row(copilot, "copilot", day, generations=5) for day in days])
    add_usage(engine, [usage_row(copilot, "copilot", days[0], active=False, generations=5)])
    [row] = stored_rollup(engine)
    assert row[3] == 1 << days[1].weekday()
    assert row[5] == 5  # generations of active days only
    assert_rollup_fresh(engine)


def test_a_retention_purge_mid_week_keeps_the_rollup_right(engine: Engine) -> None:
    _, copilot, cursor = _two_accounts(engine)
    start = END - dt.timedelta(days=50)
    add_usage(
        engine,
        [
            usage_row(identity, tool, start + dt.timedelta(days=n))
            for n in range(51)
            for identity, tool in ((copilot, "copilot"), (cursor, "cursor"))
        ],
    )
    now = dt.datetime.combine(END, dt.time(3), tzinfo=dt.UTC)
    purge_expired_usage(engine=engine, settings=make_settings(retention_days=30), now=now)
    cutoff = END - dt.timedelta(days=30)  # a Friday: its week keeps Fri..Sun only
    assert min(row[1] for row in stored_rollup(engine)) == rollup.week_of(cutoff)
    assert_rollup_fresh(engine)


def test_forget_leaves_no_rollup_rows(engine: Engine) -> None:
    person, copilot, cursor = _two_accounts(engine)
    other = make_identity(engine, tool="copilot", external_id="someone-else")
    add_usage(
        engine,
        [usage_row(identity, "copilot", END) for identity in (copilot, cursor, other)],
    )
    with open_session(engine) as session:
        found = session.get(Person, person)
        assert found is not None
        delete_person_data(session, found)
        session.commit()
    assert [row[0] for row in stored_rollup(engine)] == [other]
