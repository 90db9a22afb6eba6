"""The durable outbox: every proactive Slack message is written first, then sent exactly once.

Why the history check: `chat.postMessage` has no idempotency key, so after an unknown outcome
(a crash between Slack accepting the message and us recording it, or a timeout) a blind retry
could show the person the same message twice. Each message carries its idempotency key as
message metadata; before a *retry* the sender reads the conversation's recent history
(`include_all_metadata`) and, if the key is already there, records that `ts` instead of
posting again. First attempts skip the check, so the common path costs one API call.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.engine import Engine

from bot.digests.audience import DIGEST_KINDS, may_still_send
from bot.ops.metrics import record_delivery
from storage import queries
from storage.engine import session as open_session
from storage.models import OutboxMessage, OutboxState

logger = logging.getLogger(__name__)

METADATA_EVENT = "uptake_outbox"
LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 8
HISTORY_WINDOW = 50
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


def enqueue(
    engine: Engine,
    *,
    key: str,
    kind: str,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    person_id: int | None = None,
    now: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    file: tuple[bytes, str, str] | None = None,
    team_id: int | None = None,
) -> bool:
    """Write a message to the outbox, due at `not_before` (default `now`).

    False when the key was already there: nothing is added, so re-running a job is safe.
    `file` is (content, filename, title) for an upload instead of a message; its title must be
    unique in the conversation: it is how a retry recognises an upload that already happened.
    `team_id` names the team a digest is about: its recipient is checked again before sending.
    """
    with open_session(engine) as session:
        added = queries.enqueue_message(
            session,
            key=key,
            kind=kind,
            channel=channel,
            payload={
                "text": text,
                "blocks": blocks or [],
                "expires_at": expires_at.isoformat() if expires_at else None,
                "file": None
                if file is None
                else {
                    "base64": base64.b64encode(file[0]).decode(),
                    "filename": file[1],
                    "title": file[2],
                },
                **({"team_id": team_id} if team_id is not None else {}),
            },
            person_id=person_id,
            not_before=not_before or now,
        )
        session.commit()
    return added


def deliver_due(
    engine: Engine,
    client: WebClient,
    *,
    now: dt.datetime,
    limit: int = 100,
    keys: list[str] | None = None,
) -> DeliveryReport:
    """Send due messages (or just `keys`); safe to run in several processes at once."""
    token = uuid.uuid4().hex
    with open_session(engine) as session:
        claimed = queries.claim_due_messages(
            session, now=now, lease=LEASE, token=token, limit=limit, keys=keys
        )
    counts = {"sent": 0, "already_sent": 0, "retrying": 0, "failed": 0, "cancelled": 0}
    for message in claimed:
        outcome = _deliver_one(engine, client, message, now)
        counts[outcome[0]] += 1
        record_delivery(outcome[0])
        state, ts, error, retry_at = outcome[1:]
        with open_session(engine) as session:
            assert message.id is not None
            queries.finish_message(
                session,
                message.id,
                token,
                state=state,
                at=now,
                sent_ts=ts,
                error=error,
                retry_at=retry_at,
            )
    return DeliveryReport(**counts)


def _deliver_one(
    engine: Engine, client: WebClient, message: OutboxMessage, now: dt.datetime
) -> tuple[str, OutboxState, str | None, str | None, dt.datetime | None]:
    key = message.idempotency_key
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
        response = client.chat_postMessage(
            channel=message.channel,
            text=message.payload.get("text", ""),
            blocks=message.payload.get("blocks") or None,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
            unfurl_links=False,
        )
        return ("sent", OutboxState.SENT, str(response["ts"]), None, None)
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        status = exc.response.status_code
        if error in PERMANENT_ERRORS:
            logger.error("outbox %s: %s, giving up", message.id, error)
            return ("failed", OutboxState.FAILED, None, error, None)
        wait = _retry_after(exc) if status == 429 else _backoff(message.attempts)
        return _retry_or_fail(message, f"{status} {error}", now + dt.timedelta(seconds=wait))
    except (SlackClientError, OSError) as exc:  # timeouts, dropped connections, bad bodies
        problem = type(exc).__name__
        return _retry_or_fail(
            message, problem, now + dt.timedelta(seconds=_backoff(message.attempts))
        )


def _upload_file(
    client: WebClient, message: OutboxMessage, upload: dict[str, Any]
) -> tuple[str, OutboxState, str | None, str | None, dt.datetime | None]:
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


def _retry_or_fail(
    message: OutboxMessage, problem: str, retry_at: dt.datetime
) -> tuple[str, OutboxState, str | None, str | None, dt.datetime | None]:
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
