"""Queries for operating Uptake: process heartbeats and the outbox figures metrics and health read.

Each is one small statement on an indexed column, cheap enough to run on every scrape.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import Heartbeat, OutboxMessage, OutboxState


def record_heartbeat(
    session: Session, process: str, *, host: str, pid: int, at: dt.datetime
) -> None:
    """Note that `process` (on `host`, as `pid`) was alive at `at`."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Heartbeat).values(process=process, host=host, pid=pid, beat_at=at)
    statement = statement.on_conflict_do_update(
        index_elements=["process"],
        set_={name: statement.excluded[name] for name in ("host", "pid", "beat_at")},
    )
    session.execute(statement)


def heartbeats(session: Session) -> list[Heartbeat]:
    """The latest heartbeat of every process that has ever sent one."""
    return list(session.exec(select(Heartbeat).order_by(col(Heartbeat.process))))


def outbox_depth(session: Session) -> dict[str, int]:
    """How many outbox messages are in each state (every state present, zero or not)."""
    rows = session.execute(
        sa.select(col(OutboxMessage.state), sa.func.count()).group_by(col(OutboxMessage.state))
    )
    depth = dict.fromkeys((state.value for state in OutboxState), 0)
    depth.update({str(state): int(count) for state, count in rows})
    return depth


def oldest_due_message(session: Session, *, now: dt.datetime) -> dt.datetime | None:
    """When the longest-waiting due outbox message fell due; None when nothing is waiting.

    Due is what the sender would claim now: pending and past its next attempt, or left
    `sending` by a sender whose lease ran out. A message scheduled for later is not waiting.
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
    oldest: dt.datetime | None = session.execute(
        sa.select(sa.func.min(col(OutboxMessage.next_attempt_at))).where(due)
    ).scalar_one()
    return oldest
