"""Block Kit for `/myusage`: a person's own figures, shown only to them.

The answer is built for a phone: a headline (what landed, then tier, active days and habit), one
line per tool that was used (linked tools without use share one line), the person's trend
chart, and a context line with the dates and freshness: at most five blocks, six with the
tips button. Each tool's full figures are one menu choice away (`bot/blocks/tool_detail.py`).
A figure a tool does not report is left out, never shown as 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.adoption import TIER_WINDOW_DAYS, TierThresholds, ToolUsage, UsageSummary
from bot.blocks.common import Block, context, header, section
from bot.blocks.ids import MYUSAGE_TOOL_DETAILS
from bot.slack_files import image_block
from bot.tools import tool_label

SPARKS = "▁▂▃▄▅▆▇█"
#: Tools given a line of their own; the rest are counted and reachable through the menu.
MAX_TOOL_LINES = 8
#: Slack's overflow menu holds 2–5 options; more tools get a select menu (up to 100).
MAX_OVERFLOW_OPTIONS = 5
MAX_SELECT_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
FOOTER_BLOCK = "myusage-footer"
TOOLS_BLOCK = "myusage-tools"
CHART_BLOCK = "myusage-chart"

MYUSAGE_HELP = """\
*/myusage* shows your own AI coding tool usage. Only you can see it.

• `/myusage` — the last 28 days · `/myusage 7d`, `28d`, `90d` — another window
• `/myusage links` — the tool accounts linked to you
• `/myusage link github LOGIN` — claim your GitHub login (an admin verifies it first)
• `/myusage unlink TOOL` — remove a link (`copilot`, `claude_code`, `cursor`, `openai`)
• `/myusage privacy` — what is stored about you, who sees what, and the audit log about you
• `/myusage export` — all of it as a file in our DM · `/myusage forget` — delete it
• `/myusage help` — this help

*What the figures mean*
• *What landed*: commits and pull requests made with AI, lines accepted, agent edits you \
kept, as your tools report them. A figure a tool does not report is left out, not shown as 0.
• *Active day*: a day with any recorded use of a tool.
• *Tier* (trailing {tier_window} days, all tools): inactive (0 active days), light \
(1–{light}), regular ({light_next}–{regular}), power ({regular_next}+). It describes how \
often, not how well, and nobody is ranked.
• *Acceptance rate*: suggestions you accepted out of those shown, where the tool reports both.
• *Habit*: weeks with at least one active day, out of the last 8.
• *Chart*: the share of days you used any tool, each week for 12 weeks.
• *Details*: the menu beside your tools shows one tool's full figures.
• *Freshness*: when each source last synced; today's usage may not be in yet.

*Privacy*: your individual figures are shown to you only. Managers see team totals over \
groups of at least {k} people, never a named person's numbers.\
"""


@dataclass(frozen=True, slots=True)
class ChartImage:
    """The person's uploaded trend chart and what a screen reader says for it."""

    file_id: str
    alt_text: str


def help_text(thresholds: TierThresholds, min_group_size: int) -> str:
    """The help text, with the thresholds in force."""
    return MYUSAGE_HELP.format(
        tier_window=TIER_WINDOW_DAYS,
        light=thresholds.light_max,
        light_next=thresholds.light_max + 1,
        regular=thresholds.regular_max,
        regular_next=thresholds.regular_max + 1,
        k=min_group_size,
    )


def help_blocks(thresholds: TierThresholds, min_group_size: int, *, note: str = "") -> list[Block]:
    """`/myusage help`, optionally led by a note about what was not understood."""
    blocks: list[Block] = []
    if note:
        blocks.append(section(note))
    blocks.append(section(help_text(thresholds, min_group_size)))
    return blocks


