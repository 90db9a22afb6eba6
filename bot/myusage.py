"""The `/myusage` service: understand the request and build the person's own answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.adoption import WINDOWS, summarize_usage
from bot.blocks.common import Block
from bot.blocks.myusage import fallback_text, help_blocks, myusage_blocks, no_identity_blocks
from bot.people import PersonRef
from bot.services import Services

DEFAULT_WINDOW = 28


@dataclass(frozen=True, slots=True)
class MyUsageRequest:
    """What the caller asked for: their summary over a window, or help."""

    window_days: int = DEFAULT_WINDOW
    wants_help: bool = False
    not_understood: str = ""


def parse_myusage(text: str) -> MyUsageRequest:
    """Read `/myusage` arguments: nothing, `7d|28d|90d`, or `help`; anything else asks for help."""
    words = text.strip().lower().split()
    if not words:
        return MyUsageRequest()
    if words == ["help"]:
        return MyUsageRequest(wants_help=True)
    if len(words) == 1 and words[0].endswith("d") and words[0][:-1].isdigit():
        days = int(words[0][:-1])
        if days in WINDOWS:
            return MyUsageRequest(window_days=days)
    return MyUsageRequest(wants_help=True, not_understood=text.strip()[:100])


def local_today(tz_name: str, now: dt.datetime) -> dt.date:
    """The person's calendar date now, in their Slack time zone (UTC if unknown)."""
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def myusage_answer(
    services: Services, person: PersonRef | None, request: MyUsageRequest
) -> tuple[list[Block], str]:
    """Blocks and fallback text answering `/myusage` for `person` (None: not known yet)."""
    settings = services.settings
    if request.wants_help:
        note = (
            f"Sorry, I didn't understand `{request.not_understood}`."
            if request.not_understood
            else ""
        )
        return (
            help_blocks(services.thresholds, settings.min_group_size, note=note),
            "How to use /myusage",
        )
    now = services.clock()
    if person is None:
        return no_identity_blocks(0), "Your AI tool usage: no linked accounts yet."
    summary = summarize_usage(
        services.engine,
        person.id,
        window_days=request.window_days,
        today=local_today(person.tz, now),
        thresholds=services.thresholds,
    )
    return myusage_blocks(summary, now=now), fallback_text(summary)
