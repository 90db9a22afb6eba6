"""The `uptake` command line: run the bot, the clock, migrations, the demo and imports.

Each module here adds its own subcommands (`register`) and handles them; `main` only parses,
loads the settings once and dispatches. A command imports only its own module (Bolt, OpenAI's
SDK and the rest of the bot load only for the commands that use them); `uptake --help` and an
unknown command build the whole parser.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version

from bot.logs import configure_logging
from bot.settings import SettingsError, load_settings

#: Each module of `bot.cli` that adds commands, and the commands it adds, in `--help` order.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "processes": ("start", "serve", "socket", "clock", "jobs", "run-job"),
    "db": ("db",),
    "demo": ("demo",),
    "sources": ("sync", "sources", "people"),
    "imports": ("import",),
    "myusage": ("myusage",),
    "preview": ("preview",),
    "release": ("release", "releases"),
    "health": ("health",),
}
# Commands that use the database without migrating it first, and run until stopped.
_SERVE_WITHOUT_MIGRATING = frozenset({"serve", "socket"})

logger = logging.getLogger("uptake")


def build_parser(modules: Iterable[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The `uptake` parser with the commands of `modules` (by default every command)."""
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
    for module in modules:
        importlib.import_module(f"{__name__}.{module}").register(commands)
    return parser


def parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for `argv`: only its command's module when it starts with a known command."""
    command = argv[0] if argv else None
    module = next((m for m, names in COMMAND_MODULES.items() if command in names), None)
    return build_parser([module] if module else COMMAND_MODULES)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `uptake` console script."""
    argv = sys.argv[1:] if argv is None else argv
    args = parser_for(argv).parse_args(argv)
    from bot.cli.errors import check_schema, describe_failure  # loads alembic, Slack, SQLAlchemy

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
