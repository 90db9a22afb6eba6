"""Digest subscriptions: who gets a team's digest, and who opted out."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import (
    DigestSubscription,
)


def digest_subscriptions(session: Session) -> list[DigestSubscription]:
    """Every digest subscription row (active or an opt-out)."""
    return list(session.exec(select(DigestSubscription).order_by(col(DigestSubscription.id))))


def set_digest_subscription(
    session: Session, team_id: int, recipient: str, *, active: bool
) -> DigestSubscription:
    """Subscribe (or opt out) a person or channel for a team's digest."""
    row = session.exec(
        select(DigestSubscription).where(
            DigestSubscription.team_id == team_id, DigestSubscription.recipient == recipient
        )
    ).first() or DigestSubscription(team_id=team_id, recipient=recipient)
    row.active = active
    session.add(row)
    return row
