"""Block Kit for one tool's full figures, opened from the `/myusage` menu. Only the person sees it.

Every figure the tool reports is a field; a figure it does not report is left out rather than
shown as 0, and outcomes the tool does not report are said to be not reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.adoption import ToolUsage, UsageSummary
from bot.blocks.common import Block, context, section
from bot.blocks.myusage import number
from bot.tools import tool_label

MODAL_TITLE = "Tool details"  # Slack allows 24 characters
#: Flags a tool reports per day, counted in days, in the person's words.
DAYS_USED = {
    "used_cloud_agent": "cloud agent",
    "used_copilot_app": "Copilot app",
    "code_review_active": "asked for code review",
}
#: GitHub's AI adoption phases (0: no cohort, not shown).
ADOPTION_PHASES = {1: "code first", 2: "agent first", 3: "multi-agent"}


def _outcome_field(tool: str, outcomes: Mapping[str, float] | None) -> str:
    """What came of the use, where the tool reports it (its own count: vendor-reported)."""
    if outcomes is None:
        return "*Outcomes*\nnot reported"
    parts = []
    if outcomes.get("commits") or outcomes.get("pull_requests"):
        parts.append(
            f"commits with AI {number(outcomes.get('commits', 0))}"
            f" · PRs {number(outcomes.get('pull_requests', 0))}"
        )
    if outcomes.get("lines_added") or outcomes.get("lines_removed"):
        removed = outcomes.get("lines_removed")
        parts.append(
            f"lines +{number(outcomes.get('lines_added', 0))}"
            + (f"/−{number(removed)}" if removed is not None else "")
        )
    decided = outcomes.get("edits_accepted", 0) + outcomes.get("edits_rejected", 0)
    if decided:
        parts.append(
            f"edits accepted {number(outcomes.get('edits_accepted', 0))} of {number(decided)}"
        )
    if outcomes.get("tabs_shown"):
        parts.append(
            f"tab suggestions accepted {number(outcomes.get('tabs_accepted', 0))}"
            f" of {number(outcomes['tabs_shown'])}"
        )
    if outcomes.get("ai_credits_used"):
        parts.append(f"AI credits used {number(outcomes['ai_credits_used'])} (use, not the bill)")
    parts += [
        f"{words} on {number(outcomes[name])} day{'' if outcomes[name] == 1 else 's'}"
        for name, words in DAYS_USED.items()
        if outcomes.get(name)
    ]
    phase = ADOPTION_PHASES.get(int(outcomes.get("adoption_phase") or 0))
    if phase:
        parts.append(f"GitHub's adoption phase: {phase}")
    if not parts:
        return f"*Outcomes* (vendor-reported)\nnone reported by {tool_label(tool)} in these days"
    return "*Outcomes* (vendor-reported)\n" + " · ".join(parts)


def tool_fields(
    usage: ToolUsage, window_days: int, outcomes: Mapping[str, float] | None
) -> list[str]:
    """The tool's figures as fields, leaving out those it does not report."""
    fields = [f"*Active days*\n{usage.active_days} of {window_days}"]
    if usage.interactions:
        fields.append(f"*Interactions*\n{number(usage.interactions)}")
    rate = usage.acceptance_rate
    if rate is not None:
        fields.append(
            f"*Acceptance rate*\n{rate:.0%} ({number(usage.acceptances)} of "
            f"{number(usage.generations)})"
        )
    if usage.lines_accepted:
        fields.append(f"*Lines accepted*\n{number(usage.lines_accepted)}")
    if usage.features:
        fields.append("*Features used*\n" + ", ".join(f.replace("_", " ") for f in usage.features))
    if usage.cost_cents is not None:
        label = "estimated" if usage.cost_estimated else "vendor-reported"
        fields.append(f"*Cost* ({label})\n${usage.cost_cents / 100:,.2f}")
    fields.append(_outcome_field(usage.tool, outcomes))
    return fields


def tool_detail_blocks(summary: UsageSummary, tool: str) -> list[Block]:
    """One tool's figures over the summary's window (the person's own, for them only)."""
    usage = next((usage for usage in summary.tools if usage.tool == tool), None)
    title = f"*{tool_label(tool)}*, last {summary.window_days} days"
    if usage is None or not (usage.active_days or usage.interactions):
        body = section(f"{title}\nNo use of {tool_label(tool)} recorded in these days.")
    else:
        body = section(
            title, fields=tool_fields(usage, summary.window_days, summary.outcomes.get(tool))
        )
    return [
        body,
        context(
            f"{summary.start:%d %b} – {summary.end:%d %b %Y}. Only you can see this. "
            "`/myusage help` explains the figures."
        ),
    ]


def tool_detail_modal(blocks: list[Block]) -> dict[str, Any]:
    """The details as a modal (from the Home tab, where there is no message to answer)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": MODAL_TITLE},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }
