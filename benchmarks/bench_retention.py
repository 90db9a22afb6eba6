"""Benchmark: the retention job purging one month, next to a plain `DELETE … WHERE day < x`.

On PostgreSQL `daily_usage` is partitioned by month, so the job drops expired months whole;
the baseline is the same rows in an unpartitioned copy with the same keys, deleted with one
plain DELETE. On SQLite the job deletes in bounded, separately committed batches; the baseline
is one DELETE in one transaction. Both are timed on the same data in the same run, month by
month (baseline first, then the job, for each of the oldest months). Reports JSON.

    python -m benchmarks.bench_retention --rows 200000 --days 120
    python -m benchmarks.bench_retention --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --rows 10000000 --days 400

A PostgreSQL URL names a server: a fresh database is created on it, used and dropped (unless
--keep). `measure_retention(url)` (used by bench_org.py) works on an existing, migrated database
instead, and leaves it without its oldest months.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from benchmarks.bench_myusage import bench_database
from bot.jobs import purge_expired_usage
from bot.settings import Settings
from storage import partitions, rollup
from storage.engine import make_engine
from storage.migrate import upgrade

PLAIN = "bench_plain_daily_usage"
RETENTION_DAYS = 400
LAST_DAY = dt.date(2026, 11, 29)
_COLUMNS = (
    "identity_id, day, tool, source, active, interactions, generations, acceptances,"
    " lines_suggested, lines_accepted, chat_requests, agent_requests, cli_requests,"
    " input_tokens, output_tokens, cost_cents, cost_kind, features, updated_at"
)


def measure_retention(
    database_url: str, *, rows: int = 0, days: int = 400, months: int = 3
) -> dict[str, Any]:
    """Time purging each of the oldest `months` months: the retention job vs a plain DELETE.

    `database_url` is a migrated database. With `rows`, its (empty) `daily_usage` is first
    filled with that many rows over `days` days ending LAST_DAY; otherwise its rows are used.
    Destructive: the oldest `months` months of daily usage are gone afterwards.
    """
    engine = make_engine(database_url)
    try:
        if rows:
            generate(engine, rows=rows, days=days)
        return _measure(engine, months)
    finally:
        engine.dispose()


def generate(engine: Engine, *, rows: int, days: int) -> None:
    """`rows` daily rows (one copilot identity per `rows // days`) over `days` days, in SQL."""
    people = max(1, rows // days)
    first = LAST_DAY - dt.timedelta(days=days - 1)
    partitions.create_months(engine, _months(first, LAST_DAY))
    values = (
        "i.id, {day}, 'copilot', 'copilot', true, (i.id + {n}) % 40, (i.id * 3 + {n}) % 90,"
        " (i.id + {n}) % 30, (i.id * 7 + {n}) % 400, (i.id + 2 * {n}) % 120, (i.id + {n}) % 9,"
        " (i.id + {n}) % 4, 0, (i.id + {n}) % 50000, (i.id + {n}) % 9000, NULL, NULL, '[]', {now}"
    )
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text(
                    "INSERT INTO identity (tool, external_id, verified, created_at)"
                    " SELECT 'copilot', 'bench-retention-' || g, false, now()"
                    " FROM generate_series(1, :people) g"
                ),
                {"people": people},
            )
            select = values.format(day="CAST(:first AS date) + d.n", n="d.n", now="now()")
            connection.execute(
                sa.text(
                    f"INSERT INTO daily_usage ({_COLUMNS}) SELECT {select}"
                    " FROM generate_series(0, :days - 1) AS d(n)"
                    " CROSS JOIN (SELECT id FROM identity"
                    "             WHERE external_id LIKE 'bench-retention-%') i"
                ),
                {"first": first, "days": days},
            )
        else:
            connection.execute(
                sa.text(
                    "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :p)"
                    " INSERT INTO identity (tool, external_id, verified, created_at)"
                    " SELECT 'copilot', 'bench-retention-' || n, 0, '2026-11-30 00:00:00.000000'"
                    " FROM g"
                ),
                {"p": people},
            )
            select = values.format(
                day="date(:first, '+' || d.n || ' days')",
                n="d.n",
                now="'2026-11-30 00:00:00.000000'",
            )
            connection.execute(
                sa.text(
                    "WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d"
                    " WHERE n < :days - 1)"
                    f" INSERT INTO daily_usage ({_COLUMNS}) SELECT {select}"
                    " FROM d CROSS JOIN (SELECT id FROM identity"
                    "                    WHERE external_id LIKE 'bench-retention-%') i"
                ),
                {"first": first.isoformat(), "days": days},
            )
    _settle(engine, "daily_usage")


def _measure(engine: Engine, months: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    _copy_to_plain(engine)
    copy_seconds = time.perf_counter() - t0
    with engine.connect() as connection:
        total, first, last = connection.execute(
            sa.text("SELECT count(*), min(day), max(day) FROM daily_usage")
        ).one()
        size = _table_bytes(connection)
    if total == 0:
        raise SystemExit("bench_retention: daily_usage is empty; pass rows to generate some")
    first, last = _as_date(first), _as_date(last)
    settings = Settings(
        _env_file=None,
        database_url=engine.url.render_as_string(hide_password=False),
        retention_days=RETENTION_DAYS,
    )
    runs = []
    month = partitions.month_of(first)
    warm_up = None
    if first > month:  # the oldest month is partial: purge it first, untimed in the medians
        warm_up = _one_cutoff(engine, settings, partitions.next_month(month))
        month = partitions.next_month(month)
    for _ in range(months):
        cutoff = partitions.next_month(month)
        runs.append(_one_cutoff(engine, settings, cutoff))
        month = cutoff
    # The daily run that follows: the month the cutoff is in loses one more day.
    daily = _one_cutoff(engine, settings, month + dt.timedelta(days=1))
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE {PLAIN}"))
    job = [run["job_seconds"] for run in runs]
    plain = [run["plain_delete_seconds"] for run in runs]
    return {
        "dialect": engine.dialect.name,
        "table_rows": int(total),
        "table_days": (last - first).days + 1,
        "table_bytes": size,
        "baseline_copy_seconds": round(copy_seconds, 3),
        "partial_first_month": warm_up,
        "months": runs,
        "month_job_median_seconds": round(statistics.median(job), 4),
        "month_plain_delete_median_seconds": round(statistics.median(plain), 4),
        "month_speedup": round(statistics.median(plain) / max(statistics.median(job), 1e-6), 1),
        "one_day_trim": daily,
        "month_partitions_median_seconds": round(
            statistics.median(r["job_seconds"] - r["of_which_rollup_seconds"] for r in runs), 4
        ),
        "target_month_under_1s": max(job) < 1.0,
    }


def _one_cutoff(engine: Engine, settings: Settings, cutoff: dt.date) -> dict[str, Any]:
    """The baseline DELETE up to `cutoff`, then the retention job whose window ends there."""
    t0 = time.perf_counter()
    with engine.begin() as connection:
        plain_rows = connection.execute(
            sa.text(f"DELETE FROM {PLAIN} WHERE day < :cutoff"), {"cutoff": cutoff}
        ).rowcount
    plain_seconds = time.perf_counter() - t0
    now = dt.datetime.combine(cutoff + dt.timedelta(days=RETENTION_DAYS), dt.time(3, 30), dt.UTC)
    with _timing(rollup, "forget_days") as rollup_spent:  # the job's rollup step: its share
        t0 = time.perf_counter()
        job_rows = purge_expired_usage(engine=engine, settings=settings, now=now)
        job_seconds = time.perf_counter() - t0
    rollup_seconds = sum(rollup_spent)
    return {
        "cutoff": cutoff.isoformat(),
        "rows": job_rows,
        "same_rows": job_rows == plain_rows,
        "job_seconds": round(job_seconds, 4),
        "of_which_rollup_seconds": round(rollup_seconds, 4),
        "plain_delete_seconds": round(plain_seconds, 4),
    }


@contextlib.contextmanager
def _timing(module: Any, name: str) -> Iterator[list[float]]:
    """Seconds spent in each call of `module.name` meanwhile (its callers look it up there)."""
    original = getattr(module, name)
    spent: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - t0)

    setattr(module, name, timed)
    try:
        yield spent
    finally:
        setattr(module, name, original)


def _copy_to_plain(engine: Engine) -> None:
    """An unpartitioned copy of daily_usage with the same primary key and `day` index."""
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {PLAIN}"))
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text(f"CREATE TABLE {PLAIN} (LIKE daily_usage INCLUDING DEFAULTS)")
            )
        else:
            connection.execute(
                sa.text(f"CREATE TABLE {PLAIN} AS SELECT * FROM daily_usage LIMIT 0")
            )
        connection.execute(sa.text(f"INSERT INTO {PLAIN} SELECT * FROM daily_usage"))
        connection.execute(
            sa.text(f"CREATE UNIQUE INDEX {PLAIN}_pkey ON {PLAIN} (identity_id, day)")
        )
        connection.execute(sa.text(f"CREATE INDEX {PLAIN}_day ON {PLAIN} (day)"))
    _settle(engine, PLAIN)


def _settle(engine: Engine, table: str) -> None:
    """Vacuum and analyze, as autovacuum long since has for months about to expire."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        vacuum = "VACUUM ANALYZE" if connection.dialect.name == "postgresql" else "ANALYZE"
        connection.execute(sa.text(f"{vacuum} {table}"))


def _table_bytes(connection: Connection) -> int | None:
    if connection.dialect.name != "postgresql":
        return None
    return int(
        connection.execute(
            sa.text(
                "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
                " WHERE inhparent = to_regclass('daily_usage')"
            )
        ).scalar_one()
        or 0
    )


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    month, found = partitions.month_of(first), []
    while month <= last:
        found.append(month)
        month = partitions.next_month(month)
    return found


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def main(argv: list[str] | None = None) -> int:
    """Make a fresh database, fill it, measure, print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--months", type=int, default=3, help="months purged and timed")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    with bench_database(args.database_url, keep=args.keep) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        t0 = time.perf_counter()
        report = measure_retention(url, rows=args.rows, days=args.days, months=args.months)
    report["total_seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
