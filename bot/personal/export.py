"""`/myusage export`: everything Uptake stores about one person, as records and as JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from storage import people
from storage.engine import session as open_session
from storage.identities import pending_claims_of
from storage.models import (
    AuditEntry,
    DailyUsage,
    utcnow,
)
from storage.personal import (
    audit_entries_about,
    daily_usage_about,
    digest_subscriptions_of,
    identities_about,
    outbox_messages_to,
    seats_about,
    team_memberships_of,
    tip_deliveries_of,
    tip_preference_of,
    vendor_team_memberships_about,
)

# -- export ------------------------------------------------------------------------------------

RecordT = TypeVar("RecordT")

SCHEMA = "uptake.personal-data.v1"

# Where each table's rows about a person appear in the export (table name -> section).
EXPORT_SECTIONS: Mapping[str, str] = {
    "person": "person",
    "identity": "identities",
    "daily_usage": "daily_usage",
    "membership": "teams",
    "vendor_team_member": "vendor_teams",
    "seat": "seats",
    "tip_preference": "tip_preference",
    "tip_delivery": "tip_deliveries",
    "digest_subscription": "digest_subscriptions",
    "outbox": "outbox",
    "audit_log": "audit_log",
}


class UnknownPerson(LookupError):
    """No person with this id is stored (never was, or was forgotten)."""


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """The person row: who Slack says they are."""

    slack_user_id: str
    slack_team_id: str | None
    enterprise_id: str | None
    email: str | None
    display_name: str
    tz: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    """One of the person's tool accounts and how it came to be theirs."""

    tool: str
    external_id: str
    email: str | None
    link_method: str | None
    verified: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """An account the person claimed, waiting for an admin: none of its data is theirs yet."""

    tool: str
    external_id: str


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One day of one account's use of a tool, every stored metric."""

    day: dt.date
    tool: str
    external_id: str
    source: str
    active: bool
    interactions: int
    generations: int
    acceptances: int
    lines_suggested: int
    lines_accepted: int
    chat_requests: int
    agent_requests: int
    cli_requests: int
    input_tokens: int
    output_tokens: int
    cost_cents: int | None
    cost_kind: str | None
    features: tuple[str, ...]
    updated_at: dt.datetime
    # Outcome signals (None where the source reports none).
    commits: int | None = None
    pull_requests: int | None = None
    lines_added: int | None = None
    lines_removed: int | None = None
    edits_accepted: int | None = None
    edits_rejected: int | None = None
    tabs_shown: int | None = None
    tabs_accepted: int | None = None
    commit_lines_ai: int | None = None
    commit_lines_other: int | None = None
    ai_credits_used: float | None = None
    adoption_phase: int | None = None
    used_cloud_agent: bool | None = None
    used_copilot_app: bool | None = None
    code_review_active: bool | None = None
    code_review_passive: bool | None = None
    # The vendor's breakdowns (lines per feature, IDE and model; decisions per edit tool).
    outcome_detail: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TeamRecord:
    """A team the person is in, and their role there."""

    slug: str
    name: str
    source: str
    role: str


@dataclass(frozen=True, slots=True)
class VendorTeamRecord:
    """A vendor-sourced team (a GitHub team) one of the person's accounts belongs to."""

    slug: str
    name: str
    source: str
    tool: str
    external_id: str


@dataclass(frozen=True, slots=True)
class SeatRecord:
    """A licence seat a vendor reports for one of the person's accounts."""

    tool: str
    external_id: str
    assigned_at: dt.datetime | None
    last_activity_at: dt.datetime | None
    pending_cancellation_date: dt.date | None
    plan: str | None
    synced_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TipPreferenceRecord:
    """Whether and how often the person wants tips."""

    enabled: bool
    frequency: str
    snoozed_until: dt.date | None
    any_tier: bool
    paused: bool
    asked_to_continue_at: dt.datetime | None
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class DigestSubscriptionRecord:
    """A team digest the person subscribed to, or opted out of."""

    team_slug: str
    active: bool
    weekday: int
    hour: int
    quiet: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TipDeliveryRecord:
    """A tip planned for the person, and their reaction to it."""

    tip_id: str
    library_version: str
    period: str
    reason: str
    scheduled_for: dt.datetime
    outbox_key: str
    reworded: bool
    feedback: str | None
    feedback_at: dt.datetime | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A message to the person, sent or waiting, with its full content."""

    idempotency_key: str
    kind: str
    channel: str
    payload: Mapping[str, Any]
    state: str
    attempts: int
    next_attempt_at: dt.datetime
    claimed_until: dt.datetime | None
    claim_token: str | None
    sent_ts: str | None
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Someone looking at, or acting on, the person's data."""

    at: dt.datetime
    actor_slack_user_id: str | None
    action: str
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Everything stored about one person, each table's rows in a stable order."""

    person: PersonRecord
    identities: tuple[IdentityRecord, ...]
    pending_claims: tuple[ClaimRecord, ...]
    daily_usage: tuple[UsageRecord, ...]
    teams: tuple[TeamRecord, ...]
    vendor_teams: tuple[VendorTeamRecord, ...]
    seats: tuple[SeatRecord, ...]
    tip_preference: TipPreferenceRecord | None
    tip_deliveries: tuple[TipDeliveryRecord, ...]
    digest_subscriptions: tuple[DigestSubscriptionRecord, ...]
    outbox: tuple[OutboxRecord, ...]
    audit_log: tuple[AuditRecord, ...]


