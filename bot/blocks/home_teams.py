"""Block Kit for a manager's teams on the Home tab, and the digest day-and-hour form."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.blocks.common import Block, button, context, divider, header, section
from bot.blocks.ids import (
    DIGEST_DAY,
    DIGEST_DAY_BLOCK,
    DIGEST_HOUR,
    DIGEST_HOUR_BLOCK,
    DIGEST_MODAL,
    DIGEST_QUIET,
    DIGEST_QUIET_BLOCK,
    HOME_DIGEST_PREVIEW,
    HOME_DIGEST_SCHEDULE,
    HOME_DIGEST_SUBSCRIBE,
    HOME_DIGEST_UNSUBSCRIBE,
)
from bot.blocks.teamusage import change_points, small_team_text
from bot.figures.releases import Release
from bot.teams import TeamRef

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Typed day words `/teamusage subscribe` reads, by weekday number.
DAY_WORDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
QUIET_CHOICES = {"short": "A one-line digest", "none": "No digest"}


@dataclass(frozen=True, slots=True)
class TeamCard:
    """A team the person leads: its latest stored weekly release and their digest settings."""

    team: TeamRef
    release: Release | None
    previous: Release | None
    subscribed: bool
    weekday: int
    hour: int
    quiet: str


def _headline(card: TeamCard) -> str:
    """The latest stored release's headline: released (noisy) counts only, never computed here."""
    release = card.release
    if release is None:
        return "No weekly figures released yet: they are made once a week's data is complete."
    active = release.count("active")
    if active is None or not release.people:
        return small_team_text(release.k)
    line = (
        f"Week {release.period.week}: ~{active} of {release.people} people used AI tools "
        f"({active / release.people:.0%})"
    )
    change = change_points(release, card.previous)
    if change is not None:
        line += f", {change:+d} points on the week before"
    return line


def schedule_text(card: TeamCard) -> str:
    """When the person gets the team's digest, in words."""
    if not card.subscribed:
        return "You don't get this team's weekly digest."
    quiet = "a one-line digest" if card.quiet != "none" else "no digest"
    return (
        f"Digest: {DAY_NAMES[card.weekday % 7]}s at {card.hour:02d}:00 your time; "
        f"in a quiet week, {quiet}."
    )


def team_blocks(cards: Sequence[TeamCard], more: int = 0) -> list[Block]:
    """A section per team the person leads: headline, digest settings and buttons."""
    if not cards:
        return []
    blocks: list[Block] = [divider(), header("Teams you lead")]
    for card in cards:
        slug = card.team.slug
        toggle = (
            button("Stop the digest", HOME_DIGEST_UNSUBSCRIBE, slug)
            if card.subscribed
            else button("Get the digest", HOME_DIGEST_SUBSCRIBE, slug, "primary")
        )
        blocks += [
            section(f"*{card.team.name}*\n{_headline(card)}\n{schedule_text(card)}"),
            {
                "type": "actions",
                "block_id": f"team-{card.team.id}",
                "elements": [
                    button("Preview this week's digest", HOME_DIGEST_PREVIEW, slug),
                    button("Digest day and hour", HOME_DIGEST_SCHEDULE, slug),
                    toggle,
                ],
            },
        ]
    notes = ["Team figures only, as released: no names, no ranking."]
    if more:
        notes.append(f"{more} more teams: `/teamusage` lists them all.")
    blocks.append(context(*notes))
    return blocks


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def schedule_metadata(slug: str) -> str:
    """The team a digest form is about, carried in the modal (checked again on submission)."""
    return json.dumps({"team": slug})


def _choice(
    block_id: str,
    action_id: str,
    label: str,
    options: list[dict[str, Any]],
    initial: dict[str, Any],
    *,
    kind: str = "static_select",
) -> Block:
    """An input block offering a choice, starting from `initial`."""
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": kind,
            "action_id": action_id,
            "options": options,
            "initial_option": initial,
        },
    }


def schedule_modal(card: TeamCard) -> dict[str, Any]:
    """The form for a team's digest day, hour and quiet weeks, filled with the current ones."""
    days = [_option(name, DAY_WORDS[number]) for number, name in enumerate(DAY_NAMES)]
    hours = [_option(f"{hour:02d}:00", f"{hour:02d}") for hour in range(24)]
    quiet = [_option(text, value) for value, text in QUIET_CHOICES.items()]
    return {
        "type": "modal",
        "callback_id": DIGEST_MODAL,
        "private_metadata": schedule_metadata(card.team.slug),
        "title": {"type": "plain_text", "text": "Weekly digest"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"When should the weekly digest for *{card.team.name}* reach you?"),
            _choice(DIGEST_DAY_BLOCK, DIGEST_DAY, "Day", days, days[card.weekday % 7]),
            _choice(
                DIGEST_HOUR_BLOCK, DIGEST_HOUR, "Hour (your time)", hours, hours[card.hour % 24]
            ),
            _choice(
                DIGEST_QUIET_BLOCK,
                DIGEST_QUIET,
                "In a week when little changed",
                quiet,
                quiet[0 if card.quiet != "none" else 1],
                kind="radio_buttons",
            ),
            context("Saving also subscribes you if you had stopped the digest."),
        ],
    }
