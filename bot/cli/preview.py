"""`uptake preview`: what a surface would send to Slack, as JSON and as HTML pages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import add_command, engine_for
from bot.settings import Settings

# Kept here (not imported from bot.preview.surfaces) so that `--help` loads nothing else.
SURFACES = ("myusage", "home", "teamusage", "digest", "tip")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uptake preview`."""
    parser = add_command(
        commands,
        "preview",
        preview,
        help="write a surface's Block Kit JSON and HTML pages of it at phone and desktop width",
        example="uptake preview myusage --user UDEMO0001 --out preview/",
        epilog="myusage, home and tip are about one person (--user, repeatable); teamusage and "
        "digest\nabout a team: --team, or --user for the first team they lead (for teamusage, "
        "else the\nfirst they are in). Charts are drawn locally; nothing is sent to Slack or to "
        "a model.\nLooking at a person's surfaces is written to the audit log they read.",
    )
    parser.add_argument("surface", choices=SURFACES, help="the surface to show")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="SLACK_USER_ID",
        help="a Slack user id (repeat for several people)",
    )
    parser.add_argument("--team", help="a team's slug or name (teamusage, digest)")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder to write the files to"
    )


def preview(settings: Settings, args: argparse.Namespace) -> int:
    """Write the preview of one surface for each person (or the team) asked for."""
    from bot.preview.files import write_preview
    from bot.preview.surfaces import PreviewError, preview_surface
    from bot.services import Services

    subjects: list[dict[str, str | None]] = (
        [{"user": None, "team": args.team}]
        if args.team
        else [{"user": user, "team": None} for user in args.user]
    )
    if not subjects:
        print("uptake preview: give --user or --team", file=sys.stderr)
        return 2
    failed = 0
    with engine_for(settings, migrate=True) as engine:
        services = Services(settings=settings, engine=engine)
        for subject in subjects:
            try:
                shown = preview_surface(services, args.surface, **subject)
            except PreviewError as exc:
                print(f"uptake preview: {exc}", file=sys.stderr)
                failed += 1
                continue
            written = write_preview(shown, args.out)
            print(
                f"{shown.surface} for {shown.subject}: {len(shown.blocks)} blocks -> "
                + ", ".join(str(path) for path in written)
            )
    return 1 if failed else 0
