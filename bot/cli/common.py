"""What every `uptake` subcommand shares: the database for one command and argument types."""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

#: A subcommand's handler: settings and parsed arguments in, exit status out.
Handler = Callable[[Settings, argparse.Namespace], int]


@contextmanager
def engine_for(settings: Settings, *, migrate: bool = False) -> Iterator[Engine]:
    """The database for one command, migrated if asked, and closed when the command ends."""
    from storage.engine import make_engine
    from storage.migrate import upgrade

    engine = make_engine(settings.database_url)
    try:
        if migrate:
            upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def database_label(url: str) -> str:
    """The database URL fit to print: the password, if any, masked."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def uptake_command() -> str:
    """How to type `uptake` in the working folder, whether or not the virtualenv is active."""
    bin_dir = Path(sys.executable).parent
    script = bin_dir / "uptake"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "bot.cli"]
    cwd = Path.cwd()
    if bin_dir.is_relative_to(cwd):
        relative = Path(command[0]).relative_to(cwd)
        # A bare name would be looked up on PATH; a path with a slash is run as typed.
        command[0] = str(relative) if len(relative.parts) > 1 else f"./{relative}"
    return shlex.join(command)


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
