"""Every query Uptake runs. No SQL lives outside `storage/`."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from storage import bulk_usage, partitions, rollup
from storage.models import (
    AuditEntry,
    DailyUsage,
    DigestSubscription,
    Identity,
    LinkMethod,
    Membership,
    OutboxMessage,
    OutboxState,
    Person,
    Seat,
    SyncState,
    Team,
    TipDelivery,
    TipPreference,
    VendorTeamMember,
    utcnow,
)

# Moved to storage/outbox.py; re-exported for existing callers.
from storage.outbox import claim_due_messages as claim_due_messages  # noqa: PLC0414
from storage.outbox import enqueue_message as enqueue_message  # noqa: PLC0414
from storage.outbox import finish_message as finish_message  # noqa: PLC0414
from storage.outbox import outbox_messages as outbox_messages  # noqa: PLC0414
from storage.overlap import counted_once

# Moved to storage/teams.py; re-exported (the `as` tells mypy so) for existing callers.
from storage.teams import all_teams as all_teams  # noqa: PLC0414
from storage.teams import upsert_teams as upsert_teams  # noqa: PLC0414

_DAILY_USAGE: sa.Table = SQLModel.metadata.tables["daily_usage"]

# Bound parameters per statement stay well under SQLite's 32,766 and PostgreSQL's 65,535.
_MAX_PARAMS = 30_000

#: The daily counts every source may report (whole numbers, summed across a day's rows).
USAGE_COUNTERS = (
    "interactions",
    "generations",
    "acceptances",
    "lines_suggested",
    "lines_accepted",
    "chat_requests",
    "agent_requests",
    "cli_requests",
    "input_tokens",
    "output_tokens",
)
USAGE_METRICS = ("active", *USAGE_COUNTERS, "cost_cents", "cost_kind", "features")


def zero_usage() -> dict[str, Any]:
    """Every usage metric at its "nothing recorded" value (a new dict each call)."""
    return {
        "active": False,
        **dict.fromkeys(USAGE_METRICS[1:11], 0),
        "cost_cents": None,
        "cost_kind": None,
        "features": [],
    }


class UsageRow(NamedTuple):
    """One day of one tool for one person, as read for the adoption model (a tuple: cheap)."""

    day: dt.date
    tool: str
    source: str
    active: bool
    interactions: int
    generations: int
    acceptances: int
    lines_accepted: int
    cost_cents: int | None
    cost_kind: str | None
    features: tuple[str, ...]


def _insert_for(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _chunks(rows: Sequence[Mapping[str, Any]], width: int) -> Iterable[Sequence[Mapping[str, Any]]]:
    size = max(1, _MAX_PARAMS // max(width, 1))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def upsert_daily_usage(
    session: Session, rows: Sequence[Mapping[str, Any]], *, refresh_rollup: bool = True
) -> int:
    """Insert or replace daily usage rows keyed on (identity_id, day), in bulk statements.

    On PostgreSQL a batch of `bulk_usage.MIN_ROWS` or more is COPYed into a staging table and
    applied by one INSERT … SELECT … ON CONFLICT (storage/bulk_usage.py); otherwise one
    statement is executed with many parameter sets. Either way the rollup follows, unless
    the caller writes in many batches and calls `rollup.refresh` itself, once, before commit
    (`uptake import usage`: refreshing a week per batch rescans it per batch).
    """
    if not rows:
        return 0
    partitions.ensure_months_for_days(session, {row["day"] for row in rows})
    insert = _insert_for(session)
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql" and len(rows) >= bulk_usage.MIN_ROWS:
        # psycopg runs a statement once per row; COPY and one upsert are far faster.
        bulk_usage.copy_upsert(session, rows, now)
        if refresh_rollup:
            rollup.refresh(session, ((row["identity_id"], row["day"]) for row in rows))
        return len(rows)
    prepared = [{**row, "updated_at": now} for row in rows]
    # The Core table, not the ORM entity: the ORM's bulk path costs more than the database.
    statement = insert(_DAILY_USAGE)
    # Every column the rows carry is replaced (the usage metrics always; outcome columns when
    # the writer gives them), as the PostgreSQL bulk path does.
    statement = statement.on_conflict_do_update(
        index_elements=["identity_id", "day"],
        set_={
            name: statement.excluded[name]
            for name in dict.fromkeys((*USAGE_METRICS, *prepared[0], "tool", "source"))
            if name not in ("identity_id", "day")
        },
    )
    session.execute(statement, prepared)
    if refresh_rollup:
        rollup.refresh(session, ((row["identity_id"], row["day"]) for row in rows))
    return len(prepared)


def ensure_identities(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Return the id of each (tool, external_id), creating unlinked identities that are missing."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    insert = _insert_for(session)
    now = utcnow()
    values = [
        {"tool": tool, "external_id": ext, "verified": False, "created_at": now}
        for tool, ext in wanted
    ]
    for chunk in _chunks(values, 4):
        session.execute(
            insert(Identity)
            .values(list(chunk))
            .on_conflict_do_nothing(index_elements=["tool", "external_id"])
        )
    found: dict[tuple[str, str], int] = {}
    by_tool: dict[str, list[str]] = {}
    for tool, ext in wanted:
        by_tool.setdefault(tool, []).append(ext)
    for tool, externals in by_tool.items():
        for start in range(0, len(externals), _MAX_PARAMS):
            part = externals[start : start + _MAX_PARAMS]
            result = session.execute(
                sa.select(col(Identity.id), col(Identity.external_id)).where(
                    col(Identity.tool) == tool, col(Identity.external_id).in_(part)
                )
            )
            for identity_id, ext in result:
                found[(tool, ext)] = identity_id
    return found


def link_identity(
    session: Session, identity_id: int, person_id: int, method: LinkMethod, *, verified: bool
) -> None:
    """Attach an identity to a person."""
    session.execute(
        sa.update(Identity)
        .where(col(Identity.id) == identity_id)
        .values(person_id=person_id, link_method=method.value, verified=verified)
    )


def link_unlinked_identities_by_email(session: Session, person_id: int, email: str) -> int:
    """Link every unlinked identity whose external id or vendor email is `email`.

    `email` must be one Slack has verified. GitHub logins never hold an @, so only
    email-keyed identities, or ones whose vendor reported this email, can match.
    """
    email = email.lower()
    result = session.execute(
        sa.update(Identity)
        .where(
            col(Identity.person_id).is_(None),
            col(Identity.link_method).is_distinct_from(LinkMethod.REFUSED.value),
            sa.or_(sa.func.lower(Identity.external_id) == email, col(Identity.email) == email),
        )
        .values(person_id=person_id, link_method=LinkMethod.EMAIL.value, verified=True)
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
    for start in range(0, len(wanted), _MAX_PARAMS):
        part = wanted[start : start + _MAX_PARAMS]
        rows = session.execute(
            sa.select(col(Person.id), sa.func.lower(Person.email)).where(
                sa.func.lower(Person.email).in_(part)
            )
        )
        for person_id, email in rows:
            found[email] = person_id
    return found


def upsert_people(session: Session, people: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Insert or update people keyed by Slack user id; return slack id -> person id."""
    if not people:
        return {}
    insert = _insert_for(session)
    now = utcnow()
    values = [{"created_at": now, **person} for person in people]
    updatable = [key for key in values[0] if key not in {"slack_user_id", "created_at"}]
    for chunk in _chunks(values, len(values[0])):
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
    for start in range(0, len(slack_ids), _MAX_PARAMS):
        part = slack_ids[start : start + _MAX_PARAMS]
        for person_id, slack_id in session.execute(
            sa.select(col(Person.id), col(Person.slack_user_id)).where(
                col(Person.slack_user_id).in_(part)
            )
        ):
            ids[slack_id] = person_id
    return ids


