"""What Uptake sends: the outbox, tips and digest subscriptions."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models.base import tz_column, utcnow


class OutboxState(enum.StrEnum):
    """Life of a message waiting to be sent to Slack."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # not sent: its recipient may no longer get it (a digest's reader left)


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
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column())
    claimed_until: dt.datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    sent_ts: str | None = Field(default=None, max_length=32)
    claim_token: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column())
    sent_at: dt.datetime | None = Field(default=None, sa_column=tz_column(nullable=True))


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
        default=None, sa_column=tz_column(nullable=True)
    )
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column())


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
    scheduled_for: dt.datetime = Field(sa_column=tz_column())
    outbox_key: str = Field(max_length=200)
    reworded: bool = False
    feedback: str | None = Field(default=None, max_length=16)
    feedback_at: dt.datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column())


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
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column())
