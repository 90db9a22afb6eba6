"""`uptake import`: usage, identity maps and the org file, each checked whole before writing.

Every kind takes `--dry-run`: the file is checked and what it would write is shown, and nothing
is written. An org import shows what it will change first, and removes teams only when told to.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.cli.common import add_command, engine_for
from bot.cli.errors import check_schema
from bot.importer import import_usage, usage_file_help
from bot.linking import (
    EXAMPLE_IDENTITY_MAP,
    IdentityMapRow,
    MapChange,
    import_identity_map,
)
from bot.orgfile import OrgPlan, RemovalNotConfirmed, import_org, org_file_help, plan_org
from bot.rejected import FileRejected, field_table
from bot.settings import Settings

#: How many team slugs one line of a plan names before it says how many more there are.
SLUGS_SHOWN = 8

#: A kind's import: (database, arguments, the largest file it may read) -> exit status.
ImportHandler = Callable[[Engine, argparse.Namespace, int], int]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uptake import` and its kinds."""
    imports = add_command(
        commands,
        "import",
        import_file,
        help="import data from a file",
        example="uptake import org org.yaml --dry-run",
        epilog="`uptake import KIND --help` shows the file format of each kind.",
    )
    kinds = imports.add_subparsers(dest="import_kind", required=True, metavar="KIND")
    usage = _add_kind(
        kinds,
        "usage",
        help="daily usage from CSV or NDJSON, for any tool",
        file_format=usage_file_help(),
        example="uptake import usage usage.csv --dry-run",
    )
    usage.add_argument("file", type=Path, help="a .csv, .ndjson or .jsonl file")
    identities = _add_kind(
        kinds,
        "identities",
        help="an admin's mapping of tool accounts to people, from CSV",
        file_format=(
            "file: CSV with a header row; other columns are ignored:\n"
            f"{field_table(IdentityMapRow)}\n\n"
            "Each person must be known to Uptake (run `uptake people` first). An account an\n"
            "admin maps replaces any claim to it, and is verified.\n\n"
            "example CSV:\n" + "".join(f"  {line}\n" for line in EXAMPLE_IDENTITY_MAP.splitlines())
        ).rstrip(),
        example="uptake import identities github-logins.csv --dry-run",
    )
    identities.add_argument("file", type=Path, help="a .csv file")
    org = _add_kind(
        kinds,
        "org",
        help="teams, parents, members and managers from a CSV or YAML org file",
        file_format=org_file_help(),
        example="uptake import org org.yaml --dry-run",
    )
    org.add_argument("file", type=Path, help="a .csv, .yaml or .yml file")
    org.add_argument(
        "--yes",
        action="store_true",
        help="remove teams no longer in the file without asking (for scripts)",
    )


def _add_kind(
    kinds: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    *,
    help: str,
    file_format: str,
    example: str,
) -> argparse.ArgumentParser:
    parser = kinds.add_parser(
        name,
        help=help,
        description=help[:1].upper() + help[1:] + ".",
        epilog=f"{file_format}\n\nexample:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check the whole file and show what it would write; write nothing",
    )
    return parser


