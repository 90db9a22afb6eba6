"""Benchmark: ingest rows/s of `uptake import usage` and of the collectors' bulk upsert vs COPY.

The three are measured interleaved in the same run, on the same rows: `COPY` of ready rows
into `daily_usage` (the database's floor), the collector path (`upsert_daily_usage` of ready
rows for existing identities) and `uptake import usage` end to end (a CSV file read, checked,
identities created and linked by email, rows written). Optionally, the peak RSS of a separate
process importing a large file. Reports JSON; it never asserts.

    python -m benchmarks.bench_ingest --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --rows 500000 --rss-rows 1000000

A PostgreSQL URL names a server: a fresh database is created on it and dropped at the end.
`measure_ingest(url)` works on an existing database too (benchmarks/bench_org.py): it writes
only identities of its own tool, `bench_ingest`, and removes them when it is done.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from benchmarks.bench_myusage import bench_database, normalise_url
from bot.importer import COUNTERS, import_usage
from storage import partitions, queries
from storage.engine import make_engine
from storage.engine import session as open_session
from storage.migrate import upgrade

TOOL = "bench_ingest"
DAYS_PER_PERSON = 28
# The last 28 days before the run: months that exist in any migrated database.
FIRST_DAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=DAYS_PER_PERSON + 1)
_COLUMNS = ("email", "tool", "date", *COUNTERS, "cost_usd", "features")


def _email(index: int) -> str:
    return f"ingest.{index:07d}@bench.uptake.example"


def _records(rows: int) -> list[tuple[int, dt.date, tuple[int, ...], int]]:
    """(person index, day, counts, cost cents) for each row: 28 days a person, varied counts."""
    out = []
    for n in range(rows):
        person, offset = divmod(n, DAYS_PER_PERSON)
        counts = tuple((n * (k + 7)) % 97 for k in range(len(COUNTERS)))
        counts = (counts[0], counts[1] + 100, *counts[2:])  # generations above acceptances
        out.append((person, FIRST_DAY + dt.timedelta(days=offset), counts, n % 500))
    return out


def write_usage_file(path: Path, rows: int) -> None:
    """A CSV usage file of `rows` rows, written as it is generated."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(_COLUMNS)
        for person, day, counts, cents in _records(rows):
            writer.writerow(
                (_email(person), TOOL, day.isoformat(), *counts, f"{cents / 100:.2f}", "chat;agent")
            )


def _cleanup(engine: Engine) -> None:
    """Remove every bench identity; their usage goes with them (ON DELETE CASCADE)."""
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM identity WHERE tool = :tool"), {"tool": TOOL})


def _identity_ids(engine: Engine, people: int) -> dict[int, int]:
    with open_session(engine) as session:
        ids = queries.ensure_identities(session, [(TOOL, _email(i)) for i in range(people)])
        session.commit()
    return {i: ids[(TOOL, _email(i))] for i in range(people)}


def _rows(records: list[Any], ids: dict[int, int]) -> list[dict[str, Any]]:
    return [
        {
            "identity_id": ids[person],
            "day": day,
            "tool": TOOL,
            "source": "import",
            "active": True,
            **dict(zip(COUNTERS, counts, strict=True)),
            "cost_cents": cents,
            "cost_kind": "estimated",
            "features": ["agent", "chat"],
        }
        for person, day, counts, cents in records
    ]


