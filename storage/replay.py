"""Slack requests already accepted, so that an exact replay inside the window is refused."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlmodel import col

from storage.models import SlackRequestSeen


def remember_request(connection: Connection, signature: str, request_ts: int) -> bool:
    """Record an accepted request; False when it was recorded before (a replay).

    One statement, for a connection in autocommit: the ack waits on it. On PostgreSQL its
    commit does not wait for the WAL flush (`synchronous_commit` off for this statement's own
    transaction, set in the statement itself): the price is that a crash of the database itself
    may forget the last fraction of a second of signatures, which could then be replayed inside
    their 5-minute window.
    """
    if connection.dialect.name == "postgresql":
        result = connection.execute(
            sa.text(
                "INSERT INTO slack_request_seen (signature, request_ts) "
                "SELECT :signature, :request_ts "
                "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed "
                "ON CONFLICT (signature) DO NOTHING RETURNING signature"
            ),
            {"signature": signature, "request_ts": request_ts},
        )
    else:
        result = connection.execute(
            sqlite.insert(SlackRequestSeen)
            .values(signature=signature, request_ts=request_ts)
            .on_conflict_do_nothing(index_elements=["signature"])
            .returning(col(SlackRequestSeen.signature))
        )
    # rowcount is not reliable for INSERT … ON CONFLICT across drivers; RETURNING is.
    return result.first() is not None


def forget_requests_before(connection: Connection, request_ts: int) -> int:
    """Drop requests whose timestamp is older than `request_ts` (no longer replayable)."""
    result = connection.execute(
        sa.delete(SlackRequestSeen).where(col(SlackRequestSeen.request_ts) < request_ts)
    )
    return int(getattr(result, "rowcount", 0) or 0)
