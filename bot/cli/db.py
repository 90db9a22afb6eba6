"""`uptake db`: apply, list, undo and print the database migrations."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.cli.common import Handler, add_command, engine_for
from bot.settings import Settings

if TYPE_CHECKING:
    from storage.migrate import Migration


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uptake db` and its subcommands."""
    db = add_command(
        commands, "db", database, help="database migrations", example="uptake db upgrade"
    )
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    add_command(
        db_commands,
        "upgrade",
        database,
        help="apply every migration not yet applied (the Procfile's release step)",
        example="uptake db upgrade",
    )
    add_command(
        db_commands,
        "current",
        database,
        help="show the database's migration revision",
        example="uptake db current",
    )
    add_command(
        db_commands,
        "history",
        database,
        help="list every migration, newest first, marking the database's current one",
        example="uptake db history",
    )
    back = add_command(
        db_commands,
        "downgrade",
        database,
        help="undo the migrations after REVISION, dropping what they added (data included)",
        example="uptake db downgrade 0005",
        epilog="Asks before changing anything; --yes skips the question, and is required\n"
        "when standard input is not a terminal.",
    )
    back.add_argument("revision", help="a revision from `uptake db history`, or base for none")
    back.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    sql = add_command(
        db_commands,
        "sql",
        database,
        help="print the migrations' SQL for DATABASE_URL's dialect without connecting, "
        "for a DBA to review and apply (PostgreSQL)",
        example="DATABASE_URL=postgresql://db.internal/uptake uptake db sql --from 0005",
        epilog="Going down (--to below --from) prints the downgrade's SQL. The SQL also\n"
        "records the revision in alembic_version, so `uptake db current` agrees afterwards.",
    )
    sql.add_argument(
        "--from",
        dest="start",
        metavar="REVISION",
        help="the revision the database is at (default: an empty database)",
    )
    sql.add_argument(
        "--to", dest="end", metavar="REVISION", default="head", help="default: head, the newest"
    )


def database(settings: Settings, args: argparse.Namespace) -> int:
    """Run one `uptake db` subcommand."""
    return _SUBCOMMANDS[args.db_command](settings, args)


def apply_migrations(settings: Settings, _args: argparse.Namespace) -> int:
    """Upgrade to the newest migration and say where the database is."""
    from storage.migrate import current_revision, upgrade

    with engine_for(settings) as engine:
        upgrade(engine)
        print(f"database at revision {current_revision(engine) or 'none'}")
    return 0


def show_current(settings: Settings, _args: argparse.Namespace) -> int:
    """Say which migration the database is at."""
    from storage.migrate import current_revision

    with engine_for(settings) as engine:
        print(f"database at revision {current_revision(engine) or 'none'}")
    return 0


def show_history(settings: Settings, _args: argparse.Namespace) -> int:
    """List the migrations, newest first, marking the head and the database's current one."""
    from storage.migrate import current_revision, migrations

    with engine_for(settings) as engine:
        current = current_revision(engine)
    for migration in migrations():
        marks = {"head": migration.is_head, "current": migration.revision == current}
        print(
            f"{migration.revision:<6} {migration.description}"
            + "".join(f" ({mark})" for mark, on in marks.items() if on)
        )
    if current is None:
        print("(the database has no migrations applied yet)")
    return 0


def undo_migrations(settings: Settings, args: argparse.Namespace) -> int:
    """Downgrade to `args.revision`, after asking unless `--yes`."""
    from storage.migrate import MigrationProblem, current_revision, downgrade, migrations_between

    with engine_for(settings) as engine:
        current = current_revision(engine)
        try:
            undone = migrations_between(current, args.revision)
        except MigrationProblem as exc:
            print(
                f"uptake db downgrade: {exc}; give a revision below {current or 'base'} "
                "from `uptake db history`, or base",
                file=sys.stderr,
            )
            return 2
        if not undone:
            print(f"database already at revision {current or 'none'}")
            return 0
        if not args.yes and not _confirmed(current, args.revision, undone):
            return 1
        downgrade(engine, args.revision)
        print(f"database at revision {current_revision(engine) or 'none'}")
    return 0


def _confirmed(current: str | None, target: str, undone: list[Migration]) -> bool:
    if not sys.stdin.isatty():
        print(
            "uptake db downgrade: standard input is not a terminal; "
            "pass --yes to downgrade without being asked",
            file=sys.stderr,
        )
        return False
    print("This undoes these migrations and drops what they added, data included:")
    for migration in undone:
        print(f"  {migration.revision:<6} {migration.description}")
    answer = input(f"Downgrade the database from {current} to {target}? [y/N] ")
    if answer.strip().lower() in {"y", "yes"}:
        return True
    print("Nothing changed.")
    return False


def print_sql(settings: Settings, args: argparse.Namespace) -> int:
    """Print the offline SQL from `--from` to `--to`."""
    from storage.migrate import MigrationProblem, offline_sql

    try:
        print(offline_sql(settings.database_url, start=args.start, end=args.end), end="")
    except MigrationProblem as exc:
        print(f"uptake db sql: {exc}", file=sys.stderr)
        if settings.database_url.startswith("sqlite") and "batch mode" in str(exc):
            print(
                "SQLite changes tables by copying them, which needs the live database: "
                "use `uptake db upgrade`",
                file=sys.stderr,
            )
        return 2
    return 0


_SUBCOMMANDS: dict[str, Handler] = {
    "upgrade": apply_migrations,
    "current": show_current,
    "history": show_history,
    "downgrade": undo_migrations,
    "sql": print_sql,
}
