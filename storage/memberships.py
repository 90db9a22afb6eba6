"""Team memberships: members and managers from the org file and Slack, and vendor teams."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from storage.batches import MAX_PARAMS, chunks, insert_for
from storage.models import (
    Identity,
    Membership,
    Person,
    Team,
    VendorTeamMember,
)
from storage.teams import all_teams, upsert_teams


def add_memberships(session: Session, memberships: Sequence[Mapping[str, Any]]) -> None:
    """Add (team_id, person_id, role) memberships, ignoring ones that exist."""
    if not memberships:
        return
    insert = insert_for(session)
    for chunk in chunks(memberships, 3):
        session.execute(insert(Membership).values(list(chunk)).on_conflict_do_nothing())


def replace_team_memberships(
    session: Session, team_ids: Iterable[int], memberships: Sequence[Mapping[str, Any]]
) -> None:
    """Make `memberships` the complete membership (members and managers) of these teams."""
    ids = list(team_ids)
    if ids:
        session.execute(sa.delete(Membership).where(col(Membership.team_id).in_(ids)))
    add_memberships(session, memberships)


def direct_team_roles(session: Session, person_id: int) -> list[tuple[int, str]]:
    """(team id, role) for the person's own memberships, including vendor teams."""
    return sorted(direct_team_roles_of(session, [person_id]).get(person_id, set()))


def direct_team_roles_of(
    session: Session, person_ids: Sequence[int]
) -> dict[int, set[tuple[int, str]]]:
    """Each person's (team id, role)s of their own memberships, including vendor teams."""
    roles: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for start in range(0, len(person_ids), MAX_PARAMS):
        part = list(person_ids[start : start + MAX_PARAMS])
        for person_id, team_id, role in session.execute(
            sa.select(
                col(Membership.person_id), col(Membership.team_id), col(Membership.role)
            ).where(col(Membership.person_id).in_(part))
        ):
            roles[person_id].add((team_id, role))
        for person_id, team_id in session.execute(
            sa.select(col(Identity.person_id), col(VendorTeamMember.team_id))
            .join(Identity, col(Identity.id) == col(VendorTeamMember.identity_id))
            .where(col(Identity.person_id).in_(part), col(Identity.verified).is_(True))
        ):
            roles[person_id].add((team_id, "member"))
    return dict(roles)


def team_members(session: Session, team_ids: Iterable[int]) -> set[int]:
    """People who are members of any of the teams (org/Slack memberships and vendor teams)."""
    ids = list(team_ids)
    if not ids:
        return set()
    members = set(
        session.execute(
            sa.select(col(Membership.person_id)).where(
                col(Membership.team_id).in_(ids), col(Membership.role) == "member"
            )
        ).scalars()
    )
    members |= set(
        session.execute(
            sa.select(col(Identity.person_id))
            .join(VendorTeamMember, col(VendorTeamMember.identity_id) == col(Identity.id))
            .where(
                col(VendorTeamMember.team_id).in_(ids),
                col(Identity.person_id).is_not(None),
                col(Identity.verified).is_(True),
            )
        ).scalars()
    )
    return {member for member in members if member is not None}


def team_member_slack_ids(session: Session, slug: str) -> list[str]:
    """Slack user ids of a team's members, by team slug."""
    return list(
        session.execute(
            sa.select(col(Person.slack_user_id))
            .join(Membership, col(Membership.person_id) == col(Person.id))
            .join(Team, col(Team.id) == col(Membership.team_id))
            .where(col(Team.slug) == slug, col(Membership.role) == "member")
            .order_by(col(Person.slack_user_id))
        ).scalars()
    )


def set_manager(session: Session, team_id: int, person_id: int, *, manager: bool) -> bool:
    """Add or remove a manager role; True when something changed."""
    existing = session.get(Membership, (team_id, person_id, "manager"))
    if manager and existing is None:
        session.add(Membership(team_id=team_id, person_id=person_id, role="manager"))
        return True
    if not manager and existing is not None:
        session.delete(existing)
        return True
    return False


def team_managers(session: Session, team_id: int) -> list[str]:
    """Slack user ids of a team's managers."""
    return list(
        session.execute(
            sa.select(col(Person.slack_user_id))
            .join(Membership, col(Membership.person_id) == col(Person.id))
            .where(col(Membership.team_id) == team_id, col(Membership.role) == "manager")
            .order_by(col(Person.slack_user_id))
        ).scalars()
    )


def managers_of_teams(session: Session) -> list[tuple[int, str, str]]:
    """(team id, manager's Slack user id, their time zone) for every team manager."""
    return [
        (team_id, slack_id, tz)
        for team_id, slack_id, tz in session.execute(
            sa.select(col(Membership.team_id), col(Person.slack_user_id), col(Person.tz))
            .join(Person, col(Person.id) == col(Membership.person_id))
            .where(col(Membership.role) == "manager")
        )
    ]


def replace_vendor_teams(
    session: Session, source: str, teams: Mapping[str, str], members: Mapping[str, set[int]]
) -> dict[str, int]:
    """Make `teams` (slug -> name) and `members` the complete set of the source's teams."""
    stale = [team for team in all_teams(session, [source]) if team.slug not in teams]
    for team in stale:
        session.delete(team)
    if not teams:
        return {}
    ids = upsert_teams(
        session,
        [
            {"slug": slug, "name": name, "parent_id": None, "source": source}
            for slug, name in sorted(teams.items())
        ],
    )
    session.execute(
        sa.delete(VendorTeamMember).where(col(VendorTeamMember.team_id).in_(list(ids.values())))
    )
    rows = [
        {"team_id": ids[slug], "identity_id": identity_id}
        for slug, identity_ids in members.items()
        for identity_id in sorted(identity_ids)
    ]
    for chunk in chunks(rows, 2):
        session.execute(sa.insert(VendorTeamMember), list(chunk))
    return ids
