"""The durable outbox: every proactive Slack message is written first, then sent at most once.

The invariant, with the conditions it rests on:

- **At most once.** Each idempotency key appears in its conversation at most once.
- **At least once**, unless the message is cancelled (its recipient may no longer get it),
  expires, or fails permanently (a permanent Slack error, or `MAX_ATTEMPTS` attempts).

How: a sender claims a few messages at a time (`CLAIM_BATCH`) under a lease (`LEASE`). Just
before any Slack call for a message it renews its claim with a conditional update (this
sender's token, still `sending`, lease not yet run out); if that fails the claim was lost and
the message is left to whoever holds it. The sender's client has no retry handlers, so
nothing re-sends a non-idempotent POST behind the outbox's back, and a 429 reschedules that
message at `Retry-After` instead of sleeping with claims held. Every outcome that is not a
definite answer (a dropped connection, a timeout, a 5xx, an unreadable body) is a retry, and
every attempt after the first (attempts > 1: an earlier claim existed) first reads the
conversation's recent history (`include_all_metadata`) for the key carried as message
metadata (for a file upload, a file with its title), and records that `ts` instead of posting
again. First attempts skip the check, so the common path costs one API call.

A message queued with a chart (`chart`: a spec from bot/charts/spec.py) has it drawn and
uploaded privately (shared with no conversation, so nothing shows) before its post, which
shows it in an image block. The file's id is written to the row, with the claim renewed,
before posting, so a retry reuses that upload instead of making another; an upload whose id
was never written is an orphaned private file, seen by nobody. The post stays the one visible
act, so the invariant below is unchanged. If the chart cannot be drawn or Slack refuses the
upload for good, the message goes without it; if Slack is not ready to show a file it has just
taken, the post is tried again shortly, and without the image after `CHART_ATTEMPTS`.

It holds as long as: each Slack call ends within the sender's timeout (`SEND_TIMEOUT`, a
small part of `LEASE`), so no post is in flight after its lease ran out; Slack records a post,
if at all, before the sender's call for it ends (answered, dropped or timed out); senders'
clocks agree to well within `LEASE`; and a message being retried is still among the newest
`HISTORY_WINDOW` messages of its conversation.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import http.client
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.engine import Engine

from bot.digests.audience import DIGEST_KINDS, may_still_send
from bot.ops.metrics import record_delivery
from bot.outbox_charts import blocks_with_chart
from bot.outbox_queue import OutgoingMessage as OutgoingMessage  # noqa: PLC0414
from bot.outbox_queue import enqueue as enqueue  # noqa: PLC0414
from bot.outbox_queue import enqueue_many as enqueue_many  # noqa: PLC0414
from bot.slack_files import refers_to_unready_file
from storage.engine import session as open_session
from storage.models import OutboxMessage, OutboxState
from storage.outbox import (
    claim_due_messages,
    finish_message,
    renew_claim,
    replace_payload,
)

logger = logging.getLogger(__name__)

METADATA_EVENT = "uptake_outbox"
LEASE = dt.timedelta(minutes=5)
CLAIM_BATCH = 10  # claims stay small, so a slow batch holds few messages
SEND_TIMEOUT = 20  # seconds a Slack call may take; a message's calls fit well inside LEASE
MAX_ATTEMPTS = 8
HISTORY_WINDOW = 50
CHART_ATTEMPTS = 3  # posts refused because Slack is not ready to show the just-uploaded chart
CHART_READY_WAIT = 10  # seconds before trying such a post again
# What a call that ended without a readable answer raises: Slack may or may not have acted.
UNKNOWN_OUTCOMES = (SlackClientError, OSError, http.client.HTTPException, ValueError)
# Slack errors that no retry can fix.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_not_found",
        "account_inactive",
        "user_disabled",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "restricted_action",
        "cannot_dm_bot",
        "missing_scope",
        "not_authed",
        "invalid_auth",
        "token_revoked",
    }
)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one run of the sender did."""

    sent: int = 0
    already_sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0  # not sent: the recipient may no longer get it
    lost: int = 0  # not sent by this run: its claim ran out and another sender holds it


