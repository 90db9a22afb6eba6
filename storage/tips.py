"""Tips: who switched them on, what was planned for whom, and the feedback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from storage.batches import insert_for
from storage.models import (
    OutboxMessage,
    OutboxState,
    Person,
    TipDelivery,
    TipPreference,
    utcnow,
)


def tip_preference(session: Session, person_id: int) -> TipPreference:
    """A person's tip preference (the default, tips off, when they never set one)."""
    return session.get(TipPreference, person_id) or TipPreference(person_id=person_id)


_TIPS_ENABLED = sa.select(col(TipPreference.enabled)).where(
    col(TipPreference.person_id) == sa.bindparam("person_id")
)


def tips_enabled(connection: Connection, person_id: int) -> bool:
    """Whether the person switched tips on (off when they never set a preference): one
    prebuilt statement, as `/myusage` asks on every answer to a light or inactive person."""
    return bool(connection.execute(_TIPS_ENABLED, {"person_id": person_id}).scalar())


def tip_people(session: Session) -> list[tuple[TipPreference, str, str]]:
    """(preference, Slack user id, time zone) of everyone who switched tips on."""
    rows = session.exec(
        select(TipPreference, Person)
        .join(Person, col(Person.id) == col(TipPreference.person_id))
        .where(col(TipPreference.enabled).is_(True))
        .order_by(col(Person.id))
    )
    return [(preference, person.slack_user_id, person.tz) for preference, person in rows]


def tip_history(session: Session, person_id: int) -> list[TipDelivery]:
    """Every tip planned for a person, newest first."""
    return list(
        session.exec(
            select(TipDelivery)
            .where(TipDelivery.person_id == person_id)
            .order_by(col(TipDelivery.scheduled_for).desc(), col(TipDelivery.id).desc())
        )
    )


def add_tip_delivery(session: Session, values: Mapping[str, Any]) -> int | None:
    """Record a planned tip; None when the same (person, tip, period) was already planned."""
    insert = insert_for(session)
    result = session.execute(
        insert(TipDelivery)
        .values({"created_at": utcnow(), "reworded": False, "reason": "", **values})
        .on_conflict_do_nothing(index_elements=["person_id", "tip_id", "period"])
        .returning(col(TipDelivery.id))
    )
    row = result.first()
    return None if row is None else int(row[0])


def tip_delivery(session: Session, delivery_id: int) -> TipDelivery | None:
    """One planned tip."""
    return session.get(TipDelivery, delivery_id)


def tip_feedback_by_tip(session: Session) -> dict[str, list[tuple[int, str | None]]]:
    """For each tip id: (person id, feedback) of everyone it was sent to."""
    figures: dict[str, list[tuple[int, str | None]]] = {}
    for tip_id, person_id, feedback in session.execute(
        sa.select(col(TipDelivery.tip_id), col(TipDelivery.person_id), col(TipDelivery.feedback))
        .join(OutboxMessage, col(OutboxMessage.idempotency_key) == col(TipDelivery.outbox_key))
        .where(col(OutboxMessage.state) == OutboxState.SENT.value)
    ):
        figures.setdefault(tip_id, []).append((person_id, feedback))
    return figures
