"""Benchmark: many signed `/myusage` slash commands at once over HTTP, ack and answer latency.

Starts the real web process (`uptake serve`: waitress, as the Procfile's `web:` runs it) as a
child process against the fake Slack Web API (tests/fakes/slack_api.py), fires CONCURRENCY
signed `/myusage` requests at the same moment from an asyncio client, and reports

- ack latency: from sending a request to its HTTP 200 (Slack wants it within 3 s);
- answer latency: from sending it to the fake Slack server receiving the answer on the
  command's `response_url` (what the person waits for).

Reports JSON; it never asserts. `measure_http` is the importable part (bench_org uses it).

    python -m benchmarks.bench_http --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import sys
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from benchmarks.bench_myusage import (
    TOOLS,
    bench_database,
    create_people,
    import_usage,
    percentile,
)
from storage import queries
from storage.engine import make_engine
from storage.engine import session as open_session
from storage.migrate import upgrade
from tests.fakes.signing import sign_slack_request
from tests.fakes.slack_api import FakeSlackAPI
from tests.scale.web_process import WebProcess

SIGNING_SECRET = "bench-signing-secret"  # noqa: S105  (signs the benchmark's requests)
ANSWER_TIMEOUT_SECONDS = 60.0
# Said by the ack when the work queue is full (bot.gateway.work_pool.BUSY_TEXT; matched loosely so
# the benchmark also runs against code without one).
BUSY_WORD = "busy"


def sample_people(database_url: str, count: int) -> list[str]:
    """Slack user ids of up to `count` people already in the database (a hand-written read)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT slack_user_id FROM person ORDER BY id LIMIT :n"), {"n": count}
            )
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def command_body(user_id: str, response_url: str) -> bytes:
    """A `/myusage` slash command as Slack posts it (form fields)."""
    return urlencode(
        {
            "token": "unused",
            "team_id": "T0TEST",
            "team_domain": "uptake-test",
            "channel_id": "C0BENCH",
            "channel_name": "bench",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/myusage",
            "text": "",
            "api_app_id": "A0UPTAKE",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{uuid.uuid4().int % 10**12}.1.{uuid.uuid4().hex}",
        }
    ).encode()


async def fire(
    base_urls: list[str], fake: FakeSlackAPI, user_ids: list[str]
) -> list[tuple[str, float, float, int, str]]:
    """Send one command per user id at the same moment: (answer path, start, ack, status, body).

    A bare HTTP/1.1 client over asyncio streams, connected before the start: what is timed is
    the server, not a client library's overhead or TCP handshakes (Slack keeps connections).
    With several web processes the requests go to each in turn, as a load balancer sends them.
    """
    gate = asyncio.Event()

    async def one(index: int, user_id: str) -> tuple[str, float, float, int, str]:
        host, port = base_urls[index % len(base_urls)].removeprefix("http://").split(":")
        name = uuid.uuid4().hex
        body = command_body(user_id, fake.response_url(name))
        headers = {
            **sign_slack_request(SIGNING_SECRET, body),
            "Host": f"{host}:{port}",
            "Content-Length": str(len(body)),
            "Connection": "close",
        }
        head = "".join(f"{key}: {value}\r\n" for key, value in headers.items())
        request = f"POST /slack/events HTTP/1.1\r\n{head}\r\n".encode() + body
        reader, writer = await asyncio.open_connection(host, int(port))
        await gate.wait()
        started = time.monotonic()
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        acked = time.monotonic()
        rest = await reader.read()
        writer.close()
        status = int(status_line.split()[1]) if status_line else 0
        return f"/response/{name}", started, acked, status, rest.decode(errors="replace")

    tasks = [asyncio.create_task(one(index, user)) for index, user in enumerate(user_ids)]
    await asyncio.sleep(0.5)  # every connection open and waiting at the gate
    gate.set()
    return list(await asyncio.gather(*tasks))


