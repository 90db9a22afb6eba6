"""Benchmark: a bank-sized organisation, every surface next to its hand-written baseline.

Generates the organisation of issue 11 (benchmarks/org_data.py): 5 orgs > 130 departments >
teams of 13 with a manager each, 15 % power, 30 % regular, 30 % light and 25 % inactive
people, quieter weekends, about 0.43 daily rows per person-day. Then reports JSON:

- `/myusage` p50/p99 beside its raw query (benchmarks/bench_myusage.py's measurement);
- `/teamusage` p50/p99 for a 13-person team, a 500-person department and a 13,000-person org,
  beside a hand-written SQL aggregate computing the same period live, interleaved;
- the wall time and peak RSS of one week's releases and every digest queued, measured in a
  subprocess of its own (its RSS is its own); charts are drawn when digests are sent, and the
  time that adds to each send is reported beside it;
- disk per million daily rows;
- ingest, retention and HTTP figures from benchmarks/bench_ingest.py, bench_retention.py and
  bench_http.py when they are there ("not measured" otherwise).

    python -m benchmarks.bench_org --people 65000 --teams 5000 --days 400 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python -m benchmarks.bench_org --people 6500 --teams 500 --days 120   # SQLite

A PostgreSQL URL names a server: a fresh database is created on it and dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from benchmarks.bench_myusage import bench_database, measure, percentile
from benchmarks.org_data import Org, generate
from bot.people import PersonRef
from bot.services import Services
from bot.settings import Settings
from bot.teamusage import TeamUsageRequest, answer_teamusage
from storage.engine import make_engine
from storage.migrate import upgrade

LAST_DAY = dt.date(2026, 11, 29)  # a Sunday: the week before NOW is complete
NOW = dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC)  # Monday; 09:00 has passed everywhere used

# The team's figures for its last 4 weeks, computed live: what /teamusage would cost without
# stored releases. The subtree comes from a recursive query.
BASELINE = sa.text(
    "WITH RECURSIVE sub(id) AS (SELECT CAST(:team AS integer) UNION"
    " SELECT t.id FROM team t JOIN sub ON t.parent_id = sub.id),"
    " people AS (SELECT DISTINCT m.person_id FROM membership m JOIN sub ON m.team_id = sub.id"
    " WHERE m.role = 'member')"
    " SELECT count(DISTINCT i.person_id), count(DISTINCT du.day), sum(du.generations),"
    " sum(du.acceptances)"
    " FROM people JOIN identity i ON i.person_id = people.person_id AND i.verified"
    " JOIN daily_usage du ON du.identity_id = i.id"
    " WHERE du.active AND du.day BETWEEN :since AND :until"
)


def measure_teamusage(engine: Engine, url: str, org: Org, samples: int) -> dict[str, Any]:
    """/teamusage as each scope's manager, beside the live SQL aggregate, interleaved."""
    services = Services(settings=Settings(database_url=url), engine=engine, clock=lambda: NOW)
    client = WebClient()
    scopes = {
        "team_13": org.leaf_teams,
        "department_500": org.departments,
        "org_13000": org.orgs,
    }
    since, until = LAST_DAY - dt.timedelta(days=27), LAST_DAY
    report: dict[str, Any] = {}
    rng = random.Random(7)
    with engine.connect() as connection:
        slugs: dict[int, str] = dict(connection.execute(sa.text("SELECT id, slug FROM team")).all())
        sizes: dict[int, int] = dict(
            connection.execute(
                sa.text("SELECT team_id, count(*) FROM membership WHERE role = 'member' GROUP BY 1")
            ).all()
        )
    for scope, team_ids in scopes.items():
        picks = [rng.choice(team_ids) for _ in range(samples)]

        def service(team: int) -> int:
            request = TeamUsageRequest(kind="team", team=slugs[team], period="4w")
            blocks, _ = answer_teamusage(services, client, org.managers[team], None, request)
            return len(blocks)

        def baseline(team: int) -> int:
            with engine.connect() as connection:
                row = connection.execute(BASELINE, {"team": team, "since": since, "until": until})
                return len(row.one())

        timings = _interleaved({"teamusage": service, "baseline": baseline}, picks)
        report[scope] = {"samples": samples, **timings}
    leaf_size = sizes.get(org.leaf_teams[0], 0)
    report["team_13"]["people"] = leaf_size
    return report


