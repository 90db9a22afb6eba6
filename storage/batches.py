"""Writing many rows at once: the dialect's INSERT and statements sized to the parameter limit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

# Bound parameters per statement stay well under SQLite's 32,766 and PostgreSQL's 65,535.
MAX_PARAMS = 30_000


def insert_for(session: Session) -> Any:
    """The INSERT of the session's dialect (both offer ON CONFLICT)."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def chunks(rows: Sequence[Mapping[str, Any]], width: int) -> Iterable[Sequence[Mapping[str, Any]]]:
    """`rows` in slices of at most `MAX_PARAMS` bound parameters (`width` a row)."""
    size = max(1, MAX_PARAMS // max(width, 1))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
