"""Benchmark: bulk import throughput and `/myusage` latency against a raw SQL baseline.

Generates N people x D days x 4 tools of daily usage (every person uses every tool every
day: the worst case for `/myusage`), imports it through the production bulk upsert, then
times the full `/myusage` service path next to one hand-written SQL query that fetches the
same rows. Reports JSON; it never asserts, so the exit code is 0 whenever it ran.

    python -m benchmarks.bench_myusage --people 200 --days 30
    python -m benchmarks.bench_myusage --database-url postgresql://postgres@127.0.0.1:5432/test

A PostgreSQL URL names a server to use: a fresh, uniquely named database is created on it,
used, and dropped at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlalchemy.engine import Engine, make_url

import bot.adoption
import bot.myusage
import storage.engine
from bot.myusage import MyUsageRequest, answer_myusage, summary_answer
from bot.people import PersonRef
from bot.services import Services
from bot.settings import Settings
from bot.tools import CLAUDE_CODE, COPILOT, CURSOR, OPENAI
from storage import queries
from storage.engine import make_engine
from storage.engine import session as open_session
from storage.migrate import upgrade
from storage.models import CostKind, LinkMethod


def code_fingerprint() -> dict[str, str]:
    """Short hashes of the measured modules' sources, read as they were imported."""
    modules = (queries, storage.engine, bot.adoption, bot.myusage)
    return {
        module.__name__: hashlib.sha256(Path(str(module.__file__)).read_bytes()).hexdigest()[:12]
        for module in modules
    }


# The code under test changes while the benchmark is used: record what this run imported.
CODE_FINGERPRINT = code_fingerprint()
TOOLS = (COPILOT, CLAUDE_CODE, CURSOR, OPENAI)
WINDOW_DAYS = 28
WARMUP_CALLS = 20
BATCH_ROWS = 50_000
ZONES = ("Europe/London", "America/New_York", "Europe/Berlin", "Asia/Singapore", "UTC")

COPILOT_FEATURES = ("chat_panel_ask_mode", "chat_panel_agent_mode", "chat_inline", "agent_edit")
CURSOR_FEATURES = ("composer", "chat", "agent", "cmdk")
CLAUDE_FEATURES = ("edit_tool", "multi_edit_tool", "write_tool")

RAW_QUERY = sa.text(
    "SELECT du.day, du.tool, du.source, du.active, du.interactions, du.generations,"
    " du.acceptances, du.lines_accepted, du.cost_cents, du.cost_kind, du.features"
    " FROM daily_usage du JOIN identity i ON i.id = du.identity_id"
    " WHERE i.person_id = :p AND i.verified AND du.day BETWEEN :since AND :until"
)


# --- database lifecycle -------------------------------------------------------------------


def normalise_url(url: str) -> str:
    """`postgres://` and `postgresql://` become `postgresql+psycopg://`, as in Settings."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@contextmanager
def bench_database(url: str | None, *, keep: bool) -> Iterator[str]:
    """Yield the URL of a fresh database: a temp SQLite file, or a new PostgreSQL database."""
    if url is None:
        directory = tempfile.mkdtemp(prefix="uptake-bench-")
        try:
            yield f"sqlite:///{Path(directory) / 'bench.db'}"
        finally:
            if keep:
                print(f"kept SQLite database in {directory}", file=sys.stderr)
            else:
                shutil.rmtree(directory, ignore_errors=True)
        return

    url = normalise_url(url)
    if url.startswith("sqlite"):
        yield url
        return
    server = make_url(url)
    name = f"uptake_bench_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            if keep:
                print(f"kept PostgreSQL database {name}", file=sys.stderr)
            else:
                with admin.connect() as connection:
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# --- data generation ----------------------------------------------------------------------


def external_id(index: int, tool: str) -> str:
    """Each tool's account key: a GitHub login, an email, or an OpenAI user id."""
    if tool == COPILOT:
        return f"bench-user-{index:06d}-gh"
    if tool == OPENAI:
        return f"user-bench{index:06d}"
    return f"bench.user{index:06d}@bench.uptake.example"


