"""Seats: the accounts each tool has assigned a licence to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.batches import chunks
from storage.models import (
    Seat,
)


def replace_seats(session: Session, tool: str, seats: Sequence[Mapping[str, Any]]) -> None:
    """Make `seats` the complete list of the tool's assigned seats."""
    session.execute(sa.delete(Seat).where(col(Seat.tool) == tool))
    if seats:
        for chunk in chunks(list(seats), len(seats[0]) + 2):
            session.execute(sa.insert(Seat), [{"tool": tool, **seat} for seat in chunk])


def seats_of(session: Session, tool: str) -> list[Seat]:
    """Every seat of a tool."""
    return list(session.exec(select(Seat).where(Seat.tool == tool).order_by(col(Seat.external_id))))
