"""The `uptake` command line: run the bot, the clock, migrations, the demo and imports.

Each module here adds its own subcommands (`register`) and handles them; `main` only parses,
loads the settings once and dispatches.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from bot.cli import db, demo, health, imports, myusage, preview, processes, release, sources
from bot.cli.errors import check_schema, describe_failure
from bot.logs import configure_logging
from bot.settings import SettingsError, load_settings

_COMMAND_MODULES = (processes, db, demo, sources, imports, myusage, preview, release, health)
# Commands that use the database without migrating it first, and run until stopped.
_SERVE_WITHOUT_MIGRATING = frozenset({"serve", "socket"})

logger = logging.getLogger("uptake")


def build_parser() -> argparse.ArgumentParser:
    """The whole `uptake` parser, every subcommand included."""
    parser = argparse.ArgumentParser(
        prog="uptake",
        description="Uptake: AI coding tool adoption, privately for each engineer "
        "and in aggregate for managers.",
        epilog="`uptake COMMAND --help` describes each command.\n\nexample:\n  uptake start",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    try:
        installed = version("uptake")
    except PackageNotFoundError:  # run from a checkout that was never installed
        installed = "unknown"
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed}")
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
    configure_logging(settings.log_level, settings.log_format)
    try:
        if args.command in _SERVE_WITHOUT_MIGRATING:
            check_schema(settings)  # else a database behind fails only at the first request
        return int(args.handler(settings, args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        failure = describe_failure(exc, settings)
        if failure is None:  # a bug: its traceback, scrubbed like every log line
            logger.critical("uptake %s stopped on an unexpected error", args.command, exc_info=exc)
            return 1
        logger.debug("uptake %s failed", args.command, exc_info=exc)  # LOG_LEVEL=DEBUG shows it
        print(f"uptake {args.command}: {failure.message}", file=sys.stderr)
        return failure.status