def day_metrics(rng: random.Random, tool: str, weekend: bool) -> dict[str, Any]:
    """Realistic metric values for one tool on one day (after bot/demo.py)."""
    scale = 0.4 if weekend else 1.0
    base: dict[str, Any] = {**queries.zero_usage(), "active": True}
    del base["features"]
    if tool == COPILOT:
        shown = int(rng.randint(20, 160) * scale) + 1
        accepted = min(shown, int(shown * rng.uniform(0.15, 0.42)))
        chat = rng.randint(0, 12)
        extra = rng.sample(COPILOT_FEATURES, rng.randint(0, 3))
        base.update(
            interactions=shown + chat,
            generations=shown,
            acceptances=accepted,
            lines_suggested=shown * 3,
            lines_accepted=accepted * rng.randint(1, 4),
            chat_requests=chat,
            agent_requests=rng.randint(0, 3) if "agent_edit" in extra else 0,
            features=sorted(["code_completion", *extra]),
        )
    elif tool == CURSOR:
        shown = int(rng.randint(30, 200) * scale) + 1
        accepted = min(shown, int(shown * rng.uniform(0.15, 0.5)))
        requests = rng.randint(1, 25)
        base.update(
            interactions=requests + shown,
            generations=shown,
            acceptances=accepted,
            lines_suggested=shown * 2,
            lines_accepted=accepted * rng.randint(1, 3),
            chat_requests=requests // 2,
            agent_requests=requests - requests // 2,
            features=sorted(["tab", *rng.sample(CURSOR_FEATURES, rng.randint(1, 3))]),
        )
    elif tool == CLAUDE_CODE:
        proposed = rng.randint(3, 40)
        accepted = int(proposed * rng.uniform(0.3, 0.95))
        tokens_in = rng.randint(20_000, 400_000)
        base.update(
            interactions=rng.randint(2, 30),
            generations=proposed,
            acceptances=accepted,
            lines_accepted=accepted * rng.randint(5, 30),
            agent_requests=rng.randint(1, 15),
            input_tokens=tokens_in,
            output_tokens=tokens_in // rng.randint(8, 20),
            cost_cents=tokens_in // 2_000,
            cost_kind=CostKind.BILLED.value,
            features=sorted(rng.sample(CLAUDE_FEATURES, rng.randint(1, 3))),
        )
    else:
        tokens_in = rng.randint(5_000, 200_000)
        base.update(
            interactions=rng.randint(5, 120),
            input_tokens=tokens_in,
            output_tokens=tokens_in // rng.randint(3, 10),
            cost_cents=tokens_in // 4_000,
            cost_kind=CostKind.ESTIMATED.value,
            features=["api"],
        )
    return base


def usage_batches(
    rng: random.Random,
    identity_ids: list[dict[str, int]],
    first_day: dt.date,
    days: int,
    batch_rows: int,
    *,
    order: str = "day",
) -> Iterator[list[dict[str, Any]]]:
    """Yield the N x D x 4 rows in batches, generated lazily so memory stays bounded.

    `order="day"` writes day by day for everyone, as daily syncs do in production, so one
    person's rows end up spread over the table; `order="person"` writes each person's
    history together (a per-person backfill), the friendliest layout for `/myusage`.
    """
    dates = [first_day + dt.timedelta(days=offset) for offset in range(days)]
    if order == "day":
        pairs: Iterator[tuple[dict[str, int], dt.date]] = (
            (ids, day) for day in dates for ids in identity_ids
        )
    else:
        pairs = ((ids, day) for ids in identity_ids for day in dates)
    batch: list[dict[str, Any]] = []
    for ids, day in pairs:
        weekend = day.weekday() >= 5
        for tool in TOOLS:
            batch.append(
                {
                    "identity_id": ids[tool],
                    "day": day,
                    "tool": tool,
                    "source": tool,
                    **day_metrics(rng, tool, weekend),
                }
            )
        if len(batch) >= batch_rows:
            yield batch
            batch = []
    if batch:
        yield batch


def create_people(
    engine: Engine, count: int, rng: random.Random
) -> tuple[list[PersonRef], list[dict[str, int]]]:
    """People and their four verified identities; returns refs and per-person identity ids."""
    people = [
        {
            "slack_user_id": f"UB{index:08d}",
            "email": f"bench.user{index:06d}@bench.uptake.example",
            "display_name": f"Bench User {index}",
            "tz": rng.choice(ZONES),
        }
        for index in range(count)
    ]
    with open_session(engine) as session:
        person_ids = queries.upsert_people(session, people)
        keys = [(tool, external_id(index, tool)) for index in range(count) for tool in TOOLS]
        found = queries.ensure_identities(session, keys)
        refs: list[PersonRef] = []
        identity_ids: list[dict[str, int]] = []
        for index, person in enumerate(people):
            person_id = person_ids[person["slack_user_id"]]
            refs.append(PersonRef(person_id, person["slack_user_id"], person["tz"]))
            ids = {tool: found[(tool, external_id(index, tool))] for tool in TOOLS}
            identity_ids.append(ids)
            for tool, identity_id in ids.items():
                method = LinkMethod.EMAIL if tool in {CLAUDE_CODE, CURSOR} else LinkMethod.ADMIN
                queries.link_identity(session, identity_id, person_id, method, verified=True)
        session.commit()
    return refs, identity_ids


