"""Queries about one person's data, for export, the privacy summary and forgetting.

"The person's accounts" is `storage.identities.owned_by` everywhere here: a pending claim is
exported and summarised as a claim, and forgetting withdraws it; none of its account's data
is the claimer's.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage import rollup
from storage.identities import owned_by, withdraw_claims
from storage.models import (
    AuditEntry,
    DailyUsage,
    DigestSubscription,
    Identity,
    Membership,
    OutboxMessage,
    Person,
    Seat,
    Team,
    TipDelivery,
    TipPreference,
    VendorTeamMember,
)


def _outbox_to(person: Person) -> sa.ColumnElement[bool]:
    """Outbox messages for `person`, by person id or by a DM addressed to their Slack id."""
    return sa.or_(
        col(OutboxMessage.person_id) == person.id,
        col(OutboxMessage.channel) == person.slack_user_id,
    )


def person_for_update(session: Session, person_id: int) -> Person | None:
    """One person, row-locked on PostgreSQL so nothing links to them until the commit."""
    return session.exec(select(Person).where(Person.id == person_id).with_for_update()).first()


def identities_about(session: Session, person: Person) -> list[Identity]:
    """The person's accounts (`owned_by`), by tool and external id."""
    return list(
        session.exec(
            select(Identity)
            .where(owned_by(person))
            .order_by(col(Identity.tool), col(Identity.external_id))
        )
    )


def daily_usage_about(session: Session, person: Person) -> list[tuple[DailyUsage, str]]:
    """Every daily usage row of the person's identities, with the identity's external id."""
    rows = session.exec(
        select(DailyUsage, Identity.external_id)
        .join(Identity, col(Identity.id) == col(DailyUsage.identity_id))
        .where(owned_by(person))
        .order_by(col(DailyUsage.day), col(DailyUsage.tool), col(Identity.external_id))
    )
    return [(usage, external_id) for usage, external_id in rows]


def usage_span_about(
    session: Session, person: Person
) -> tuple[int, dt.date | None, dt.date | None]:
    """How many daily usage rows the person's identities have, and their first and last day."""
    count, first, last = session.execute(
        sa.select(sa.func.count(), sa.func.min(DailyUsage.day), sa.func.max(DailyUsage.day))
        .select_from(DailyUsage)
        .join(Identity, col(Identity.id) == col(DailyUsage.identity_id))
        .where(owned_by(person))
    ).one()
    return int(count), first, last


def team_memberships_of(session: Session, person_id: int) -> list[tuple[Team, str]]:
    """The person's team memberships as (team, role), by team slug and role."""
    rows = session.exec(
        select(Team, Membership.role)
        .join(Membership, col(Membership.team_id) == col(Team.id))
        .where(Membership.person_id == person_id)
        .order_by(col(Team.slug), col(Membership.role))
    )
    return [(team, role) for team, role in rows]


def vendor_team_memberships_about(session: Session, person: Person) -> list[tuple[Team, Identity]]:
    """Vendor team memberships of the person's identities, as (team, identity)."""
    rows = session.exec(
        select(Team, Identity)
        .join(VendorTeamMember, col(VendorTeamMember.team_id) == col(Team.id))
        .join(Identity, col(Identity.id) == col(VendorTeamMember.identity_id))
        .where(owned_by(person))
        .order_by(col(Team.slug), col(Identity.tool), col(Identity.external_id))
    )
    return [(team, identity) for team, identity in rows]


def seats_about(session: Session, person: Person) -> list[Seat]:
    """Seats whose (tool, external id) is one of the person's identities."""
    keys = sa.select(col(Identity.tool), col(Identity.external_id)).where(owned_by(person))
    return list(
        session.exec(
            select(Seat)
            .where(sa.tuple_(col(Seat.tool), col(Seat.external_id)).in_(keys))
            .order_by(col(Seat.tool), col(Seat.external_id))
        )
    )


def tip_preference_of(session: Session, person_id: int) -> TipPreference | None:
    """The person's tip preference, if they ever set one."""
    return session.get(TipPreference, person_id)


def outbox_messages_to(session: Session, person: Person) -> list[OutboxMessage]:
    """Outbox messages addressed to the person, oldest first."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(_outbox_to(person))
            .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
        )
    )


def audit_entries_about(
    session: Session, person_id: int, *, limit: int | None = None
) -> list[AuditEntry]:
    """Audit entries whose subject is the person, newest first."""
    statement = (
        select(AuditEntry)
        .where(AuditEntry.subject_person_id == person_id)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.exec(statement))


def digest_subscriptions_of(
    session: Session, person: Person
) -> list[tuple[DigestSubscription, Team]]:
    """The person's own digest subscriptions and opt-outs, with their teams."""
    return [
        (row, team)
        for row, team in session.exec(
            select(DigestSubscription, Team)
            .join(Team, col(Team.id) == col(DigestSubscription.team_id))
            .where(DigestSubscription.recipient == person.slack_user_id)
            .order_by(col(DigestSubscription.id))
        )
    ]


def tip_deliveries_of(session: Session, person_id: int) -> list[TipDelivery]:
    """Every tip planned for the person, oldest first."""
    return list(
        session.exec(
            select(TipDelivery)
            .where(TipDelivery.person_id == person_id)
            .order_by(col(TipDelivery.scheduled_for), col(TipDelivery.id))
        )
    )


def delete_person_data(session: Session, person: Person) -> tuple[dict[str, int], int]:
    """Delete every row about the person, the person row last; (rows deleted per table,
    pending claims withdrawn).

    Pending claims are withdrawn first, never deleted: the claimed account, its usage and its
    seat are someone else's. Identity-keyed rows go next, selected by subquery at delete time,
    so that rows a sync writes meanwhile are caught too (their identities' deletes cascade to
    them in any case).
    """
    withdrawn = withdraw_claims(session, person.id) if person.id is not None else 0
    about = sa.select(col(Identity.id)).where(owned_by(person))
    keys = sa.select(col(Identity.tool), col(Identity.external_id)).where(owned_by(person))
    statements: list[tuple[str, sa.Delete]] = [
        ("daily_usage", sa.delete(DailyUsage).where(col(DailyUsage.identity_id).in_(about))),
        (
            "vendor_team_member",
            sa.delete(VendorTeamMember).where(col(VendorTeamMember.identity_id).in_(about)),
        ),
        ("seat", sa.delete(Seat).where(sa.tuple_(col(Seat.tool), col(Seat.external_id)).in_(keys))),
        ("identity", sa.delete(Identity).where(owned_by(person))),
        ("membership", sa.delete(Membership).where(col(Membership.person_id) == person.id)),
        (
            "tip_preference",
            sa.delete(TipPreference).where(col(TipPreference.person_id) == person.id),
        ),
        ("tip_delivery", sa.delete(TipDelivery).where(col(TipDelivery.person_id) == person.id)),
        (
            "digest_subscription",
            sa.delete(DigestSubscription).where(
                col(DigestSubscription.recipient) == person.slack_user_id
            ),
        ),
        ("outbox", sa.delete(OutboxMessage).where(_outbox_to(person))),
        ("audit_log", sa.delete(AuditEntry).where(col(AuditEntry.subject_person_id) == person.id)),
        ("person", sa.delete(Person).where(col(Person.id) == person.id)),
    ]
    rollup.forget_identities(session, about)
    deleted: dict[str, int] = {}
    for table, statement in statements:
        result = session.execute(statement.execution_options(synchronize_session=False))
        deleted[table] = int(getattr(result, "rowcount", 0) or 0)
    return deleted, withdrawn
