"""daily usage partitioned by month on PostgreSQL

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

On PostgreSQL `daily_usage` becomes a table partitioned by range of `day`, one partition a
month (`daily_usage_YYYY_MM`), so that retention drops whole months instead of deleting rows.
The old table is renamed aside, the new one is created like it with partitions for every month
its rows cover up to three months ahead, the rows are copied in one INSERT … SELECT, and the
old table is dropped; keys and indexes are built after the copy (faster than row by row).
The months are computed in SQL, so `uptake db sql` can write this migration too. The primary
key (identity_id, day) already holds `day`, as PostgreSQL requires of a partitioned table, and
no foreign key points at `daily_usage`. SQLite has no partitions: nothing changes there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MONTHS_AHEAD = 3

_RENAME_ASIDE = (
    "ALTER TABLE daily_usage RENAME TO daily_usage_old",
    "ALTER TABLE daily_usage_old RENAME CONSTRAINT daily_usage_pkey TO daily_usage_old_pkey",
    "ALTER TABLE daily_usage_old"
    " RENAME CONSTRAINT daily_usage_identity_id_fkey TO daily_usage_old_identity_id_fkey",
    "ALTER INDEX ix_daily_usage_day RENAME TO ix_daily_usage_old_day",
)

_KEYS = (
    "ALTER TABLE daily_usage ADD CONSTRAINT daily_usage_pkey PRIMARY KEY (identity_id, day)",
    "CREATE INDEX ix_daily_usage_day ON daily_usage (day)",
    "ALTER TABLE daily_usage ADD CONSTRAINT daily_usage_identity_id_fkey"
    " FOREIGN KEY (identity_id) REFERENCES identity (id) ON DELETE CASCADE",
)

# One partition per month from the oldest row's month (or this month) to three months ahead.
_CREATE_PARTITIONS = f"""
DO $$
DECLARE
    month date;
BEGIN
    FOR month IN
        SELECT generate_series(
            date_trunc('month', LEAST(MIN(day), CURRENT_DATE)),
            date_trunc('month', GREATEST(MAX(day), CURRENT_DATE))
                + interval '{_MONTHS_AHEAD} months',
            interval '1 month'
        )::date
        FROM daily_usage_old
    LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF daily_usage FOR VALUES FROM (%L) TO (%L)',
            'daily_usage_' || to_char(month, 'YYYY_MM'),
            month,
            (month + interval '1 month')::date
        );
    END LOOP;
END
$$
"""


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for statement in _RENAME_ASIDE:
        op.execute(statement)
    op.execute(
        "CREATE TABLE daily_usage (LIKE daily_usage_old INCLUDING DEFAULTS)"
        " PARTITION BY RANGE (day)"
    )
    op.execute(_CREATE_PARTITIONS)
    op.execute("INSERT INTO daily_usage SELECT * FROM daily_usage_old")
    op.execute("DROP TABLE daily_usage_old")
    for statement in _KEYS:
        op.execute(statement)
    op.execute("ANALYZE daily_usage")


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for statement in _RENAME_ASIDE:
        op.execute(statement)
    op.execute("CREATE TABLE daily_usage (LIKE daily_usage_old INCLUDING DEFAULTS)")
    op.execute("INSERT INTO daily_usage SELECT * FROM daily_usage_old")
    op.execute("DROP TABLE daily_usage_old")  # and every monthly partition with it
    for statement in _KEYS:
        op.execute(statement)
    op.execute("ANALYZE daily_usage")
