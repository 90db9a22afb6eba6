"""Prometheus metrics over real HTTP, parsed by prometheus_client's own text parser."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.clock import JobSpec, build_scheduler
from bot.ops.heartbeat import beat
from bot.ops.metrics import process_registry, serve_metrics
from bot.outbox import deliver_due, enqueue
from storage.models import SyncState, utcnow
from tests.conftest import make_settings
from tests.factories import set_sync_state
from tests.fakes.slack_api import FakeSlackAPI, SlackError
from tests.handlers.conftest import SIGNING_SECRET, start_web_app

DATABASE_FAMILIES = {
    "uptake_database_up",
    "uptake_sync_last_success_age_seconds",
    "uptake_sync_last_complete_day_age_days",
    "uptake_sync_error",
    "uptake_outbox_messages",
    "uptake_outbox_oldest_due_age_seconds",
    "uptake_heartbeat_age_seconds",
}
PROCESS_FAMILIES = {
    "uptake_outbox_deliveries",
    "uptake_job_runs",
    "uptake_job_duration_seconds",
    "uptake_job_last_success_timestamp_seconds",
}


def scrape(url: str) -> dict[str, Metric]:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def value(families: dict[str, Metric], sample: str, **labels: str) -> float:
    family = families[sample.removesuffix("_total").removesuffix("_count")]
    matches = [s.value for s in family.samples if s.name == sample and s.labels == labels]
    assert len(matches) == 1, (sample, labels, family.samples)
    return matches[0]


def fill(engine: Engine, now: dt.datetime) -> None:
    """Two pending messages (one due ten minutes ago), a failing source, and a clock beat."""
    ten_ago = now - dt.timedelta(minutes=10)
    enqueue(engine, key="due", kind="test", channel="U0ADA", text="hi", now=ten_ago)
    enqueue(
        engine,
        key="later",
        kind="test",
        channel="U0ADA",
        text="hi",
        now=now,
        not_before=now + dt.timedelta(hours=3),
    )
    set_sync_state(
        engine,
        SyncState(
            source="cursor",
            last_success_at=now - dt.timedelta(hours=2),
            last_complete_day=now.date() - dt.timedelta(days=2),
            last_error_at=now - dt.timedelta(hours=1),
            last_error="401 invalid key key_abcdefgh",
        ),
    )
    set_sync_state(engine, SyncState(source="copilot", last_success_at=now))
    beat(engine, "clock", now=now - dt.timedelta(seconds=30))


def assert_database_figures(families: dict[str, Metric]) -> None:
    assert value(families, "uptake_database_up") == 1
    assert value(families, "uptake_outbox_messages", state="pending") == 2
    assert value(families, "uptake_outbox_messages", state="sent") == 0
    assert 600 <= value(families, "uptake_outbox_oldest_due_age_seconds") < 900
    assert value(families, "uptake_sync_error", source="cursor") == 1
    assert value(families, "uptake_sync_error", source="copilot") == 0
    assert 7200 <= value(families, "uptake_sync_last_success_age_seconds", source="cursor") < 7500
    assert value(families, "uptake_sync_last_complete_day_age_days", source="cursor") == 2
    assert 30 <= value(families, "uptake_heartbeat_age_seconds", process="clock") < 300


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as server:
        yield server


def test_web_process_serves_metrics(engine: Engine, fake: FakeSlackAPI, database_url: str) -> None:
    fill(engine, utcnow())
    settings = make_settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.url,
    )
    server = start_web_app(settings, engine)
    try:
        assert httpx.get(f"{server.base_url}/healthz", timeout=10).status_code == 200
        assert httpx.get(f"{server.base_url}/wp-admin", timeout=10).status_code == 404
        families = scrape(f"{server.base_url}/metrics")
        text = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    finally:
        server.stop()

    assert set(families) >= DATABASE_FAMILIES | PROCESS_FAMILIES
    assert_database_figures(families)
    latency = "uptake_http_request_duration_seconds_count"
    assert value(families, latency, path="/healthz") == 1
    assert value(families, latency, path="other") == 1
    assert "process_resident_memory_bytes" in families
    # The error's text (which can name a key) never reaches the metrics.
    assert "key_abcdefgh" not in text and "invalid" not in text


def test_metrics_say_when_the_database_is_down(tmp_path: Path) -> None:
    from storage.engine import make_engine

    missing = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    server = serve_metrics(process_registry(missing), 0, host="127.0.0.1")
    try:
        families = scrape(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.stop()
        missing.dispose()
    assert value(families, "uptake_database_up") == 0
    assert "uptake_outbox_messages" not in families


def test_sends_and_failures_are_counted(engine: Engine, fake: FakeSlackAPI) -> None:
    registry = process_registry(engine)

    def count(outcome: str) -> float:
        sample = registry.get_sample_value("uptake_outbox_deliveries_total", {"outcome": outcome})
        return sample or 0.0

    before = {outcome: count(outcome) for outcome in ("sent", "failed")}
    now = utcnow()
    enqueue(engine, key="ok", kind="test", channel="U0ADA", text="hi", now=now)
    enqueue(engine, key="gone", kind="test", channel="C0GONE", text="hi", now=now)
    fake.fail_next("chat.postMessage", SlackError("channel_not_found"))
    client = WebClient(token="xoxb-test", base_url=fake.url, timeout=2, retry_handlers=[])

    deliver_due(engine, client, now=now)

    assert count("sent") - before["sent"] == 1
    assert count("failed") - before["failed"] == 1


def test_job_runs_are_timed_and_counted_by_outcome(engine: Engine) -> None:
    ok, boom = f"ok-{uuid.uuid4().hex[:8]}", f"boom-{uuid.uuid4().hex[:8]}"

    def fail(_now: dt.datetime) -> None:
        raise RuntimeError("vendor down")

    specs = [
        JobSpec(ok, IntervalTrigger(hours=1), lambda _now: None, "succeeds"),
        JobSpec(boom, IntervalTrigger(hours=1), fail, "fails"),
    ]
    scheduler = build_scheduler(specs, BackgroundScheduler(timezone="UTC"))
    for name in (ok, ok, boom):  # what the scheduler calls for each run
        scheduler.get_job(name).func()

    registry = process_registry(engine)
    assert registry.get_sample_value("uptake_job_runs_total", {"job": ok, "outcome": "ok"}) == 2
    assert (
        registry.get_sample_value("uptake_job_runs_total", {"job": boom, "outcome": "error"}) == 1
    )
    assert registry.get_sample_value("uptake_job_duration_seconds_count", {"job": boom}) == 1
    assert registry.get_sample_value("uptake_job_last_success_timestamp_seconds", {"job": ok})
    assert (
        registry.get_sample_value("uptake_job_last_success_timestamp_seconds", {"job": boom})
        is None
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_clock_process_serves_metrics_on_its_port(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    fill(engine, utcnow())
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "METRICS_PORT": str(port)}
    clock = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "clock"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        families = None
        deadline = time.monotonic() + 60
        while families is None and time.monotonic() < deadline and clock.poll() is None:
            try:
                families = scrape(f"http://127.0.0.1:{port}/metrics")
            except httpx.TransportError:
                time.sleep(0.2)  # the process is still starting
        assert families is not None, "the clock never opened its metrics port"
    finally:
        clock.send_signal(signal.SIGTERM)
        _, stderr = clock.communicate(timeout=30)
    assert clock.returncode == 0, stderr.decode()
    assert set(families) >= DATABASE_FAMILIES | PROCESS_FAMILIES
    assert_database_figures(families)
    assert "uptake_http_request_duration_seconds" not in families