def identities_of(session: Session, person_id: int) -> list[Identity]:
    """Every identity linked to a person, verified or not."""
    return list(
        session.exec(
            select(Identity).where(Identity.person_id == person_id).order_by(col(Identity.tool))
        )
    )


_PERSON_USAGE = (
    sa.select(
        col(Identity.id),
        col(Identity.tool),
        col(Identity.verified),
        col(DailyUsage.day),
        col(DailyUsage.tool),
        col(DailyUsage.source),
        col(DailyUsage.active),
        col(DailyUsage.interactions),
        col(DailyUsage.generations),
        col(DailyUsage.acceptances),
        col(DailyUsage.lines_accepted),
        col(DailyUsage.cost_cents),
        col(DailyUsage.cost_kind),
        sa.cast(col(DailyUsage.features), sa.Text),
    )
    .select_from(Identity)
    .outerjoin(
        DailyUsage,
        sa.and_(
            col(DailyUsage.identity_id) == col(Identity.id),
            col(Identity.verified).is_(True),
            col(DailyUsage.day) >= sa.bindparam("since"),
            col(DailyUsage.day) <= sa.bindparam("until"),
        ),
    )
    .where(col(Identity.person_id) == sa.bindparam("person_id"))
)


def person_usage(
    session: Session, person_id: int, since: dt.date, until: dt.date
) -> tuple[list[tuple[str, bool]], list[UsageRow]]:
    """The person's identities (tool, verified) and their verified usage, in one round trip.

    `/myusage`'s hot path: one prebuilt statement, Core execution, features decoded once per
    distinct value.
    """
    decoded: dict[str | None, tuple[str, ...]] = {None: ()}
    identities: dict[int | None, tuple[str, bool]] = {}
    rows = []
    result = session.connection().execute(
        _PERSON_USAGE, {"person_id": person_id, "since": since, "until": until}
    )
    for (
        identity_id,
        identity_tool,
        verified,
        day,
        tool,
        source,
        active,
        inter,
        gen,
        acc,
        lines,
        cost,
        kind,
        features,
    ) in result.all():
        identities[identity_id] = (identity_tool, bool(verified))
        if day is None:
            continue
        if features not in decoded:
            decoded[features] = tuple(json.loads(features) or ())
        rows.append(
            UsageRow(
                day,
                tool,
                source,
                bool(active),
                inter,
                gen,
                acc,
                lines,
                cost,
                kind,
                decoded[features],
            )
        )
    return list(identities.values()), counted_once(rows)


