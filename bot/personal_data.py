"""Everything Uptake stores about one person: export it, summarise it, or forget it.

"About a person" means: their person row; their accounts (`storage.identities.owned_by`:
identities verified as theirs, plus unlinked ones carrying their Slack-verified email, the
accounts automatic linking would give them, including ones they unlinked); the daily usage,
vendor team memberships and seats of those accounts; their team memberships and tip preference;
outbox messages addressed to them; and audit entries whose subject is them. Export, summary and
forget all use that one definition.

A pending claim (`/myusage link github LOGIN` not yet approved) is not an account: it is shown
as a claim, with none of the claimed account's data, and forgetting withdraws it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from storage import queries
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
    delete_person_data,
    digest_subscriptions_of,
    identities_about,
    outbox_messages_to,
    person_for_update,
    seats_about,
    team_memberships_of,
    tip_deliveries_of,
    tip_preference_of,
    usage_span_about,
    vendor_team_memberships_about,
)

# -- export ------------------------------------------------------------------------------------

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
        person = queries.person(session, person_id)
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
            seats=tuple(
                SeatRecord(
                    tool=seat.tool,
                    external_id=seat.external_id,
                    assigned_at=seat.assigned_at,
                    last_activity_at=seat.last_activity_at,
                    pending_cancellation_date=seat.pending_cancellation_date,
                    plan=seat.plan,
                    synced_at=seat.synced_at,
                )
                for seat in seats_about(session, person)
            ),
            tip_preference=None
            if preference is None
            else TipPreferenceRecord(
                enabled=preference.enabled,
                frequency=preference.frequency,
                snoozed_until=preference.snoozed_until,
                any_tier=preference.any_tier,
                paused=preference.paused,
                asked_to_continue_at=preference.asked_to_continue_at,
                updated_at=preference.updated_at,
            ),
            tip_deliveries=tuple(
                TipDeliveryRecord(
                    tip_id=delivery.tip_id,
                    library_version=delivery.library_version,
                    period=delivery.period,
                    reason=delivery.reason,
                    scheduled_for=delivery.scheduled_for,
                    outbox_key=delivery.outbox_key,
                    reworded=delivery.reworded,
                    feedback=delivery.feedback,
                    feedback_at=delivery.feedback_at,
                    created_at=delivery.created_at,
                )
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
                OutboxRecord(
                    idempotency_key=message.idempotency_key,
                    kind=message.kind,
                    channel=message.channel,
                    payload=message.payload,
                    state=message.state,
                    attempts=message.attempts,
                    next_attempt_at=message.next_attempt_at,
                    claimed_until=message.claimed_until,
                    claim_token=message.claim_token,
                    sent_ts=message.sent_ts,
                    last_error=message.last_error,
                    created_at=message.created_at,
                    sent_at=message.sent_at,
                )
                for message in outbox_messages_to(session, person)
            ),
            audit_log=tuple(
                _audit_record(entry) for entry in audit_entries_about(session, person_id)
            ),
        )


def _usage_record(usage: DailyUsage, external_id: str) -> UsageRecord:
    return UsageRecord(
        day=usage.day,
        tool=usage.tool,
        external_id=external_id,
        source=usage.source,
        active=usage.active,
        interactions=usage.interactions,
        generations=usage.generations,
        acceptances=usage.acceptances,
        lines_suggested=usage.lines_suggested,
        lines_accepted=usage.lines_accepted,
        chat_requests=usage.chat_requests,
        agent_requests=usage.agent_requests,
        cli_requests=usage.cli_requests,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_cents=usage.cost_cents,
        cost_kind=usage.cost_kind,
        features=tuple(usage.features or ()),
        updated_at=usage.updated_at,
    )


def _audit_record(entry: AuditEntry) -> AuditRecord:
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

FORGOTTEN_ACTION = "person.forgotten"

FORGET_EXPLANATION = """\
*What forgetting you does*
• Deletes for good, in one go: your name, email and time zone as Uptake copied them from \
Slack; your linked tool accounts and all their daily usage history; your licence (seat) \
records; your team memberships; your tip settings (tips go off); messages waiting to be sent \
to you; and the audit log about you.
• Withdraws any account claim still waiting for an admin: that account's data was never \
shown as yours, and stays.
• Keeps one audit line saying that someone was forgotten and how many rows went: no name, \
email or id.

*What it does not do*
• Stop Slack or your AI tools reporting to your company. At the next sync Uptake meets you \
again as someone new: it records your usage from then on and links it to you as for anyone \
else, with no history and tips off. You can see it in `/myusage privacy` and forget again \
any time.
• Remember that you asked. That would mean keeping your email or Slack id, the very things \
you asked us to delete, and your tools would still report you, under an account you could no \
longer see or delete.
• Keep accounts you had unlinked apart from you: one carrying your Slack email links to you \
again at the next sync. Unlink it again if you wish.
• Delete what Slack or the tool vendors hold, or messages already in your Slack DMs.
• If you are an admin: your looks at other people's data stay in *their* audit logs.\
"""


@dataclass(frozen=True, slots=True)
class ForgetResult:
    """What forgetting a person deleted, per table; all zero when there was nobody to forget.

    `withdrawn_claims` counts pending claims withdrawn: their accounts are someone else's and stay.
    """

    deleted: Mapping[str, int]
    withdrawn_claims: int = 0

    @property
    def forgotten(self) -> bool:
        """True when a person row was deleted."""
        return self.deleted.get("person", 0) > 0

    @property
    def total(self) -> int:
        """Rows deleted in all."""
        return sum(self.deleted.values())


