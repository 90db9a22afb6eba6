"""The admin's unused-seat list is not a ranking: alphabetical, "unused 28+ days", no counts."""

from __future__ import annotations

import datetime as dt

from storage import queries
from storage.engine import session as open_session
from storage.models import utcnow
from tests.factories import make_identity, make_person
from tests.handlers.conftest import RunningApp
from tests.privacy.conftest import ADMIN, ask, audit_log


def seat(login: str, idle_days: int | None, now: dt.datetime) -> dict[str, object]:
    return {
        "external_id": login,
        "assigned_at": now - dt.timedelta(days=300),
        "last_activity_at": None if idle_days is None else now - dt.timedelta(days=idle_days),
        "pending_cancellation_date": None,
        "plan": "business",
        "synced_at": now,
    }


def test_unused_seats_are_listed_alphabetically_without_day_counts(app: RunningApp) -> None:
    now = utcnow()
    owner = make_person(app.engine, slack_user_id="U0ZED")
    make_identity(app.engine, tool="copilot", external_id="zed-dev", person_id=owner)
    with open_session(app.engine) as session:
        queries.replace_seats(
            session,
            "copilot",
            [
                seat("zed-dev", 97, now),
                seat("amy-dev", 31, now),
                seat("mid-dev", None, now),
                seat("busy-dev", 2, now),
            ],
        )
        session.commit()

    text = ask(app, "seats", ADMIN, "/uptake-admin")

    assert "Unused Copilot seats: 3 of 4" in text
    lines = [line for line in text.splitlines() if line.startswith("• seat")]
    assert lines == [
        "• seat `amy-dev`: unused 28+ days",
        "• seat `mid-dev`: unused 28+ days",
        "• seat `zed-dev`: unused 28+ days",
    ]
    assert "97" not in text and "31" not in text and "never" not in text
    [look] = [entry for entry in audit_log(app.engine) if entry[0] == "admin.viewed_person"]
    assert look == (
        "admin.viewed_person",
        ADMIN,
        owner,
        {"what": "Copilot seat unused 28+ days"},
    )
