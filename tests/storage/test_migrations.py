"""Migrations build the schema the models describe, from an empty database, on both engines."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage import partitions
from storage.migrate import MIGRATIONS, alembic_config, current_revision, upgrade


def test_database_is_at_the_head_revision(engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None
    assert current_revision(engine) == head


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        # Daily usage's monthly partitions (PostgreSQL) are made at run time, not by models.
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": partitions.include_name}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    before = set(sa.inspect(engine).get_table_names())
    upgrade(engine)
    assert set(sa.inspect(engine).get_table_names()) == before
    assert {"person", "identity", "daily_usage", "outbox", "audit_log"} <= before


def test_every_migration_file_is_packaged() -> None:
    versions = sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py"))
    assert versions, "no migrations found"
    assert all(name[:4].isdigit() for name in versions)
