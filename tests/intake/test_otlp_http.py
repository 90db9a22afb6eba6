"""The intake over HTTP: repeats, encodings, refusals and concurrent posts, on both databases."""

from __future__ import annotations

import datetime as dt
import gzip
import threading
from pathlib import Path

import httpx
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)

from bot.clock import job_specs, run_job
from tests.factories import make_person
from tests.intake.conftest import GEMINI_TOKEN, MAX_BODY, TOKEN, Intake
from tests.intake.otel import database_text, day_row, nanos, payload

EMAIL = "grace@example.com"
NOON = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
START = nanos(NOON - dt.timedelta(hours=2))
PROTOBUF = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {TOKEN}"}
JSON = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}


def _post(intake: Intake, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(intake.url, content=body, headers=headers, timeout=10)


@pytest.mark.parametrize("cumulative", [True, False], ids=["cumulative", "delta"])
def test_the_same_payload_posted_twice_counts_once(intake: Intake, cumulative: bool) -> None:
    make_person(intake.engine, email=EMAIL)
    request = payload(
        "claude_code.commit.count",
        3,
        start=START,
        time=nanos(NOON),
        cumulative=cumulative,
        point={"user.email": EMAIL},
    )
    written = []
    for _ in range(2):
        answer = _post(intake, request.SerializeToString(), PROTOBUF)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/x-protobuf"
        row = day_row(intake.engine, f"otel:{EMAIL}", NOON.date())
        assert row is not None and row["commits"] == 3
        written.append(row["updated_at"])
    assert written[0] == written[1]  # the repeat added nothing, so it rewrote nothing


def test_json_encoding_is_read_and_answered_in_json(intake: Intake) -> None:
    request = payload(
        "gemini_cli.lines.changed",
        12,
        start=START,
        time=nanos(NOON),
        point={"type": "added", "function_name": "replace"},
        resource={"user.email": EMAIL, "installation.id": "inst-1"},
    )
    body = json_format.MessageToJson(request).encode()
    answer = _post(intake, body, {**JSON, "Authorization": f"Bearer {GEMINI_TOKEN}"})
    assert answer.status_code == 200 and answer.json() == {}
    row = day_row(intake.engine, f"otel:{EMAIL}", NOON.date())
    assert row is not None and (row["tool"], row["lines_added"]) == ("gemini_cli", 12)


def test_a_gzip_body_is_read(intake: Intake) -> None:
    request = payload(
        "claude_code.pull_request.count",
        1,
        start=START,
        time=nanos(NOON),
        point={"user.email": EMAIL},
    )
    body = gzip.compress(request.SerializeToString())
    answer = _post(intake, body, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert answer.status_code == 200
    row = day_row(intake.engine, f"otel:{EMAIL}", NOON.date())
    assert row is not None and row["pull_requests"] == 1


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", f"Bearer {TOKEN}x"]
)
def test_no_or_a_wrong_token_is_refused(intake: Intake, authorization: str | None) -> None:
    request = payload(
        "claude_code.commit.count", 1, start=START, time=nanos(NOON), point={"user.email": EMAIL}
    )
    headers = {"Content-Type": "application/x-protobuf"}
    if authorization:
        headers["Authorization"] = authorization
    answer = _post(intake, request.SerializeToString(), headers)
    assert answer.status_code == 401
    assert day_row(intake.engine, f"otel:{EMAIL}", NOON.date()) is None


def test_an_oversized_body_is_refused(intake: Intake) -> None:
    answer = _post(intake, b"\x00" * (MAX_BODY + 1), PROTOBUF)
    assert answer.status_code == 413


def test_a_gzip_bomb_is_refused(intake: Intake) -> None:
    bomb = gzip.compress(b"\x00" * (MAX_BODY * 20))
    assert len(bomb) < MAX_BODY
    answer = _post(intake, bomb, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert answer.status_code == 413


@pytest.mark.parametrize(
    ("body", "headers", "says"),
    [
        (b"\xff\xff\xff\xff not protobuf", PROTOBUF, "protobuf"),
        (b'{"resourceMetrics": [', JSON, "JSON"),
        (b'{"resourceMetrics": "twelve"}', JSON, "JSON"),
        (b"not gzip at all", {**PROTOBUF, "Content-Encoding": "gzip"}, "gzip"),
    ],
    ids=["protobuf", "truncated-json", "wrong-json", "gzip"],
)
def test_a_malformed_body_is_400_with_a_message(
    intake: Intake, body: bytes, headers: dict[str, str], says: str
) -> None:
    answer = _post(intake, body, headers)
    assert answer.status_code == 400
    json_answer = answer.headers["content-type"] == "application/json"
    message = answer.json()["message"] if json_answer else answer.content.decode(errors="replace")
    assert says in message


def test_logs_and_traces_have_no_route(intake: Intake) -> None:
    for path in ("/v1/logs", "/v1/traces"):
        url = intake.url.replace("/v1/metrics", path)
        answer = httpx.post(url, content=b"", headers=PROTOBUF, timeout=10)
        assert answer.status_code == 404


def test_points_without_an_account_are_reported_as_partial_success(intake: Intake) -> None:
    request = payload(
        "claude_code.commit.count", 1, start=START, time=nanos(NOON), point={"x": "y"}
    )
    answer = _post(intake, request.SerializeToString(), PROTOBUF)
    assert answer.status_code == 200
    response = ExportMetricsServiceResponse.FromString(answer.content)
    assert response.partial_success.rejected_data_points == 1
    assert "account" in response.partial_success.error_message


def test_concurrent_posts_for_one_person_and_day_lose_nothing(intake: Intake) -> None:
    make_person(intake.engine, email=EMAIL)
    posts_each = 8
    statuses: list[int] = []

    def send(series: str) -> None:
        with httpx.Client(timeout=30) as client:
            for number in range(posts_each):
                request = payload(
                    "claude_code.commit.count",
                    1,
                    start=START + number,
                    time=nanos(NOON) + number + 1,
                    cumulative=False,
                    point={"user.email": EMAIL, "session.id": series},
                )
                answer = client.post(
                    intake.url, content=request.SerializeToString(), headers=PROTOBUF
                )
                statuses.append(answer.status_code)

    threads = [threading.Thread(target=send, args=(f"session-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 3 * posts_each
    row = day_row(intake.engine, f"otel:{EMAIL}", NOON.date())
    assert row is not None and row["commits"] == 3 * posts_each


def test_the_specifications_example_request_is_accepted_and_nothing_stored(
    intake: Intake,
) -> None:
    body = (Path(__file__).parents[1] / "fixtures" / "otlp" / "metrics.json").read_bytes()
    answer = _post(intake, body, JSON)
    assert answer.status_code == 200 and answer.json() == {}
    assert "some value" not in database_text(intake.engine)


def test_series_silent_for_30_days_are_forgotten_by_the_clock_job(intake: Intake) -> None:
    request = payload(
        "claude_code.commit.count", 1, start=START, time=nanos(NOON), point={"user.email": EMAIL}
    )
    assert _post(intake, request.SerializeToString(), PROTOBUF).status_code == 200
    specs = job_specs(intake.settings, intake.engine, None)
    now = dt.datetime.now(dt.UTC)
    assert run_job(specs, "otlp-series", now + dt.timedelta(days=29)) == 0
    assert run_job(specs, "otlp-series", now + dt.timedelta(days=31)) == 1
