"""A person reported for one tool and day by an admin API and by OpenTelemetry counts once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage import outcomes, queries, usage
from storage.engine import session as open_session
from storage.outcomes import OUTCOME_METRICS
from tests.factories import add_usage, make_identity, make_person, usage_row

MONDAY, TUESDAY = dt.date(2026, 11, 23), dt.date(2026, 11, 24)


def test_myusage_reads_the_admin_apis_day_and_opentelemetrys_other_days(engine: Engine) -> None:
    person = make_person(engine)
    admin = make_identity(engine, tool="claude_code", external_id="ada@x.test", person_id=person)
    otel = make_identity(
        engine, tool="claude_code", external_id="otel:ada@x.test", person_id=person
    )
    add_usage(engine, [usage_row(admin, "claude_code", MONDAY, interactions=10)])
    add_usage(
        engine,
        [
            usage_row(otel, "claude_code", day, source="otlp", interactions=7)
            for day in (MONDAY, TUESDAY)
        ],
    )

    with open_session(engine) as session:
        _, rows = queries.person_usage(session, person, MONDAY, TUESDAY)

    assert sorted((row.day, row.source, row.interactions) for row in rows) == [
        (MONDAY, "claude_code", 10),  # not 17: the admin API's day is the day
        (TUESDAY, "otlp", 7),  # a day only OpenTelemetry reported still counts
    ]


def test_outcomes_take_the_admin_apis_figure_and_opentelemetrys_where_it_has_none(
    engine: Engine,
) -> None:
    person = make_person(engine)
    admin = make_identity(engine, tool="claude_code", external_id="bo@x.test", person_id=person)
    otel = make_identity(engine, tool="claude_code", external_id="otel:bo@x.test", person_id=person)
    nothing = dict.fromkeys(OUTCOME_METRICS)
    add_usage(engine, [usage_row(admin, "claude_code", MONDAY, **(nothing | {"commits": 2}))])
    add_usage(
        engine,
        [
            usage_row(otel, "claude_code", MONDAY, source="otlp", **(nothing | ot_monday)),
            usage_row(otel, "claude_code", TUESDAY, source="otlp", **(nothing | {"commits": 1})),
        ],
    )

    with open_session(engine) as session:
        totals = outcomes.person_outcomes(session, person, MONDAY, TUESDAY)["claude_code"]
        signals = outcomes.person_signals(session, person, MONDAY, TUESDAY)["claude_code"]

    # Monday: the admin API's 2 commits, not 2 + 2; its edit decisions come from OTel
    assert (totals["commits"], totals["edits_accepted"], totals["edits_rejected"]) == (3, 4, 1)
    assert (signals["commits"], signals["edits_accepted"]) == (3, 4)


ot_monday = {"commits": 2, "edits_accepted": 4, "edits_rejected": 1}


# `/myusage` reads its outcome signals from the same rows as its usage (one round trip,
# storage.usage.person_usage_and_signals); they must equal what person_signals' own
# query gives, whatever the mix of admin-API and OpenTelemetry days, flags and phases.
_SIGNAL_DAY = st.tuples(
    st.sampled_from(("admin", "otel", "copilot")),  # which account
    st.integers(min_value=0, max_value=20),  # days before TUESDAY
    st.sampled_from((None, 0, 3)),  # commits
    st.sampled_from((None, 1)),  # edits_accepted
    st.sampled_from((None, False, True)),  # used_cloud_agent (counted in days)
    st.sampled_from((None, 1, 3)),  # adoption_phase (the latest wins)
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(days=st.lists(_SIGNAL_DAY, max_size=25), window=st.integers(min_value=1, max_value=21))
def test_signals_read_with_usage_equal_their_own_query(
    engine: Engine, days: list[tuple[Any, ...]], window: int
) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
    person = make_person(engine)
    accounts = {
        "admin": (
            make_identity(engine, tool="claude_code", external_id="a@x.test", person_id=person),
            "claude_code",
            "claude_code",
        ),
        "otel": (
            make_identity(
                engine, tool="claude_code", external_id="otel:a@x.test", person_id=person
            ),
            "claude_code",
            "otlp",
        ),
        "copilot": (
            make_identity(engine, tool="copilot", external_id="octo", person_id=person),
            "copilot",
            "copilot",
        ),
    }
    nothing = dict.fromkeys(OUTCOME_METRICS)
    rows = {}
    for which, back, commits, edits, cloud, phase in days:
        identity_id, tool, source = accounts[which]
        day = TUESDAY - dt.timedelta(days=back)
        rows[(identity_id, day)] = usage_row(
            identity_id,
            tool,
            day,
            source=source,
            **(
                nothing
                | {
                    "commits": commits,
                    "edits_accepted": edits,
                    "used_cloud_agent": cloud,
                    "adoption_phase": phase,
                }
            ),
        )
    if rows:
        add_usage(engine, rows.values())
    since = TUESDAY - dt.timedelta(days=window - 1)
    with open_session(engine) as session:
        expected = outcomes.person_signals(session, person, since, TUESDAY)
        _, _, got = usage.person_usage_and_signals(
            session, person, TUESDAY - dt.timedelta(days=30), TUESDAY, signals_since=since
        )
    assert got == expected
