"""Slack requests already accepted, so that an exact replay inside the window is refused."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.models import SlackRequestSeen


def remember_request(session: Session, signature: str, request_ts: int) -> bool:
    """Record an accepted request; False when it was recorded before (a replay).

    On PostgreSQL the commit does not wait for the WAL flush (`synchronous_commit = off` for
    this transaction only): the ack waits on this insert, and the price is that a crash of the
    database itself may forget the last fraction of a second of signatures, which could then
    be replayed inside their 5-minute window. Nothing else is written in this transaction.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    insert: Any = postgresql.insert if postgres else sqlite.insert
    if postgres:
        session.execute(sa.text("SET LOCAL synchronous_commit = off"))
    result = session.execute(
        insert(SlackRequestSeen)
        .values(signature=signature, request_ts=request_ts)
        .on_conflict_do_nothing(index_elements=["signature"])
        .returning(col(SlackRequestSeen.signature))
    )
    # rowcount is not reliable for INSERT … ON CONFLICT across drivers; RETURNING is.
    return result.first() is not None


def forget_requests_before(session: Session, request_ts: int) -> int:
    """Drop requests whose timestamp is older than `request_ts` (no longer replayable)."""
    result = session.execute(
        sa.delete(SlackRequestSeen).where(col(SlackRequestSeen.request_ts) < request_ts)
    )
    return int(getattr(result, "rowcount", 0) or 0)
