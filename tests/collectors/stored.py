"""Reading back what a collector stored, for the collector tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from storage import outcomes
from storage.engine import session as open_session
from storage.models import DailyUsage, Identity


def stored_day(engine: Engine, tool: str, external_id: str, day: dt.date) -> DailyUsage:
    """The one stored day of an account."""
    with open_session(engine) as session:
        return session.exec(
            select(DailyUsage)
            .join(Identity, col(Identity.id) == col(DailyUsage.identity_id))
            .where(
                col(Identity.tool) == tool,
                col(Identity.external_id) == external_id,
                col(DailyUsage.day) == day,
            )
        ).one()


def outcome_columns(usage: DailyUsage) -> dict[str, Any]:
    """Every outcome column a collector fills, by name."""
    return {name: getattr(usage, name) for name in outcomes.COLLECTED_COLUMNS}
