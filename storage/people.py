"""People: the Slack users Uptake knows, by Slack id or email."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.batches import MAX_PARAMS, chunks, insert_for
from storage.models import (
    Person,
    utcnow,
)


def person(session: Session, person_id: int) -> Person | None:
    """One person by id."""
    return session.get(Person, person_id)


def person_by_slack_id(session: Session, slack_user_id: str) -> Person | None:
    """The person with this Slack user id, if Uptake knows them."""
    return session.exec(select(Person).where(Person.slack_user_id == slack_user_id)).first()


def person_by_email(session: Session, email: str) -> Person | None:
    """The person whose Slack email is `email` (case-insensitive)."""
    return session.exec(select(Person).where(sa.func.lower(Person.email) == email.lower())).first()


def people_by_emails(session: Session, emails: Iterable[str]) -> dict[str, int]:
    """Map lower-cased emails to person ids for the people Uptake knows."""
    wanted = sorted({email.lower() for email in emails})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), MAX_PARAMS):
        part = wanted[start : start + MAX_PARAMS]
        rows = session.execute(
            sa.select(col(Person.id), sa.func.lower(Person.email)).where(
                sa.func.lower(Person.email).in_(part)
            )
        )
        for person_id, email in rows:
            found[email] = person_id
    return found


def people_by_slack_ids(session: Session, slack_user_ids: Iterable[str]) -> dict[str, int]:
    """Map Slack user ids to person ids for the people Uptake knows."""
    ids = sorted(set(slack_user_ids))
    if not ids:
        return {}
    return {
        slack_id: person_id
        for person_id, slack_id in session.execute(
            sa.select(col(Person.id), col(Person.slack_user_id)).where(
                col(Person.slack_user_id).in_(ids)
            )
        )
    }


def upsert_people(session: Session, people: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Insert or update people keyed by Slack user id; return slack id -> person id."""
    if not people:
        return {}
    insert = insert_for(session)
    now = utcnow()
    values = [{"created_at": now, **person} for person in people]
    updatable = [key for key in values[0] if key not in {"slack_user_id", "created_at"}]
    for chunk in chunks(values, len(values[0])):
        statement = insert(Person).values(list(chunk))
        if updatable:
            statement = statement.on_conflict_do_update(
                index_elements=["slack_user_id"],
                set_={key: statement.excluded[key] for key in updatable},
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=["slack_user_id"])
        session.execute(statement)
    ids: dict[str, int] = {}
    slack_ids = [str(person["slack_user_id"]) for person in people]
    for start in range(0, len(slack_ids), MAX_PARAMS):
        part = slack_ids[start : start + MAX_PARAMS]
        for person_id, slack_id in session.execute(
            sa.select(col(Person.id), col(Person.slack_user_id)).where(
                col(Person.slack_user_id).in_(part)
            )
        ):
            ids[slack_id] = person_id
    return ids


def time_zones(session: Session, slack_user_ids: Iterable[str]) -> dict[str, str]:
    """Slack time zone of each known person."""
    ids = sorted(set(slack_user_ids))
    if not ids:
        return {}
    return {
        slack_id: tz
        for slack_id, tz in session.execute(
            sa.select(col(Person.slack_user_id), col(Person.tz)).where(
                col(Person.slack_user_id).in_(ids)
            )
        )
    }
