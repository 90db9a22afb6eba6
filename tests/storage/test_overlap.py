"""A person reported for one tool and day by an admin API and by OpenTelemetry counts once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from storage import outcomes, queries
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
