"""The App Home tab: the person's own summary and their tip settings."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.adoption import summarize_usage
from bot.blocks.common import Block, divider
from bot.blocks.myusage import myusage_blocks
from bot.blocks.tips import home_tip_blocks
from bot.myusage import DEFAULT_WINDOW, local_today
from bot.people import ensure_person
from bot.services import Services
from bot.tips.service import tip_settings


def home_view(
    services: Services, client: WebClient, user_id: str, team_id: str | None
) -> list[Block]:
    """Blocks for the caller's Home tab."""
    person = ensure_person(services.engine, client, user_id, team_id)
    now = services.clock()
    summary = summarize_usage(
        services.engine,
        person.id,
        window_days=DEFAULT_WINDOW,
        today=local_today(person.tz, now),
        thresholds=services.thresholds,
    )
    settings = tip_settings(services.engine, person.id)
    return [
        *myusage_blocks(summary, now=now),
        divider(),
        *home_tip_blocks(
            settings.enabled,
            settings.frequency,
            settings.snoozed_until,
            settings.paused,
            summary.tier.value,
        ),
    ]


def publish_home(services: Services, client: WebClient, user_id: str, team_id: str | None) -> None:
    """Publish the Home tab for one person."""
    blocks = home_view(services, client, user_id, team_id)
    client.views_publish(user_id=user_id, view={"type": "home", "blocks": blocks})