def personal_data(engine: Engine, person_id: int) -> PersonalData:
    """Everything stored about the person; raises `UnknownPerson` when there is no such person.

    It only reads: a caller showing the export to anyone but the person audits that look.
    """
    with open_session(engine) as session:
        person = people.person(session, person_id)
        if person is None:
            raise UnknownPerson(person_id)
        preference = tip_preference_of(session, person_id)
        return PersonalData(
            person=PersonRecord(
                slack_user_id=person.slack_user_id,
                slack_team_id=person.slack_team_id,
                enterprise_id=person.enterprise_id,
                email=person.email,
                display_name=person.display_name,
                tz=person.tz,
                created_at=person.created_at,
            ),
            identities=tuple(
                IdentityRecord(
                    tool=identity.tool,
                    external_id=identity.external_id,
                    email=identity.email,
                    link_method=identity.link_method,
                    verified=identity.verified,
                    created_at=identity.created_at,
                )
                for identity in identities_about(session, person)
            ),
            pending_claims=tuple(
                ClaimRecord(tool=claim.tool, external_id=claim.external_id)
                for claim in pending_claims_of(session, person_id)
            ),
            daily_usage=tuple(
                _usage_record(usage, external_id)
                for usage, external_id in daily_usage_about(session, person)
            ),
            teams=tuple(
                TeamRecord(slug=team.slug, name=team.name, source=team.source, role=role)
                for team, role in team_memberships_of(session, person_id)
            ),
            vendor_teams=tuple(
                VendorTeamRecord(
                    slug=team.slug,
                    name=team.name,
                    source=team.source,
                    tool=identity.tool,
                    external_id=identity.external_id,
                )
                for team, identity in vendor_team_memberships_about(session, person)
            ),
            seats=tuple(_copied(SeatRecord, seat) for seat in seats_about(session, person)),
            tip_preference=None if preference is None else _copied(TipPreferenceRecord, preference),
            tip_deliveries=tuple(
                _copied(TipDeliveryRecord, delivery)
                for delivery in tip_deliveries_of(session, person_id)
            ),
            digest_subscriptions=tuple(
                DigestSubscriptionRecord(
                    team_slug=team.slug,
                    active=row.active,
                    weekday=row.weekday,
                    hour=row.hour,
                    quiet=row.quiet,
                    created_at=row.created_at,
                )
                for row, team in digest_subscriptions_of(session, person)
            ),
            outbox=tuple(
                _copied(OutboxRecord, message) for message in outbox_messages_to(session, person)
            ),
            audit_log=tuple(
                audit_record(entry) for entry in audit_entries_about(session, person_id)
            ),
        )


def _usage_record(usage: DailyUsage, external_id: str) -> UsageRecord:
    return _copied(
        UsageRecord, usage, external_id=external_id, features=tuple(usage.features or ())
    )


def _copied(record: type[RecordT], row: object, **overrides: Any) -> RecordT:
    """A record holding every field of the stored row it is named after, as stored."""
    values = {
        field.name: getattr(row, field.name)
        for field in dataclasses.fields(record)  # type: ignore[arg-type]
        if field.name not in overrides
    }
    return record(**values, **overrides)


def audit_record(entry: AuditEntry) -> AuditRecord:
    return AuditRecord(
        at=entry.at,
        actor_slack_user_id=entry.actor_slack_user_id,
        action=entry.action,
        detail=entry.detail,
    )


def as_json(data: PersonalData, *, generated_at: dt.datetime | None = None) -> str:
    """The export as a stable, pretty JSON document (ISO dates, sorted keys)."""
    document = {
        "schema": SCHEMA,
        "generated_at": generated_at or utcnow(),
        **dataclasses.asdict(data),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=_iso)


def _iso(value: object) -> str:
    if isinstance(value, dt.date):  # datetimes too: they are dates
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# -- forget --------------------------------------------------------------------------------------