def measure_http(
    database_url: str,
    concurrency: int = 200,
    *,
    settings: dict[str, str] | None = None,
    user_ids: list[str] | None = None,
    processes: int = 1,
) -> dict[str, Any]:
    """Fire `concurrency` signed `/myusage` commands at `uptake serve` at once; report latencies.

    The database must be migrated; people are taken from it (or `user_ids`), and anyone not
    there is registered on first sight, as in production. `settings` adds environment
    settings for the web processes (e.g. {"WORK_THREADS": "16"}); `processes` web processes
    share the requests.
    """
    people = user_ids or sample_people(database_url, concurrency)
    if not people:
        people = [f"UHTTP{index:06d}" for index in range(concurrency)]
    chosen = [people[index % len(people)] for index in range(concurrency)]
    with FakeSlackAPI() as fake:
        env = {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": "xoxb-bench-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.url,
            **(settings or {}),
        }
        with contextlib.ExitStack() as stack:
            webs = [stack.enter_context(WebProcess(env)) for _ in range(processes)]
            urls = [web.base_url for web in webs]
            # Warm up: the first requests pay for imports, the connection pool and auth.test.
            asyncio.run(fire(urls, fake, chosen[: 5 * processes]))
            results = asyncio.run(fire(urls, fake, chosen))
            deadline = time.monotonic() + ANSWER_TIMEOUT_SECONDS
            acks, answers, busy, failed, unanswered = [], [], 0, 0, 0
            for path, started, acked, status, text in results:
                acks.append((acked - started) * 1000)
                if status != 200:
                    failed += 1
                    continue
                if BUSY_WORD in text.lower():
                    busy += 1
                    continue
                try:
                    answer = fake.wait_for(path, timeout=max(0.0, deadline - time.monotonic()))
                except AssertionError:
                    unanswered += 1
                    continue
                answers.append((answer.received_at - started) * 1000)
            # A later post replacing the answer (its chart) is not a second answer.
            answered_twice = sum(
                1
                for path, *_ in results
                if sum(not call.body.get("replace_original") for call in fake.calls(path)) > 1
            )
    report: dict[str, Any] = {
        "concurrency": concurrency,
        "web_processes": processes,
        "distinct_people": len(set(chosen)),
        "web_settings": {k: v for k, v in (settings or {}).items()},
        "ack_p50_ms": round(percentile(acks, 50), 1),
        "ack_p99_ms": round(percentile(acks, 99), 1),
        "ack_max_ms": round(max(acks), 1),
        "answer_p50_ms": round(percentile(answers, 50), 1) if answers else None,
        "answer_p99_ms": round(percentile(answers, 99), 1) if answers else None,
        "answer_max_ms": round(max(answers), 1) if answers else None,
        "answered": len(answers),
        "busy": busy,
        "failed_acks": failed,
        "unanswered": unanswered,
        "answered_twice": answered_twice,
    }
    report["targets"] = {
        "ack_p99_under_300ms": report["ack_p99_ms"] < 300,
        "every_answer_under_3s": len(answers) == concurrency
        and (report["answer_max_ms"] or 0) < 3000,
    }
    return report


def seed(database_url: str, people: int, days: int, seed_value: int) -> None:
    """People with verified identities on every tool and `days` of usage up to today."""
    rng = random.Random(seed_value)
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        today = dt.datetime.now(dt.UTC).date()
        _, identity_ids = create_people(engine, people, rng)
        with open_session(engine) as session:
            for tool in TOOLS:
                queries.record_sync_success(
                    session, tool, at=dt.datetime.now(dt.UTC), complete_through=today
                )
            session.commit()
        first_day = today - dt.timedelta(days=days - 1)
        import_usage(engine, rng, identity_ids, first_day, days, order="day")
    finally:
        engine.dispose()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=None,
        help="sqlite:///path or postgresql://user@host:port/db (a fresh database is created "
        "on that server); default: a fresh SQLite file in a temporary directory",
    )
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--processes", type=int, default=1, help="web processes sharing requests")
    parser.add_argument("--people", type=int, default=1000, help="people seeded")
    parser.add_argument("--days", type=int, default=60, help="days of usage seeded")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the web process, e.g. --set WORK_THREADS=16 (repeatable)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Seed a database, run the measurement, print the JSON report."""
    args = parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.set)
    with bench_database(args.database_url, keep=args.keep) as url:
        seed(url, args.people, args.days, args.seed)
        report = measure_http(url, args.concurrency, settings=settings, processes=args.processes)
    report["environment"] = {
        "cpu_count": os.cpu_count(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "run": secrets.token_hex(3),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
