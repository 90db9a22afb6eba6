"""Monthly partitions of `daily_usage` on PostgreSQL, and retention on both databases.

On PostgreSQL `daily_usage` is partitioned by range of `day`, one partition a month, named
`daily_usage_YYYY_MM` (migration 0010). The clock creates the coming months ahead
(`create_months_ahead`), and every write makes sure its months exist first
(`ensure_months_for_days`), so a write never fails for want of a partition. There is no default
partition on purpose: with one, creating or attaching any month would scan the default
partition (and fail if it held rows of that month), and DETACH … CONCURRENTLY is refused.

A new month is created detached and then attached: ATTACH takes only a SHARE UPDATE EXCLUSIVE
lock on `daily_usage` (CREATE TABLE … PARTITION OF would take ACCESS EXCLUSIVE), so reads and
writes go on meanwhile, and a writer can do it inside its own transaction without waiting for
itself. Retention detaches whole expired months CONCURRENTLY (again not blocking readers or
writers) and drops them: the cost does not grow with the table. The month the cutoff falls in
is trimmed with a plain DELETE on that partition alone. SQLite (and an unpartitioned table)
deletes in bounded batches, each its own transaction, so the database is never locked long.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

PARENT = "daily_usage"
MONTHS_AHEAD = 3  # the clock keeps this month and the next three ready
_NAME = re.compile(r"^daily_usage_(\d{4})_(\d{2})$")
LOCK_KEY = 0x6475_0010  # advisory lock serialising the creation of partitions ("du", 0010)
_BATCH_ROWS = 10_000  # rows per retention batch on SQLite / an unpartitioned table


@dataclass(frozen=True, slots=True)
class Purge:
    """What a retention run removed: rows in all, and whole months dropped among them."""

    rows_deleted: int
    months_dropped: tuple[dt.date, ...] = ()


def month_of(day: dt.date) -> dt.date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after `month`."""
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(month: dt.date) -> str:
    """`daily_usage_2026_11` for November 2026."""
    return f"{PARENT}_{month.year:04d}_{month.month:02d}"


def is_partition_name(name: str | None) -> bool:
    """Whether a table name is one of daily usage's monthly partitions.

    Schema comparisons skip them: the models describe `daily_usage` once, as a whole, and its
    partitions are created at run time, not by the models or by migrations alone.
    """
    return name is not None and _NAME.match(name) is not None


def include_name(name: str | None, type_: str, _parents: object = None) -> bool:
    """Alembic's `include_name` hook: compare every table but daily usage's partitions."""
    return not (type_ == "table" and is_partition_name(name))


def is_partitioned(connection: Connection | Session) -> bool:
    """Whether `daily_usage` is a partitioned table here (PostgreSQL after migration 0010)."""
    if _dialect(connection) != "postgresql":
        return False
    kind = connection.execute(
        sa.text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:parent)"),
        {"parent": PARENT},
    ).scalar()
    return kind == "p"


def partition_months(connection: Connection | Session) -> list[dt.date]:
    """The months that have a partition attached (pending detaches excluded), oldest first."""
    return sorted(month for month, pending in _partitions(connection).items() if not pending)


def ensure_months_for_days(session: Session, days: Iterable[dt.date]) -> list[dt.date]:
    """Create, in the session's own transaction, any month partition these days need.

    A cheap catalog read when every month exists (the usual case: the clock creates them
    ahead); only a backfill into a month nobody prepared creates one here.
    """
    if _dialect(session) != "postgresql":
        return []
    wanted = {month_of(day) for day in days}
    if not wanted or wanted <= set(partition_months(session)):
        return []
    if not is_partitioned(session):
        return []
    return _create(session, wanted)


def create_months(engine: Engine, months: Iterable[dt.date]) -> list[dt.date]:
    """Create the partitions of these months that are missing; returns the ones created."""
    with engine.begin() as connection:
        if not is_partitioned(connection):
            return []
        return _create(connection, {month_of(month) for month in months})