def sparkline(counts: tuple[int, ...], top: int = 7) -> str:
    """Weekly active days as a row of bars (0–7 days a week)."""
    return "".join(
        SPARKS[min(len(SPARKS) - 1, count * (len(SPARKS) - 1) // top)] for count in counts
    )


def number(value: float) -> str:
    """A count with thousands separators (whole, however it was stored)."""
    return f"{round(value):,}"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def used(usage: ToolUsage) -> bool:
    """Whether the tool shows any use in the window."""
    return bool(usage.active_days or usage.interactions)


def reports_outcomes(usage: ToolUsage, outcomes: Mapping[str, Mapping[str, float]]) -> bool:
    """Whether the tool reported anything about what came of its use."""
    return usage.tool in outcomes or usage.lines_accepted > 0


def totals(outcomes: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Each outcome summed over the tools that report it."""
    summed: dict[str, float] = {}
    for figures in outcomes.values():
        for name, value in figures.items():
            summed[name] = summed.get(name, 0) + (value or 0)
    return summed


def landed_parts(summary: UsageSummary) -> list[str]:
    """What came of the use, largest signals first; only figures some tool reported."""
    total = totals(summary.outcomes)
    parts = []
    made = [
        f"{number(total[name])} {word if total[name] == 1 else word + 's'}"
        for name, word in (("commits", "commit"), ("pull_requests", "pull request"))
        if total.get(name)
    ]
    if made:
        parts.append(f"{_and(made)} made with AI")
    lines = sum(usage.lines_accepted for usage in summary.tools)
    if lines:
        parts.append(f"{number(lines)} lines accepted")
    decided = total.get("edits_accepted", 0) + total.get("edits_rejected", 0)
    if decided:
        kept = total.get("edits_accepted", 0)
        parts.append(
            f"{number(kept)} of {number(decided)} agent edits accepted ({kept / decided:.0%})"
        )
    if total.get("tabs_shown"):
        parts.append(
            f"{number(total.get('tabs_accepted', 0))} of {number(total['tabs_shown'])} "
            "tab suggestions accepted"
        )
    if total.get("ai_credits_used"):
        parts.append(f"{number(total['ai_credits_used'])} AI credits used (use, not the bill)")
    return parts


def landed_line(summary: UsageSummary) -> str:
    """The headline's first line: what landed, and which tools used do not report it."""
    silent = [
        tool_label(usage.tool)
        for usage in summary.tools
        if used(usage) and not reports_outcomes(usage, summary.outcomes)
    ]
    parts = landed_parts(summary)
    if parts:
        line = "*What landed:* " + " · ".join(parts)
    elif any(reports_outcomes(usage, summary.outcomes) for usage in summary.tools):
        line = "*What landed:* nothing reported in these days yet"
    else:
        line = "*What landed:* your tools don't report commits, pull requests or accepted lines"
        return line
    if silent:
        line += f"\n_{_and(silent)} {'does' if len(silent) == 1 else 'do'} not report outcomes._"
    return line


def frequency_line(summary: UsageSummary) -> str:
    """Tier with its rule, active days and habit: how often, beside what landed."""
    line = (
        f"*Tier: {summary.tier.value}* — active on {summary.tier_active_days} of the last "
        f"{TIER_WINDOW_DAYS} days ({summary.tier.value} is {summary.tier_rule}; how often, "
        f"not how well)"
    )
    if summary.window_days != TIER_WINDOW_DAYS:
        line += f" · {summary.active_days} of {summary.window_days} days in this window"
    return line + f" · *Habit:* {summary.habit_weeks} of the last 8 weeks"


def tool_line(usage: ToolUsage) -> str:
    """One tool in a line: its days, and the figures it reports."""
    days = f"{usage.active_days} day{'' if usage.active_days == 1 else 's'}"
    parts = [f"*{tool_label(usage.tool)}*", days]
    rate = usage.acceptance_rate
    if rate is not None:
        parts.append(
            f"accepted {rate:.0%} ({number(usage.acceptances)} of {number(usage.generations)})"
        )
    if usage.lines_accepted:
        parts.append(f"{number(usage.lines_accepted)} lines")
    if usage.cost_cents is not None:
        label = "estimated" if usage.cost_estimated else "vendor-reported"
        parts.append(f"${usage.cost_cents / 100:,.2f} {label}")
    return " · ".join(parts)


def _shown_tools(summary: UsageSummary) -> list[ToolUsage]:
    return sorted(
        (usage for usage in summary.tools if used(usage)),
        key=lambda usage: (-usage.active_days, -usage.interactions, usage.tool),
    )


def tools_block(summary: UsageSummary) -> Block:
    """One line per tool used; linked tools without use share a line; the details menu."""
    active = _shown_tools(summary)
    lines = [tool_line(usage) for usage in active[:MAX_TOOL_LINES]]
    if len(active) > MAX_TOOL_LINES:
        lines.append(f"_…and {len(active) - MAX_TOOL_LINES} more tools: see the menu._")
    idle = [tool_label(usage.tool) for usage in summary.tools if not used(usage)]
    if not active:
        lines.append(f"No use recorded in these {summary.window_days} days.")
    if idle:
        lines.append(f"_Linked, not used in these {summary.window_days} days: {_and(idle)}_")
    block = section("\n".join(lines))
    block["block_id"] = TOOLS_BLOCK
    menu = details_menu(active, summary.window_days)
    if menu is not None:
        block["accessory"] = menu
    return block


def detail_value(tool: str, window_days: int) -> str:
    """What a details choice carries: the tool and the window (`copilot:28`)."""
    return f"{tool}:{window_days}"


def details_menu(tools: list[ToolUsage], window_days: int) -> dict[str, Any] | None:
    """What opens one tool's details: a button for one tool, an overflow menu for up to five,
    a select menu for more."""
    options = [
        {
            "text": {
                "type": "plain_text",
                "text": f"{tool_label(usage.tool)} details"[:MAX_OPTION_TEXT],
            },
            "value": detail_value(usage.tool, window_days),
        }
        for usage in tools
        if len(detail_value(usage.tool, window_days)) <= MAX_OPTION_VALUE
    ][:MAX_SELECT_OPTIONS]
    if not options:
        return None
    if len(options) == 1:  # an overflow menu needs at least two options
        return {
            "type": "button",
            "action_id": MYUSAGE_TOOL_DETAILS,
            "text": {"type": "plain_text", "text": "Details"},
            "value": options[0]["value"],
        }
    if len(options) <= MAX_OVERFLOW_OPTIONS:
        return {"type": "overflow", "action_id": MYUSAGE_TOOL_DETAILS, "options": options}
    return {
        "type": "static_select",
        "action_id": MYUSAGE_TOOL_DETAILS,
        "placeholder": {"type": "plain_text", "text": "Details for…"},
        "options": options,
    }


def freshness_line(summary: UsageSummary, now: dt.datetime) -> str:
    """When each source the figures came from last synced, and whether it is failing."""
    if not summary.freshness:
        return "No data has been synced for your tools yet."
    parts = []
    for state in summary.freshness:
        if state.last_success_at is None:
            when = "never synced"
        else:
            hours = max(0, int((now - state.last_success_at).total_seconds() // 3600))
            when = "synced within the hour" if hours == 0 else f"synced {hours}h ago"
            if state.last_complete_day:
                when += f", complete to {state.last_complete_day:%d %b}"
        warning = " :warning: last sync failed" if state.failing else ""
        parts.append(f"{tool_label(state.source)}: {when}{warning}")
    return "Freshness — " + " · ".join(parts)


def footer_block(summary: UsageSummary, now: dt.datetime) -> Block:
    """The window's dates, freshness, who sees this, and where the help is."""
    block = context(
        f"{summary.start:%d %b} – {summary.end:%d %b %Y}. " + freshness_line(summary, now),
        "Only you can see this. `/myusage 7d|28d|90d` · `/myusage help`",
    )
    block["block_id"] = FOOTER_BLOCK
    return block


def chart_block(chart: ChartImage) -> Block:
    """The person's trend chart: an image block referencing the uploaded Slack file."""
    return image_block(chart.file_id, alt_text=chart.alt_text, block_id=CHART_BLOCK)


def no_identity_blocks(pending: int) -> list[Block]:
    """For someone with no verified tool accounts: how linking works."""
    pending_note = (
        f"\n\nYou have {pending} account link(s) waiting for an admin to verify; "
        "nothing is shown until then, so nobody can see someone else's usage by claiming it."
        if pending
        else ""
    )
    return [
        header("Your AI tool usage"),
        section(
            "We haven't linked any AI tool accounts to you yet, so there is nothing to show.\n\n"
            "*How linking works*\n"
            "• *Claude Code, Cursor and OpenAI* report people by email: accounts with the same "
            "email as your Slack profile link automatically.\n"
            "• *GitHub Copilot* reports GitHub logins only: claim yours with "
            "`/myusage link github YOUR-LOGIN` (or *Link an account* on Uptake's Home tab), and "
            "an Uptake admin verifies it is yours before anything shows.\n"
            "For an account under another email, ask your Uptake admin to map it." + pending_note
        ),
        context("Only you can see this. `/myusage help` explains the figures."),
    ]


def myusage_blocks(
    summary: UsageSummary, *, now: dt.datetime, chart: ChartImage | None = None
) -> list[Block]:
    """The `/myusage` answer: three blocks, four with the chart."""
    if not summary.has_identities:
        return no_identity_blocks(summary.pending_identities)
    trend = (
        ""
        if chart is not None
        else f"\nLast 8 weeks `{sparkline(summary.weekly_active_days[-8:])}`"
    )
    headline = section(
        f"*Your AI tool usage — last {summary.window_days} days*\n"
        f"{landed_line(summary)}\n{frequency_line(summary)}{trend}"
    )
    chart_blocks = [] if chart is None else [chart_block(chart)]
    return [headline, tools_block(summary), *chart_blocks, footer_block(summary, now)]


def fallback_text(summary: UsageSummary) -> str:
    """Notification text for the answer (shown where blocks cannot be)."""
    if not summary.has_identities:
        return "Your AI tool usage: no linked accounts yet."
    return (
        f"Your AI tool usage, last {summary.window_days} days: tier {summary.tier.value}, "
        f"{summary.active_days} active days."
    )
