"""What the tip buttons do: feedback on a tip, keep or stop tips, tip settings."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.adoption import Tier
from bot.aitips import current_tier
from bot.blocks.common import Block
from bot.blocks.ids import (
    GET_TIPS,
    HOME_TIPS_FREQUENCY,
    HOME_TIPS_OFF,
    HOME_TIPS_ON,
    HOME_TIPS_SNOOZE,
    TIP_HELPFUL,
    TIP_NOT_FOR_ME,
    TIP_SNOOZE,
    TIP_STOP,
)
from bot.blocks.tips import answered_tip_blocks
from bot.parsing import row_id
from bot.people import ensure_person
from bot.services import Services
from bot.tips.service import FREQUENCY_DAYS, change_tips, keep_sending, record_feedback

FEEDBACK_BY_ACTION = {
    TIP_HELPFUL: ("helpful", "Thanks: marked helpful. More like this."),
    TIP_NOT_FOR_ME: ("not_for_me", "Got it: you won't see this tip again, nor close cousins."),
    TIP_SNOOZE: ("snooze", "Snoozed: no tips for two weeks."),
    TIP_STOP: ("stop", "Tips stopped. `/aitips on` brings them back."),
}


def tip_feedback(
    services: Services,
    client: WebClient,
    user_id: str,
    action_id: str,
    value: str,
    *,
    original: list[Block],
) -> list[Block]:
    """Record the clicker's reaction to their own tip; the message's new blocks."""
    person = ensure_person(services.engine, client, user_id, None)
    now = services.clock()
    feedback, note = FEEDBACK_BY_ACTION[action_id]
    delivery_id = row_id(value)
    if delivery_id is None or not record_feedback(
        services.engine, delivery_id, person.id, feedback, now
    ):
        # "Stop tips" under the keep-sending question, or a tip that isn't theirs.
        if feedback == "stop":
            change_tips(services.engine, person.id, now=now, enabled=False)
        else:
            note = "That button is not valid any more."
    return answered_tip_blocks(original, note)


def keep_tips(
    services: Services, client: WebClient, user_id: str, original: list[Block]
) -> list[Block]:
    """The clicker wants tips to keep coming."""
    person = ensure_person(services.engine, client, user_id, None)
    keep_sending(services.engine, person.id, services.clock())
    return answered_tip_blocks(original, "Great: tips will keep coming.")


def home_tip_change(
    services: Services, client: WebClient, user_id: str, action_id: str, value: str
) -> None:
    """A tip setting changed from the Home tab or the "Get tips" button."""
    person = ensure_person(services.engine, client, user_id, None)
    now = services.clock()
    if action_id in (HOME_TIPS_ON, GET_TIPS):
        change_tips(
            services.engine,
            person.id,
            now=now,
            enabled=True,
            tier=Tier(current_tier(services, person)),
        )
    elif action_id == HOME_TIPS_OFF:
        change_tips(services.engine, person.id, now=now, enabled=False)
    elif action_id == HOME_TIPS_SNOOZE:
        change_tips(services.engine, person.id, now=now, snooze_weeks=2)
    elif action_id == HOME_TIPS_FREQUENCY and value in FREQUENCY_DAYS:
        change_tips(services.engine, person.id, now=now, frequency=value)
