"""The `uptake` command line: run the bot, the clock, migrations, the demo and imports.

Each module here adds its own subcommands (`register`) and handles them; `main` only parses,
loads the settings once and dispatches.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import db, demo, imports, myusage, processes, sources
from bot.logs import configure_logging
from bot.settings import SettingsError, load_settings

_COMMAND_MODULES = (processes, db, demo, sources, imports, myusage)


def build_parser() -> argparse.ArgumentParser:
    """The whole `uptake` parser, every subcommand included."""
    parser = argparse.ArgumentParser(
        prog="uptake",
        description="Uptake: AI coding tool adoption, privately for each engineer "
        "and in aggregate for managers.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `uptake` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"uptake: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    return int(args.handler(settings, args))
