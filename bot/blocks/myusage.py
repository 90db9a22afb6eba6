"""Block Kit for `/myusage`: a person's own figures, shown only to them."""

from __future__ import annotations

import datetime as dt

from bot.adoption import TIER_WINDOW_DAYS, TierThresholds, ToolUsage, UsageSummary
from bot.blocks.common import Block, context, divider, header, section
from bot.tools import tool_label

SPARKS = "▁▂▃▄▅▆▇█"
# Leaves room for the header, tier, trend, dividers and footer inside Slack's 50 blocks.
MAX_TOOL_SECTIONS = 40

MYUSAGE_HELP = """\
*/myusage* shows your own AI coding tool usage. Only you can see it.

• `/myusage` — the last 28 days
• `/myusage 7d`, `/myusage 28d`, `/myusage 90d` — another window
• `/myusage links` — the tool accounts linked to you
• `/myusage link github LOGIN` — claim your GitHub login (an admin verifies it first)
• `/myusage unlink TOOL` — remove a link (`copilot`, `claude_code`, `cursor`, `openai`)
• `/myusage privacy` — what is stored about you, who sees what, and the audit log about you
• `/myusage export` — all of it as a file in our DM · `/myusage forget` — delete it
• `/myusage help` — this help

*What the figures mean*
• *Active day*: a day with any recorded use of a tool.
• *Tier* (trailing {tier_window} days, all tools): inactive (0 active days), light \
(1–{light}), regular ({light_next}–{regular}), power ({regular_next}+). It describes how \
often, not how well, and nobody is ranked.
• *Acceptance rate*: suggestions you accepted out of those shown, where the tool reports both.
• *Habit*: weeks with at least one active day, out of the last 8.
• *Freshness*: when each source last synced; today's usage may not be in yet.

*Privacy*: your individual figures are shown to you only. Managers see team totals over \
groups of at least {k} people, never a named person's numbers.\
"""


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


def _number(value: int) -> str:
    return f"{value:,}"


def _tool_fields(
    usage: ToolUsage, window_days: int, outcomes: dict[str, int] | None = None
) -> list[str]:
    rate = usage.acceptance_rate
    fields = [
        f"*Active days*\n{usage.active_days} of {window_days}",
        f"*Interactions*\n{_number(usage.interactions)}",
        f"*Acceptance rate*\n{'—' if rate is None else f'{rate:.0%}'}"
        + (f" ({_number(usage.acceptances)} of {_number(usage.generations)})" if rate else ""),
        f"*Lines accepted*\n{_number(usage.lines_accepted)}",
    ]
    if usage.features:
        fields.append("*Features used*\n" + ", ".join(f.replace("_", " ") for f in usage.features))
    if usage.cost_cents is not None:
        label = "estimated" if usage.cost_estimated else "vendor-reported"
        fields.append(f"*Cost* ({label})\n${usage.cost_cents / 100:,.2f}")
    fields.append(_outcome_field(outcomes))
    return fields


def _outcome_field(outcomes: dict[str, int] | None) -> str:
    """What came of the use, where the tool reports it (its own count: vendor-reported)."""
    if outcomes is None:
        return "*Outcomes*\nnot reported"
    decided = outcomes["edits_accepted"] + outcomes["edits_rejected"]
    return (
        "*Outcomes* (vendor-reported)\n"
        f"commits with AI {_number(outcomes['commits'])} · PRs {_number(outcomes['pull_requests'])}"
        f" · lines +{_number(outcomes['lines_added'])}/−{_number(outcomes['lines_removed'])}"
        f" · edits accepted {_number(outcomes['edits_accepted'])} of {_number(decided)}"
    )


def _freshness_line(summary: UsageSummary, now: dt.datetime) -> str:
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
            "• *GitHub Copilot* reports GitHub logins only, so an Uptake admin maps your login "
            "to you.\n"
            "Ask your Uptake admin if an account you use is missing." + pending_note
        ),
        context("Only you can see this. `/myusage help` explains the figures."),
    ]


def myusage_blocks(summary: UsageSummary, *, now: dt.datetime) -> list[Block]:
    """The `/myusage` answer for a person with at least one linked tool."""
    if not summary.has_identities:
        return no_identity_blocks(summary.pending_identities)
    blocks: list[Block] = [
        header(f"Your AI tool usage — last {summary.window_days} days"),
        section(
            f"*Tier: {summary.tier.value}* — active on {summary.tier_active_days} of the last "
            f"{TIER_WINDOW_DAYS} days across all tools ({summary.tier.value} means "
            f"{summary.tier_rule}). It describes how often, not how well; nobody is ranked.\n"
            f"*Active days in this window:* {summary.active_days} of {summary.window_days} · "
            f"*Tools used:* {summary.tools_used} · "
            f"*Habit:* active in {summary.habit_weeks} of the last 8 weeks"
        ),
        section(
            f"*Active days per week, last 8 weeks:* `{sparkline(summary.weekly_active_days)}` "
            f"({' '.join(str(count) for count in summary.weekly_active_days)})"
        ),
        divider(),
    ]
    shown = sorted(summary.tools, key=lambda t: (-t.active_days, t.tool))[:MAX_TOOL_SECTIONS]
    for usage in sorted(shown, key=lambda t: t.tool):
        blocks.append(
            section(
                f"*{tool_label(usage.tool)}*",
                fields=_tool_fields(usage, summary.window_days, summary.outcomes.get(usage.tool)),
            )
        )
    if len(summary.tools) > len(shown):
        blocks.append(
            context(f"{len(summary.tools) - len(shown)} less-used tools are not shown here.")
        )
    blocks.append(divider())
    blocks.append(
        context(
            f"{summary.start:%d %b} – {summary.end:%d %b %Y}. " + _freshness_line(summary, now),
            "Only you can see this. `/myusage 7d|28d|90d` · `/myusage help`",
        )
    )
    return blocks


def fallback_text(summary: UsageSummary) -> str:
    """Notification text for the answer (shown where blocks cannot be)."""
    if not summary.has_identities:
        return "Your AI tool usage: no linked accounts yet."
    return (
        f"Your AI tool usage, last {summary.window_days} days: tier {summary.tier.value}, "
        f"{summary.active_days} active days."
    )