def person_active_days(
    session: Session, person_id: int, since: dt.date, until: dt.date
) -> list[dt.date]:
    """The days, `since` to `until` inclusive, with any active use on the person's verified
    accounts: all a trend needs, far fewer rows than `person_usage` for the same days."""
    statement = (
        sa.select(col(DailyUsage.day))
        .distinct()
        .join(Identity, col(Identity.id) == col(DailyUsage.identity_id))
        .where(
            col(Identity.person_id) == person_id,
            col(Identity.verified).is_(True),
            col(DailyUsage.active).is_(True),
            col(DailyUsage.day) >= since,
            col(DailyUsage.day) <= until,
        )
    )
    return list(session.connection().execute(statement).scalars())


def usage_rows_for_person(
    session: Session, person_id: int, since: dt.date, until: dt.date
) -> list[UsageRow]:
    """The person's daily usage from verified identities, `since` to `until` inclusive."""
    return person_usage(session, person_id, since, until)[1]


def sync_states(session: Session, sources: Iterable[str] | None = None) -> list[SyncState]:
    """Sync state for the given sources (all when None)."""
    statement = select(SyncState).order_by(col(SyncState.source))
    if sources is not None:
        statement = statement.where(col(SyncState.source).in_(list(sources)))
    return list(session.exec(statement))


