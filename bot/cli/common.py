"""What every `uptake` subcommand shares: the database for one command and argument types."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from bot.settings import Settings
from storage.engine import make_engine
from storage.migrate import upgrade

#: A subcommand's handler: settings and parsed arguments in, exit status out.
Handler = Callable[[Settings, argparse.Namespace], int]


@contextmanager
def engine_for(settings: Settings, *, migrate: bool = False) -> Iterator[Engine]:
    """The database for one command, migrated if asked, and closed when the command ends."""
    engine = make_engine(settings.database_url)
    try:
        if migrate:
            upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Handler,
    *,
    help: str,
    example: str | None = None,
    epilog: str | None = None,
) -> argparse.ArgumentParser:
    """A subcommand whose `--help` shows its description, options and an example."""
    parts = [part for part in (epilog, f"example:\n  {example}" if example else None) if part]
    parser = commands.add_parser(
        name,
        help=help,
        description=help[:1].upper() + help[1:] + ".",
        epilog="\n\n".join(parts) or None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def timestamp(value: str) -> dt.datetime:
    """An ISO time from the command line; UTC when it names no zone."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a time like 2026-11-30T09:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def date(value: str) -> dt.date:
    """An ISO date from the command line."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-01") from None
