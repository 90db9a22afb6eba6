"""outcome totals on the weekly rollup

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

`usage_week` gains the week's outcome totals (commits and pull requests made with AI, lines
added and removed, accepted and rejected edits), NULL where no source reported them, so that
team releases read outcomes from the rollup like every other figure, and the week's source, so
that a person reported both by a vendor's admin API and by OpenTelemetry is counted once. The
weeks that already have outcome rows in `daily_usage` are filled in from them.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0013"
down_revision: str | None = "0012"
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
        op.add_column("usage_week", sa.Column(name, sa.BigInteger(), nullable=True))
    op.add_column("usage_week", sa.Column("source", sa.String(length=32), nullable=True))
    _backfill()
    # Only whether a week came through OpenTelemetry matters to readers (a vendor's admin API
    # is preferred over it for the same person, tool and week): mark those weeks.
    op.execute(
        "UPDATE usage_week SET source = 'otlp' WHERE identity_id IN "
        "(SELECT DISTINCT identity_id FROM daily_usage WHERE source = 'otlp')"
    )


def _backfill() -> None:
    if context.is_offline_mode():
        # `uptake db sql` writes the SQL to run by hand and reads no data; on a database with
        # OpenTelemetry rows, run `uptake db upgrade` (or recompute the rollup) instead.
        return
    daily = sa.table(
        "daily_usage",
        sa.column("identity_id", sa.Integer),
        sa.column("day", sa.Date),
        sa.column("active", sa.Boolean),
        *(sa.column(name, sa.Integer) for name in _OUTCOMES),
    )
    week = sa.table(
        "usage_week",
        sa.column("identity_id", sa.Integer),
        sa.column("week", sa.Date),
        *(sa.column(name, sa.BigInteger) for name in _OUTCOMES),
    )
    reported = sa.or_(*(daily.c[name].is_not(None) for name in _OUTCOMES))
    rows = op.get_bind().execute(
        sa.select(daily.c.identity_id, daily.c.day, *(daily.c[name] for name in _OUTCOMES)).where(
            daily.c.active.is_(True), reported
        )
    )
    totals: dict[tuple[int, dt.date], dict[str, int | None]] = defaultdict(
        lambda: dict.fromkeys(_OUTCOMES)
    )
    for identity_id, day, *values in rows:
        monday = day - dt.timedelta(days=day.weekday())
        found = totals[(identity_id, monday)]
        for name, value in zip(_OUTCOMES, values, strict=True):
            if value is not None:
                found[name] = (found[name] or 0) + int(value)
    for (identity_id, monday), sums in totals.items():
        op.get_bind().execute(
            sa.update(week)
            .where(week.c.identity_id == identity_id, week.c.week == monday)
            .values(**sums)
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_week") as batch:
        batch.drop_column("source")
        for name in reversed(_OUTCOMES):
            batch.drop_column(name)
