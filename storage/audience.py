"""A digest recipient's standing in a team, read when the digest is built and when it is sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from storage import memberships
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
    team_counts: bool = True  # the team still exists and is allowed (an admin may deny it)


_CHUNK = 5_000  # recipients per query


def digest_standing(session: Session, team_id: int, recipient: str) -> DigestStanding:
    """The recipient's (Slack user or channel id) standing in the team, as stored now."""
    return digest_standings(session, [(team_id, recipient)])[(team_id, recipient)]


def digest_standings(
    session: Session, pairs: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], DigestStanding]:
    """Each (team id, recipient)'s standing, read with a few queries however many there are."""
    recipients = sorted({recipient for _, recipient in pairs})
    subscriptions: dict[tuple[int, str], bool] = {}
    people: dict[str, int] = {}
    for start in range(0, len(recipients), _CHUNK):
        part = recipients[start : start + _CHUNK]
        for team_id, recipient, active in session.execute(
            sa.select(
                col(DigestSubscription.team_id),
                col(DigestSubscription.recipient),
                col(DigestSubscription.active),
            ).where(col(DigestSubscription.recipient).in_(part))
        ):
            subscriptions.setdefault((team_id, recipient), active)
        for person_id, slack_id in session.execute(
            sa.select(col(Person.id), col(Person.slack_user_id))
            .where(col(Person.slack_user_id).in_(part))
            .order_by(col(Person.id))
        ):
            people.setdefault(slack_id, person_id)
    roles = memberships.direct_team_roles_of(session, sorted(set(people.values())))
    parents: dict[int, int | None] = {}
    allowed: set[int] = set()
    for team_id, parent_id, is_allowed in session.execute(
        sa.select(col(Team.id), col(Team.parent_id), col(Team.allowed))
    ):
        parents[team_id] = parent_id
        if is_allowed:
            allowed.add(team_id)
    found: dict[tuple[int, str], DigestStanding] = {}
    for team_id, recipient in pairs:
        subscription = subscriptions.get((team_id, recipient))
        person = people.get(recipient)
        if person is None:
            found[(team_id, recipient)] = DigestStanding(
                subscription, False, False, False, False, team_id in allowed
            )
            continue
        own = roles.get(person, set())
        found[(team_id, recipient)] = DigestStanding(
            subscription=subscription,
            is_person=True,
            member=(team_id, "member") in own,
            manager=(team_id, "manager") in own,
            manages_above=any((team, "manager") in own for team in _teams_above(parents, team_id)),
            team_counts=team_id in allowed,
        )
    return found


def _teams_above(parents: Mapping[int, int | None], team_id: int) -> set[int]:
    """The teams `team_id` sits under, walking up parents (a cycle stops the walk)."""
    found: set[int] = set()
    current: int | None = team_id
    while current is not None:
        parent = parents.get(current)
        if parent is None or parent in found or parent == team_id:
            break
        found.add(parent)
        current = parent
    return found
