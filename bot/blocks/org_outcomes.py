"""Block Kit for `/uptake-admin outcomes`: GitHub's organisation figures, as GitHub reports them."""

from __future__ import annotations

from bot.blocks.common import Block, context, header, section
from bot.orgwide.outcomes import OrgOutcomes


def _minutes(value: float) -> str:
    return f"{value:.0f} min" if value < 120 else f"{value / 60:.1f} h"


def org_outcomes_blocks(figures: OrgOutcomes, *, k: int) -> list[Block]:
    """The organisation's Copilot outcomes over the window; nothing about fewer than k people."""
    span = f"{figures.since:%d %b} – {figures.until:%d %b %Y}"
    title = header("GitHub organisation: Copilot outcomes")
    source = context(
        f"{span}, {figures.days} day(s) reported. GitHub reports these for the whole "
        "organisation only; Uptake never attributes them to anyone. Vendor-reported."
    )
    if figures.too_few_people:
        return [
            title,
            section(
                f"On some of these days fewer than {k} people used Copilot (or GitHub did not "
                "say how many), so nothing is shown."
            ),
            source,
        ]
    if not figures.days or not (figures.counts or figures.medians):
        return [
            title,
            section(
                "GitHub has reported no organisation figures for the last 28 days. They come "
                "with Copilot's usage reports (`uptake sync copilot`)."
            ),
            source,
        ]
    lines = [f"• {label}: {value:,.0f}" for label, value in figures.counts]
    blocks = [title]
    if lines:
        blocks.append(section("*Pull requests* (summed over the days)\n" + "\n".join(lines)))
    if figures.medians:
        medians = " · ".join(f"{label} {_minutes(value)}" for label, value in figures.medians)
        blocks.append(section(f"*Median time to merge* (latest day): {medians}"))
    if figures.phases or figures.withheld_phases:
        phases = " · ".join(f"{phase}: {value:,.0f}" for phase, value in figures.phases)
        note = (
            f" ({figures.withheld_phases} phase(s) with fewer than {k} people not shown)"
            if figures.withheld_phases
            else ""
        )
        blocks.append(
            section(f"*People engaged per AI adoption phase*: {phases or 'none shown'}{note}")
        )
    blocks.append(source)
    return blocks