def forget_person(engine: Engine, person_id: int, *, actor: str, now: dt.datetime) -> ForgetResult:
    """Delete everything stored about the person in one transaction and audit it anonymously.

    Everything about them goes (see the module docstring), including their audit entries. One
    `person.forgotten` entry remains, holding only row counts per table; its actor is the
    admin who did it, or none when the person forgot themselves, so that no id of theirs stays.
    An unknown id (never known, or already forgotten) deletes and records nothing.

    Kept on purpose: audit entries about *other* people in which this person was the actor
    (an admin's looks at someone's data belong to that someone's audit log), and other
    people's audit details that happen to name one of their accounts.

    Forgetting is not sticky. The Slack directory sync re-creates a person row and vendor
    syncs keep reporting them, so Uptake starts again from zero: new usage is recorded and
    linked by email as for anyone, with no history and tips off. Uptake does not keep a
    "do not re-link" marker because it would have to hold their Slack id or email (or a hash,
    which is as identifying), the very data they asked to delete; and blocking links would
    not stop collection, only store their usage under an unlinked account they could no
    longer see, export or delete. Linked, it stays theirs to see and to forget again.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    with open_session(engine) as session:
        person = person_for_update(session, person_id)
        if person is None:
            return ForgetResult(deleted=dict.fromkeys(EXPORT_SECTIONS, 0))
        requested_by_self = actor == person.slack_user_id
        deleted, withdrawn = delete_person_data(session, person)
        detail: dict[str, object] = {
            "requested_by": "self" if requested_by_self else "admin",
            "deleted": deleted,
        }
        if withdrawn:
            detail["withdrawn_claims"] = withdrawn
        queries.audit(
            session,
            FORGOTTEN_ACTION,
            actor=None if requested_by_self else actor,
            subject_person_id=None,
            detail=detail,
            at=now,
        )
        session.commit()
    return ForgetResult(deleted=deleted, withdrawn_claims=withdrawn)


# -- looks by others ------------------------------------------------------------------------------

LOOKED_ACTION = "admin.viewed_person"
# The actor of a look from the `uptake` command line, which has no Slack user.
COMMAND_LINE_ACTOR = "cli"


def record_look(
    engine: Engine,
    person_id: int,
    *,
    actor: str,
    what: str,
    now: dt.datetime,
    via: str | None = None,
) -> None:
    """Write someone else's look at the person's data to the audit log the person reads."""
    with open_session(engine) as session:
        queries.audit(
            session,
            LOOKED_ACTION,
            actor=actor,
            subject_person_id=person_id,
            detail={"what": what, **({"via": via} if via else {})},
            at=now,
        )
        session.commit()


# -- privacy summary ------------------------------------------------------------------------------

AUDIT_ENTRIES_SHOWN = 50

YOU_SEE = "*You* see all of your own data: every figure, every linked account, this audit log."
MANAGERS_SEE = (
    "*Your managers* see team figures only for teams of at least {min_group_size} people, "
    "never your individual numbers. Each team figure is released once per week (and per 4 and "
    "13 weeks) with a little random noise that is the same for the same people whoever asks, "
    "so no combination of answers gives away your figures."
)
ADMINS_SEE = (
    "*Admins* operate Uptake (connect tools, map accounts, set policy). Every time one of them "
    "looks at your individual data, it is written to the audit log below."
)
RETENTION = "Daily usage older than {retention_days} days is deleted."
ONLY_METRICS = (
    "Only usage metrics are stored (counts, lines, tokens, cost per day): never your prompts, "
    "code or message content."
)
LLM_SEES = (
    "If an LLM is set up to phrase tips, it receives only aggregates and tip text: never your "
    "name, email or ids."
)


@dataclass(frozen=True, slots=True)
class PrivacySummary:
    """What is stored about a person, who can see what, and who has looked."""

    identities: int
    pending_claims: int
    usage_rows: int
    first_usage_day: dt.date | None
    last_usage_day: dt.date | None
    teams: int
    tips_enabled: bool
    audit_entries: tuple[AuditRecord, ...]
    who_sees_what: tuple[str, ...]


def who_sees_what(*, min_group_size: int, retention_days: int) -> tuple[str, ...]:
    """The privacy statements, in Slack mrkdwn, with this installation's thresholds."""
    return (
        YOU_SEE,
        MANAGERS_SEE.format(min_group_size=min_group_size),
        ADMINS_SEE,
        RETENTION.format(retention_days=retention_days),
        ONLY_METRICS,
        LLM_SEES,
    )


def privacy_summary(
    engine: Engine, person_id: int, *, min_group_size: int, retention_days: int
) -> PrivacySummary:
    """Counts of what is stored about the person and the newest audit entries about them."""
    with open_session(engine) as session:
        person = queries.person(session, person_id)
        if person is None:
            raise UnknownPerson(person_id)
        usage_rows, first_day, last_day = usage_span_about(session, person)
        teams = {team.slug for team, _ in team_memberships_of(session, person_id)} | {
            team.slug for team, _ in vendor_team_memberships_about(session, person)
        }
        preference = tip_preference_of(session, person_id)
        return PrivacySummary(
            identities=len(identities_about(session, person)),
            pending_claims=len(pending_claims_of(session, person_id)),
            usage_rows=usage_rows,
            first_usage_day=first_day,
            last_usage_day=last_day,
            teams=len(teams),
            tips_enabled=preference is not None and preference.enabled,
            audit_entries=tuple(
                _audit_record(entry)
                for entry in audit_entries_about(session, person_id, limit=AUDIT_ENTRIES_SHOWN)
            ),
            who_sees_what=who_sees_what(
                min_group_size=min_group_size, retention_days=retention_days
            ),
        )
