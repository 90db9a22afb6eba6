"""`uptake health`: is this deployment working? One line per check; exit 1 if any fails."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import asdict

from bot.cli.common import add_command, engine_for
from bot.ops.health import MAX_HEARTBEAT_AGE, MAX_OUTBOX_WAIT, check_health
from bot.ops.heartbeat import PROCESSES
from bot.settings import Settings
from storage.models import utcnow


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uptake health`."""
    parser = add_command(
        commands,
        "health",
        health,
        help="check the database, its migrations, each process's heartbeat and the outbox; "
        "exit 1 if any check fails (a container probe)",
        example="uptake health --require clock,socket",
        epilog="Any process that has ever sent a heartbeat must have sent one recently;\n"
        "--require also fails a process that never has (it is not running).",
    )
    parser.add_argument(
        "--require",
        type=_processes,
        default=(),
        metavar="PROCESS[,PROCESS]",
        help=f"processes that must be running: {', '.join(PROCESSES)}",
    )
    parser.add_argument(
        "--max-heartbeat-age",
        type=_minutes,
        default=MAX_HEARTBEAT_AGE,
        metavar="MINUTES",
        help="a heartbeat older than this fails (default 3)",
    )
    parser.add_argument(
        "--max-outbox-wait",
        type=_minutes,
        default=MAX_OUTBOX_WAIT,
        metavar="MINUTES",
        help="a due outbox message waiting longer than this fails (default 15)",
    )
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")


def health(settings: Settings, args: argparse.Namespace) -> int:
    """Run every check; print one line each (or JSON); 0 when all pass, else 1."""
    with engine_for(settings) as engine:
        checks = check_health(
            engine,
            now=utcnow(),
            require=args.require,
            max_heartbeat_age=args.max_heartbeat_age,
            max_outbox_wait=args.max_outbox_wait,
        )
    healthy = all(check.ok for check in checks)
    if args.json:
        print(json.dumps({"ok": healthy, "checks": [asdict(check) for check in checks]}))
    else:
        for check in checks:
            print(f"{'ok' if check.ok else 'FAIL':<4} {check.name}: {check.detail}")
    return 0 if healthy else 1


def _processes(value: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(set(names) - set(PROCESSES))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown process(es) {', '.join(unknown)}; choose from {', '.join(PROCESSES)}"
        )
    return names


def _minutes(value: str) -> dt.timedelta:
    try:
        minutes = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of minutes") from None
    if minutes <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 minutes")
    return dt.timedelta(minutes=minutes)
