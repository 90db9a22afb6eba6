"""Acks never wait for work: under load every command is acked at once and answered later.

The listener path is slowed where it leaves Uptake (the fake Slack server answers each
`response_url` slowly), never in our code. Timings here are loose; the benchmark
(benchmarks/bench_http.py) measures them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy.engine import Engine

from bot.blocks.ids import TIP_STOP
from bot.gateway.work_pool import BUSY_TEXT
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlackAPI, Slow
from tests.handlers.conftest import RunningApp, slash_command_fields, start_web_app

ERROR_WORDS = ("went wrong", "busy")


def serve(
    fake: FakeSlackAPI, engine: Engine, app_settings: Settings, **work: int
) -> Iterator[RunningApp]:
    settings = app_settings.model_copy(update=work)
    server = start_web_app(settings, engine)
    with httpx.Client(timeout=10) as http:
        yield RunningApp(server.base_url, fake, engine, settings, http)
    server.stop()


@pytest.fixture
def loaded_app(
    fake_slack: FakeSlackAPI, engine: Engine, app_settings: Settings
) -> Iterator[RunningApp]:
    yield from serve(fake_slack, engine, app_settings, work_threads=10, work_queue=200)


@pytest.fixture
def tiny_app(
    fake_slack: FakeSlackAPI, engine: Engine, app_settings: Settings
) -> Iterator[RunningApp]:
    yield from serve(fake_slack, engine, app_settings, work_threads=1, work_queue=1)


def send_command(app: RunningApp, user_id: str, name: str) -> tuple[float, httpx.Response]:
    """One signed /myusage; (seconds to the ack, the ack)."""
    fields = slash_command_fields(
        command="/myusage",
        text="",
        user_id=user_id,
        team_id="T0TEST",
        response_url=app.fake.response_url(name),
    )
    started = time.monotonic()
    response = app.post_signed(urlencode(fields).encode())
    return time.monotonic() - started, response


def answers(fake: FakeSlackAPI, name: str) -> list[str]:
    return [str(call.body.get("text", "")) for call in fake.calls(f"/response/{name}")]


def test_sixty_commands_at_once_are_all_acked_fast_and_all_answered(
    loaded_app: RunningApp,
) -> None:
    count = 60
    for n in range(count):
        loaded_app.fake.add_user(f"U0LOAD{n:03d}", email=f"load{n}@example.com")
    # Each answer takes the fake Slack 0.3 s to accept: six listener threads' worth of work
    # queue behind each other, which used to hold every later ack past Slack's 3 seconds.
    loaded_app.fake.fail_next("/response/*", Slow(0.3), times=count)
    names = [f"load{n}" for n in range(count)]
    with ThreadPoolExecutor(max_workers=count) as senders:
        acks = list(
            senders.map(
                lambda n: send_command(loaded_app, f"U0LOAD{n:03d}", names[n]), range(count)
            )
        )
    assert all(response.status_code == 200 for _, response in acks)
    slowest = max(seconds for seconds, _ in acks)
    assert slowest < 2.0, f"an ack took {slowest:.2f}s"
    for name in names:
        loaded_app.fake.wait_for(f"/response/{name}", timeout=20)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(not answers(loaded_app.fake, n) for n in names):
        time.sleep(0.05)
    for name in names:
        texts = answers(loaded_app.fake, name)
        assert len(texts) == 1, (name, texts)
        assert not any(word in texts[0].lower() for word in ERROR_WORDS), texts[0]


def test_a_full_pool_answers_busy_at_once_and_never_later(tiny_app: RunningApp) -> None:
    tiny_app.fake.fail_next("/response/*", Slow(1.0), times=3)
    # One command runs (held by the slow fake), one waits: the pool is full.
    for name in ("running", "waiting"):
        _, response = send_command(tiny_app, "U0BUSY", name)
        assert response.status_code == 200
        assert response.text == ""
    seconds, refused = send_command(tiny_app, "U0BUSY", "refused")
    assert refused.status_code == 200
    assert seconds < 2.0
    assert refused.json() == {"text": BUSY_TEXT, "response_type": "ephemeral"}
    tiny_app.fake.wait_for("/response/waiting", timeout=10)
    time.sleep(0.3)
    assert answers(tiny_app.fake, "refused") == []
    assert len(answers(tiny_app.fake, "running")) == 1
    # Room again: the next command is acked and answered as usual.
    _, response = send_command(tiny_app, "U0BUSY", "later")
    assert response.text == ""
    tiny_app.fake.wait_for("/response/later", timeout=10)


def test_a_click_on_a_full_pool_is_told_busy_through_its_response_url(
    tiny_app: RunningApp,
) -> None:
    tiny_app.fake.fail_next("/response/*", Slow(1.0), times=2)
    for name in ("running", "waiting"):
        send_command(tiny_app, "U0BUSY", name)
    clicked = tiny_app.click(TIP_STOP, "1", user_id="U0BUSY")
    notice = tiny_app.fake.wait_for(clicked, timeout=5)
    assert notice.body["text"] == BUSY_TEXT
    assert notice.body["response_type"] == "ephemeral"
    assert json.loads(notice.raw_body)["replace_original"] is False
