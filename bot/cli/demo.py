"""`uptake demo`: a synthetic organisation with sample answers, a tip and a digest preview."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.blocks.common import blocks_to_text
from bot.cli.common import add_command, engine_for
from bot.cli.myusage import render_myusage
from bot.demo import build_demo
from bot.digests.narrative import TemplateNarrative
from bot.digests.service import build_digest
from bot.myusage import MyUsageRequest
from bot.people import find_person
from bot.services import Services
from bot.settings import Settings
from bot.teams import load_teams, team_people
from bot.tips.library import default_library
from bot.tips.service import preview_tip
from storage.models import utcnow


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uptake demo`."""
    demo_parser = add_command(
        commands,
        "demo",
        demo,
        help="create a synthetic organisation and show sample /myusage answers",
        example="uptake demo --people 300 --days 120",
    )
    demo_parser.add_argument(
        "--people", type=int, default=300, help="people to create (default 300)"
    )
    demo_parser.add_argument("--days", type=int, default=120, help="days of history (default 120)")
    demo_parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")


def run_demo_instead(settings: Settings) -> int:
    """`uptake start` without Slack credentials: say so, then run the demo with its defaults."""
    print("No Slack credentials are set (see .env.example), so here is the demo.\n")
    return demo(settings, argparse.Namespace(people=300, days=120, seed=7))


def demo(settings: Settings, args: argparse.Namespace) -> int:
    """Build the demo organisation and print what its people and managers would see."""
    if not 10 <= args.people <= 100_000 or not 56 <= args.days <= 400:
        print("uptake demo: --people must be 10–100000 and --days 56–400", file=sys.stderr)
        return 2
    with engine_for(settings, migrate=True) as engine:
        result = build_demo(
            engine, now=utcnow(), people_count=args.people, days=args.days, seed=args.seed
        )
        print(
            f"Demo organisation ready: {result.people} people in {result.teams} teams, "
            f"{result.usage_rows:,} daily usage rows over {args.days} days "
            f"(database: {settings.database_url.split('@')[-1]})."
        )
        services = Services(settings=settings, engine=engine)
        for archetype, slack_user_id in result.samples.items():
            print(f"\n### /myusage for a {archetype} user ({slack_user_id})\n")
            print(render_myusage(services, slack_user_id, None, MyUsageRequest()))
        light = result.samples.get("light")
        person = find_person(engine, slack_user_id=light) if light else None
        if person is not None:
            choice = preview_tip(
                engine,
                person_id=person.id,
                slack_user_id=person.slack_user_id,
                tz=person.tz,
                library=default_library(),
                thresholds=services.thresholds,
                now=utcnow(),
            )
            if choice is not None:
                print(
                    f"\n### A sample tip for the light user (if they opted in: {choice.reason})\n"
                )
                print(f"{choice.tip.text}\nRead more: {choice.tip.link}")
        _write_digest_preview(engine, services)
    print("\nTry: uptake myusage --user UDEMO0001 --window 90d")
    return 0


def _write_digest_preview(engine: Engine, services: Services) -> None:
    """Write one manager's digest for this week (text and chart) to the working folder."""
    teams = load_teams(engine, services.settings.team_sources)
    if not teams:
        return
    # The largest team (a department): small teams rightly show little.
    team = max(teams, key=lambda t: (len(team_people(engine, teams, t.id)), t.slug))
    digest = build_digest(
        engine,
        teams,
        team,
        tz="UTC",
        now=utcnow(),
        k=services.settings.min_group_size,
        thresholds=services.thresholds,
        narrative=TemplateNarrative(),
    )
    Path("digest-preview.txt").write_text(blocks_to_text(digest.blocks) + "\n")
    if digest.chart:
        Path("digest-preview.png").write_bytes(digest.chart)
    print(
        f"\n### This week's digest for the manager of {team.name}\n\n"
        f"{blocks_to_text(digest.blocks)}\n\n(written to digest-preview.txt"
        + (" and digest-preview.png)" if digest.chart else ")")
    )
