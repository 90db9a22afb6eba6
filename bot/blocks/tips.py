"""Block Kit for tips: the tip message, `/aitips`, and the tip settings on the Home tab."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.blocks.common import Block, button, context, header, section
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
    TIPS_KEEP,
)

FREQUENCIES = ("weekly", "fortnightly", "monthly")

AITIPS_HELP = """\
*/aitips* sends you a short tip now and then, picked for the gap in *your own* usage. \
It is off until you switch it on, and every tip has buttons to rate it, snooze or stop.

• `/aitips on` / `/aitips off` — start or stop tips
• `/aitips status` — your settings
• `/aitips snooze 1w|2w|4w` — a break
• `/aitips frequency weekly|fortnightly|monthly` — how often, at most
• `/aitips now` — one tip right away
• `/aitips help` — this help

Tips arrive on a working day (Tuesday to Thursday) between 10:00 and 11:00 in your Slack time \
zone, never at night or at a weekend. They go to people in the light or inactive tier, or to \
anyone who switched them on while regular or power. A tip's wording may be polished by an AI \
model that sees only the tip and your own figures (no name, email or id).\
"""


def tip_message_blocks(
    text: str, link: str, tool_label: str, delivery_id: int, version: str
) -> list[Block]:
    """A tip, with its documentation link and the four feedback buttons."""
    value = str(delivery_id)
    return [
        section(f":bulb: *A tip for {tool_label}*\n{text}"),
        context(
            f"<{link}|Read the documentation> · tip library {version} · you get these because "
            "you switched tips on"
        ),
        {
            "type": "actions",
            "block_id": f"tip-{delivery_id}",
            "elements": [
                button("Helpful", TIP_HELPFUL, value, "primary"),
                button("Not for me", TIP_NOT_FOR_ME, value),
                button("Snooze 2 weeks", TIP_SNOOZE, value),
                button("Stop tips", TIP_STOP, value, "danger"),
            ],
        },
    ]


def keep_sending_blocks() -> list[Block]:
    """Asked once after three tips in a row got no reaction."""
    return [
        section(
            "The last three tips got no reaction, so I'll pause them unless you'd like to keep "
            "them coming. No answer is fine: they simply stop."
        ),
        {
            "type": "actions",
            "block_id": "tips-keep",
            "elements": [
                button("Keep sending tips", TIPS_KEEP, "keep", "primary"),
                button("Stop tips", TIP_STOP, "0", "danger"),
            ],
        },
    ]


def feedback_done_blocks(what: str) -> list[Block]:
    """Replaces the buttons after a click."""
    return [context(what)]


def aitips_help_blocks(note: str = "") -> list[Block]:
    """`/aitips help`."""
    return ([section(note)] if note else []) + [section(AITIPS_HELP)]


def describe_settings(
    enabled: bool, frequency: str, snoozed_until: dt.date | None, paused: bool
) -> str:
    """The person's tip settings in words."""
    if not enabled:
        return "Tips are *off*. `/aitips on` switches them on."
    line = f"Tips are *on*, {frequency}."
    if snoozed_until:
        line += f" Snoozed until {snoozed_until:%d %b}."
    if paused:
        line += " Paused after three tips with no reaction: `/aitips on` resumes them."
    return line


def aitips_status_blocks(
    enabled: bool, frequency: str, snoozed_until: dt.date | None, paused: bool, tier: str
) -> list[Block]:
    """`/aitips status` and the answer to every settings change, with the settings' buttons."""
    return [
        section(describe_settings(enabled, frequency, snoozed_until, paused)),
        tip_setting_buttons(enabled, frequency, "aitips-settings"),
        context(f"Your tier: {tier} · `/aitips help` for every option"),
    ]


def tip_setting_buttons(enabled: bool, frequency: str, block_id: str) -> Block:
    """Start or stop tips, snooze them, how often: the same buttons under `/aitips` and on
    the Home tab."""
    toggle = (
        button("Stop tips", HOME_TIPS_OFF, "off")
        if enabled
        else button("Get tips", HOME_TIPS_ON, "on", "primary")
    )
    elements: list[dict[str, Any]] = [toggle]
    if enabled:
        elements.append(button("Snooze 2 weeks", HOME_TIPS_SNOOZE, "2"))
        elements.append(
            {
                "type": "static_select",
                "action_id": HOME_TIPS_FREQUENCY,
                "placeholder": {"type": "plain_text", "text": "How often"},
                "initial_option": _option(frequency),
                "options": [_option(f) for f in FREQUENCIES],
            }
        )
    return {"type": "actions", "block_id": block_id, "elements": elements}


def home_tip_blocks(
    enabled: bool, frequency: str, snoozed_until: dt.date | None, paused: bool, tier: str
) -> list[Block]:
    """Tip settings on the Home tab, with buttons."""
    return [
        header("Tips"),
        section(describe_settings(enabled, frequency, snoozed_until, paused)),
        tip_setting_buttons(enabled, frequency, "home-tips"),
        context(f"Your tier: {tier}. Tips are picked for the gaps in your own usage."),
    ]


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value.title()}, "value": value}


def get_tips_button() -> Block:
    """Offered in `/myusage` to light and inactive people who have not opted in."""
    return {
        "type": "actions",
        "block_id": "get-tips",
        "elements": [button("Get tips", GET_TIPS, "on", "primary")],
    }


def answered_tip_blocks(original: list[Block], note: str) -> list[Block]:
    """The tip as it was, without its buttons, with what the person chose."""
    kept = [block for block in original if block.get("type") != "actions"]
    return [*kept, context(note)]
