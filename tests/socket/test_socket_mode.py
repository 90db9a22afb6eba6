"""`uptake socket` end to end: the real process, speaking Slack's Socket Mode over a WebSocket.

Slack gives an app 3 seconds to acknowledge an envelope; answers go to the `response_url` or
through the Web API, both recorded by the fake Web API.
"""

from __future__ import annotations

import datetime as dt
import socket
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.blocks.common import blocks_to_text
from bot.blocks.ids import GET_TIPS
from storage import ops
from storage.engine import session as open_session
from storage.models import Heartbeat, SyncState, utcnow
from tests.factories import add_usage, make_identity, make_person, set_sync_state, usage_row
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.socket_mode import Envelope, FakeSocketMode
from tests.socket.conftest import (
    Worker,
    button_click,
    slash_command,
    start_worker,
)

ACK_SECONDS = 3.0
#: An ack slowed by a reader still waiting on the old connection takes ~3 s; a prompt one ~0.1 s.
PROMPT_SECONDS = 1.5
ANSWER_SECONDS = 10.0


def seed_alice(engine: Engine) -> None:
    """Alice, with ten active days of Copilot, freshly synced."""
    person = make_person(engine, slack_user_id="U0ALICE", tz="Europe/London")
    identity = make_identity(engine, tool="copilot", external_id="alice-gh", person_id=person)
    today = utcnow().date()
    rows = [
        usage_row(identity, "copilot", today - dt.timedelta(days=d), generations=20, acceptances=5)
        for d in range(10)
    ]
    add_usage(engine, rows)
    set_sync_state(engine, SyncState(source="copilot", last_success_at=utcnow()))


def acked_in_time(slack: FakeSocketMode, envelope: Envelope) -> None:
    ack = slack.wait_ack(envelope.envelope_id, timeout=ACK_SECONDS + 2)
    waited = ack.received_at - envelope.sent_at
    assert waited < ACK_SECONDS, f"acknowledged after {waited:.2f}s"
    assert ack.connection == envelope.connection


def acked_promptly(slack: FakeSocketMode, envelope: Envelope) -> None:
    """Acknowledged on its own connection well inside Slack's 3 s, with room for a busy machine."""
    ack = slack.wait_ack(envelope.envelope_id, timeout=ACK_SECONDS + 2)
    waited = ack.received_at - envelope.sent_at
    assert waited < PROMPT_SECONDS, f"acknowledged after {waited:.2f}s"
    assert ack.connection == envelope.connection


def myusage(worker: Worker, text: str = "") -> tuple[Envelope, str]:
    """Send /myusage; the envelope, and the response_url path its answer is posted to."""
    name = uuid.uuid4().hex
    envelope = worker.slack.slash_command(slash_command(worker.api.response_url(name), text))
    return envelope, f"/response/{name}"


def test_a_slash_command_is_acked_in_time_and_answered_privately(
    worker: Worker, engine: Engine
) -> None:
    seed_alice(engine)
    envelope, path = myusage(worker, "7d")

    acked_in_time(worker.slack, envelope)
    answer = worker.api.wait_for(path, timeout=ANSWER_SECONDS).body
    assert answer["response_type"] == "ephemeral"
    text = blocks_to_text(answer["blocks"])
    assert "last 7 days" in text and "GitHub Copilot" in text and "7 of 7" in text


def test_a_button_click_is_acked_and_acted_on(worker: Worker, engine: Engine) -> None:
    seed_alice(engine)
    name = uuid.uuid4().hex
    click = button_click(worker.api.response_url(name), GET_TIPS, "on", "U0ALICE")

    envelope = worker.slack.interactive(click)

    acked_in_time(worker.slack, envelope)
    answer = worker.api.wait_for(f"/response/{name}", timeout=ANSWER_SECONDS).body
    assert answer["text"] == "Tips are on" and answer["response_type"] == "ephemeral"


def test_opening_the_home_tab_publishes_the_persons_view(worker: Worker, engine: Engine) -> None:
    seed_alice(engine)
    worker.api.clear()
    envelope = worker.slack.event(
        {
            "type": "app_home_opened",
            "user": "U0ALICE",
            "channel": "D0ALICE",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
    )

    acked_in_time(worker.slack, envelope)
    publish = worker.api.wait_for("views.publish", timeout=ANSWER_SECONDS)
    assert publish.body["user_id"] == "U0ALICE"
    assert publish.body["view"]["type"] == "home"


def test_a_refresh_is_followed_by_a_new_connection_that_answers(
    worker: Worker, engine: Engine
) -> None:
    seed_alice(engine)
    opened = len(worker.slack.connections)
    urls_issued = len(worker.api.calls("apps.connections.open"))

    old = worker.slack.disconnect("refresh_requested")
    new = worker.slack.wait_connected(count=opened + 1, timeout=ANSWER_SECONDS)
    # Slack sends on the new connection as soon as it is open, and still wants acks in 3 s.
    envelope, path = myusage(worker)

    assert new.number == opened + 1
    assert envelope.connection == new.number
    acked_promptly(worker.slack, envelope)
    worker.slack.wait_closed(old, timeout=ANSWER_SECONDS)  # the app leaves the old one
    assert len(worker.api.calls("apps.connections.open")) == urls_issued + 1  # a fresh ticket
    worker.api.wait_for(path, timeout=ANSWER_SECONDS)


@pytest.mark.parametrize("ending", ["drop", "cut"])
def test_a_connection_that_slack_ends_is_reopened_at_once(
    worker: Worker, engine: Engine, ending: str
) -> None:
    """Slack closes the WebSocket (`drop`), or its side goes away with no close at all (`cut`)."""
    seed_alice(engine)
    opened = len(worker.slack.connections)

    getattr(worker.slack, ending)()
    new = worker.slack.wait_connected(count=opened + 1, timeout=ACK_SECONDS)

    envelope, path = myusage(worker)
    assert envelope.connection == new.number
    acked_promptly(worker.slack, envelope)
    worker.api.wait_for(path, timeout=ANSWER_SECONDS)
    assert worker.slack.refused == 0  # every reconnection asked apps.connections.open first


def test_the_worker_beats_once_connected_and_stops_cleanly_on_sigterm(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    with FakeSlackAPI() as api, FakeSocketMode(api) as slack:
        worker = start_worker(database_url, tmp_path, api, slack)
        try:
            deadline = time.monotonic() + 10
            beats: list[Heartbeat] = []
            while not beats and time.monotonic() < deadline:
                with open_session(engine) as session:
                    beats = [b for b in ops.heartbeats(session) if b.process == "socket"]
                time.sleep(0.1)
            # The first beat comes once connected, not a minute later.
            assert beats, "no socket heartbeat within 10 s of connecting"
            assert (beats[0].host, beats[0].pid) == (socket.gethostname(), worker.process.pid)
        finally:
            status = worker.stop()
        assert status == 0, worker.stderr()
        slack.wait_closed(slack.connections[0])  # it closed its connection on the way out
        assert "Traceback" not in worker.stderr()
