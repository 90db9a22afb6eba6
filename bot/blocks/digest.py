"""Block Kit for the weekly digest: compact, aggregate only, honest about what is hidden."""

from __future__ import annotations

import datetime as dt

from bot.adoption import Tier
from bot.blocks.common import Block, context, header, section
from bot.blocks.teamusage import HIDDEN, _count, _freshness, _hidden_note, _median
from bot.teams import TeamFigures
from bot.tools import tool_label


def digest_title(figures: TeamFigures) -> str:
    """The digest's header."""
    return f"{figures.team.name}: AI tools, week to {figures.end:%d %b}"


def small_team_digest_blocks(figures: TeamFigures) -> list[Block]:
    """For a team below the minimum group size: that, and nothing else."""
    return [
        header(digest_title(figures)),
        section(
            f"This team has fewer than {figures.disclosure.k} people in Uptake, so the digest "
            "shows nothing about it: any figure would be about too few people to stay anonymous."
        ),
    ]


def quiet_digest_blocks(figures: TeamFigures) -> list[Block]:
    """A one-line digest for a week in which nothing changed meaningfully."""
    share = figures.disclosure.share("active")
    steady = f" steady at {share:.0%} active" if share is not None else ""
    return [
        section(
            f"*{figures.team.name}*: a quiet week{steady}. "
            f"`/teamusage {figures.team.slug}` has the details."
        )
    ]


def digest_blocks(
    figures: TeamFigures, *, narrative: str, action: str, now: dt.datetime
) -> list[Block]:
    """The full digest; every figure comes from the privacy disclosure."""
    active = figures.disclosure.counts.get("active")
    headline = (
        f"*Active this week:* {HIDDEN} (hidden for privacy)"
        if active is None
        else f"*Active this week:* {active} of {figures.people} ({active / figures.people:.0%})"
    )
    before = figures.previous.counts.get("active")
    if active is not None and before is not None:
        change = round((active - before) / figures.people * 100)
        headline += f", {change:+d} points on last week"
    tiers = " · ".join(f"{t.value} {_count(figures, f'tier:{t.value}')}" for t in Tier)
    tools = (
        " · ".join(
            f"{tool_label(tool)} {_count(figures, f'tool:{tool}')}" for tool in figures.tools
        )
        or "no tool use recorded"
    )
    depth = (
        f"median acceptance {_median(figures, 'acceptance_rate', '{:.0%}')} · "
        f"median habit {_median(figures, 'habit_weeks', '{:.0f}')} of 8 weeks"
    )
    seats = figures.disclosure.counts.get("seats")
    seat_line = f"Copilot seats unused 28 days: {_count(figures, 'seats_idle')}" if seats else ""
    body = "\n".join(
        line
        for line in (
            headline,
            f"*Tier mix:* {tiers}",
            f"*Adoption:* {tools}",
            f"*Depth:* {depth}",
            seat_line,
        )
        if line
    )
    return [
        header(digest_title(figures)),
        section(narrative),
        section(body),
        section(f":point_right: *One thing worth doing:* {action}"),
        context(
            _freshness(figures, now),
            _hidden_note(figures),
            f"`/teamusage {figures.team.slug}` for more · no names, no ranking",
        ),
    ]


def digest_preview_blocks(blocks: list[Block]) -> list[Block]:
    """The exact digest for this week, marked as a preview (the chart comes with the real one)."""
    return [
        context(
            ":eyes: Preview: this is the digest as it stands this week (the trend chart "
            "comes with the real one)."
        ),
        *blocks,
    ]
