"""Operating records: the audit log, process heartbeats and Slack requests already seen."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models.base import tz_column, utcnow


class AuditEntry(SQLModel, table=True):
    """A record of someone looking at, or acting on, a person's data."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column(index=True))
    actor_slack_user_id: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=64)
    subject_person_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.ForeignKey("person.id", ondelete="SET NULL"), index=True),
    )
    detail: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )


class Heartbeat(SQLModel, table=True):
    """The latest sign of life from a long-running process (the clock, the Socket Mode worker)."""

    __tablename__ = "heartbeat"

    process: str = Field(primary_key=True, max_length=32)
    host: str = Field(max_length=255)
    pid: int
    beat_at: dt.datetime = Field(sa_column=tz_column())


class SlackRequestSeen(SQLModel, table=True):
    """A signed Slack request already accepted, kept while its timestamp is inside Slack's window.

    Slack's signature has no nonce: an exact copy of a request verifies again for five
    minutes. Every web process records what it accepts here and refuses what is already here.
    """

    __tablename__ = "slack_request_seen"

    signature: str = Field(sa_column=sa.Column(sa.String(80), primary_key=True))
    request_ts: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, index=True))
