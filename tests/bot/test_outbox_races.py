"""The outbox under races: two senders, lease overruns, dropped connections, long 429s.

Every test ends with the same check: each key is in its conversation exactly once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.app import make_client
from bot.outbox import DeliveryReport, deliver_due, enqueue
from storage import queries
from storage.engine import session as open_session
from storage.models import OutboxState
from tests.conftest import make_settings
from tests.fakes.slack_api import AnswerLate, DropAfterRecording, FakeSlackAPI, RateLimited

NOW = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as server:
        yield server


def production_client(fake: FakeSlackAPI) -> WebClient:
    """The client the app and the clock use, retry handlers and all."""
    return make_client(make_settings(slack_bot_token="xoxb-test", slack_api_url=fake.url))


def queue(engine: Engine, count: int) -> list[str]:
    for n in range(count):
        enqueue(engine, key=f"k{n}", kind="test", now=NOW, channel=f"U0P{n:03d}", text=f"m{n}")
    return [f"U0P{n:03d}" for n in range(count)]


def in_parallel(*runs: Callable[[], DeliveryReport]) -> list[DeliveryReport]:
    """Run the senders at once; fail (rather than hang) if one is still busy after 30 s."""
    reports: list[DeliveryReport] = []
    threads = [
        threading.Thread(target=lambda r=run: reports.append(r()), daemon=True) for run in runs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a sender is still busy (asleep on a claim?)"
    return reports


def copies(fake: FakeSlackAPI, channels: list[str]) -> dict[str, int]:
    return {channel: len(fake.channel_messages(channel)) for channel in channels}


def states(engine: Engine) -> set[str]:
    with open_session(engine) as session:
        return {m.state for m in queries.outbox_messages(session)}


def test_a_batch_that_outlives_its_lease_does_not_double_with_a_second_sender(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    """Sender A stalls on its first post past its lease; B, whose clock says so, takes over."""
    channels = queue(engine, 40)
    release = threading.Event()
    fake.fail_next("chat.postMessage", AnswerLate(seconds=20, release=release))
    client = WebClient(token="xoxb-test", base_url=fake.url, timeout=25, retry_handlers=[])
    a = threading.Thread(target=lambda: deliver_due(engine, client, now=NOW), daemon=True)
    a.start()
    fake.wait_for("chat.postMessage")  # A's first post is in Slack; its answer is late

    b = deliver_due(engine, client, now=NOW + dt.timedelta(minutes=6))
    release.set()
    a.join(timeout=30)

    assert not a.is_alive()
    assert b.already_sent == 1  # found A's stalled post in the history instead of re-posting
    assert copies(fake, channels) == {channel: 1 for channel in channels}
    assert states(engine) == {OutboxState.SENT.value}


def test_a_connection_dropped_after_slack_recorded_the_post_is_not_posted_again(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    """The app's client re-sends on a dropped connection; the outbox's sender must not."""
    channels = queue(engine, 3)
    fake.fail_next("chat.postMessage", DropAfterRecording(), times=9)

    first = deliver_due(engine, production_client(fake), now=NOW)
    later = deliver_due(engine, production_client(fake), now=NOW + dt.timedelta(hours=1))

    assert (first.retrying, later.already_sent) == (3, 3)
    assert copies(fake, channels) == {channel: 1 for channel in channels}
    assert states(engine) == {OutboxState.SENT.value}


def test_two_senders_with_dropped_connections_deliver_each_key_once(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    channels = queue(engine, 30)
    fake.fail_next("chat.postMessage", DropAfterRecording(), times=8)

    def sender(now: dt.datetime) -> Callable[[], DeliveryReport]:
        return lambda: deliver_due(engine, production_client(fake), now=now)

    in_parallel(sender(NOW), sender(NOW))
    in_parallel(sender(NOW + dt.timedelta(hours=1)), sender(NOW + dt.timedelta(hours=1)))

    assert copies(fake, channels) == {channel: 1 for channel in channels}
    assert states(engine) == {OutboxState.SENT.value}


def test_a_long_retry_after_reschedules_that_message_and_blocks_no_other(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    channels = queue(engine, 30)
    fake.fail_next("chat.postMessage", RateLimited(retry_after=3600))

    def sender(now: dt.datetime) -> Callable[[], DeliveryReport]:
        return lambda: deliver_due(engine, production_client(fake), now=now)

    reports = in_parallel(sender(NOW), sender(NOW))

    assert sum(r.sent for r in reports) == 29
    assert sum(r.retrying for r in reports) == 1
    with open_session(engine) as session:
        [waiting] = [m for m in queries.outbox_messages(session) if m.state != "sent"]
    assert waiting.state == OutboxState.PENDING.value
    assert NOW + dt.timedelta(seconds=3600) <= waiting.next_attempt_at
    assert waiting.next_attempt_at <= NOW + dt.timedelta(seconds=3630)
    assert deliver_due(engine, production_client(fake), now=NOW + dt.timedelta(minutes=59)) == (
        DeliveryReport()
    )
    assert deliver_due(engine, production_client(fake), now=NOW + dt.timedelta(hours=2)).sent == 1
    assert copies(fake, channels) == {channel: 1 for channel in channels}