def import_file(settings: Settings, args: argparse.Namespace) -> int:
    """Import one file of the kind named."""
    handlers: dict[str, ImportHandler] = {
        "usage": _import_usage,
        "identities": _import_identities,
        "org": _import_org,
    }
    path: Path = args.file
    try:
        with _database(settings, dry_run=args.dry_run) as engine:
            return handlers[args.import_kind](engine, args, settings.import_max_bytes)
    except FileRejected as exc:
        for line, problem in exc.problems:
            print(f"{path}:{line}: {problem}" if line else f"{path}: {problem}", file=sys.stderr)
        print(f"uptake import: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"uptake import: cannot read {path}: {exc.strerror}", file=sys.stderr)
    return 1


@contextmanager
def _database(settings: Settings, *, dry_run: bool) -> Iterator[Engine]:
    """The database, migrated for an import; a dry run changes nothing, not even the schema."""
    if dry_run:
        check_schema(settings)  # raises SchemaBehind, which `main` explains
    with engine_for(settings, migrate=not dry_run) as engine:
        yield engine


def _import_usage(engine: Engine, args: argparse.Namespace, max_bytes: int) -> int:
    result = import_usage(engine, args.file, dry_run=args.dry_run, max_bytes=max_bytes)
    counts = (
        f"{result.rows} rows ({result.replaced_rows} replacing days already stored) "
        f"for {result.identities} identities "
        f"({result.unlinked_identities} not linked to a Slack user yet)"
    )
    if result.written:
        print(f"Imported {counts}.")
    else:
        print(f"Dry run, nothing was written: the file would import {counts}.")
    return 0


def _import_identities(engine: Engine, args: argparse.Namespace, max_bytes: int) -> int:
    result = import_identity_map(
        engine, args.file, admin="cli", dry_run=args.dry_run, max_bytes=max_bytes
    )
    changes = result.changes
    counts = (
        f"{result.accounts} account(s): {changes.get(MapChange.LINKED, 0)} newly linked, "
        f"{changes.get(MapChange.MOVED, 0)} moved from another person, "
        f"{changes.get(MapChange.CONFIRMED, 0)} confirmed, "
        f"{changes.get(MapChange.UNCHANGED, 0)} already mapped"
    )
    if result.written:
        print(f"Mapped {counts}.")
    else:
        print(f"Dry run, nothing was written: the file would map {counts}.")
    return 0


def _import_org(engine: Engine, args: argparse.Namespace, max_bytes: int) -> int:
    plan = plan_org(engine, args.file, max_bytes=max_bytes)
    print("\n".join(describe_plan(plan)))
    if args.dry_run:
        print("Dry run: nothing was written.")
        return 0
    if not plan.changes_anything:
        return 0
    if plan.removed and not args.yes and not _removal_confirmed(plan):
        return 1
    try:
        done = import_org(engine, args.file, remove=plan.removed, max_bytes=max_bytes)
    except RemovalNotConfirmed as exc:
        print(
            f"uptake import: the teams changed meanwhile: the file would now also remove "
            f"{_slugs(exc.slugs)}; nothing was written. Run it again to see the new plan.",
            file=sys.stderr,
        )
        return 1
    print(
        f"Imported {done.teams} team(s) with {done.memberships} membership(s); "
        f"removed {len(done.removed)} team(s) no longer in the file."
    )
    return 0


def _removal_confirmed(plan: OrgPlan) -> bool:
    """Ask on a terminal; anywhere else, refuse, since nobody can answer."""
    teams = f"{len(plan.removed)} team(s) ({_slugs(plan.removed)})"
    if not sys.stdin.isatty():
        print(
            f"uptake import: the file would remove {teams}; nothing was written. "
            "Pass --yes to remove them.",
            file=sys.stderr,
        )
        return False
    if input(f"Remove {teams}? [y/N] ").strip().lower() in {"y", "yes"}:
        return True
    print("Nothing was written.")
    return False


def describe_plan(plan: OrgPlan) -> list[str]:
    """What an org import changes, a line for each kind of change."""
    lines = [f"The file has {plan.teams} team(s) and {plan.memberships} membership(s)."]
    if not plan.changes_anything:
        return [*lines, "Nothing to change: the teams already match the file."]
    lines.append("Importing it will:")
    for count, what, slugs in (
        (len(plan.added), "add {} team(s)", plan.added),
        (len(plan.renamed), "rename {} team(s)", plan.renamed),
        (len(plan.moved), "move {} team(s) to another parent", plan.moved),
        (
            len(plan.removed),
            f"REMOVE {{}} team(s), with their {plan.removed_memberships} membership(s)",
            plan.removed,
        ),
        (plan.members_added.count, "add {} member(s) to", plan.members_added.teams),
        (plan.members_removed.count, "remove {} member(s) from", plan.members_removed.teams),
        (plan.managers_added.count, "add {} manager(s) to", plan.managers_added.teams),
        (plan.managers_removed.count, "remove {} manager(s) from", plan.managers_removed.teams),
    ):
        if count:
            lines.append(f"  {what.format(count)}: {_slugs(slugs)}")
    if plan.new_people:
        lines.append(f"  add {plan.new_people} person(s) by Slack user id, not seen before")
    return lines


def _slugs(slugs: Sequence[str]) -> str:
    shown = ", ".join(slug[:40] for slug in slugs[:SLUGS_SHOWN])
    more = len(slugs) - SLUGS_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown
