"""Copilot seats and GitHub team membership, read from GitHub's payloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.collectors.copilot.fields import Fields


def team_membership_of(row: Fields, day: dt.date) -> tuple[str, str]:
    """A user-teams-1-day row as (team slug, login)."""
    row.check_day(day)
    return row.text("slug").strip(), row.login("user_login")


def seat_of(seat: Fields) -> dict[str, Any] | None:
    """A seat as a `replace_seats` row; None when it is not assigned to a user."""
    assignee = seat.obj("assignee")
    # Older API versions could name a team or organisation here, which has no login.
    if assignee is None or not assignee.has("login"):
        return None
    return {
        "external_id": assignee.login("login"),
        "assigned_at": seat.timestamp("created_at", required=True),
        "last_activity_at": seat.timestamp("last_activity_at"),
        "pending_cancellation_date": seat.optional_date("pending_cancellation_date"),
        "plan": seat.optional_text("plan_type"),
    }
