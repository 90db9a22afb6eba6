"""outcome signals on daily usage, and OpenTelemetry series state

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

`daily_usage` gains the outcome signals some sources report (commits and pull requests made
with AI, lines added and removed, accepted and rejected edits), NULL where a source reports
none. On PostgreSQL `daily_usage` is partitioned: ALTER TABLE on the parent adds the columns to
every partition. `otlp_series` remembers where each OpenTelemetry counter series stands, so
that the OTLP intake counts every increment once, across repeats and exporter restarts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OUTCOMES = (
    "commits",
    "pull_requests",
    "lines_added",
    "lines_removed",
    "edits_accepted",
    "edits_rejected",
)


def upgrade() -> None:
    for name in _OUTCOMES:
        op.add_column("daily_usage", sa.Column(name, sa.Integer(), nullable=True))
    op.create_table(
        "otlp_series",
        sa.Column("series_key", sa.String(length=64), nullable=False),
        sa.Column("start_unix_nano", sa.BigInteger(), nullable=False),
        sa.Column("last_unix_nano", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Double(), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("series_key"),
    )
    op.create_index(op.f("ix_otlp_series_updated_at"), "otlp_series", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_otlp_series_updated_at"), table_name="otlp_series")
    op.drop_table("otlp_series")
    with op.batch_alter_table("daily_usage") as batch:
        for name in reversed(_OUTCOMES):
            batch.drop_column(name)
