"""SQLModel tables. Only usage metrics are stored: never prompts, code or message content."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _tz_column(*, nullable: bool = False, index: bool = False) -> Any:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


class LinkMethod(enum.StrEnum):
    """How a vendor identity came to be linked to a person."""

    EMAIL = "email"  # same verified email as the Slack profile
    ADMIN = "admin"  # an admin mapping (CSV or admin command)
    CLAIM = "claim"  # self-claimed; shows nothing until verified
    IMPORT = "import"  # a usage file that named the Slack user id
    REFUSED = "refused"  # unlinked by its owner: never linked automatically again


class TeamRole(enum.StrEnum):
    """A person's role in a team."""

    MEMBER = "member"
    MANAGER = "manager"


class CostKind(enum.StrEnum):
    """Whether a cost figure came from the vendor's bill or was estimated by Uptake."""

    BILLED = "billed"
    ESTIMATED = "estimated"


class OutboxState(enum.StrEnum):
    """Life of a message waiting to be sent to Slack."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # not sent: its recipient may no longer get it (a digest's reader left)


class Person(SQLModel, table=True):
    """A Slack user Uptake knows about."""

    __tablename__ = "person"
    __table_args__ = (sa.UniqueConstraint("slack_user_id", name="uq_person_slack_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    slack_user_id: str = Field(max_length=32)
    slack_team_id: str | None = Field(default=None, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=320, index=True)
    display_name: str = Field(default="", max_length=200)
    tz: str = Field(default="UTC", max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column())


class Identity(SQLModel, table=True):
    """A person's account in one tool (GitHub login, email, OpenAI user id, API key id)."""

    __tablename__ = "identity"
    __table_args__ = (
        sa.UniqueConstraint("tool", "external_id", name="uq_identity_tool_external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tool: str = Field(max_length=32)
    external_id: str = Field(max_length=320)
    # The vendor's email for this account, when it reports one apart from the id (OpenAI).
    email: str | None = Field(default=None, max_length=320, index=True)
    person_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.ForeignKey("person.id", ondelete="SET NULL"), index=True),
    )
    link_method: str | None = Field(default=None, max_length=16)
    verified: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column())


class Team(SQLModel, table=True):
    """A team; teams nest through `parent_id`."""

    __tablename__ = "team"
    __table_args__ = (sa.UniqueConstraint("slug", name="uq_team_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100)
    name: str = Field(max_length=200)
    parent_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.ForeignKey("team.id", ondelete="SET NULL"), index=True),
    )
    source: str = Field(default="org_file", max_length=16)
    # Anyone can make a Slack user group or GitHub team, and two that differ by one person
    # single that person out: a synced team counts only once an admin allows it.
    allowed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # An admin decided (allowed or denied): a denied group is not "waiting" any more.
    reviewed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class Membership(SQLModel, table=True):
    """A person's place in a team, as member or manager."""

    __tablename__ = "membership"

    team_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    role: str = Field(default=TeamRole.MEMBER, sa_column=sa.Column(sa.String(16), primary_key=True))


class DailyUsage(SQLModel, table=True):
    """One identity's use of one tool on one day (the identity fixes the tool).

    Rows are keyed by identity rather than person so that usage pulled before an identity
    is linked is kept and appears once the link is made, and vanishes again on unlink.
    The primary key (identity_id, day) is the access path for `/myusage`; `day` has its own
    index for retention and organisation-wide windows.
    """

    __tablename__ = "daily_usage"

    identity_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("identity.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
        )
    )
    day: dt.date = Field(sa_column=sa.Column(sa.Date, primary_key=True, index=True))
    tool: str = Field(max_length=32)
    source: str = Field(max_length=32)
    active: bool = False
    interactions: int = 0
    generations: int = 0
    acceptances: int = 0
    lines_suggested: int = 0
    lines_accepted: int = 0
    chat_requests: int = 0
    agent_requests: int = 0
    cli_requests: int = 0
    input_tokens: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    output_tokens: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    cost_cents: int | None = None
    cost_kind: str | None = Field(default=None, max_length=16)
    features: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    # Outcome signals (see OUTCOME_METRICS in storage/otlp.py); NULL where the source reports none.
    commits: int | None = None
    pull_requests: int | None = None
    lines_added: int | None = None
    lines_removed: int | None = None
    edits_accepted: int | None = None
    edits_rejected: int | None = None
    # Outcome signals from the vendors' admin APIs (storage/outcomes.py lists each with its
    # honesty label); NULL where the source reports none.
    tabs_shown: int | None = None
    tabs_accepted: int | None = None
    commit_lines_ai: int | None = None
    commit_lines_other: int | None = None
    ai_credits_used: float | None = Field(
        default=None, sa_column=sa.Column(sa.Double, nullable=True)
    )
    adoption_phase: int | None = Field(
        default=None, sa_column=sa.Column(sa.SmallInteger, nullable=True)
    )
    used_cloud_agent: bool | None = None
    used_copilot_app: bool | None = None
    code_review_active: bool | None = None
    code_review_passive: bool | None = None
    # Breakdowns of the outcomes (lines added per feature, IDE and model; edit decisions per
    # tool), as the vendor reports them; names only, never code.
    outcome_detail: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON, nullable=True)
    )
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column())