def record_sync_success(
    session: Session, source: str, *, at: dt.datetime, complete_through: dt.date | None
) -> None:
    """Note a successful sync (or import) for a source."""
    state = session.get(SyncState, source) or SyncState(source=source)
    state.last_success_at = at
    if complete_through is not None and (
        state.last_complete_day is None or complete_through > state.last_complete_day
    ):
        state.last_complete_day = complete_through
    session.add(state)


def add_memberships(session: Session, memberships: Sequence[Mapping[str, Any]]) -> None:
    """Add (team_id, person_id, role) memberships, ignoring ones that exist."""
    if not memberships:
        return
    insert = _insert_for(session)
    for chunk in _chunks(memberships, 3):
        session.execute(insert(Membership).values(list(chunk)).on_conflict_do_nothing())


def count_rows(session: Session, model: type[Any]) -> int:
    """How many rows a table holds."""
    return int(session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def replace_source_day(
    session: Session, source: str, day: dt.date, rows: Sequence[Mapping[str, Any]]
) -> int:
    """Make `rows` the complete set of `source`'s rows for `day` (re-pulls never double)."""
    replaced = session.execute(
        sa.delete(DailyUsage)
        .where(col(DailyUsage.source) == source, col(DailyUsage.day) == day)
        .returning(col(DailyUsage.identity_id))
    ).scalars()
    gone = set(replaced) - {row["identity_id"] for row in rows}
    rollup.refresh(session, ((identity_id, day) for identity_id in gone))
    return upsert_daily_usage(session, rows)


def record_sync_error(session: Session, source: str, *, at: dt.datetime, error: str) -> None:
    """Note a failed sync for a source (the message must hold no secrets)."""
    state = session.get(SyncState, source) or SyncState(source=source)
    state.last_error_at = at
    state.last_error = error[:1000]
    session.add(state)


def sync_state(session: Session, source: str) -> SyncState | None:
    """One source's sync state."""
    return session.get(SyncState, source)


def set_identity_emails(session: Session, emails: Mapping[int, str]) -> None:
    """Record the email a vendor reports for each identity id (only where it changed)."""
    wanted = {identity_id: email.lower() for identity_id, email in emails.items()}
    ids = sorted(wanted)
    changed = []
    for start in range(0, len(ids), _MAX_PARAMS):
        part = ids[start : start + _MAX_PARAMS]
        for identity_id, current in session.execute(
            sa.select(col(Identity.id), col(Identity.email)).where(col(Identity.id).in_(part))
        ):
            if current != wanted[identity_id]:
                changed.append({"id": identity_id, "email": wanted[identity_id]})
    if changed:
        session.execute(sa.update(Identity), changed)  # bulk UPDATE by primary key


def link_identities_to_known_people(session: Session, identity_ids: Iterable[int]) -> int:
    """Link unlinked identities to the person whose Slack email matches them, if any."""
    ids = list(identity_ids)
    linked = 0
    for start in range(0, len(ids), _MAX_PARAMS // 2):
        part = ids[start : start + _MAX_PARAMS // 2]
        candidates = session.execute(
            sa.select(col(Identity.id), col(Identity.external_id), col(Identity.email)).where(
                col(Identity.id).in_(part),
                col(Identity.person_id).is_(None),
                col(Identity.link_method).is_distinct_from(LinkMethod.REFUSED.value),
            )
        ).all()
        emails = {
            (email or external).lower()
            for _, external, email in candidates
            if "@" in (email or external)
        }
        people = people_by_emails(session, emails)
        for identity_id, external, email in candidates:
            key = (email or external).lower()
            if key in people:
                link_identity(session, identity_id, people[key], LinkMethod.EMAIL, verified=True)
                linked += 1
    return linked


def replace_seats(session: Session, tool: str, seats: Sequence[Mapping[str, Any]]) -> None:
    """Make `seats` the complete list of the tool's assigned seats."""
    session.execute(sa.delete(Seat).where(col(Seat.tool) == tool))
    if seats:
        for chunk in _chunks(list(seats), len(seats[0]) + 2):
            session.execute(sa.insert(Seat), [{"tool": tool, **seat} for seat in chunk])


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
    for chunk in _chunks(rows, 2):
        session.execute(sa.insert(VendorTeamMember), list(chunk))
    return ids


# -- audit log -------------------------------------------------------------------------------


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


# -- identities ------------------------------------------------------------------------------


def identity(session: Session, identity_id: int) -> Identity | None:
    """One identity by id."""
    return session.get(Identity, identity_id)


def identity_by_key(session: Session, tool: str, external_id: str) -> Identity | None:
    """One identity by tool and external id."""
    return session.exec(
        select(Identity).where(Identity.tool == tool, Identity.external_id == external_id)
    ).first()


def pending_claims(session: Session, limit: int = 50) -> list[tuple[Identity, Person]]:
    """Identities claimed by someone and not verified yet, oldest first."""
    rows = session.exec(
        select(Identity, Person)
        .join(Person, col(Person.id) == col(Identity.person_id))
        .where(col(Identity.verified).is_(False), Identity.link_method == LinkMethod.CLAIM.value)
        .order_by(col(Identity.created_at), col(Identity.id))
        .limit(limit)
    )
    return [(identity_row, person) for identity_row, person in rows]


def person(session: Session, person_id: int) -> Person | None:
    """One person by id."""
    return session.get(Person, person_id)


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


# -- teams -----------------------------------------------------------------------------------


def direct_team_roles(session: Session, person_id: int) -> list[tuple[int, str]]:
    """(team id, role) for the person's own memberships, including vendor teams."""
    return sorted(direct_team_roles_of(session, [person_id]).get(person_id, set()))


def direct_team_roles_of(
    session: Session, person_ids: Sequence[int]
) -> dict[int, set[tuple[int, str]]]:
    """Each person's (team id, role)s of their own memberships, including vendor teams."""
    roles: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for start in range(0, len(person_ids), _MAX_PARAMS):
        part = list(person_ids[start : start + _MAX_PARAMS])
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


def replace_team_memberships(
    session: Session, team_ids: Iterable[int], memberships: Sequence[Mapping[str, Any]]
) -> None:
    """Make `memberships` the complete membership (members and managers) of these teams."""
    ids = list(team_ids)
    if ids:
        session.execute(sa.delete(Membership).where(col(Membership.team_id).in_(ids)))
    add_memberships(session, memberships)


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


def seats_of(session: Session, tool: str) -> list[Seat]:
    """Every seat of a tool."""
    return list(session.exec(select(Seat).where(Seat.tool == tool).order_by(col(Seat.external_id))))


def table_counts(session: Session) -> dict[str, int]:
    """Row counts of the main tables, for the admin status."""
    return {
        "people": count_rows(session, Person),
        "accounts": count_rows(session, Identity),
        "teams": count_rows(session, Team),
        "daily rows": count_rows(session, DailyUsage),
        "outbox pending": int(
            session.execute(
                sa.select(sa.func.count())
                .select_from(OutboxMessage)
                .where(col(OutboxMessage.state) == OutboxState.PENDING.value)
            ).scalar_one()
        ),
    }


# -- tips ------------------------------------------------------------------------------------


def tip_preference(session: Session, person_id: int) -> TipPreference:
    """A person's tip preference (the default, tips off, when they never set one)."""
    return session.get(TipPreference, person_id) or TipPreference(person_id=person_id)


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
    insert = _insert_for(session)
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


def outbox_states(keys: Sequence[str], *, session: Session) -> dict[str, str]:
    """The outbox state of each idempotency key that exists."""
    states: dict[str, str] = {}
    for start in range(0, len(keys), _MAX_PARAMS):
        part = list(keys[start : start + _MAX_PARAMS])
        for key, state in session.execute(
            sa.select(col(OutboxMessage.idempotency_key), col(OutboxMessage.state)).where(
                col(OutboxMessage.idempotency_key).in_(part)
            )
        ):
            states[key] = state
    return states


# -- digests ---------------------------------------------------------------------------------


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
