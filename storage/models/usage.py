"""Usage as the sources report it: daily rows, their weekly rollup, organisation-only
outcomes, OpenTelemetry series state, seats and each source's sync state."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models.base import tz_column, utcnow


class CostKind(enum.StrEnum):
    """Whether a cost figure came from the vendor's bill or was estimated by Uptake."""

    BILLED = "billed"
    ESTIMATED = "estimated"


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
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column())


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
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column())


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
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column(index=True))


class Seat(SQLModel, table=True):
    """A licence seat a vendor reports as assigned (GitHub Copilot today)."""

    __tablename__ = "seat"

    tool: str = Field(primary_key=True, max_length=32)
    external_id: str = Field(primary_key=True, max_length=320)
    assigned_at: dt.datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    last_activity_at: dt.datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    pending_cancellation_date: dt.date | None = None
    plan: str | None = Field(default=None, max_length=32)
    synced_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column())


class SyncState(SQLModel, table=True):
    """Where each usage source stands: what is complete, and the last success and error."""

    __tablename__ = "sync_state"

    source: str = Field(primary_key=True, max_length=32)
    last_complete_day: dt.date | None = None
    last_success_at: dt.datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    last_error_at: dt.datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    last_error: str | None = Field(default=None, max_length=1000)
