"""People and their accounts in each tool, and each person's disclosure key."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models.base import tz_column, utcnow


class LinkMethod(enum.StrEnum):
    """How a vendor identity came to be linked to a person."""

    EMAIL = "email"  # same verified email as the Slack profile
    ADMIN = "admin"  # an admin mapping (CSV or admin command)
    CLAIM = "claim"  # self-claimed; shows nothing until verified
    IMPORT = "import"  # a usage file that named the Slack user id
    REFUSED = "refused"  # unlinked by its owner: never linked automatically again


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
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column())


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
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column())


class DisclosureKey(SQLModel, table=True):
    """A person's secret record key for cell-key noise (never shown, exported or logged)."""

    __tablename__ = "disclosure_key"

    person_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    record_key: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
