"""Slack requests already accepted, so that an exact replay inside the window is refused."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlmodel import col

from storage.models import SlackRequestSeen


def remember_request(connection: Connection, signature: str, request_ts: int) -> bool:
    """Record an accepted request; False when it was recorded before (a replay)."""
    return signature in remember_requests(connection, [(signature, request_ts)])


def remember_requests(connection: Connection, requests: Sequence[tuple[str, int]]) -> set[str]:
    """Record accepted requests (signature, timestamp); the signatures not recorded before.

    One statement for them all, for a connection in autocommit: acks wait on it. A signature
    given twice is recorded once (and returned, if new: the caller decides which of its two
    requests came first). On PostgreSQL the commit does not wait for the WAL flush
    (`synchronous_commit` off for this statement's own transaction, set in the statement
    itself): the price is that a crash of the database itself may forget the last fraction of
    a second of signatures, which could then be replayed inside their 5-minute window.
    """
    unique = list(dict(reversed(requests)).items())  # one row per signature, its first stamp
    if not unique:
        return set()
    if connection.dialect.name == "postgresql":
        result = connection.execute(
            sa.text(
                "INSERT INTO slack_request_seen (signature, request_ts) "
                "SELECT given.signature, given.request_ts "
                "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed, "
                "unnest(CAST(:signatures AS text[]), CAST(:stamps AS bigint[])) "
                "AS given(signature, request_ts) "
                "ON CONFLICT (signature) DO NOTHING RETURNING signature"
            ),
            {
                "signatures": [signature for signature, _ in unique],
                "stamps": [stamp for _, stamp in unique],
            },
        )
    else:
        result = connection.execute(
            sqlite.insert(SlackRequestSeen)
            .values([{"signature": s, "request_ts": t} for s, t in unique])
            .on_conflict_do_nothing(index_elements=["signature"])
            .returning(col(SlackRequestSeen.signature))
        )
    # rowcount is not reliable for INSERT … ON CONFLICT across drivers; RETURNING is.
    return set(result.scalars())


def forget_requests_before(connection: Connection, request_ts: int) -> int:
    """Drop requests whose timestamp is older than `request_ts` (no longer replayable)."""
    result = connection.execute(
        sa.delete(SlackRequestSeen).where(col(SlackRequestSeen.request_ts) < request_ts)
    )
    return int(getattr(result, "rowcount", 0) or 0)
