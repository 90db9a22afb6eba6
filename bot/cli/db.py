"""`uptake db`: migrations and the database's revision."""

from __future__ import annotations

import argparse

from bot.cli.common import add_command, engine_for
from bot.settings import Settings
from storage.migrate import current_revision, upgrade


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uptake db` and its subcommands."""
    db = add_command(
        commands, "db", database, help="database maintenance", example="uptake db upgrade"
    )
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="apply database migrations")
    db_commands.add_parser("current", help="show the database's migration revision")


def database(settings: Settings, args: argparse.Namespace) -> int:
    """Apply migrations or show the revision."""
    with engine_for(settings) as engine:
        if args.db_command == "upgrade":
            upgrade(engine)
        print(f"database at revision {current_revision(engine) or 'none'}")
    return 0
