"""`upsert_daily_usage` of a large batch (COPY and one upsert on PostgreSQL) matches a small one."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import bulk_usage, queries, usage_import
from storage.engine import session as open_session
from storage.models import DailyUsage, UsageWeek, utcnow

FIRST = dt.date(2026, 10, 1)


def row(identity_id: int, offset: int, interactions: int) -> dict[str, object]:
    return {
        "identity_id": identity_id,
        "day": FIRST + dt.timedelta(days=offset),
        "tool": "cursor",
        "source": "cursor",
        **queries.zero_usage(),
        "active": True,
        "interactions": interactions,
        "features": ["chat", 'say "hi" \\ \t'],  # quotes, a backslash and a tab survive COPY
    }


def write_rows(session: Session, rows: list[dict[str, object]], **options: bool) -> int:
    """`usage_import.write_rows` of rows given by name, as their values."""
    columns = list(rows[0])
    return usage_import.write_rows(
        session, columns, [[row[name] for name in columns] for row in rows], **options
    )


def rows_by_interactions(engine: Engine) -> dict[int, int]:
    """How many stored rows have each number of interactions."""
    with engine.connect() as connection:
        counted = connection.execute(
            sa.select(DailyUsage.interactions, sa.func.count()).group_by(DailyUsage.interactions)
        )
        return {interactions: count for interactions, count in counted}


def test_a_large_batch_replaces_days_and_the_later_duplicate_wins(engine: Engine) -> None:
    with open_session(engine) as session:
        ids = queries.ensure_identities(session, [("cursor", f"u{n}@x.io") for n in range(10)])
        first = [
            row(identity_id, offset, 1) for identity_id in ids.values() for offset in range(30)
        ]
        queries.upsert_daily_usage(session, first)
        second = [
            row(identity_id, offset, 2) for identity_id in ids.values() for offset in range(20, 40)
        ]
        second.append(row(next(iter(ids.values())), 39, 7))  # the same key again: it wins
        queries.upsert_daily_usage(session, second)
        session.commit()
    counts = rows_by_interactions(engine)
    with engine.connect() as connection:
        features = connection.execute(sa.select(DailyUsage.features).limit(1)).scalar_one()
        week_total = connection.execute(sa.select(sa.func.sum(UsageWeek.interactions))).scalar()
    assert counts == {1: 10 * 20, 2: 10 * 20 - 1, 7: 1}
    assert features == ["chat", 'say "hi" \\ \t']
    assert week_total == 10 * 20 * 1 + (10 * 20 - 1) * 2 + 7


def test_a_first_import_batch_meeting_a_stored_day_is_upserted_not_lost(engine: Engine) -> None:
    """The COPY straight into the table fails on a day stored meanwhile; the upsert follows."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the direct COPY is PostgreSQL's")
    with open_session(engine) as session:
        ids = queries.ensure_identities(session, [("cursor", f"u{n}@x.io") for n in range(10)])
        batch = [
            row(identity_id, offset, 3) for identity_id in ids.values() for offset in range(30)
        ]
        queries.upsert_daily_usage(session, [row(batch[-1]["identity_id"], 29, 9)])
        assert not bulk_usage.copy_new(session, batch, utcnow())  # one key was stored
        assert write_rows(session, batch) == 1  # so it is replaced, the rest added
        session.commit()
    assert rows_by_interactions(engine) == {3: 300}


def test_a_first_import_batch_is_copied_whole(engine: Engine) -> None:
    with open_session(engine) as session:
        ids = queries.ensure_identities(session, [("cursor", f"u{n}@x.io") for n in range(10)])
        batch = [
            row(identity_id, offset, 4) for identity_id in ids.values() for offset in range(30)
        ]
        assert write_rows(session, batch) == 0
        session.commit()
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(sa.func.count(), sa.func.sum(DailyUsage.interactions))
        ).one()
        features = connection.execute(sa.select(DailyUsage.features).limit(1)).scalar_one()
    assert tuple(stored) == (300, 1200)
    assert features == ["chat", 'say "hi" \\ \t']


@pytest.mark.parametrize("probably_new", [True, False])
def test_a_batch_thought_new_that_meets_stored_days_replaces_them(
    engine: Engine, probably_new: bool
) -> None:
    """Tried as a COPY first (on PostgreSQL), it fails on the stored days and is upserted."""
    with open_session(engine) as session:
        ids = queries.ensure_identities(session, [("cursor", f"u{n}@x.io") for n in range(10)])
        stored = [row(identity_id, 5, 1) for identity_id in ids.values()][:3]
        queries.upsert_daily_usage(session, stored)
        batch = [
            row(identity_id, offset, 5) for identity_id in ids.values() for offset in range(30)
        ]
        assert write_rows(session, batch, probably_new=probably_new) == 3
        assert write_rows(session, batch, probably_new=probably_new) == 300
        session.commit()
    assert rows_by_interactions(engine) == {5: 300}
    with engine.connect() as connection:
        week_total = connection.execute(sa.select(sa.func.sum(UsageWeek.interactions))).scalar()
    assert week_total == 3  # the caller refreshes the rollup, not write_rows