def _copy(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """The baseline: COPY the ready rows into daily_usage (PostgreSQL), or executemany."""
    columns = [*rows[0], "updated_at"]
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        if engine.dialect.name != "postgresql":
            table = sa.table("daily_usage", *(sa.column(c) for c in columns))
            connection.execute(
                sa.insert(table),
                [{**r, "features": json.dumps(r["features"]), "updated_at": now} for r in rows],
            )
            return
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY daily_usage ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                values = [row[c] for c in columns[:-1]]
                values[columns.index("features")] = json.dumps(row["features"])
                copy.write_row([*values, now])


def _collector(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with open_session(engine) as session:
        queries.upsert_daily_usage(session, rows)
        session.commit()


def _timed(action: Callable[[], object], rows: int) -> float:
    started = time.perf_counter()
    action()
    return rows / (time.perf_counter() - started)


def measure_ingest(database_url: str, rows: int = 100_000, rounds: int = 3) -> dict[str, Any]:
    """Rows/s of import usage, the collector upsert and COPY, interleaved over `rounds`."""
    engine = make_engine(normalise_url(database_url))
    people = -(-rows // DAYS_PER_PERSON)
    records = _records(rows)
    speeds: dict[str, list[float]] = {"copy": [], "collector": [], "import_usage": []}
    try:
        _cleanup(engine)
        with open_session(engine) as session:
            queries.upsert_people(
                session,
                [{"slack_user_id": f"UINGEST{i:07d}", "email": _email(i)} for i in range(people)],
            )
            partitions.ensure_months_for_days(session, {day for _, day, _, _ in records})
            session.commit()
        with tempfile.TemporaryDirectory(prefix="uptake-ingest-") as directory:
            path = Path(directory) / "usage.csv"
            write_usage_file(path, rows)
            for round_ in range(rounds):
                order = ["copy", "collector", "import_usage"]
                order = order[round_ % 3 :] + order[: round_ % 3]
                for method in order:
                    _cleanup(engine)
                    if method == "import_usage":
                        speed = _timed(partial(import_usage, engine, path), rows)
                    else:
                        ready = _rows(records, _identity_ids(engine, people))
                        writer = _copy if method == "copy" else _collector
                        speed = _timed(partial(writer, engine, ready), rows)
                    speeds[method].append(speed)
        _cleanup(engine)
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM person WHERE slack_user_id LIKE 'UINGEST%'"))
    finally:
        engine.dispose()
    median = {method: statistics.median(values) for method, values in speeds.items()}
    return {
        "database": engine.dialect.name,
        "rows": rows,
        "rounds": rounds,
        "rows_per_second": {method: round(value) for method, value in median.items()},
        "share_of_copy": {
            method: round(median[method] / median["copy"], 3)
            for method in ("import_usage", "collector")
        },
        "all_rounds": {method: [round(v) for v in values] for method, values in speeds.items()},
    }


_CHILD = """
import resource, sys
from pathlib import Path
from bot.importer import import_usage
from storage.engine import make_engine
engine = make_engine(sys.argv[1])
result = import_usage(engine, Path(sys.argv[2]))
print(result.rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure_import_rss(database_url: str, rows: int = 1_000_000) -> dict[str, Any]:
    """Peak RSS (MB) of a separate process that runs `import usage` on a `rows`-row file."""
    url = normalise_url(database_url)
    engine = make_engine(url)
    try:
        _cleanup(engine)
        with tempfile.TemporaryDirectory(prefix="uptake-ingest-") as directory:
            path = Path(directory) / "usage.csv"
            write_usage_file(path, rows)
            started = time.perf_counter()
            done = subprocess.run(  # noqa: S603 (our own interpreter and script)
                [sys.executable, "-c", _CHILD, url, str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - started
            size = path.stat().st_size
        _cleanup(engine)
    finally:
        engine.dispose()
    imported, child_rss_kb = (int(part) for part in done.stdout.split())
    return {
        "rows": imported,
        "file_mb": round(size / 2**20, 1),
        "seconds": round(seconds, 1),
        "rows_per_second": round(imported / seconds),
        "peak_rss_mb": round(child_rss_kb / 1024, 1),
        "children_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server URL; default a temp SQLite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rss-rows", type=int, default=0, help="also measure a big import's RSS")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    with bench_database(args.database_url, keep=args.keep) as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        report: dict[str, Any] = {"ingest": measure_ingest(url, args.rows, args.rounds)}
        if args.rss_rows:
            report["import_rss"] = measure_import_rss(url, args.rss_rows)
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
