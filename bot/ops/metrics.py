"""Prometheus metrics: what each process did, and the figures the database holds.

Every process serves a registry of its own (the web process at `/metrics`, the clock on
METRICS_PORT). What lives in the database (sync lag, the outbox, heartbeats) is read when
scraped, so every process shows the same truth; what a process did (messages sent, jobs run,
requests answered) is counted in that process. No figure carries an error's text, a name or
an id: labels are sources, states, jobs, processes and paths only.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage import ops, sync_state
from storage.engine import session as open_session
from storage.models import SyncState, utcnow

logger = logging.getLogger(__name__)

# Made outside any registry so that code deep in a job (the outbox sender, the clock's job
# runner) counts without being handed one; `process_registry` adds them to each registry.
OUTBOX_DELIVERIES = Counter(
    "uptake_outbox_deliveries",
    "Outbox send attempts by outcome: sent, already_sent (found delivered on a retry), "
    "retrying (failed, will be tried again) or failed (given up).",
    ["outcome"],
    registry=None,
)
JOB_RUNS = Counter(
    "uptake_job_runs",
    "Scheduled job runs by job and outcome (ok or error).",
    ["job", "outcome"],
    registry=None,
)
JOB_DURATION = Histogram(
    "uptake_job_duration_seconds",
    "How long each scheduled job ran.",
    ["job"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, float("inf")),
    registry=None,
)
JOB_LAST_SUCCESS = Gauge(
    "uptake_job_last_success_timestamp_seconds",
    "When each scheduled job last finished without an error (Unix time).",
    ["job"],
    registry=None,
)
_PROCESS_INSTRUMENTS = (OUTBOX_DELIVERIES, JOB_RUNS, JOB_DURATION, JOB_LAST_SUCCESS)


def process_registry(
    engine: Engine, *, clock: Callable[[], dt.datetime] = utcnow
) -> CollectorRegistry:
    """A fresh registry with this process's counters and the database's figures."""
    registry = CollectorRegistry()
    for instrument in _PROCESS_INSTRUMENTS:
        registry.register(instrument)
    registry.register(DatabaseCollector(engine, clock=clock))
    ProcessCollector(registry=registry)
    return registry


def request_latency(registry: CollectorRegistry) -> Histogram:
    """The web process's request latency by path, in `registry`."""
    return Histogram(
        "uptake_http_request_duration_seconds",
        "How long the web process took to answer a request, by path.",
        ["path"],
        registry=registry,
    )


def record_delivery(outcome: str) -> None:
    """Count one outbox send attempt by its outcome."""
    OUTBOX_DELIVERIES.labels(outcome=outcome).inc()


@contextmanager
def job_run(job: str) -> Iterator[None]:
    """Time one run of a scheduled job and count it as ok, or as error if it raises."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
        JOB_LAST_SUCCESS.labels(job=job).set_to_current_time()
    finally:
        JOB_DURATION.labels(job=job).observe(time.perf_counter() - started)
        JOB_RUNS.labels(job=job, outcome=outcome).inc()


class DatabaseCollector:
    """Figures read from the database at scrape time: sync lag, the outbox and heartbeats."""

    def __init__(self, engine: Engine, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        """One bounded read of each figure; `uptake_database_up` 0 when the database fails."""
        up = GaugeMetricFamily(
            "uptake_database_up", "1 when the database answered this scrape's queries."
        )
        now = self._clock()
        try:
            with open_session(self._engine) as session:
                states = sync_state.sync_states(session)
                depth = ops.outbox_depth(session)
                oldest_due = ops.oldest_due_message(session, now=now)
                beats = ops.heartbeats(session)
        except SQLAlchemyError as exc:
            logger.warning("metrics: database unavailable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _sync_families(states, now)

        messages = GaugeMetricFamily(
            "uptake_outbox_messages", "Outbox messages by state.", labels=["state"]
        )
        for state, count in sorted(depth.items()):
            messages.add_metric([state], count)
        yield messages
        yield GaugeMetricFamily(
            "uptake_outbox_oldest_due_age_seconds",
            "How long the longest-waiting due outbox message has been due (0 when none is).",
            value=(now - oldest_due).total_seconds() if oldest_due else 0.0,
        )

        heartbeat = GaugeMetricFamily(
            "uptake_heartbeat_age_seconds",
            "Seconds since each long-running process last beat.",
            labels=["process"],
        )
        for beat in beats:
            heartbeat.add_metric([beat.process], (now - beat.beat_at).total_seconds())
        yield heartbeat


def _sync_families(states: list[SyncState], now: dt.datetime) -> Iterator[Metric]:
    success_age = GaugeMetricFamily(
        "uptake_sync_last_success_age_seconds",
        "Seconds since each usage source last synced successfully.",
        labels=["source"],
    )
    complete_age = GaugeMetricFamily(
        "uptake_sync_last_complete_day_age_days",
        "Days between today (UTC) and the last day each source has complete.",
        labels=["source"],
    )
    error = GaugeMetricFamily(
        "uptake_sync_error",
        "1 while a source's latest sync failed (the error itself is in `uptake sources`).",
        labels=["source"],
    )
    for state in states:
        if state.last_success_at is not None:
            success_age.add_metric([state.source], (now - state.last_success_at).total_seconds())
        if state.last_complete_day is not None:
            complete_age.add_metric([state.source], (now.date() - state.last_complete_day).days)
        failing = state.last_error_at is not None and (
            state.last_success_at is None or state.last_error_at >= state.last_success_at
        )
        error.add_metric([state.source], 1 if failing else 0)
    yield from (success_age, complete_age, error)


@dataclass
class MetricsServer:
    """A `/metrics` HTTP server on its own port, serving from a daemon thread."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        """The port it listens on (the real one when asked for port 0)."""
        return int(self.server.server_port)

    def stop(self) -> None:
        """Stop serving and close the port."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def serve_metrics(registry: CollectorRegistry, port: int, host: str = "0.0.0.0") -> MetricsServer:  # noqa: S104  (scraped from outside the container)
    """Serve `registry` over HTTP on `port` (0 picks a free one) until stopped."""
    server, thread = start_http_server(port, addr=host, registry=registry)
    return MetricsServer(server, thread)
