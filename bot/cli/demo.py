"""`uptake demo`: a synthetic organisation with sample answers, a tip and a digest preview."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import add_command, database_label, engine_for, uptake_command
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.services import Services


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uptake demo`."""
    demo_parser = add_command(
        commands,
        "demo",
        demo,
        help="create a synthetic organisation and show sample /myusage answers",
        example="uptake demo --people 300 --days 120",
        epilog="It writes only to an empty database or an earlier demo's, never beside real "
        "people,\nand leaves digest-preview.txt and digest-preview.png in the working folder.",
    )
    demo_parser.add_argument(
        "--people", type=int, default=300, help="people to create (default 300)"
    )
    demo_parser.add_argument("--days", type=int, default=120, help="days of history (default 120)")
    demo_parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")


def run_demo_instead(settings: Settings, missing: str) -> int:
    """`uptake start` without Slack credentials: say which are `missing`, then run the demo."""
    return _run_demo(settings, people=300, days=120, seed=7, command="start", missing=missing)


def demo(settings: Settings, args: argparse.Namespace) -> int:
    """Build the demo organisation and print what its people and managers would see."""
    if not 10 <= args.people <= 100_000 or not 56 <= args.days <= 400:
        print("uptake demo: --people must be 10–100000 and --days 56–400", file=sys.stderr)
        return 2
    return _run_demo(settings, people=args.people, days=args.days, seed=args.seed, command="demo")


def _run_demo(
    settings: Settings, *, people: int, days: int, seed: int, command: str, missing: str = ""
) -> int:
    from bot.cli.myusage import render_myusage
    from bot.demo import DEMO_USER_PREFIX, RealDataError, build_demo, real_data
    from bot.myusage import MyUsageRequest
    from bot.people import find_person
    from bot.services import Services
    from bot.tips.library import default_library
    from bot.tips.service import preview_tip
    from storage.migrate import upgrade
    from storage.models import utcnow

    cannot_answer = f"Uptake cannot answer Slack: {missing} (see .env.example)." if missing else ""
    with engine_for(settings) as engine:
        # Checked before migrating: a database with real people in it is not touched at all.
        found = real_data(engine)
        if found:
            if cannot_answer:
                print(f"uptake {command}: {cannot_answer}", file=sys.stderr)
            print(
                f"uptake {command}: not writing the demo into "
                f"{database_label(settings.database_url)}: {RealDataError(found)}. The demo "
                "writes only to an empty database or an earlier demo's; to try it, run\n"
                f"  DATABASE_URL=sqlite:///demo.db {uptake_command()} demo",
                file=sys.stderr,
            )
            return 2
        if cannot_answer:
            print(f"{cannot_answer} Here is the demo instead.\n", flush=True)
        upgrade(engine)
        result = build_demo(engine, now=utcnow(), people_count=people, days=days, seed=seed)
        print(
            f"Demo organisation ready: {result.people} people in {result.teams} teams, "
            f"{result.usage_rows:,} daily usage rows over {days} days "
            f"(database: {database_label(settings.database_url)})."
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
    sample = next(iter(result.samples.values()), f"{DEMO_USER_PREFIX}0001")
    print(f"\nTry this from this folder:\n  {myusage_hint(settings, sample)}")
    return 0


def myusage_hint(settings: Settings, slack_user_id: str) -> str:
    """A command, to type in the working folder, showing a demo person's last 90 days."""
    from sqlalchemy.engine import make_url

    command = f"{uptake_command()} myusage --user {slack_user_id} --window 90d"
    default = Settings.model_fields["database_url"].get_default(call_default_factory=True)
    if settings.database_url == default:  # uptake.db in this folder: found again from here
        return command
    if make_url(settings.database_url).password is None:
        return f"DATABASE_URL={shlex.quote(settings.database_url)} {command}"
    return f"{command}  (with the same DATABASE_URL)"


def _write_digest_preview(engine: Engine, services: Services) -> None:
    """Make the demo's releases, then write an ordinary squad's digest to the working folder."""
    from bot.blocks.common import blocks_to_text
    from bot.digests.narrative import TemplateNarrative
    from bot.digests.service import build_digest, digest_week
    from bot.figures.publish import publish_releases
    from bot.teams import load_teams, team_people
    from storage.models import utcnow

    now = utcnow()
    publish_releases(engine=engine, settings=services.settings, now=now)
    teams = load_teams(engine, services.settings.team_sources)
    if not teams:
        return
    # An ordinary squad, the team most managers lead: the median size among teams without
    # sub-teams, so the preview shows what a real manager's first digest looks like.
    parents = {team.parent_id for team in teams}
    squads = sorted(
        (len(team_people(engine, teams, t.id)), t.slug, t) for t in teams if t.id not in parents
    )
    if not squads:
        return
    # From the median outwards, the first squad whose week was not quiet (a quiet week's digest
    # is one line, without the chart a newcomer should see).
    middle = len(squads) // 2
    order = sorted(range(len(squads)), key=lambda n: (abs(n - middle), n))
    week = digest_week(now, "UTC")
    team, digest = squads[middle][2], None
    for position in order:
        candidate = squads[position][2]
        built = build_digest(engine, candidate, week=week, now=now, narrative=TemplateNarrative())
        if built is not None and (digest is None or not built.quiet):
            team, digest = candidate, built
            if not built.quiet:
                break
    if digest is None:
        return
    Path("digest-preview.txt").write_text(blocks_to_text(digest.blocks) + "\n")
    if digest.chart:
        Path("digest-preview.png").write_bytes(digest.chart)
    print(
        f"\n### This week's digest for the manager of {team.name}\n\n"
        f"{blocks_to_text(digest.blocks)}\n\n(written to digest-preview.txt"
        + (" and digest-preview.png)" if digest.chart else ")")
    )
