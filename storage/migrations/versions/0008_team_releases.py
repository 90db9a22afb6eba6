"""team releases and disclosure keys

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

Team figures are now computed once per team and fixed period and stored (`team_release`);
each person gets a secret record key (`disclosure_key`) from which cell-key noise is derived.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disclosure_key",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "team_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("computed_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "period", name="uq_team_release_period"),
    )
    op.create_index(op.f("ix_team_release_period"), "team_release", ["period"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_team_release_period"), table_name="team_release")
    op.drop_table("team_release")
    op.drop_table("disclosure_key")