def _interleaved(calls: dict[str, Callable[[int], int]], picks: list[int]) -> dict[str, Any]:
    for call in calls.values():  # warm-up: caches, the team tree, prepared statements
        for team in picks[:3]:
            call(team)
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for index, team in enumerate(picks):
        order = list(calls.items())
        if index % 2:
            order.reverse()
        for name, call in order:
            t0 = time.perf_counter()
            call(team)
            timings[name].append((time.perf_counter() - t0) * 1000)
    out: dict[str, Any] = {}
    for name, values in timings.items():
        out[f"{name}_p50_ms"] = round(percentile(values, 50), 2)
        out[f"{name}_p99_ms"] = round(percentile(values, 99), 2)
    return out


CHART_SAMPLE = 100  # charts drawn and timed, as the outbox's sender draws them when sending


def releases_and_digests(url: str) -> dict[str, Any]:
    """One week's releases and every digest queued; run in a subprocess (its own peak RSS).

    The job queues each digest with its chart's spec and draws nothing; the sender draws a
    chart when it sends its digest. After the job, CHART_SAMPLE of the queued specs are drawn
    one after another, as a sender would, to report the cost each send adds.
    """
    import bot.digests.service as digests
    from bot.charts.spec import draw_spec
    from bot.digests.narrative import TemplateNarrative
    from bot.figures.publish import publish_releases

    engine = make_engine(url)
    settings = Settings(database_url=url)
    try:
        c0 = time.process_time()
        t0 = time.perf_counter()
        made = publish_releases(engine=engine, settings=settings, now=NOW)
        releases_seconds = time.perf_counter() - t0
        queued = digests.send_weekly_digests(
            engine=engine,
            team_sources=settings.team_sources,
            narrative=TemplateNarrative(),
            now=NOW,
        )
        texts_seconds = time.perf_counter() - t0 - releases_seconds
        job_cpu = time.process_time() - c0
        peak_job = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with engine.connect() as connection:
            payloads = [  # JSON text on SQLite, parsed on PostgreSQL
                json.loads(row[0]) if isinstance(row[0], str) else row[0]
                for row in connection.execute(
                    sa.select(sa.column("payload")).select_from(sa.table("outbox"))
                )
            ]
            specs = [payload["chart"] for payload in payloads if payload.get("chart")]
        t1 = time.perf_counter()
        for spec in specs[:CHART_SAMPLE]:
            draw_spec(spec)
        sample_seconds = time.perf_counter() - t1
    finally:
        engine.dispose()
    drawn = min(len(specs), CHART_SAMPLE)
    return {
        "releases_made": made,
        "releases_seconds": round(releases_seconds, 1),
        "digests_queued": queued,
        "digest_texts_seconds": round(texts_seconds, 1),
        "wall_seconds_releases_and_digest_texts": round(releases_seconds + texts_seconds, 1),
        "job_cpu_seconds": round(job_cpu, 1),  # this process only; the database's is apart
        "digests_with_chart_spec": len(specs),
        "charts_drawn_in_job": 0,
        "chart_seconds_each_at_send": round(sample_seconds / max(drawn, 1), 3),
        "peak_rss_mb": round(peak_job, 1),
    }