def import_usage(
    engine: Engine,
    rng: random.Random,
    identity_ids: list[dict[str, int]],
    first_day: dt.date,
    days: int,
    *,
    order: str,
) -> dict[str, Any]:
    """Insert every row through `queries.upsert_daily_usage`, one commit per batch."""
    rows = 0
    upsert_seconds = 0.0
    expected = len(identity_ids) * days * len(TOOLS)
    next_report = 0.1
    started = time.perf_counter()
    with open_session(engine) as session:
        batches = usage_batches(rng, identity_ids, first_day, days, BATCH_ROWS, order=order)
        for batch in batches:
            t0 = time.perf_counter()
            rows += queries.upsert_daily_usage(session, batch)
            session.commit()
            upsert_seconds += time.perf_counter() - t0
            if expected and rows / expected >= next_report:
                next_report += 0.1
                elapsed = time.perf_counter() - started
                print(
                    f"imported {rows:,}/{expected:,} rows in {elapsed:.0f}s"
                    f" ({rows / elapsed:,.0f} rows/s)",
                    file=sys.stderr,
                    flush=True,
                )
    total = time.perf_counter() - started
    return {
        "import_rows": rows,
        "import_seconds": round(total, 3),
        "import_rows_per_second": round(rows / total) if total else None,
        # The same, counting only time inside upsert_daily_usage + commit (not generation).
        "import_upsert_seconds": round(upsert_seconds, 3),
        "import_upsert_rows_per_second": round(rows / upsert_seconds) if upsert_seconds else None,
    }


def analyze(engine: Engine) -> str:
    """Refresh planner statistics so the measured plans are the realistic ones.

    PostgreSQL also gets VACUUM: a production table is kept vacuumed by autovacuum, while a
    table fresh from a bulk load is not, so without it the first read of every page writes
    hint bits and autovacuum may start in the middle of the latency measurement.
    """
    if engine.dialect.name == "postgresql":
        statement = "VACUUM (ANALYZE)"
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text(statement))
    else:
        statement = "ANALYZE"
        with engine.begin() as connection:
            connection.execute(sa.text(statement))
    return statement


# --- latency ------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Linear-interpolated percentile of `values` (0 < pct < 100)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def measure(
    engine: Engine,
    services: Services,
    people: list[PersonRef],
    *,
    samples: int,
    today: dt.date,
    rng: random.Random,
) -> dict[str, Any]:
    """Time the service, the raw query and the handler over sampled people, interleaved."""
    window_days = WINDOW_DAYS
    since = today - dt.timedelta(days=max(WINDOW_DAYS, 7 * 8) - 1)
    params = {"since": since, "until": today}

    def service_call(person: PersonRef) -> int:
        blocks, _text = summary_answer(services, person, window_days)
        return len(blocks)

    # The whole command handler for a known person: the person lookup, then the summary.
    # The Slack client is never called for people Uptake already knows.
    client = WebClient()
    request = MyUsageRequest(window_days=window_days)

    def handler_call(person: PersonRef) -> int:
        blocks, _text = answer_myusage(services, client, person.slack_user_id, None, request)
        return len(blocks)

    def raw_call(person: PersonRef) -> int:
        with engine.connect() as connection:
            return len(connection.execute(RAW_QUERY, {"p": person.id, **params}).fetchall())

    calls: tuple[tuple[str, Callable[[PersonRef], int]], ...] = (
        ("myusage", service_call),
        ("raw_query", raw_call),
        ("myusage_handler", handler_call),
    )
    for person in rng.choices(people, k=WARMUP_CALLS):
        for _name, call in calls:
            call(person)

    # Each sample times every series once, back to back, so drift hits them alike; but each
    # series reads a different person, or the second to run would find the first one's pages
    # already in the database's cache (SQLite's per-connection page cache, PostgreSQL's
    # shared buffers) and look faster than a real, first request.
    wanted = samples * len(calls)
    pool = rng.sample(people, wanted) if wanted <= len(people) else rng.choices(people, k=wanted)
    timings: dict[str, list[float]] = {name: [] for name, _ in calls}
    raw_rows: list[int] = []
    for index in range(samples):
        group = pool[index * len(calls) : (index + 1) * len(calls)]
        # Rotate which runs first too.
        shift = index % len(calls)
        order = calls[shift:] + calls[:shift]
        for (name, call), person in zip(order, group, strict=True):
            t0 = time.perf_counter()
            result = call(person)
            timings[name].append((time.perf_counter() - t0) * 1000)
            if name == "raw_query":
                raw_rows.append(result)

    # Both paths read the same rows: check on one person.
    with open_session(engine) as session:
        service_rows = len(queries.usage_rows_for_person(session, pool[0].id, since, today))
    figures: dict[str, Any] = {
        "window_days": WINDOW_DAYS,
        "rows_read_per_call": raw_call(pool[0]),
        "rows_read_match": service_rows == raw_call(pool[0]),
        "raw_rows_min_max": [min(raw_rows), max(raw_rows)] if raw_rows else None,
        "samples": samples,
        "distinct_people_sampled": len({person.id for person in pool}),
    }
    for name, values in timings.items():
        figures[f"{name}_p50_ms"] = round(percentile(values, 50), 3)
        figures[f"{name}_p99_ms"] = round(percentile(values, 99), 3)
        figures[f"{name}_mean_ms"] = round(sum(values) / len(values), 3)
        figures[f"{name}_max_ms"] = round(max(values), 3)
    figures["p50_ratio"] = round(figures["myusage_p50_ms"] / figures["raw_query_p50_ms"], 2)
    figures["p99_ratio"] = round(figures["myusage_p99_ms"] / figures["raw_query_p99_ms"], 2)
    return figures


