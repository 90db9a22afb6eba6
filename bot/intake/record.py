"""Recording the points the OTLP intake keeps: accounts, series state, and people's days."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Engine

from bot.intake.mapping import SOURCE, MappedPoint
from storage import identities, otlp, sync_state
from storage.engine import session as open_session
from storage.models import CostKind


def record_points(engine: Engine, points: Sequence[MappedPoint], *, now: dt.datetime) -> int:
    """Add what each point adds to its account's day, once; return the days touched."""
    if not points:
        return 0
    with open_session(engine) as session:
        accounts = {point.account for point in points}
        # The first statement writes, so on SQLite the whole unit of work holds the write lock.
        ids = identities.ensure_identities(
            session, {(account.tool, account.external_id) for account in accounts}
        )
        emails = {
            ids[(account.tool, account.external_id)]: account.email
            for account in accounts
            if account.email
        }
        if emails:
            identities.set_identity_emails(session, emails)
            identities.link_identities_to_known_people(session, emails)
        moves = otlp.advance_series(session, [point.point for point in points])
        additions: dict[tuple[int, dt.date], dict[str, Any]] = {}
        for point, (before, after) in zip(points, moves, strict=True):
            if after <= before:
                continue  # a repeat or an idle counter: nothing to add, no day to rewrite
            account = point.account
            key = (ids[(account.tool, account.external_id)], point.day)
            day = additions.setdefault(key, {"tool": account.tool, "source": SOURCE})
            units = _units(after, point.scale) - _units(before, point.scale)
            for column in point.columns:
                if column == "active":
                    day["active"] = day.get("active", False) or after > before
                else:
                    day[column] = day.get(column, 0) + units
            if "cost_cents" in point.columns:
                day["cost_kind"] = CostKind.ESTIMATED.value
        written = otlp.add_daily_usage(session, additions)
        session.commit()
    return written


def note_freshness(engine: Engine, *, now: dt.datetime) -> None:
    """Record that OTLP data arrived (the freshness `/myusage` shows), in its own transaction.

    Kept out of `record_points` so that concurrent posts do not queue on one sync-state row.
    """
    with open_session(engine) as session:
        sync_state.record_sync_success(session, SOURCE, at=now, complete_through=None)
        session.commit()


def _units(total: float, scale: int) -> int:
    """Whole units (cents for a scale of 100) in a running total; rounding hides float noise."""
    return math.floor(round(total * scale, 6))


#: A series silent this long is forgotten. A cumulative exporter re-sends its totals every
#: interval while it runs, so only a process that slept longer than this could count twice.
SERIES_IDLE_DAYS = 30


def forget_idle_series(*, engine: Engine, now: dt.datetime) -> int:
    """Delete the state of counter series no exporter has sent for SERIES_IDLE_DAYS."""
    with open_session(engine) as session:
        forgotten = otlp.forget_series_before(session, now - dt.timedelta(days=SERIES_IDLE_DAYS))
        session.commit()
    return forgotten