class SyncState(SQLModel, table=True):
    """Where each usage source stands: what is complete, and the last success and error."""

    __tablename__ = "sync_state"

    source: str = Field(primary_key=True, max_length=32)
    last_complete_day: dt.date | None = None
    last_success_at: dt.datetime | None = Field(default=None, sa_column=_tz_column(nullable=True))
    last_error_at: dt.datetime | None = Field(default=None, sa_column=_tz_column(nullable=True))
    last_error: str | None = Field(default=None, max_length=1000)


class OrgOutcomeDay(SQLModel, table=True):
    """An organisation-level figure a vendor reports only for the whole organisation.

    GitHub reports pull requests created and merged by Copilot, time to merge and review cycles
    for the organisation and per AI adoption phase, never per person; they are kept here, apart
    from `daily_usage`, so that nothing can attribute them to anyone. `cohort` is "all" or the
    phase ("phase 2"); `metric` is the vendor's field name.
    """

    __tablename__ = "org_outcome_day"

    source: str = Field(primary_key=True, max_length=32)
    day: dt.date = Field(sa_column=sa.Column(sa.Date, primary_key=True, index=True))
    cohort: str = Field(primary_key=True, max_length=16)
    metric: str = Field(primary_key=True, max_length=96)
    value: float = Field(sa_column=sa.Column(sa.Double, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column())


class TipPreference(SQLModel, table=True):
    """A person's consent to tips and how often they want them. Default: no tips."""

    __tablename__ = "tip_preference"

    person_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    enabled: bool = False
    frequency: str = Field(default="weekly", max_length=16)
    snoozed_until: dt.date | None = None
    # Tips even while regular or power (they asked for them when already past light).
    any_tier: bool = False
    # Paused after three tips in a row went unanswered and the "keep sending?" went unanswered.
    paused: bool = False
    asked_to_continue_at: dt.datetime | None = Field(
        default=None, sa_column=_tz_column(nullable=True)
    )
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column())


class AuditEntry(SQLModel, table=True):
    """A record of someone looking at, or acting on, a person's data."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column(index=True))
    actor_slack_user_id: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=64)
    subject_person_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.ForeignKey("person.id", ondelete="SET NULL"), index=True),
    )
    detail: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )


class OutboxMessage(SQLModel, table=True):
    """A message to Slack, written before it is sent so that a crash loses nothing."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
        sa.Index("ix_outbox_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    person_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True),
    )
    channel: str = Field(max_length=64)
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    state: str = Field(default=OutboxState.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column())
    claimed_until: dt.datetime | None = Field(default=None, sa_column=_tz_column(nullable=True))
    sent_ts: str | None = Field(default=None, max_length=32)
    claim_token: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column())
    sent_at: dt.datetime | None = Field(default=None, sa_column=_tz_column(nullable=True))


class Seat(SQLModel, table=True):
    """A licence seat a vendor reports as assigned (GitHub Copilot today)."""

    __tablename__ = "seat"

    tool: str = Field(primary_key=True, max_length=32)
    external_id: str = Field(primary_key=True, max_length=320)
    assigned_at: dt.datetime | None = Field(default=None, sa_column=_tz_column(nullable=True))
    last_activity_at: dt.datetime | None = Field(default=None, sa_column=_tz_column(nullable=True))
    pending_cancellation_date: dt.date | None = None
    plan: str | None = Field(default=None, max_length=32)
    synced_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column())


