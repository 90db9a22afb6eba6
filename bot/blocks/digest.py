"""Block Kit for the weekly digest: compact, aggregate only, every figure from the release."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.adoption import Tier
from bot.blocks.common import Block, context, header, section
from bot.blocks.teamusage import (
    HIDDEN,
    approx,
    approx_mean,
    change_points,
    freshness_line,
    method_note,
    small_team_text,
)
from bot.figures.releases import ACCEPTANCE, Release
from bot.tools import tool_label
from storage.models import SyncState


def digest_title(release: Release) -> str:
    """The digest's header."""
    return (
        f"{release.team.name}: AI tools, week {release.period.week} to {release.period.end:%d %b}"[
            :150
        ]
    )


def small_team_digest_blocks(release: Release) -> list[Block]:
    """For a team below the minimum group size: that, and nothing else."""
    return [header(digest_title(release)), section(small_team_text(release.k))]


def quiet_digest_blocks(release: Release) -> list[Block]:
    """A one-line digest for a week in which nothing changed meaningfully."""
    share = release.share("active")
    steady = f" steady at ~{share:.0%} active" if share is not None else ""
    return [
        section(
            f"*{release.team.name}*: a quiet week{steady}. "
            f"`/teamusage {release.team.slug} week` has the details."
        )
    ]


def digest_blocks(
    release: Release,
    previous: Release | None,
    *,
    narrative: str,
    action: str,
    freshness: Sequence[SyncState],
    now: dt.datetime,
) -> list[Block]:
    """The full digest; every figure comes from the team's release for the week."""
    active = release.count("active")
    headline = (
        f"*Active this week:* {HIDDEN}"
        if active is None
        else f"*Active this week:* ~{active} of {release.people} ({active / release.people:.0%})"
    )
    change = change_points(release, previous)
    if change is not None:
        headline += f", {change:+d} points on last week"
    tiers = " · ".join(f"{t.value} {approx(release, f'tier:{t.value}')}" for t in Tier)
    tools = (
        " · ".join(
            f"{tool_label(tool)} {approx(release, f'tool:{tool}')}" for tool in release.tools
        )
        or "no tools set up yet"
    )
    depth = (
        f"mean acceptance {approx_mean(release, ACCEPTANCE, '{:.0%}')} · "
        f"habitual users (6+ of 8 weeks) {approx(release, 'habit')}"
    )
    seats = release.count("seats")
    seat_line = f"Copilot seats unused 28+ days: {approx(release, 'seats_idle')}" if seats else ""
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
        header(digest_title(release)),
        section(narrative),
        section(body),
        section(f":point_right: *One thing worth doing:* {action}"),
        context(
            freshness_line(freshness, now),
            method_note(release),
            f"`/teamusage {release.team.slug} week` for more",
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
