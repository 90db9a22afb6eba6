"""`uptake myusage`: what /myusage shows one person, for support and checks."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.cli.common import add_command, engine_for
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.myusage import MyUsageRequest
    from bot.services import Services


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uptake myusage`."""
    parser = add_command(
        commands,
        "myusage",
        myusage,
        help="print what /myusage shows a person",
        example="uptake myusage --user U012AB3CD --window 90d",
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="SLACK_USER_ID", help="a Slack user id, e.g. U012AB3CD")
    who.add_argument("--email", help="the person's email")
    parser.add_argument("--window", default="28d", help="7d, 28d or 90d (default 28d)")


def myusage(settings: Settings, args: argparse.Namespace) -> int:
    """Print one person's /myusage summary."""
    from bot.myusage import parse_myusage
    from bot.services import Services

    request = parse_myusage(args.window)
    if request.kind != "summary":
        print("uptake myusage: --window must be 7d, 28d or 90d", file=sys.stderr)
        return 2
    with engine_for(settings, migrate=True) as engine:
        services = Services(settings=settings, engine=engine)
        text = render_myusage(services, args.user, args.email, request)
    if text is None:
        print("uptake myusage: no such person", file=sys.stderr)
        return 1
    print(text)
    return 0


def render_myusage(
    services: Services, slack_user_id: str | None, email: str | None, request: MyUsageRequest
) -> str | None:
    """The person's /myusage summary as plain text (audited); None for no such person."""
    from bot.blocks.common import blocks_to_text
    from bot.myusage import summary_for_operator

    answer = summary_for_operator(services, slack_user_id, email, request.window_days)
    return None if answer is None else blocks_to_text(answer[0])
