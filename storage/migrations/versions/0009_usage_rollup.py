"""weekly usage rollup and the team version

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

`usage_week` holds each identity's active days (a 7-bit mask) and totals per ISO week, kept
in step with `daily_usage` on every write, so that releases read a few rows per person; it is
filled here from the daily rows already stored. `team_version` is one counter that every write
to teams bumps, so that each process reloads its cached team tree only when teams changed.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOTALS = (
    "interactions",
    "generations",
    "acceptances",
    "lines_accepted",
    "input_tokens",
    "output_tokens",
)


def upgrade() -> None:
    op.create_table(
        "usage_week",
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("tool", sa.String(length=32), nullable=False),
        sa.Column("day_mask", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in _TOTALS),
        sa.Column("cost_cents", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["identity_id"], ["identity.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("identity_id", "week"),
    )
    op.create_index(op.f("ix_usage_week_week"), "usage_week", ["week"], unique=False)
    team_version = op.create_table(
        "team_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(team_version, [{"id": 1, "version": 0}])
    _backfill()


def _backfill() -> None:
    """Fill the rollup from the daily rows, one week at a time (bounded work per statement)."""
    if op.get_context().as_sql:
        # Offline SQL for a DBA (`uptake db sql`, PostgreSQL): one set-based statement, since
        # the database cannot be asked for its date range while the script is being written.
        totals = ", ".join(f"SUM(CASE WHEN active THEN {name} ELSE 0 END)" for name in _TOTALS)
        op.execute(
            "INSERT INTO usage_week (identity_id, week, tool, day_mask, "
            f"{', '.join(_TOTALS)}, cost_cents) "
            "SELECT identity_id, CAST(date_trunc('week', day) AS date), MAX(tool), "
            "SUM(CASE WHEN active THEN 1 << (CAST(EXTRACT(ISODOW FROM day) AS integer) - 1) "
            f"ELSE 0 END), {totals}, SUM(CASE WHEN active THEN cost_cents END) "
            "FROM daily_usage GROUP BY identity_id, date_trunc('week', day) "
            "HAVING SUM(CASE WHEN active THEN 1 ELSE 0 END) > 0"
        )
        return
    bind = op.get_bind()
    first, last = bind.execute(sa.text("SELECT min(day), max(day) FROM daily_usage")).one()
    if first is None:
        return
    if isinstance(first, str):  # SQLite returns dates as text here
        first, last = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    week = first - dt.timedelta(days=first.weekday())
    true = "true" if bind.dialect.name == "postgresql" else "1"
    while week <= last:
        days = [week + dt.timedelta(days=i) for i in range(7)]
        mask = " + ".join(
            f"CASE WHEN active = {true} AND day = :d{i} THEN {1 << i} ELSE 0 END" for i in range(7)
        )
        totals = ", ".join(
            f"SUM(CASE WHEN active = {true} THEN {name} ELSE 0 END)" for name in _TOTALS
        )
        bind.execute(
            sa.text(
                "INSERT INTO usage_week (identity_id, week, tool, day_mask, "
                f"{', '.join(_TOTALS)}, cost_cents) "
                f"SELECT identity_id, :d0, MAX(tool), SUM({mask}), {totals}, "
                f"SUM(CASE WHEN active = {true} THEN cost_cents END) "
                "FROM daily_usage WHERE day >= :d0 AND day <= :d6 "
                f"GROUP BY identity_id HAVING SUM({mask}) > 0"
            ).bindparams(*(sa.bindparam(f"d{i}", day, type_=sa.Date) for i, day in enumerate(days)))
        )
        week += dt.timedelta(days=7)


def downgrade() -> None:
    op.drop_table("team_version")
    op.drop_index(op.f("ix_usage_week_week"), table_name="usage_week")
    op.drop_table("usage_week")
