"""Benchmark: points/s through the OTLP intake (`POST /v1/metrics` as a WSGI call).

Each round posts one binary-protobuf export request holding eight Claude Code counters for
each of `--people` people (cumulative, one session each), the running totals growing between
rounds as a real exporter's do. Measures parse + map + record; reports JSON; never asserts.

    python -m benchmarks.bench_otlp --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --people 500 --rounds 3

A PostgreSQL URL names a server: a fresh database is created on it and dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import time
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

from benchmarks.bench_myusage import bench_database, normalise_url
from bot.intake.otlp import OtlpIntake
from bot.settings import Settings
from storage.engine import make_engine
from storage.migrate import upgrade

TOKEN = "bench-token-0123456789"  # noqa: S105  (a throwaway database's)
COUNTERS = (
    ("claude_code.session.count", {}),
    ("claude_code.commit.count", {}),
    ("claude_code.lines_of_code.count", {"type": "added"}),
    ("claude_code.lines_of_code.count", {"type": "removed"}),
    ("claude_code.token.usage", {"type": "input"}),
    ("claude_code.token.usage", {"type": "output"}),
    ("claude_code.cost.usage", {}),
    ("claude_code.code_edit_tool.decision", {"decision": "accept"}),
)


def export_request(people: int, step: int, start: int) -> bytes:
    """One export holding every person's counters at round `step`."""
    request = ExportMetricsServiceRequest()
    metrics = request.resource_metrics.add().scope_metrics.add().metrics
    for name, extra in COUNTERS:
        metric = metrics.add()
        metric.name = name
        metric.sum.is_monotonic = True
        metric.sum.aggregation_temporality = (
            AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
        )
        for person in range(people):
            point = metric.sum.data_points.add()
            point.start_time_unix_nano = start
            point.time_unix_nano = start + step * 60 * 10**9
            point.as_double = 3.0 * step
            labels = {"user.email": f"p{person}@bench.example", "session.id": f"s{person}"}
            point.attributes.extend(
                KeyValue(key=key, value=AnyValue(string_value=value))
                for key, value in {**labels, **extra}.items()
            )
    return request.SerializeToString()


def measure(url: str, people: int, rounds: int) -> dict[str, Any]:
    """Post `rounds` exports and time each."""
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        otlp_tokens=f"bench:{TOKEN}",
        otlp_max_body_bytes=64 * 1024 * 1024,
    )
    intake = OtlpIntake(engine, settings)
    start = int(dt.datetime.now(dt.UTC).timestamp()) * 10**9 - 3600 * 10**9
    seconds = []
    for step in range(1, rounds + 1):
        body = export_request(people, step, start)
        environ = {
            "REQUEST_METHOD": "POST",
            "CONTENT_TYPE": "application/x-protobuf",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {TOKEN}",
            "wsgi.input": io.BytesIO(body),
        }
        statuses: list[str] = []
        began = time.perf_counter()
        b"".join(intake(environ, lambda status, _headers, seen=statuses: seen.append(status)))
        seconds.append(time.perf_counter() - began)
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"the intake answered {statuses[0]}")
    engine.dispose()
    points = people * len(COUNTERS)
    return {
        "database": url.split(":", 1)[0],
        "points_per_request": points,
        "request_kb": len(body) // 1024,
        "seconds": [round(s, 3) for s in seconds],
        "points_per_second": round(points * rounds / sum(seconds)),
    }


def main() -> None:
    """Run the benchmark and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    url = normalise_url(args.database_url) if args.database_url else None
    with bench_database(url, keep=args.keep) as database:
        print(json.dumps(measure(database, args.people, args.rounds), indent=2))


if __name__ == "__main__":
    main()
