"""Alembic migrations, run from code (`uptake db`) or by plain `alembic` through alembic.ini."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


class MigrationProblem(Exception):
    """Alembic cannot do what was asked (an unknown revision, say); the message says why."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One revision of the schema, as `uptake db history` lists it."""

    revision: str
    description: str
    is_head: bool


def alembic_config(engine: Engine | None = None, *, database_url: str | None = None) -> Config:
    """An Alembic config bound to `engine`'s connection, or to a URL for offline SQL."""
    config = Config(output_buffer=io.StringIO())
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    if database_url is not None:
        # ConfigParser would read a `%` in a password as interpolation.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision`."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision`, undoing every migration after it."""
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None if it has never been migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrations() -> list[Migration]:
    """Every migration, newest first."""
    return [
        Migration(script.revision, script.doc, script.is_head)
        for script in _scripts().walk_revisions()
    ]


def migrations_between(upper: str | None, lower: str) -> list[Migration]:
    """The migrations a downgrade from `upper` to `lower` undoes, newest first.

    Raises `MigrationProblem` when a revision is unknown or `lower` is not below `upper`.
    """
    if upper is None:
        return []
    try:
        return [
            Migration(script.revision, script.doc, script.is_head)
            for script in _scripts().iterate_revisions(upper, lower)
            if script is not None
        ]
    except (CommandError, RevisionError) as exc:
        raise MigrationProblem(str(exc)) from exc


def offline_sql(database_url: str, *, start: str | None = None, end: str = "head") -> str:
    """The SQL that takes a database in `database_url`'s dialect from `start` to `end`.

    `start` None means an empty database; an `end` below `start` gives the downgrade's SQL.
    Raises `MigrationProblem` for an unknown revision, and for SQLite, whose table rebuilds
    need the live database.
    """
    config = alembic_config(database_url=database_url)
    try:
        if start is not None and _is_below(end, start):
            command.downgrade(config, f"{start}:{end}", sql=True)
        else:
            command.upgrade(config, f"{start}:{end}" if start else end, sql=True)
    except (CommandError, RevisionError) as exc:
        raise MigrationProblem(str(exc)) from exc
    buffer = config.output_buffer
    assert isinstance(buffer, io.StringIO)
    return buffer.getvalue()


def _is_below(lower: str, upper: str) -> bool:
    if lower == "base":
        return True
    scripts = _scripts()
    lower_script, upper_script = scripts.get_revision(lower), scripts.get_revision(upper)
    if lower_script is None or upper_script is None:
        return False
    return lower_script.revision != upper_script.revision and any(
        script is not None and script.revision == lower_script.revision
        for script in scripts.iterate_revisions(upper_script.revision, "base")
    )


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))
