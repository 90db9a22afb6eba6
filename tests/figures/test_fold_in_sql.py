"""The database's fold of the weekly rollup (storage/rollup_facts.py) gives every person's
facts exactly as folding their rollup rows one by one in Python does (the fold releases used
before it moved into SQL, kept here as the reference), for several periods read at once, with
admin-API and OpenTelemetry rows for the same tool and week, inactive weeks, unreported
outcomes and several accounts per tool."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.figures.facts import PersonFacts, person_facts_by_period, window_of
from bot.figures.periods import Period, last_complete
from storage.engine import session as open_session
from storage.rollup import RELEASE_OUTCOMES
from tests.factories import make_identity, make_person

END = dt.date(2026, 11, 29)  # a Sunday
TOOLS = ("claude_code", "copilot", "cursor")
ZEROS = dict.fromkeys(
    ("interactions", "acceptances", "lines_accepted", "input_tokens", "output_tokens"), 0
)
PERIODS = [
    last_complete(END + dt.timedelta(days=1)),
    last_complete(END + dt.timedelta(days=1), 4),
    last_complete(END + dt.timedelta(days=1), 13).previous(),
    last_complete(END + dt.timedelta(days=1)).previous().previous(),
]


def reference_fold(
    rows: list[dict[str, Any]], person_of: dict[int, int], period: Period
) -> dict[int, PersonFacts]:
    """Releases' fold before the database did it: each person's rollup rows, one at a time."""
    window = window_of(period)
    mine: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if window.first <= row["week"] <= window.end and row["identity_id"] in person_of:
            mine.setdefault(person_of[row["identity_id"]], []).append(row)
    return {person: _fold(weeks, window) for person, weeks in mine.items()}


def _fold(rows: list[dict[str, Any]], window: Any) -> PersonFacts:
    fact = PersonFacts()
    masks: dict[dt.date, int] = {}
    reported: dict[tuple[dt.date, str], tuple[bool, ...]] = {}
    for row in rows:
        if row["source"] != "otlp":
            known = reported.get((row["week"], row["tool"]), (False,) * len(RELEASE_OUTCOMES))
            reported[(row["week"], row["tool"])] = tuple(
                was or row[name] is not None
                for was, name in zip(known, RELEASE_OUTCOMES, strict=True)
            )
    for row in rows:
        masks[row["week"]] = masks.get(row["week"], 0) | row["day_mask"]
        if not (window.start <= row["week"] <= window.end and row["day_mask"]):
            continue
        fact.active = True
        fact.tools.add(row["tool"])
        outcomes = tuple(row[name] for name in RELEASE_OUTCOMES)
        admin = reported.get((row["week"], row["tool"])) if row["source"] == "otlp" else None
        if admin is None:
            fact.generations += row["generations"]
            fact.acceptances += row["acceptances"]
            fact.add_outcomes(outcomes)
        else:
            fact.add_outcomes(
                tuple(
                    None if known else value for known, value in zip(admin, outcomes, strict=True)
                )
            )
    habit: set[dt.date] = set()
    for week, mask in masks.items():
        if window.tier_start <= week <= window.end:
            fact.tier_days += mask.bit_count()
        if window.habit_start <= week <= window.end and mask:
            habit.add(week)
    fact.habit_weeks = len(habit)
    return fact


outcome = st.one_of(st.none(), st.integers(min_value=0, max_value=50))
rows_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=7),  # which account
        st.integers(min_value=0, max_value=30),  # weeks before END's week
        st.sampled_from((None, "otlp")),  # source
        st.sampled_from((0, 1, 3, 64, 127, 85)),  # day mask
        st.integers(min_value=0, max_value=99),  # generations
        st.integers(min_value=0, max_value=99),  # acceptances
        st.tuples(*(outcome for _ in RELEASE_OUTCOMES)),
    ),
    max_size=40,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows_strategy)
def test_the_databases_fold_equals_the_row_by_row_fold(engine: Engine, rows: list[Any]) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
    people = [make_person(engine) for _ in range(3)]
    # Two accounts per tool for the first person (admin and OpenTelemetry logins), one for the
    # others, one unverified and one linked to nobody.
    accounts = [
        (people[0], "claude_code", True),
        (people[0], "claude_code", True),
        (people[0], "copilot", True),
        (people[1], "claude_code", True),
        (people[1], "cursor", True),
        (people[2], "copilot", False),
        (None, "copilot", True),
        (people[2], "cursor", True),
    ]
    ids = [
        make_identity(engine, tool=tool, external_id=f"a{n}", person_id=person, verified=verified)
        for n, (person, tool, verified) in enumerate(accounts)
    ]
    person_of = {
        ids[n]: person
        for n, (person, _tool, verified) in enumerate(accounts)
        if person is not None and verified
    }
    stored: dict[tuple[int, dt.date], dict[str, Any]] = {}
    monday = END - dt.timedelta(days=6)
    for which, back, source, mask, generations, acceptances, outcomes in rows:
        identity_id = ids[which]
        week = monday - dt.timedelta(weeks=back)
        stored[(identity_id, week)] = ZEROS | {
            "identity_id": identity_id,
            "week": week,
            "tool": accounts[which][1],
            "source": source,
            "day_mask": mask,
            "generations": generations if mask else 0,
            "acceptances": acceptances if mask else 0,
            **dict(zip(RELEASE_OUTCOMES, outcomes, strict=True)),
        }
    if stored:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(SQLModel.metadata.tables["usage_week"]), list(stored.values())
            )

    with open_session(engine) as session:
        got = person_facts_by_period(session, set(people), PERIODS, tools=TOOLS)
    for period in PERIODS:
        assert got[period.name] == reference_fold(list(stored.values()), person_of, period), period


def test_people_outside_the_teams_are_left_out(engine: Engine) -> None:
    inside, outside = make_person(engine), make_person(engine)
    for n, person in enumerate((inside, outside)):
        identity_id = make_identity(engine, tool="copilot", external_id=f"o{n}", person_id=person)
        with engine.begin() as connection:
            connection.execute(
                sa.insert(SQLModel.metadata.tables["usage_week"]),
                [
                    ZEROS
                    | {
                        "identity_id": identity_id,
                        "week": END - dt.timedelta(days=6),
                        "tool": "copilot",
                        "day_mask": 3,
                        "generations": 4,
                    }
                ],
            )
    with open_session(engine) as session:
        got = person_facts_by_period(session, {inside}, PERIODS[:1], tools=TOOLS)
    assert list(got[PERIODS[0].name]) == [inside]
    assert got[PERIODS[0].name][inside].tier_days == 2
    assert got[PERIODS[0].name][inside].generations == 4
