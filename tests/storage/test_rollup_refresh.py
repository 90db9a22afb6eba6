"""`rollup.refresh` recomputes exactly the (identity, week) pairs it is given, many at a time."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage import rollup
from storage.engine import session as open_session
from tests.factories import add_usage, make_identity, usage_row
from tests.figures.test_rollup import assert_rollup_fresh, stored_rollup

MONDAY = dt.date(2026, 10, 5)
DAILY = SQLModel.metadata.tables["daily_usage"]
WEEKLY = SQLModel.metadata.tables["usage_week"]


def rollup_rows(engine: Engine) -> dict[tuple[int, dt.date], tuple[object, ...]]:
    return {(row[0], row[1]): row for row in stored_rollup(engine)}


@pytest.mark.parametrize("pairs_per_statement", [3, 200_000])
def test_refreshed_pairs_equal_a_rebuild_and_the_others_are_left_alone(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, pairs_per_statement: int
) -> None:
    # A small batch size makes PostgreSQL recompute the pairs over several statements.
    monkeypatch.setattr(rollup, "_PAIRS", pairs_per_statement)
    ids = [make_identity(engine, tool="cursor", external_id=f"r{n}@x.io") for n in range(4)]
    add_usage(
        engine,
        [
            usage_row(identity_id, "cursor", MONDAY + dt.timedelta(days=offset), interactions=n)
            for n, identity_id in enumerate(ids)
            for offset in range(0, 28, 2)  # four weeks, every other day
        ],
    )
    before = rollup_rows(engine)
    third_week = MONDAY + dt.timedelta(days=14)
    # Changed behind the rollup's back: every day of ids[0]; ids[1]'s third week goes idle.
    with engine.begin() as connection:
        connection.execute(
            sa.update(DAILY).where(DAILY.c.identity_id == ids[0]).values(interactions=50)
        )
        connection.execute(
            sa.update(DAILY)
            .where(DAILY.c.identity_id == ids[1], DAILY.c.day >= third_week)
            .where(DAILY.c.day < third_week + dt.timedelta(days=7))
            .values(active=False)
        )
    with open_session(engine) as session:
        days = [MONDAY + dt.timedelta(days=offset) for offset in range(28)]
        rollup.refresh(session, [(ids[0], day) for day in days] + [(ids[1], third_week)])
        session.commit()

    after = rollup_rows(engine)
    assert (ids[1], third_week) not in after  # no active day left that week: no row
    at = [column.name for column in WEEKLY.c].index("interactions")
    weekly = [after[(ids[0], MONDAY + dt.timedelta(weeks=w))][at] for w in range(4)]
    assert weekly == [50 * 4, 50 * 3, 50 * 4, 50 * 3]  # days 0, 2, 4, 6, then 8, 10, 12, …
    untouched = {key: row for key, row in before.items() if key[0] in ids[2:]}
    assert {key: after[key] for key in untouched} == untouched
    assert_rollup_fresh(engine)
