"""outcome signals from the vendors' admin APIs, and organisation-only figures

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30

`daily_usage` gains the per-person outcome signals the vendors' admin APIs publish beside the
outcome columns of 0012: Cursor's tab suggestions shown and accepted and its lines committed
with AI and without (AI code tracking), GitHub's AI credits used
(a signal of consumption, not the bill) and AI adoption phase, whether the person used a cloud
agent, the Copilot app, or Copilot code review actively or passively, and the vendors'
breakdowns of those outcomes (JSON). All are NULL where a source reports none. On PostgreSQL
ALTER TABLE on the partitioned parent adds them to every partition.

`org_outcome_day` keeps the figures GitHub reports only for a whole organisation (pull requests
created and merged by Copilot, time to merge, review cycles, per adoption phase), apart from
any person.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("tabs_shown", sa.Integer()),
    ("tabs_accepted", sa.Integer()),
    ("commit_lines_ai", sa.Integer()),
    ("commit_lines_other", sa.Integer()),
    ("ai_credits_used", sa.Double()),
    ("adoption_phase", sa.SmallInteger()),
    ("used_cloud_agent", sa.Boolean()),
    ("used_copilot_app", sa.Boolean()),
    ("code_review_active", sa.Boolean()),
    ("code_review_passive", sa.Boolean()),
    ("outcome_detail", sa.JSON()),
)


def upgrade() -> None:
    for name, kind in _COLUMNS:
        op.add_column("daily_usage", sa.Column(name, kind, nullable=True))
    op.create_table(
        "org_outcome_day",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cohort", sa.String(length=16), nullable=False),
        sa.Column("metric", sa.String(length=96), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "day", "cohort", "metric"),
    )
    op.create_index(op.f("ix_org_outcome_day_day"), "org_outcome_day", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_org_outcome_day_day"), table_name="org_outcome_day")
    op.drop_table("org_outcome_day")
    with op.batch_alter_table("daily_usage") as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