def _in_subprocess(step: str, url: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603  (this script, fixed arguments)
        [sys.executable, "-m", "benchmarks.bench_org", "--step", step, "--database-url", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def prepare_history(url: str) -> float:
    """Last week's run (releases of the past 12 weeks): not measured, the steady state."""
    engine = make_engine(url)
    try:
        from bot.figures.publish import publish_releases

        t0 = time.perf_counter()
        publish_releases(
            engine=engine, settings=Settings(database_url=url), now=NOW - dt.timedelta(days=7)
        )
        return round(time.perf_counter() - t0, 1)
    finally:
        engine.dispose()


def disk_per_million(engine: Engine, rows: int) -> dict[str, Any]:
    """Bytes of daily usage (table and indexes) and of the rollup, per million daily rows."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            daily = connection.execute(
                sa.text(
                    "SELECT coalesce(sum(pg_total_relation_size(relid)), 0)"
                    " FROM pg_partition_tree('daily_usage')"
                )
            ).scalar_one()
            week = connection.execute(
                sa.text("SELECT pg_total_relation_size('usage_week')")
            ).scalar_one()
        else:
            sizes: dict[str, int] = dict(
                connection.execute(
                    sa.text("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")
                ).all()
            )
            daily = sum(v for k, v in sizes.items() if "daily_usage" in k)
            week = sum(v for k, v in sizes.items() if "usage_week" in k)
    scale = 1e6 / max(rows, 1)
    return {
        "daily_usage_mb_per_million_rows": round(int(daily) * scale / 2**20, 1),
        "rollup_mb_per_million_daily_rows": round(int(week) * scale / 2**20, 1),
    }


def hooks(url: str) -> dict[str, Any]:
    """Ingest, HTTP and (last: it deletes the oldest months) retention, from their modules."""
    found: dict[str, Any] = {}
    for module, function, kwargs in (
        ("benchmarks.bench_ingest", "measure_ingest", {}),
        # One web process per core, as the README recommends (two on the 2-core target).
        ("benchmarks.bench_http", "measure_http", {"processes": 2}),
        ("benchmarks.bench_retention", "measure_retention", {"months": 1}),
    ):
        name = function.removeprefix("measure_")
        try:
            hook = getattr(importlib.import_module(module), function)
        except (ImportError, AttributeError):
            found[name] = "not measured"
            continue
        try:
            found[name] = hook(url, **kwargs)
        except Exception as exc:  # one hook failing must not lose the rest of the report
            found[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return found


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Generate, then measure every figure; the report."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        t0 = time.perf_counter()
        org = generate(
            engine, people=args.people, teams=args.teams, days=args.days, last_day=LAST_DAY
        )
        generate_seconds = time.perf_counter() - t0
        history_seconds = prepare_history(url)
        digests = _in_subprocess("releases", url)
        with engine.connect() as connection:
            people = [
                PersonRef(*row)
                for row in connection.execute(sa.text("SELECT id, slack_user_id, tz FROM person"))
            ]
        services = Services(settings=Settings(database_url=url), engine=engine, clock=lambda: NOW)
        myusage = measure(
            engine, services, people, samples=args.samples, today=LAST_DAY, rng=random.Random(1)
        )
        teamusage = measure_teamusage(engine, url, org, args.samples)
        disk = disk_per_million(engine, org.rows)
        report: dict[str, Any] = {
            "dialect": engine.dialect.name,
            "people": args.people,
            "teams": len(org.leaf_teams) + len(org.departments) + len(org.orgs),
            "days": args.days,
            "daily_rows": org.rows,
            "rows_per_person_day": round(org.rows / (args.people * args.days), 3),
            "generate_seconds": round(generate_seconds, 1),
            "history_releases_seconds": history_seconds,
            "myusage": {
                key: myusage[key]
                for key in (
                    "myusage_p50_ms",
                    "myusage_p99_ms",
                    "raw_query_p50_ms",
                    "raw_query_p99_ms",
                    "p50_ratio",
                    "p99_ratio",
                )
            },
            "teamusage": teamusage,
            "releases_and_digests": digests,
            "disk": disk,
        }
    finally:
        engine.dispose()
    report.update(hooks(url) if not args.skip_hooks else {})
    report["targets"] = _targets(report)
    report["environment"] = {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
    }
    return report


def _targets(report: dict[str, Any]) -> dict[str, bool | None]:
    digests = report["releases_and_digests"]
    return {
        "teamusage_p99_le_50ms": all(
            scope["teamusage_p99_ms"] <= 50 for scope in report["teamusage"].values()
        ),
        "week_under_60s": digests.get("wall_seconds_releases_and_digest_texts", 1e9) < 60,
        "week_under_512mb": digests.get("peak_rss_mb", 1e9) < 512,
        "myusage_within_2x": report["myusage"]["p99_ratio"] <= 2,
        **_hook_targets(report),
    }


def _hook_targets(report: dict[str, Any]) -> dict[str, bool | None]:
    """The ingest, retention and HTTP targets, where those figures were measured."""
    ingest, retention, http = (report.get(name) for name in ("ingest", "retention", "http"))
    found: dict[str, bool | None] = {}
    if isinstance(ingest, dict) and "share_of_copy" in ingest:
        found["ingest_at_least_a_third_of_copy"] = min(ingest["share_of_copy"].values()) >= 1 / 3
    if isinstance(retention, dict) and "month_job_median_seconds" in retention:
        found["retention_month_under_1s"] = retention["month_job_median_seconds"] < 1
    if isinstance(http, dict) and "targets" in http:
        found.update({f"http_{key}": value for key, value in http["targets"].items()})
    return found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (default SQLite)")
    parser.add_argument("--people", type=int, default=6_500)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--skip-hooks", action="store_true", help="no ingest/HTTP/retention")
    parser.add_argument("--step", choices=["releases"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON report."""
    args = parse_args(argv)
    if args.step == "releases":
        print(json.dumps(releases_and_digests(args.database_url)))
        return 0
    with bench_database(args.database_url, keep=args.keep) as url:
        print(json.dumps(run(url, args), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
