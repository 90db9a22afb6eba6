"""The outbox against the fake Slack server: sent once, whatever fails."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.outbox import METADATA_EVENT, deliver_due, enqueue
from storage import queries
from storage.engine import session as open_session
from storage.models import OutboxState
from tests.fakes.slack_api import FakeSlackAPI, Hang, RateLimited, ServerError, SlackError

NOW = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlackAPI) -> WebClient:
    # No retry handlers: the outbox itself decides about retries.
    return WebClient(token="xoxb-test", base_url=fake.url, timeout=2, retry_handlers=[])


def messages(engine: Engine) -> list:  # type: ignore[type-arg]
    with open_session(engine) as session:
        return queries.outbox_messages(session)


def posts(fake: FakeSlackAPI) -> list:  # type: ignore[type-arg]
    return fake.calls("chat.postMessage")


def test_a_message_is_sent_once_with_its_key_as_metadata(
    engine: Engine, client: WebClient, fake: FakeSlackAPI
) -> None:
    assert enqueue(engine, key="k1", kind="test", now=NOW, channel="U0ADA", text="hello")
    assert not enqueue(engine, key="k1", kind="test", now=NOW, channel="U0ADA", text="hello again")

    report = deliver_due(engine, client, now=NOW)
    again = deliver_due(engine, client, now=NOW + dt.timedelta(hours=1))

    assert (report.sent, again.sent) == (1, 0)
    [post] = posts(fake)
    assert post.body["text"] == "hello"
    assert post.body["metadata"] == {"event_type": METADATA_EVENT, "event_payload": {"key": "k1"}}
    [row] = messages(engine)
    assert row.state == OutboxState.SENT and row.sent_ts and row.attempts == 1


def test_rate_limit_waits_for_retry_after(
    engine: Engine, client: WebClient, fake: FakeSlackAPI
) -> None:
    enqueue(engine, key="k", kind="test", now=NOW, channel="U0ADA", text="hi")
    fake.fail_next("chat.postMessage", RateLimited(retry_after=42))

    first = deliver_due(engine, client, now=NOW)
    [row] = messages(engine)
    assert first.retrying == 1
    assert row.state == OutboxState.PENDING
    assert row.next_attempt_at == NOW + dt.timedelta(seconds=42)
    assert deliver_due(engine, client, now=NOW + dt.timedelta(seconds=41)).sent == 0
    assert deliver_due(engine, client, now=NOW + dt.timedelta(seconds=42)).sent == 1
    assert len([p for p in posts(fake) if p.body.get("text") == "hi"]) == 2  # 429, then sent
    assert len(fake.channel_messages("U0ADA")) == 1


def test_server_errors_back_off_then_succeed(
    engine: Engine, client: WebClient, fake: FakeSlackAPI
) -> None:
    enqueue(engine, key="k", kind="test", now=NOW, channel="U0ADA", text="hi")
    fake.fail_next("chat.postMessage", ServerError(500), times=2)
    now = NOW
    for _ in range(3):
        deliver_due(engine, client, now=now)
        now += dt.timedelta(hours=2)
    [row] = messages(engine)
    assert row.state == OutboxState.SENT
    assert len(fake.channel_messages("U0ADA")) == 1


def test_permanent_errors_fail_without_retrying(
    engine: Engine, client: WebClient, fake: FakeSlackAPI
) -> None:
    enqueue(engine, key="k", kind="test", now=NOW, channel="U0GONE", text="hi")
    fake.fail_next("chat.postMessage", SlackError("account_inactive"))
    assert deliver_due(engine, client, now=NOW).failed == 1
    assert deliver_due(engine, client, now=NOW + dt.timedelta(days=1)).sent == 0
    [row] = messages(engine)
    assert (row.state, row.last_error) == (OutboxState.FAILED, "account_inactive")


def test_unknown_outcome_is_resolved_from_history_not_by_posting_again(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    """A sender that timed out after Slack accepted the message must not post it twice."""
    enqueue(engine, key="k-timeout", kind="test", now=NOW, channel="U0ADA", text="once only")
    slow_client = WebClient(token="xoxb-test", base_url=fake.url, timeout=0.5, retry_handlers=[])
    fake.fail_next("chat.postMessage", Hang())
    report = deliver_due(engine, slow_client, now=NOW)
    assert report.retrying == 1
    # The message did reach Slack before the connection died (as it can in real life).
    WebClient(token="xoxb-test", base_url=fake.url).chat_postMessage(
        channel="U0ADA",
        text="once only",
        metadata={"event_type": METADATA_EVENT, "event_payload": {"key": "k-timeout"}},
    )
    later = deliver_due(engine, slow_client, now=NOW + dt.timedelta(hours=1))
    assert later.already_sent == 1
    assert len(fake.channel_messages("U0ADA")) == 1
    [row] = messages(engine)
    assert row.state == OutboxState.SENT and row.sent_ts


def test_a_crashed_sender_is_taken_over_after_its_lease(
    engine: Engine, client: WebClient, fake: FakeSlackAPI
) -> None:
    enqueue(engine, key="k", kind="test", now=NOW, channel="U0ADA", text="hi")
    with open_session(engine) as session:  # a sender claims it, then dies before sending
        claimed = queries.claim_due_messages(
            session, now=NOW, lease=dt.timedelta(minutes=5), token="dead", limit=10
        )
    assert len(claimed) == 1
    assert deliver_due(engine, client, now=NOW + dt.timedelta(minutes=1)).sent == 0
    assert deliver_due(engine, client, now=NOW + dt.timedelta(minutes=6)).sent == 1
    assert len(fake.channel_messages("U0ADA")) == 1


def test_two_senders_at_once_send_each_message_once(engine: Engine, fake: FakeSlackAPI) -> None:
    for n in range(30):
        enqueue(engine, key=f"k{n}", kind="test", now=NOW, channel=f"U0P{n:03d}", text=f"m{n}")
    results = []

    def run() -> None:
        client = WebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])
        results.append(deliver_due(engine, client, now=NOW))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(r.sent for r in results) == 30
    texts = sorted(p.body["text"] for p in posts(fake))
    assert texts == sorted(f"m{n}" for n in range(30))
