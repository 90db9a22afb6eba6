"""A retention trim recomputes only the accounts it touched, and the rollup stays exact."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.jobs import purge_expired_usage
from storage import rollup
from tests.conftest import make_settings
from tests.factories import add_usage, make_identity, usage_row
from tests.figures.test_rollup import assert_rollup_fresh, stored_rollup

TODAY = dt.date(2026, 11, 27)
CUTOFF = TODAY - dt.timedelta(days=30)  # Wednesday 28 October: its week loses two days


def weeks(engine: Engine) -> dict[int, dict[str, Any]]:
    """The stored rollup rows of the trimmed week, by identity."""
    names = [column.name for column in SQLModel.metadata.tables["usage_week"].c]
    rows = [dict(zip(names, row, strict=True)) for row in stored_rollup(engine)]
    return {row["identity_id"]: row for row in rows if row["week"] == rollup.week_of(CUTOFF)}


def test_a_mid_week_trim_keeps_the_rollup_of_every_kind_of_account_exact(engine: Engine) -> None:
    monday = rollup.week_of(CUTOFF)
    assert monday < CUTOFF
    week = [monday + dt.timedelta(days=n) for n in range(7)]
    steady, gone, quiet, later = (
        make_identity(engine, tool="copilot", external_id=name)
        for name in ("steady", "gone", "quiet", "later")
    )
    add_usage(
        engine,
        [
            *(usage_row(steady, "copilot", day, generations=2) for day in week),
            usage_row(gone, "copilot", monday, generations=5),  # active only on the purged day
            # Inactive on the purged day, from another source: the week's source changes.
            usage_row(quiet, "copilot", monday, active=False, source="otlp"),
            *(usage_row(quiet, "copilot", day, generations=1) for day in week[3:]),
            usage_row(later, "copilot", week[5], generations=3),
        ],
    )
    before = weeks(engine)
    assert before[quiet]["source"] == "otlp"

    now = dt.datetime.combine(TODAY, dt.time(3, 30), tzinfo=dt.UTC)
    assert purge_expired_usage(engine=engine, settings=make_settings(retention_days=30), now=now)

    after = weeks(engine)
    assert gone not in after
    assert after[steady]["day_mask"] == before[steady]["day_mask"] & ~0b11  # Monday, Tuesday
    assert after[steady]["generations"] == 2 * 5
    assert after[quiet]["source"] == "copilot"
    assert after[later] == before[later]
    assert_rollup_fresh(engine)
