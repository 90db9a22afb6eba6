"""`uptake release`: exactly what any surface may show for one team and period."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli.common import add_command, engine_for
from bot.settings import Settings


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uptake release` and `uptake releases`."""
    release = add_command(
        commands,
        "release",
        show_release,
        help="print a team's released figures for a period, as every surface shows them "
        "(audited as an admin look)",
        example="uptake release platform --period 2026-W48 --json",
        epilog="Periods: week, 4w, 13w (the last complete one), an ISO week such as 2026-W48, "
        "or 4w:2026-W48 / 13w:2026-W48.",
    )
    release.add_argument("team", help="a team's slug or name")
    release.add_argument("--period", default="4w", help="week, 4w, 13w or 2026-W48 (default 4w)")
    release.add_argument("--json", action="store_true", help="print the release as JSON")
    add_command(
        commands,
        "releases",
        make_releases,
        help="make every due release whose period is over and whose data is complete "
        "(the clock does this hourly)",
        example="uptake releases",
    )


def show_release(settings: Settings, args: argparse.Namespace) -> int:
    """Print one team's release for one period."""
    from bot.blocks.common import blocks_to_text
    from bot.blocks.teamusage import teamusage_blocks
    from bot.figures.periods import parse_period
    from bot.figures.releases import read_releases
    from bot.teams import find_team, load_teams
    from storage import queries
    from storage.engine import session as open_session
    from storage.models import utcnow

    now = utcnow()
    period = parse_period(args.period, now.date())
    if period is None:
        print(
            f"uptake release: {args.period!r} is not a period such as 4w or 2026-W48",
            file=sys.stderr,
        )
        return 2
    with engine_for(settings, migrate=True) as engine:
        matches = find_team(load_teams(engine, settings.team_sources), args.team)
        if len(matches) != 1:
            found = "no team" if not matches else f"{len(matches)} teams"
            print(f"uptake release: {found} match {args.team!r}", file=sys.stderr)
            return 2
        team = matches[0]
        releases = read_releases(engine, team, [period, period.previous()])
        with open_session(engine) as session:
            queries.audit(
                session,
                "admin.viewed_team",
                actor="cli",
                detail={"team": team.slug, "period": period.name},
                at=now,
            )
            session.commit()
            freshness = tuple(queries.sync_states(session))
    release = releases.get(period.name)
    if release is None:
        print(
            f"uptake release: {team.slug} has no release for {period.name} yet "
            "(`uptake releases` makes the due ones)",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(release.as_dict(), indent=2, sort_keys=True))
        return 0
    previous = releases.get(period.previous().name)
    print(blocks_to_text(teamusage_blocks(release, previous, freshness=freshness, now=now)))
    return 0


def make_releases(settings: Settings, _args: argparse.Namespace) -> int:
    """Make every due release now."""
    from bot.figures.publish import publish_releases
    from storage.models import utcnow

    with engine_for(settings, migrate=True) as engine:
        made = publish_releases(engine=engine, settings=settings, now=utcnow())
    print(f"Made {made} release(s).")
    return 0
