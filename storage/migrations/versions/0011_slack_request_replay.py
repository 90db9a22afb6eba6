"""slack requests seen, to refuse replays

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

Slack's request signature has no nonce, so an exact copy of a signed request verifies again
for five minutes. Every web process records the requests it accepts (`slack_request_seen`)
and refuses one already recorded; rows older than the window are purged as requests arrive.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_request_seen",
        sa.Column("signature", sa.String(length=80), nullable=False),
        sa.Column("request_ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("signature"),
    )
    op.create_index(
        op.f("ix_slack_request_seen_request_ts"),
        "slack_request_seen",
        ["request_ts"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_slack_request_seen_request_ts"), table_name="slack_request_seen")
    op.drop_table("slack_request_seen")
