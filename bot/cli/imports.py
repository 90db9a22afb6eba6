"""`uptake import`: usage, identity maps and the org file, each checked whole before writing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import Engine

from bot.cli.common import add_command, engine_for
from bot.importer import import_usage
from bot.linking import import_identity_map
from bot.org import import_org
from bot.rejected import FileRejected
from bot.settings import Settings

ImportedT = TypeVar("ImportedT")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uptake import` and its kinds."""
    imports = add_command(
        commands,
        "import",
        import_file,
        help="import data from a file",
        example="uptake import org org.yaml",
    )
    kinds = imports.add_subparsers(dest="import_kind", required=True, metavar="KIND")
    usage = kinds.add_parser("usage", help="daily usage from CSV or NDJSON (schema: see README)")
    usage.add_argument("file", type=Path, help="a .csv, .ndjson or .jsonl file")
    mapping = kinds.add_parser(
        "identities",
        help="admin mapping of tool accounts to people, CSV: tool,external_id,slack_user_id|email",
    )
    mapping.add_argument("file", type=Path, help="a .csv file")
    org = kinds.add_parser(
        "org", help="teams, parents, members and managers from a CSV or YAML org file"
    )
    org.add_argument("file", type=Path, help="a .csv, .yaml or .yml file (schema: README)")


def import_file(settings: Settings, args: argparse.Namespace) -> int:
    """Import one file of the kind named."""
    if args.import_kind == "identities":
        return _import_identities(settings, args)
    if args.import_kind == "org":
        return _import_org(settings, args)
    result = _importing(settings, args.file, import_usage)
    if result is None:
        return 1
    print(
        f"Imported {result.rows} rows for {result.identities} identities "
        f"({result.unlinked_identities} not linked to a Slack user yet)."
    )
    return 0


def _importing(
    settings: Settings, path: Path, action: Callable[[Engine, Path], ImportedT]
) -> ImportedT | None:
    """Run an import; on a rejected or unreadable file, report every problem and return None."""
    try:
        with engine_for(settings, migrate=True) as engine:
            return action(engine, path)
    except FileRejected as exc:
        for line, problem in exc.problems:
            print(f"{path}:{line}: {problem}", file=sys.stderr)
        print(f"uptake import: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"uptake import: cannot read {path}: {exc.strerror}", file=sys.stderr)
    return None


def _import_org(settings: Settings, args: argparse.Namespace) -> int:
    result = _importing(settings, args.file, import_org)
    if result is None:
        return 1
    print(
        f"Imported {result.teams} team(s) with {result.memberships} membership(s); "
        f"removed {result.removed_teams} team(s) no longer in the file."
    )
    return 0


def _import_identities(settings: Settings, args: argparse.Namespace) -> int:
    count = _importing(
        settings, args.file, lambda engine, path: import_identity_map(engine, path, admin="cli")
    )
    if count is None:
        return 1
    print(f"Mapped {count} account(s).")
    return 0
