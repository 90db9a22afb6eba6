"""Queries the file imports use to show what they will change before they change it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col

from storage.models import DailyUsage, Membership, Team
from storage.teams import bump_team_version

# Bound parameters per statement stay well under SQLite's 32,766 and PostgreSQL's 65,535.
_MAX_PARAMS = 30_000


def count_stored_days(session: Session, keys: Sequence[tuple[int, dt.date]]) -> int:
    """How many of these (identity id, day) pairs already have a usage row."""
    wanted = sorted(set(keys))
    found = 0
    step = _MAX_PARAMS // 2
    for start in range(0, len(wanted), step):
        part = wanted[start : start + step]
        found += session.execute(
            sa.select(sa.func.count())
            .select_from(DailyUsage)
            .where(sa.tuple_(col(DailyUsage.identity_id), col(DailyUsage.day)).in_(part))
        ).scalar_one()
    return found


def team_memberships(session: Session, team_ids: Iterable[int]) -> set[tuple[int, int, str]]:
    """(team id, person id, role) for every membership of these teams."""
    ids = sorted(set(team_ids))
    found: set[tuple[int, int, str]] = set()
    for start in range(0, len(ids), _MAX_PARAMS):
        rows = session.execute(
            sa.select(
                col(Membership.team_id), col(Membership.person_id), col(Membership.role)
            ).where(col(Membership.team_id).in_(ids[start : start + _MAX_PARAMS]))
        )
        found.update((team_id, person_id, role) for team_id, person_id, role in rows)
    return found


def set_team_parents(session: Session, parents: Mapping[int, int | None]) -> None:
    """Give each team (by id) its parent team id, or none."""
    for parent_id in set(parents.values()):
        children = [team_id for team_id, parent in parents.items() if parent == parent_id]
        session.execute(
            sa.update(Team).where(col(Team.id).in_(children)).values(parent_id=parent_id)
        )
    bump_team_version(session)


def delete_teams(session: Session, team_ids: Iterable[int]) -> int:
    """Delete teams; the database removes their memberships and unparents their children."""
    ids = sorted(set(team_ids))
    if not ids:
        return 0
    result = session.execute(sa.delete(Team).where(col(Team.id).in_(ids)))
    bump_team_version(session)
    return int(getattr(result, "rowcount", 0) or 0)