def create_months_ahead(
    engine: Engine, today: dt.date, months_ahead: int = MONTHS_AHEAD
) -> list[dt.date]:
    """The clock's job: this month's partition and the next `months_ahead` (idempotent)."""
    month = month_of(today)
    wanted = [month]
    for _ in range(months_ahead):
        month = next_month(month)
        wanted.append(month)
    return create_months(engine, wanted)


def purge_before(engine: Engine, cutoff: dt.date, *, batch_rows: int = _BATCH_ROWS) -> Purge:
    """Delete every daily usage row dated before `cutoff` (privacy rule 8).

    `batch_rows` bounds each transaction where rows are deleted one by one (SQLite).
    """
    with engine.connect() as connection:
        partitioned = is_partitioned(connection)
    if partitioned:
        return _purge_partitions(engine, cutoff)
    return Purge(_delete_in_batches(engine, cutoff, batch_rows))


def _dialect(connection: Connection | Session) -> str:
    if isinstance(connection, Session):
        return connection.get_bind().dialect.name
    return connection.dialect.name


def _partitions(connection: Connection | Session) -> dict[dt.date, bool]:
    """Month -> detach pending, for each of `daily_usage`'s partitions named by month."""
    rows = connection.execute(
        sa.text(
            "SELECT child.relname, i.inhdetachpending FROM pg_inherits i"
            " JOIN pg_class child ON child.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(:parent)"
        ),
        {"parent": PARENT},
    )
    months: dict[dt.date, bool] = {}
    for name, pending in rows:
        match = _NAME.match(name)
        if match:
            months[dt.date(int(match[1]), int(match[2]), 1)] = bool(pending)
    return months


def _create(connection: Connection | Session, months: set[dt.date]) -> list[dt.date]:
    # Two writers needing the same new month: the second waits here, then finds it made.
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    existing = _partitions(connection)
    created = []
    for month in sorted(months - set(existing)):
        name = partition_name(month)
        connection.execute(sa.text(f'CREATE TABLE "{name}" (LIKE {PARENT} INCLUDING DEFAULTS)'))
        connection.execute(
            sa.text(
                f'ALTER TABLE {PARENT} ATTACH PARTITION "{name}"'
                f" FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')"
            )
        )
        created.append(month)
    return created


def _purge_partitions(engine: Engine, cutoff: dt.date) -> Purge:
    dropped: list[dt.date] = []
    rows = 0
    # DETACH … CONCURRENTLY cannot run inside a transaction block.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for month, pending in sorted(_partitions(connection).items()):
            if next_month(month) > cutoff:
                continue
            name = partition_name(month)
            # A detach interrupted half-way (a crash) is finished rather than started again.
            mode = "FINALIZE" if pending else "CONCURRENTLY"
            connection.execute(sa.text(f'ALTER TABLE {PARENT} DETACH PARTITION "{name}" {mode}'))
            rows += int(connection.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            connection.execute(sa.text(f'DROP TABLE "{name}"'))
            dropped.append(month)
    partial = month_of(cutoff)
    if partial < cutoff:
        with engine.begin() as connection:
            if partial in _partitions(connection):
                result = connection.execute(
                    sa.text(f'DELETE FROM "{partition_name(partial)}" WHERE day < :cutoff'),
                    {"cutoff": cutoff},
                )
                rows += int(result.rowcount or 0)
    return Purge(rows, tuple(dropped))


def _delete_in_batches(engine: Engine, cutoff: dt.date, batch: int) -> int:
    """Oldest rows first, `batch` at a time, each batch committed on its own."""
    total = 0
    while True:
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                victims = "SELECT rowid FROM daily_usage WHERE day < :cutoff ORDER BY day LIMIT :n"
                statement = f"DELETE FROM daily_usage WHERE rowid IN ({victims})"
            else:
                victims = (
                    "SELECT identity_id, day FROM daily_usage WHERE day < :cutoff"
                    " ORDER BY day LIMIT :n"
                )
                statement = f"DELETE FROM daily_usage WHERE (identity_id, day) IN ({victims})"
            result = connection.execute(sa.text(statement), {"cutoff": cutoff, "n": batch})
        deleted = int(result.rowcount or 0)
        total += deleted
        if deleted < batch:
            return total
