"""The audit log (the subject can read every entry about them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from storage.models import (
    AuditEntry,
    utcnow,
)


def audit(
    session: Session,
    action: str,
    *,
    actor: str | None,
    subject_person_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Write an audit entry (the subject can read every entry about them)."""
    session.add(
        AuditEntry(
            at=at or utcnow(),
            actor_slack_user_id=actor,
            action=action,
            subject_person_id=subject_person_id,
            detail=dict(detail or {}),
        )
    )


def audit_entries(
    session: Session, *, action: str | None = None, limit: int = 50
) -> list[AuditEntry]:
    """Newest audit entries, optionally of one action."""
    statement = select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    if action:
        statement = statement.where(AuditEntry.action == action)
    return list(session.exec(statement.limit(limit)))