def deliver_due(
    engine: Engine,
    client: WebClient,
    *,
    now: dt.datetime,
    limit: int = 100,
    keys: list[str] | None = None,
) -> DeliveryReport:
    """Send due messages (or just `keys`); safe to run in several processes at once."""
    sender = sender_client(client)
    token = uuid.uuid4().hex
    clock = _SenderClock(now)
    counts = {name: 0 for name in DeliveryReport.__dataclass_fields__}
    taken = 0
    while taken < limit:
        with open_session(engine) as session:
            claimed = claim_due_messages(
                session,
                now=clock(),
                lease=LEASE,
                token=token,
                limit=min(CLAIM_BATCH, limit - taken),
                keys=keys,
            )
        if not claimed:
            break
        taken += len(claimed)
        for message in claimed:
            outcome = _deliver_claimed(engine, sender, message, token, clock)
            counts[outcome] += 1
            record_delivery(outcome)
    return DeliveryReport(**counts)


def sender_client(client: WebClient) -> WebClient:
    """A copy of `client` for the outbox: no retry handlers, and calls shorter than a lease.

    A retry handler re-sends a POST whose connection dropped after Slack recorded it, and
    sleeps on 429 with claims held; the outbox decides about every retry itself.
    """
    sender = copy.copy(client)
    sender.retry_handlers = []
    sender.timeout = min(client.timeout, SEND_TIMEOUT)
    return sender


class _SenderClock:
    """The run's `now`, advanced by the whole seconds that have passed since it started."""

    def __init__(self, now: dt.datetime) -> None:
        self._now = now
        self._started = time.monotonic()

    def __call__(self) -> dt.datetime:
        return self._now + dt.timedelta(seconds=int(time.monotonic() - self._started))


def _deliver_claimed(
    engine: Engine, client: WebClient, message: OutboxMessage, token: str, clock: _SenderClock
) -> str:
    """Deliver one claimed message if the claim still holds; the outcome's name."""
    assert message.id is not None
    with open_session(engine) as session:
        held = renew_claim(session, message.id, token, now=clock(), lease=LEASE)
    if not held:
        logger.info("outbox %s: claim lost before sending, left to its new holder", message.id)
        return "lost"
    outcome, state, ts, error, retry_at = _deliver_one(engine, client, message, token, clock)
    with open_session(engine) as session:
        recorded = finish_message(
            session,
            message.id,
            token,
            state=state,
            at=clock(),
            sent_ts=ts,
            error=error,
            retry_at=retry_at,
        )
    if not recorded:
        # Its lease ran out mid-call and another sender holds it now; that sender reads the
        # history before posting, so the outcome of this attempt is not lost.
        logger.warning("outbox %s: claim lost while sending (%s)", message.id, outcome)
    return outcome


Outcome = tuple[str, OutboxState, str | None, str | None, dt.datetime | None]


def _deliver_one(
    engine: Engine, client: WebClient, message: OutboxMessage, token: str, clock: _SenderClock
) -> Outcome:
    key = message.idempotency_key
    now = clock()
    # A digest's reader may have left the team (or its channel been unsubscribed) since it was
    # queued: checked again now, on every attempt, so a retry cannot outlive the right to it.
    if message.kind in DIGEST_KINDS and not may_still_send(engine, message):
        logger.info("outbox %s: its recipient may no longer get it, cancelled", message.id)
        return ("cancelled", OutboxState.CANCELLED, None, "recipient no longer allowed", None)
    expires = message.payload.get("expires_at")
    if expires and now > dt.datetime.fromisoformat(expires):
        # A message with a time window (a tip at a sensible local hour) is not sent late.
        return ("failed", OutboxState.FAILED, None, "expired", None)
    try:
        upload = message.payload.get("file")
        if upload:
            return _upload_file(client, message, upload)
        if message.attempts > 1:
            ts = _find_in_history(client, message.channel, key)
            if ts is not None:
                logger.info("outbox %s: already delivered, recording it", message.id)
                return ("already_sent", OutboxState.SENT, ts, None, None)
        if message.payload.get("chart"):
            return _post_with_chart(engine, client, message, token, clock)
        return _post(client, message, list(message.payload.get("blocks") or []))
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        status = exc.response.status_code
        if error in PERMANENT_ERRORS:
            logger.error("outbox %s: %s, giving up", message.id, error)
            return ("failed", OutboxState.FAILED, None, error, None)
        # A 5xx or an unexpected error is an unknown outcome: the retry reads history first.
        wait = _retry_after(exc) if status == 429 else _backoff(message.attempts)
        return _retry_or_fail(message, f"{status} {error}", clock() + dt.timedelta(seconds=wait))
    except UNKNOWN_OUTCOMES as exc:  # timeouts, dropped connections, unreadable bodies
        problem = type(exc).__name__
        return _retry_or_fail(
            message, problem, clock() + dt.timedelta(seconds=_backoff(message.attempts))
        )


