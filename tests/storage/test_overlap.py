"""A person reported for one tool and day by an admin API and by OpenTelemetry counts once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from storage import queries
from storage.engine import session as open_session
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
