"""Queries about teams: which exist, where they come from, and which an admin has allowed."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import Team, TeamVersion

# Org-file teams are allowed by definition: an admin wrote the file.
ORG_FILE_SOURCE = "org_file"


def all_teams(
    session: Session,
    sources: Iterable[str] | None = None,
    *,
    allowed: bool | None = None,
    reviewed: bool | None = None,
) -> list[Team]:
    """Every team (of the given sources; only allowed or not, only reviewed or not), by name."""
    statement = select(Team).order_by(col(Team.name), col(Team.slug))
    if sources is not None:
        statement = statement.where(col(Team.source).in_(list(sources)))
    if allowed is not None:
        statement = statement.where(col(Team.allowed).is_(allowed))
    if reviewed is not None:
        statement = statement.where(col(Team.reviewed).is_(reviewed))
    return list(session.exec(statement))


def upsert_teams(session: Session, teams: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Insert or update teams keyed by slug; return slug -> team id.

    Org-file teams are allowed. A team from any other source starts not allowed, and syncing
    it again keeps whatever an admin decided (`set_team_allowed`).
    """
    if not teams:
        return {}
    rows = []
    for team in teams:
        org_file = team.get("source", ORG_FILE_SOURCE) == ORG_FILE_SOURCE
        rows.append({**team, "allowed": org_file, "reviewed": org_file})  # an admin wrote it
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Team).values(rows)
    updates: dict[str, Any] = {
        key: statement.excluded[key]
        for key in rows[0]
        if key not in {"slug", "allowed", "reviewed"}
    }
    updates["allowed"] = sa.or_(col(Team.allowed), statement.excluded["allowed"])
    updates["reviewed"] = sa.or_(col(Team.reviewed), statement.excluded["reviewed"])
    session.execute(statement.on_conflict_do_update(index_elements=["slug"], set_=updates))
    bump_team_version(session)
    slugs = [str(team["slug"]) for team in teams]
    return {
        slug: team_id
        for team_id, slug in session.execute(
            sa.select(col(Team.id), col(Team.slug)).where(col(Team.slug).in_(slugs))
        )
    }


def set_team_allowed(session: Session, team_id: int, *, allowed: bool) -> bool:
    """Allow a team (or deny it); True when something changed. Either way an admin decided."""
    team = session.get(Team, team_id)
    if team is None or (team.allowed == allowed and team.reviewed):
        return False
    team.allowed = allowed
    team.reviewed = True
    session.add(team)
    bump_team_version(session)
    return True


def team_version(session: Session) -> int:
    """The teams' version: it moves whenever any team is added, changed, allowed or removed."""
    found = session.execute(
        sa.select(col(TeamVersion.version)).where(col(TeamVersion.id) == 1)
    ).scalar_one_or_none()
    return int(found or 0)


def bump_team_version(session: Session) -> None:
    """Tell every process that its cached team tree is stale (commits with the change)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # A fresh row starts from the clock, not 1: a table emptied and refilled (tests, a restore)
    # must never repeat a version a process has cached.
    statement = insert(TeamVersion).values(id=1, version=time.time_ns() // 1000)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"], set_={"version": col(TeamVersion.version) + 1}
        )
    )