def _post_with_chart(
    engine: Engine,
    client: WebClient,
    message: OutboxMessage,
    token: str,
    clock: _SenderClock,
) -> Outcome:
    """Post a message with its chart inside (bot/outbox_charts.py), or without it when Slack
    still refuses to show the upload after CHART_ATTEMPTS attempts."""
    chart: dict[str, Any] = message.payload["chart"]
    blocks: list[dict[str, Any]] = list(message.payload.get("blocks") or [])

    def remember(payload: dict[str, Any]) -> bool:
        assert message.id is not None
        with open_session(engine) as session:
            return replace_payload(session, message.id, token, payload, now=clock(), lease=LEASE)

    with_chart = blocks_with_chart(client, message, chart, blocks, remember=remember)
    if with_chart is None:
        logger.info("outbox %s: claim lost before posting, left to its holder", message.id)
        return ("lost", OutboxState.PENDING, None, "claim lost", clock())
    try:
        return _post(client, message, with_chart)
    except SlackApiError as exc:
        if not refers_to_unready_file(exc):
            raise
        if message.attempts < CHART_ATTEMPTS:  # refused, so nothing was posted: again soon
            soon = clock() + dt.timedelta(seconds=CHART_READY_WAIT)
            return _retry_or_fail(message, "chart not ready", soon)
    logger.warning("outbox %s: its chart is still refused, sent without it", message.id)
    return _post(client, message, blocks)


def _post(client: WebClient, message: OutboxMessage, blocks: list[dict[str, Any]]) -> Outcome:
    response = client.chat_postMessage(
        channel=message.channel,
        text=message.payload.get("text", ""),
        blocks=blocks or None,
        metadata={
            "event_type": METADATA_EVENT,
            "event_payload": {"key": message.idempotency_key},
        },
        unfurl_links=False,
    )
    return ("sent", OutboxState.SENT, str(response["ts"]), None, None)


def _upload_file(client: WebClient, message: OutboxMessage, upload: dict[str, Any]) -> Outcome:
    """Upload a file (a digest chart) with the two-step external upload, at most once.

    A file's title carries the idempotency key's own words, so after an unknown outcome the
    sender looks for a file with that title in the conversation instead of uploading again.
    """
    channel = message.channel
    if channel[:1] in {"U", "W"}:
        channel = client.conversations_open(users=channel)["channel"]["id"]
    title = str(upload["title"])
    if message.attempts > 1:
        history = client.conversations_history(channel=channel, limit=HISTORY_WINDOW)
        items: list[dict[str, Any]] = history.get("messages") or []
        for item in items:
            if any(f.get("title") == title for f in item.get("files") or []):
                return ("already_sent", OutboxState.SENT, str(item.get("ts", "")), None, None)
    response = client.files_upload_v2(
        channel=channel,
        content=base64.b64decode(upload["base64"]),
        filename=str(upload["filename"]),
        title=title,
        initial_comment=message.payload.get("text") or None,
    )
    files = response.get("files") or [{}]
    return ("sent", OutboxState.SENT, str(files[0].get("id", "")), None, None)


def _retry_or_fail(message: OutboxMessage, problem: str, retry_at: dt.datetime) -> Outcome:
    if message.attempts >= MAX_ATTEMPTS:
        logger.error(
            "outbox %s: %s after %d attempts, giving up", message.id, problem, message.attempts
        )
        return ("failed", OutboxState.FAILED, None, problem, None)
    logger.warning("outbox %s: %s, retrying at %s", message.id, problem, retry_at.isoformat())
    return ("retrying", OutboxState.PENDING, None, problem, retry_at)


def _find_in_history(client: WebClient, channel: str, key: str) -> str | None:
    """The ts of a message in `channel` carrying `key` as metadata, if Slack has one."""
    if channel[:1] in {"U", "W"}:
        channel = client.conversations_open(users=channel)["channel"]["id"]
    history = client.conversations_history(
        channel=channel, limit=HISTORY_WINDOW, include_all_metadata=True
    )
    messages: list[dict[str, Any]] = history.get("messages") or []
    for item in messages:
        metadata = item.get("metadata") or {}
        if (
            metadata.get("event_type") == METADATA_EVENT
            and (metadata.get("event_payload") or {}).get("key") == key
        ):
            return str(item["ts"])
    return None


def _retry_after(exc: SlackApiError) -> float:
    value = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
    try:
        return max(1.0, float(value)) if value else 30.0
    except ValueError:
        return 30.0


def _backoff(attempts: int) -> float:
    return float(min(3600, 30 * 2 ** max(0, attempts - 1)))
