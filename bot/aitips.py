"""The `/aitips` service: the person's own tip preferences, and a tip on request."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.adoption import Tier, summarize_usage
from bot.blocks.common import Block, code, section
from bot.blocks.tips import aitips_help_blocks, aitips_status_blocks
from bot.myusage import local_today
from bot.outbox import deliver_due
from bot.parsing import command_words, echo
from bot.people import PersonRef, ensure_person
from bot.services import Services
from bot.tips.library import default_library
from bot.tips.service import FREQUENCY_DAYS, SNOOZE_WEEKS, change_tips, plan_tip_for

WEEKS = {f"{n}w": n for n in SNOOZE_WEEKS}
#: Every first word `/aitips` understands; the parser refuses any other, and the manifest's usage
#: hint must list them all (tests/test_manifest.py checks).
SUBCOMMANDS = ("on", "off", "status", "now", "snooze", "frequency", "help")


@dataclass(frozen=True, slots=True)
class AiTipsRequest:
    """What the caller asked for."""

    kind: str  # help | status | on | off | snooze | frequency | now
    weeks: int = 0
    frequency: str = ""
    not_understood: str = ""


def parse_aitips(text: str) -> AiTipsRequest:
    """Read `/aitips` arguments; anything else gets the help text."""
    typed = command_words(text.lower())
    if typed is None:
        return AiTipsRequest("help", not_understood=echo(text))
    words = typed
    if not words or words == ["help"]:
        return AiTipsRequest("help" if words else "status")
    if words[0] not in SUBCOMMANDS:
        return AiTipsRequest("help", not_understood=echo(text))
    if words in (["on"], ["off"], ["status"], ["now"]):
        return AiTipsRequest(words[0])
    if len(words) == 2 and words[0] == "snooze" and words[1] in WEEKS:
        return AiTipsRequest("snooze", weeks=WEEKS[words[1]])
    if len(words) == 2 and words[0] == "frequency" and words[1] in FREQUENCY_DAYS:
        return AiTipsRequest("frequency", frequency=words[1])
    return AiTipsRequest("help", not_understood=echo(text))


def current_tier(services: Services, person: PersonRef) -> str:
    """The person's tier now (for the settings view)."""
    now = services.clock()
    return summarize_usage(
        services.engine,
        person.id,
        window_days=28,
        today=local_today(person.tz, now),
        thresholds=services.thresholds,
    ).tier.value


def answer_aitips(
    services: Services,
    client: WebClient,
    user_id: str,
    team_id: str | None,
    request: AiTipsRequest,
) -> tuple[list[Block], str]:
    """Answer `/aitips` for the caller; it only ever changes the caller's own settings."""
    if request.kind == "help":
        note = (
            f"Sorry, I didn't understand {code(request.not_understood)}."
            if request.not_understood
            else ""
        )
        return aitips_help_blocks(note), "How to use /aitips"
    person = ensure_person(services.engine, client, user_id, team_id)
    now = services.clock()
    if request.kind == "now":
        planned = plan_tip_for(
            services.engine,
            person_id=person.id,
            slack_user_id=user_id,
            tz=person.tz,
            library=default_library(),
            writer=services.tip_writer,
            thresholds=services.thresholds,
            now=now,
            immediately=True,
        )
        if planned is None:
            return [
                section(
                    "I have no new tip for you right now: you have seen every tip that fits "
                    "your usage in the last 90 days. Try again in a while."
                )
            ], "No tip right now"
        deliver_due(services.engine, client, now=now, keys=[planned.outbox_key])
        return [section("Sent you a tip in our DM.")], "Tip sent"
    tier = current_tier(services, person)
    settings = change_tips(
        services.engine,
        person.id,
        now=now,
        enabled={"on": True, "off": False}.get(request.kind),
        frequency=request.frequency or None,
        snooze_weeks=request.weeks or None,
        tier=Tier(tier),
    )
    return (
        aitips_status_blocks(
            settings.enabled, settings.frequency, settings.snoozed_until, settings.paused, tier
        ),
        "Your tip settings",
    )