# --- main ---------------------------------------------------------------------------------


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Build, load and measure one database; return the report."""
    rng = random.Random(args.seed)
    engine = make_engine(url)
    try:
        upgrade(engine)
        last_day = dt.date(2025, 6, 30)
        first_day = last_day - dt.timedelta(days=args.days - 1)
        # Noon UTC on the last day: every zone used is still on the same calendar date.
        fixed_now = dt.datetime.combine(last_day, dt.time(12), tzinfo=dt.UTC)

        t0 = time.perf_counter()
        people, identity_ids = create_people(engine, args.people, rng)
        with open_session(engine) as session:
            for tool in TOOLS:
                queries.record_sync_success(session, tool, at=fixed_now, complete_through=last_day)
            session.commit()
        setup_seconds = time.perf_counter() - t0

        imported = import_usage(engine, rng, identity_ids, first_day, args.days, order=args.order)
        del identity_ids

        t0 = time.perf_counter()
        analyze_statement = analyze(engine)
        analyze_seconds = time.perf_counter() - t0

        settings = Settings(database_url=url)
        services = Services(settings=settings, engine=engine, clock=lambda: fixed_now)
        latency = measure(engine, services, people, samples=args.samples, today=last_day, rng=rng)
        report: dict[str, Any] = {
            "dialect": engine.dialect.name,
            "server_version": ".".join(str(p) for p in engine.dialect.server_version_info or ()),
            "people": args.people,
            "days": args.days,
            "tools": len(TOOLS),
            "rows": args.people * args.days * len(TOOLS),
            "row_order": args.order,
            "setup_seconds": round(setup_seconds, 3),
            **imported,
            "analyze_statement": analyze_statement,
            "analyze_seconds": round(analyze_seconds, 3),
            **latency,
        }
    finally:
        engine.dispose()
    report["targets"] = {
        "p99_under_50ms": report["myusage_p99_ms"] < 50,
        "within_3x_of_raw": report["p99_ratio"] <= 3,
    }
    report["environment"] = {
        "python": platform.python_version(),
        "sqlalchemy": sa.__version__,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
    }
    report["seed"] = args.seed
    report["code_sha256"] = CODE_FINGERPRINT
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=None,
        help="sqlite:///path or postgresql://user@host:port/db (a fresh database is created "
        "on that server); default: a fresh SQLite file in a temporary directory",
    )
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--samples", type=int, default=500, help="latency samples")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", type=Path, default=None, help="also write the JSON here")
    parser.add_argument(
        "--order",
        choices=("day", "person"),
        default="day",
        help="write rows day by day for everyone (as daily syncs do; default) or person by person",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    if args.days < 56:
        print(
            "note: fewer than 56 days; /myusage reads 56 days, so it will read fewer rows",
            file=sys.stderr,
        )
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the JSON report, and a one-line verdict on stderr."""
    args = parse_args(argv)
    with bench_database(args.database_url, keep=args.keep) as url:
        report = run(url, args)
    text = json.dumps(report, indent=2)
    print(text)
    if args.output is not None:
        args.output.write_text(text + "\n", encoding="utf-8")
    targets = report["targets"]
    verdict = "PASS" if all(targets.values()) else "MISS"
    print(
        f"{verdict}: {report['dialect']} {report['people']}x{report['days']}x{report['tools']}"
        f" rows={report['rows']} import={report['import_rows_per_second']} rows/s;"
        f" /myusage p50={report['myusage_p50_ms']}ms p99={report['myusage_p99_ms']}ms"
        f" (target <50ms: {'ok' if targets['p99_under_50ms'] else 'missed'});"
        f" raw p99={report['raw_query_p99_ms']}ms ratio={report['p99_ratio']}x"
        f" (target <=3x: {'ok' if targets['within_3x_of_raw'] else 'missed'})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
