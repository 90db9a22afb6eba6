"""Teams, who is in them, and the figures released for them."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models.base import tz_column, utcnow


class TeamRole(enum.StrEnum):
    """A person's role in a team."""

    MEMBER = "member"
    MANAGER = "manager"


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


class TeamVersion(SQLModel, table=True):
    """One counter bumped by every write to teams: each process reloads its team tree on a move."""

    __tablename__ = "team_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))


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
    computed_at: dt.datetime = Field(default_factory=utcnow, sa_column=tz_column())
