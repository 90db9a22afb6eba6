"""team approval

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

Any employee can create a Slack user group or a GitHub team, and two groups that differ by one
person would single that person out, so a synced team counts only once an admin allows it
(`/uptake-admin teams allow NAME`). Org-file teams are allowed (an admin wrote the file);
every existing team from another source starts not allowed, and an admin allows the ones
that should stay.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allowed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    team = sa.table("team", sa.column("source", sa.String), sa.column("allowed", sa.Boolean))
    op.execute(team.update().where(team.c.source == "org_file").values(allowed=True))


def downgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_column("allowed")
