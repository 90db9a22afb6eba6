"""Outbox queries: queue a message, claim due ones, renew a claim, record the outcome."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import OutboxMessage, OutboxState, utcnow

_ENQUEUE_BATCH = 500  # messages per INSERT


def enqueue_message(
    session: Session,
    *,
    key: str,
    kind: str,
    channel: str,
    payload: Mapping[str, Any],
    person_id: int | None = None,
    not_before: dt.datetime | None = None,
) -> bool:
    """Add a message unless one with the same idempotency key exists; True when added."""
    row = {
        "idempotency_key": key,
        "kind": kind,
        "channel": channel,
        "payload": payload,
        "person_id": person_id,
        "next_attempt_at": not_before,
    }
    return enqueue_messages(session, [row]) == 1


def enqueue_messages(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Add messages (each: idempotency_key, kind, channel, payload, person_id and
    next_attempt_at, None for now) with a few multi-row INSERTs; those whose key exists are
    skipped. How many were added."""
    insert: Any = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    now = utcnow()
    values = [
        {
            **row,
            "payload": dict(row["payload"]),
            "state": OutboxState.PENDING.value,
            "attempts": 0,
            "next_attempt_at": row.get("next_attempt_at") or now,
            "created_at": now,
        }
        for row in rows
    ]
    added = 0
    for start in range(0, len(values), _ENQUEUE_BATCH):
        result = session.execute(
            insert(OutboxMessage)
            .values(values[start : start + _ENQUEUE_BATCH])
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(col(OutboxMessage.id))
        )
        # rowcount is not reliable for INSERT … ON CONFLICT across drivers; RETURNING is.
        added += len(result.all())
    return added


def claim_due_messages(
    session: Session,
    *,
    now: dt.datetime,
    lease: dt.timedelta,
    token: str,
    limit: int,
    keys: Sequence[str] | None = None,
) -> list[OutboxMessage]:
    """Atomically take up to `limit` due messages for this sender (identified by `token`).

    Due means pending and past `next_attempt_at`, or left `sending` by a sender whose lease
    ran out (it crashed, or overran). On PostgreSQL, rows another sender holds are skipped
    (`FOR UPDATE SKIP LOCKED`); SQLite serialises writers, which gives the same guarantee.
    """
    due = sa.or_(
        sa.and_(
            col(OutboxMessage.state) == OutboxState.PENDING.value,
            col(OutboxMessage.next_attempt_at) <= now,
        ),
        sa.and_(
            col(OutboxMessage.state) == OutboxState.SENDING.value,
            col(OutboxMessage.claimed_until) < now,
        ),
    )
    candidates = sa.select(col(OutboxMessage.id)).where(due)
    if keys is not None:
        candidates = candidates.where(col(OutboxMessage.idempotency_key).in_(list(keys)))
    candidates = candidates.order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
    candidates = candidates.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # The ids are read first, in this transaction, and then updated: as a subquery of the
        # UPDATE, PostgreSQL may run `LIMIT … FOR UPDATE SKIP LOCKED` once per row of a
        # nested-loop join and so claim far more than `limit` (one sender took 40 of 40 with
        # limit 5). The rows stay locked by this transaction until it commits.
        locked = candidates.with_for_update(skip_locked=True)
        chosen: Any = list(session.execute(locked).scalars())
        if not chosen:
            session.commit()
            return []
    else:
        # SQLite has no row locks: one UPDATE statement takes the write lock and claims at
        # once (a read first would turn into a failed lock upgrade when another sender wrote).
        chosen = candidates.scalar_subquery()
    session.execute(
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(chosen), due)
        .values(
            state=OutboxState.SENDING.value,
            claimed_until=now + lease,
            claim_token=token,
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return list(
        session.exec(
            select(OutboxMessage)
            .where(
                OutboxMessage.claim_token == token,
                OutboxMessage.state == OutboxState.SENDING.value,
            )
            .order_by(col(OutboxMessage.id))
        )
    )


def renew_claim(
    session: Session, message_id: int, token: str, *, now: dt.datetime, lease: dt.timedelta
) -> bool:
    """Extend this sender's claim to `now + lease`, only if it still holds an unexpired one.

    False means the claim was lost (its lease ran out, or another sender took the message):
    the caller must not send it.
    """
    return _update_held(session, message_id, token, now=now, claimed_until=now + lease)


def replace_payload(
    session: Session,
    message_id: int,
    token: str,
    payload: Mapping[str, Any],
    *,
    now: dt.datetime,
    lease: dt.timedelta,
) -> bool:
    """Store a new payload for a message this sender still holds, renewing its claim.

    False (nothing stored) when the claim was lost, exactly as `renew_claim`.
    """
    return _update_held(
        session, message_id, token, now=now, claimed_until=now + lease, payload=dict(payload)
    )


def _update_held(
    session: Session, message_id: int, token: str, *, now: dt.datetime, **values: Any
) -> bool:
    """Set `values` on a message if this sender's claim on it holds and has not run out."""
    result = session.execute(
        sa.update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id,
            col(OutboxMessage.claim_token) == token,
            col(OutboxMessage.state) == OutboxState.SENDING.value,
            col(OutboxMessage.claimed_until) > now,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def finish_message(
    session: Session,
    message_id: int,
    token: str,
    *,
    state: OutboxState,
    at: dt.datetime,
    sent_ts: str | None = None,
    error: str | None = None,
    retry_at: dt.datetime | None = None,
) -> bool:
    """Record a message's outcome, if this sender still holds it; True when recorded."""
    values: dict[str, Any] = {"state": state.value, "claimed_until": None, "last_error": error}
    if state is OutboxState.SENT:
        values.update(sent_ts=sent_ts, sent_at=at)
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    result = session.execute(
        sa.update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id,
            col(OutboxMessage.claim_token) == token,
            col(OutboxMessage.state) == OutboxState.SENDING.value,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def outbox_messages(session: Session, *, kind: str | None = None) -> list[OutboxMessage]:
    """Every outbox message (optionally of one kind), oldest first."""
    statement = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if kind:
        statement = statement.where(OutboxMessage.kind == kind)
    return list(session.exec(statement))
