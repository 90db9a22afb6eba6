"""Sync state: when each source last synced, how far it is complete, and its last error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import (
    SyncState,
)


def sync_states(session: Session, sources: Iterable[str] | None = None) -> list[SyncState]:
    """Sync state for the given sources (all when None)."""
    statement = select(SyncState).order_by(col(SyncState.source))
    if sources is not None:
        statement = statement.where(col(SyncState.source).in_(list(sources)))
    return list(session.exec(statement))


_ALL_STATES = sa.select(
    col(SyncState.source),
    col(SyncState.last_success_at),
    col(SyncState.last_complete_day),
    col(SyncState.last_error_at),
).order_by(col(SyncState.source))


def source_freshness(session: Session, sources: Iterable[str]) -> list[tuple[Any, ...]]:
    """(source, last success, last complete day, last error) of the given sources, in source
    order: `/myusage`'s freshness line, read with one prebuilt statement on every answer."""
    wanted = set(sources)
    rows = session.connection().execute(_ALL_STATES)  # one row per source: a handful
    return [tuple(row) for row in rows if row[0] in wanted]


def sync_state(session: Session, source: str) -> SyncState | None:
    """One source's sync state."""
    return session.get(SyncState, source)


def record_sync_success(
    session: Session, source: str, *, at: dt.datetime, complete_through: dt.date | None
) -> None:
    """Note a successful sync (or import) for a source."""
    state = session.get(SyncState, source) or SyncState(source=source)
    state.last_success_at = at
    if complete_through is not None and (
        state.last_complete_day is None or complete_through > state.last_complete_day
    ):
        state.last_complete_day = complete_through
    session.add(state)


def record_sync_error(session: Session, source: str, *, at: dt.datetime, error: str) -> None:
    """Note a failed sync for a source (the message must hold no secrets)."""
    state = session.get(SyncState, source) or SyncState(source=source)
    state.last_error_at = at
    state.last_error = error[:1000]
    session.add(state)