class VendorTeamMember(SQLModel, table=True):
    """Membership of a vendor-sourced team (GitHub teams), held by identity until linked."""

    __tablename__ = "vendor_team_member"

    team_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    )
    identity_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("identity.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class TipDelivery(SQLModel, table=True):
    """A tip planned for (and then sent to) a person, and what they made of it."""

    __tablename__ = "tip_delivery"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "tip_id", "period", name="uq_tip_delivery_period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    tip_id: str = Field(max_length=80, index=True)
    library_version: str = Field(max_length=32)
    period: str = Field(max_length=16)  # the local ISO week it is for, e.g. 2026-W48
    reason: str = Field(default="", max_length=32)  # the usage gap it answers
    scheduled_for: dt.datetime = Field(sa_column=_tz_column())
    outbox_key: str = Field(max_length=200)
    reworded: bool = False
    feedback: str | None = Field(default=None, max_length=16)
    feedback_at: dt.datetime | None = Field(default=None, sa_column=_tz_column(nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column())


class DigestSubscription(SQLModel, table=True):
    """Someone (or a channel) getting a team's weekly digest, or a manager who opted out.

    Managers of a team get its digest without a row here; a row with `active` False is a
    manager who unsubscribed. Channels and other people need an active row.
    """

    __tablename__ = "digest_subscription"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "recipient", name="uq_digest_subscription_recipient"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("team.id", ondelete="CASCADE"), nullable=False)
    )
    recipient: str = Field(max_length=32)  # a Slack user id (DM) or channel id
    active: bool = True
    weekday: int = 0  # Monday
    hour: int = 9
    quiet: str = Field(default="short", max_length=8)  # quiet weeks: "short" or "none"
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column())


class Heartbeat(SQLModel, table=True):
    """The latest sign of life from a long-running process (the clock, the Socket Mode worker)."""

    __tablename__ = "heartbeat"

    process: str = Field(primary_key=True, max_length=32)
    host: str = Field(max_length=255)
    pid: int
    beat_at: dt.datetime = Field(sa_column=_tz_column())


class DisclosureKey(SQLModel, table=True):
    """A person's secret record key for cell-key noise (never shown, exported or logged)."""

    __tablename__ = "disclosure_key"

    person_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    record_key: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))


class TeamRelease(SQLModel, table=True):
    """The final figures for one team and one fixed period: what every surface shows."""

    __tablename__ = "team_release"
    __table_args__ = (sa.UniqueConstraint("team_id", "period", name="uq_team_release_period"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("team.id", ondelete="CASCADE"), nullable=False)
    )
    period: str = Field(max_length=16, index=True)  # 2026-W48, 4w:2026-W48, 13w:2026-W48
    people: int
    figures: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))  # JSON
    computed_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column())


class UsageWeek(SQLModel, table=True):
    """One identity's active days and totals in one ISO week: the rollup of `daily_usage`.

    Kept in the same transaction as every write to `daily_usage` (storage/rollup.py), so that
    figures over weeks (tiers, habit, releases) read a few rows per person, never daily rows.
    Keyed by identity like the daily rows: relinking an identity moves its weeks with it.
    Bit i of `day_mask` is the week's Monday + i days, set when that day's row is active;
    the totals count active days only, as every release figure does.
    """

    __tablename__ = "usage_week"

    identity_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("identity.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
        )
    )
    week: dt.date = Field(sa_column=sa.Column(sa.Date, primary_key=True, index=True))
    tool: str = Field(max_length=32)
    day_mask: int = 0
    interactions: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    generations: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    acceptances: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    lines_accepted: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    input_tokens: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    output_tokens: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    cost_cents: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    # The source of the identity's daily rows ("otlp" for OpenTelemetry; NULL on weeks rolled
    # up before it was kept, none of which came through OpenTelemetry).
    source: str | None = Field(default=None, max_length=32)
    # Outcome totals of the week's active days; NULL where no source reported the outcome.
    commits: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    pull_requests: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, nullable=True)
    )
    lines_added: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    lines_removed: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, nullable=True)
    )
    edits_accepted: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, nullable=True)
    )
    edits_rejected: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, nullable=True)
    )


class TeamVersion(SQLModel, table=True):
    """One counter bumped by every write to teams: each process reloads its team tree on a move."""

    __tablename__ = "team_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))


class SlackRequestSeen(SQLModel, table=True):
    """A signed Slack request already accepted, kept while its timestamp is inside Slack's window.

    Slack's signature has no nonce: an exact copy of a request verifies again for five
    minutes. Every web process records what it accepts here and refuses what is already here.
    """

    __tablename__ = "slack_request_seen"

    signature: str = Field(sa_column=sa.Column(sa.String(80), primary_key=True))
    request_ts: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, index=True))


class OtlpSeries(SQLModel, table=True):
    """Where one OpenTelemetry counter series stands, so each increment is counted once.

    `series_key` is a keyed hash of the series' source, identity, metric and attributes (never
    the attribute values themselves). `start_unix_nano` changes when an exporter restarts,
    which starts the series again from zero; `total` is the series' running amount since then.
    """

    __tablename__ = "otlp_series"

    series_key: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    start_unix_nano: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    last_unix_nano: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    total: float = Field(sa_column=sa.Column(sa.Double, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=_tz_column(index=True))
