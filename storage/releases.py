"""Queries behind team releases: memberships, per-person usage, record keys and releases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.models import (
    DailyUsage,
    DisclosureKey,
    Identity,
    Membership,
    Seat,
    TeamRelease,
    VendorTeamMember,
    utcnow,
)

_BATCH = 5_000


def direct_members(session: Session) -> list[tuple[int, int]]:
    """(team id, person id) for every direct member of every team, vendor teams included."""
    rows = [
        (team_id, person_id)
        for team_id, person_id in session.execute(
            sa.select(col(Membership.team_id), col(Membership.person_id)).where(
                col(Membership.role) == "member"
            )
        )
    ]
    rows += [
        (team_id, person_id)
        for team_id, person_id in session.execute(
            sa.select(col(VendorTeamMember.team_id), col(Identity.person_id))
            .join(Identity, col(Identity.id) == col(VendorTeamMember.identity_id))
            .where(col(Identity.person_id).is_not(None), col(Identity.verified).is_(True))
        )
    ]
    return rows


def active_usage(
    session: Session, since: dt.date, until: dt.date
) -> Iterator[tuple[int, dt.date, str, int, int]]:
    """(person, day, tool, generations, acceptances) of every active, verified usage row."""
    statement = (
        sa.select(
            col(Identity.person_id),
            col(DailyUsage.day),
            col(DailyUsage.tool),
            col(DailyUsage.generations),
            col(DailyUsage.acceptances),
        )
        .join(Identity, col(Identity.id) == col(DailyUsage.identity_id))
        .where(
            col(Identity.person_id).is_not(None),
            col(Identity.verified).is_(True),
            col(DailyUsage.active).is_(True),
            col(DailyUsage.day) >= since,
            col(DailyUsage.day) <= until,
        )
        .execution_options(yield_per=_BATCH)
    )
    rows = session.execute(statement)
    yield from ((person, day, tool, gen, acc) for person, day, tool, gen, acc in rows)


def seats(session: Session, tool: str) -> list[tuple[int, dt.datetime | None]]:
    """(person, last activity) for every seat of `tool` held through a verified identity."""
    return [
        (person, last)
        for person, last in session.execute(
            sa.select(col(Identity.person_id), col(Seat.last_activity_at))
            .join(
                Identity,
                sa.and_(
                    col(Identity.tool) == col(Seat.tool),
                    col(Identity.external_id) == col(Seat.external_id),
                ),
            )
            .where(
                col(Seat.tool) == tool,
                col(Identity.person_id).is_not(None),
                col(Identity.verified).is_(True),
            )
        )
    ]


def identity_tools(session: Session) -> set[str]:
    """Every tool anybody has an account in."""
    return set(session.execute(sa.select(col(Identity.tool)).distinct()).scalars())


def record_keys(session: Session, person_ids: Iterable[int], new_key: Any) -> dict[int, int]:
    """Each person's record key, creating keys (with `new_key()`) for people without one.

    Keys are created with insert-or-ignore and read back, so two processes creating a key for
    the same person at once both end up with the one that was stored.
    """
    wanted = sorted(set(person_ids))
    keys = _stored_keys(session, wanted)
    missing = [person for person in wanted if person not in keys]
    if missing:
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        for start in range(0, len(missing), _BATCH):
            session.execute(
                insert(DisclosureKey).on_conflict_do_nothing(index_elements=["person_id"]),
                [
                    {"person_id": person, "record_key": int(new_key())}
                    for person in missing[start : start + _BATCH]
                ],
            )
        keys.update(_stored_keys(session, missing))
    return keys


def _stored_keys(session: Session, person_ids: Sequence[int]) -> dict[int, int]:
    keys: dict[int, int] = {}
    for start in range(0, len(person_ids), _BATCH):
        rows = session.execute(
            sa.select(col(DisclosureKey.person_id), col(DisclosureKey.record_key)).where(
                col(DisclosureKey.person_id).in_(person_ids[start : start + _BATCH])
            )
        )
        keys.update((person, key) for person, key in rows)
    return keys


def released_team_ids(session: Session, period: str) -> set[int]:
    """Teams that already have a release for this period."""
    return set(
        session.execute(
            sa.select(col(TeamRelease.team_id)).where(col(TeamRelease.period) == period)
        ).scalars()
    )


def store_releases(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert releases (team_id, period, people, figures JSON); existing ones are never touched.

    Two clocks computing the same period at once both insert: the first wins, the second's
    rows are dropped, so a stored release stays final.
    """
    if not rows:
        return
    now = utcnow()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(TeamRelease).on_conflict_do_nothing(index_elements=["team_id", "period"]),
        [{**row, "computed_at": now} for row in rows],
    )


def release(session: Session, team_id: int, period: str) -> TeamRelease | None:
    """The stored release of one team and period."""
    return session.execute(
        sa.select(TeamRelease).where(
            col(TeamRelease.team_id) == team_id, col(TeamRelease.period) == period
        )
    ).scalar_one_or_none()


def releases_of_teams(
    session: Session, team_ids: Sequence[int], periods: Sequence[str]
) -> list[TeamRelease]:
    """The stored releases of these teams for these periods."""
    found: list[TeamRelease] = []
    for start in range(0, len(team_ids), _BATCH):
        found += session.execute(
            sa.select(TeamRelease).where(
                col(TeamRelease.team_id).in_(list(team_ids[start : start + _BATCH])),
                col(TeamRelease.period).in_(list(periods)),
            )
        ).scalars()
    return found
