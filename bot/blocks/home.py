"""Block Kit for the App Home tab: a welcome, the person's own dashboard, their data buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.adoption import WINDOWS
from bot.blocks.common import Block, button, code, divider, header, section
from bot.blocks.home_teams import team_blocks
from bot.blocks.ids import (
    HOME_EXPORT,
    HOME_FORGET,
    HOME_LINK,
    HOME_PRIVACY,
    HOME_WINDOW_PREFIX,
)
from bot.blocks.tips import home_tip_blocks
from bot.linking import LinkView
from bot.tools import EMAIL_KEYED_TOOLS, KNOWN_TOOLS, tool_label

if TYPE_CHECKING:
    from bot.home import HomeState

#: Slack's limit on blocks in a Home tab or a modal.
MAX_VIEW_BLOCKS = 100
MAX_ACCOUNT_LINES = 30


def actions(block_id: str, *elements: dict[str, Any]) -> Block:
    """An actions block (at most 25 elements)."""
    return {"type": "actions", "block_id": block_id, "elements": list(elements)[:25]}


def window_value(days: int) -> str:
    """How a window travels in a button and in the Home view's metadata: `28d`."""
    return f"{days}d"


def welcome_blocks(min_group_size: int) -> list[Block]:
    """A first-time visitor's welcome: what Uptake is and is not, and who sees what."""
    return [
        header("Welcome to Uptake"),
        section(
            "Uptake shows you how *you* use AI coding tools (GitHub Copilot, Claude Code, "
            "Cursor, OpenAI): active days, what you accepted, habits and trends, so you can "
            "see your own picture and, if you like, get a tip now and then.\n\n"
            "*What it is not*: a ranking or a scoreboard. Nobody is ranked, there are no "
            "leaderboards, and it stores usage counts only, never prompts, code or messages."
        ),
        section(
            "*Who sees what*\n"
            "• *You* see your own figures, all of them. Nobody else sees them.\n"
            f"• *Your manager* sees team totals over groups of at least {min_group_size} "
            "people, with a little noise, never your numbers.\n"
            "• *Admins* operate Uptake; any look at your data is in an audit log you can read "
            "below (*What is stored*)."
        ),
        section(
            "*Get started*: link your tool accounts. Accounts that report your Slack email link "
            "by themselves; for GitHub Copilot, link your GitHub login below (an admin checks "
            "it is yours before anything shows)."
        ),
    ]


def account_lines(links: Sequence[LinkView]) -> list[str]:
    """The state of each of the person's links, tool by tool, in words."""
    by_tool: dict[str, list[LinkView]] = {}
    for view in links:
        by_tool.setdefault(view.tool, []).append(view)
    lines = []
    for tool in [*KNOWN_TOOLS, *sorted(set(by_tool) - set(KNOWN_TOOLS))]:
        views = by_tool.get(tool, [])
        label = f"*{tool_label(tool)}*"
        if not views:
            hint = (
                "links by itself once the tool reports your Slack email"
                if tool in EMAIL_KEYED_TOOLS
                else "link your GitHub login with *Link an account*"
            )
            lines.append(f"• {label}: not linked yet; {hint}")
            continue
        for view in views:
            state = "linked" if view.verified else "waiting for an admin to verify it"
            lines.append(f"• {label}: {code(view.external_id, 60)} {state}")
    if len(lines) > MAX_ACCOUNT_LINES:
        lines = [*lines[:MAX_ACCOUNT_LINES], f"…and {len(lines) - MAX_ACCOUNT_LINES} more"]
    return lines


def accounts_blocks(links: Sequence[LinkView]) -> list[Block]:
    """The person's accounts, with the button that opens the link form."""
    return [
        header("Your accounts"),
        section("\n".join(account_lines(links))),
        actions("home-accounts", button("Link an account", HOME_LINK, "link", "primary")),
    ]


def window_buttons(window_days: int) -> Block:
    """7 / 28 / 90 days; the one shown is highlighted."""
    return actions(
        "home-window",
        *(
            button(
                f"{days} days",
                f"{HOME_WINDOW_PREFIX}{days}",
                window_value(days),
                "primary" if days == window_days else None,
            )
            for days in WINDOWS
        ),
    )


def my_data_blocks() -> list[Block]:
    """Privacy, export and forget, as buttons."""
    return [
        header("Your data"),
        section(
            "See what Uptake stores about you and the audit log about you, get all of it as a "
            "file in our DM, or delete it."
        ),
        actions(
            "home-data",
            button("What is stored", HOME_PRIVACY, "privacy"),
            button("Export as a file", HOME_EXPORT, "export"),
            button("Delete my data", HOME_FORGET, "forget", "danger"),
        ),
    ]


def home_blocks(state: HomeState) -> tuple[list[Block], str]:
    """The whole Home tab, within Slack's 100 blocks, and the view's metadata (the window)."""
    tail: list[Block] = [divider(), *accounts_blocks(state.links)]
    if not state.first_visit:
        tips = state.tips
        tail += [
            divider(),
            *home_tip_blocks(
                tips.enabled,
                tips.frequency,
                tips.snoozed_until,
                tips.paused,
                state.summary.tier.value,
            ),
        ]
    tail += [divider(), *my_data_blocks()]
    tail += team_blocks(state.teams, state.more_teams)
    if state.first_visit:
        head = welcome_blocks(state.min_group_size)
    else:
        # `/myusage`'s own blocks (what landed, tier, tools, the chart), window buttons under
        # its headline.
        summary = state.summary_blocks
        head = [*summary[:1], window_buttons(state.window_days), *summary[1:]]
    # The tail is bounded; the summary gives way if a person has very many tools.
    room = MAX_VIEW_BLOCKS - len(tail)
    return [*head[:room], *tail][:MAX_VIEW_BLOCKS], window_value(state.window_days)


def welcome_home_blocks(min_group_size: int) -> list[Block]:
    """The Home tab of someone Uptake does not know (any more): the welcome, nothing stored."""
    return [*welcome_blocks(min_group_size), divider(), *accounts_blocks(()), *my_data_blocks()]
