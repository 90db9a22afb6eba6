"""A digest recipient's standing in a team, read when the digest is built and when it is sent."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage import queries
from storage.models import DigestSubscription, Person, Team


@dataclass(frozen=True, slots=True)
class DigestStanding:
    """What decides whether a recipient may still get a team's digest."""

    # True: an active subscription; False: opted out; None: no row (a manager's default).
    subscription: bool | None
    is_person: bool  # the recipient is a person Uptake knows (else a channel, or nobody)
    member: bool  # a member of the team (its roster, or a verified account in its vendor team)
    manager: bool  # a manager of the team itself
    manages_above: bool  # a manager of a team the team sits under


def _teams_above(session: Session, team_id: int) -> set[int]:
    """The teams `team_id` sits under, walking up parents (a cycle stops the walk)."""
    found: set[int] = set()
    current: int | None = team_id
    while current is not None:
        parent = session.execute(
            sa.select(col(Team.parent_id)).where(col(Team.id) == current)
        ).scalar_one_or_none()
        if parent is None or parent in found or parent == team_id:
            break
        found.add(parent)
        current = parent
    return found


def digest_standing(session: Session, team_id: int, recipient: str) -> DigestStanding:
    """The recipient's (Slack user or channel id) standing in the team, as stored now."""
    row = session.exec(
        select(DigestSubscription).where(
            DigestSubscription.team_id == team_id, DigestSubscription.recipient == recipient
        )
    ).first()
    subscription = None if row is None else row.active
    person = session.exec(select(Person).where(Person.slack_user_id == recipient)).first()
    if person is None or person.id is None:
        return DigestStanding(subscription, False, False, False, False)
    roles = set(queries.direct_team_roles(session, person.id))
    above = _teams_above(session, team_id)
    return DigestStanding(
        subscription=subscription,
        is_person=True,
        member=(team_id, "member") in roles,
        manager=(team_id, "manager") in roles,
        manages_above=any((team, "manager") in roles for team in above),
    )
