"""a denied synced team stays denied

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30

`team.allowed` alone could not tell a Slack user group or GitHub team an admin denied from one
nobody has looked at yet, so denied groups came back in the admins' "waiting" list. `reviewed`
records that an admin decided. Teams allowed so far were decided; the rest are left waiting.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reviewed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    team = sa.table("team", sa.column("allowed", sa.Boolean), sa.column("reviewed", sa.Boolean))
    op.execute(team.update().where(team.c.allowed.is_(True)).values(reviewed=True))


def downgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_column("reviewed")
