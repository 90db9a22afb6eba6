"""Block Kit for the weekly digest: short enough for a phone, aggregate only, every figure from
the release."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.adoption import Tier
from bot.blocks.common import MAX_HEADER_TEXT, Block, context, header, section
from bot.blocks.teamusage import HIDDEN, change_points, small_team_text
from bot.figures.outcomes import (
    COMMITS,
    EDIT_ACCEPTANCE,
    LANDED,
    LINES_ADDED,
    PULL_REQUESTS,
    REPORTING,
)
from bot.figures.releases import Release
from bot.tools import tool_label
from storage.models import SyncState

# How the weekly outcome means (per reporting person) read in the digest.
OUTCOME_MEANS = {COMMITS: "commits", PULL_REQUESTS: "PRs", LINES_ADDED: "lines"}


def digest_title(release: Release) -> str:
    """The team and the week: the digest's notification text, and a small team's header."""
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


def digest_headline(release: Release, previous: Release | None) -> str:
    """The week in one line: how many of the team used AI tools, and the change in points."""
    active = release.count("active")
    if active is None or not release.people:
        return f"{release.team.name}: AI tools this week"[:MAX_HEADER_TEXT]
    line = f"~{active} of {release.people} used AI tools this week ({active / release.people:.0%})"
    change = change_points(release, previous)
    if change is not None:
        line += (
            ", the same as last week"
            if change == 0
            else f", {'up' if change > 0 else 'down'} {abs(change)} "
            f"point{'' if abs(change) == 1 else 's'}"
        )
    # The team's name is clipped rather than the figures when the header would be too long.
    name = release.team.name[: max(1, MAX_HEADER_TEXT - len(line) - 2)]
    return f"{name}: {line}"


def digest_lines(release: Release) -> list[str]:
    """One line each for the tier mix, the tools and (when released) the outcomes."""
    tiers = " · ".join(
        f"{tier.value} {_count(release, f'tier:{tier.value}')}" for tier in reversed(Tier)
    )
    tools = (
        " · ".join(
            f"{tool_label(tool)} {_count(release, f'tool:{tool}')}" for tool in release.tools
        )
        or "none set up yet"
    )
    lines = [f"*Usage levels:* {tiers}", f"*Tools:* {tools}"]
    outcomes = outcome_line(release)
    if outcomes:
        lines.append(f"*Outcomes:* {outcomes}")
    return lines


def outcome_line(release: Release) -> str:
    """What came of the use, from the release's outcome figures; "" when it has none (no tool
    of the team reports outcomes, or the team is too small)."""
    reporting = release.count(REPORTING)
    means = {key: value for key, value in release.means.items() if value is not None}
    if not release.visible or not (reporting or any(key in means for key in OUTCOME_MEANS)):
        return ""
    parts = []
    landed = release.count(LANDED)
    if reporting and landed is not None:
        parts.append(f"~{landed} of ~{reporting} people landed commits or PRs with AI")
    weekly = [
        f"~{means[key]:,.0f} {word}" if means[key] >= 10 else f"~{means[key]:.1f} {word}"
        for key, word in OUTCOME_MEANS.items()
        if key in means
    ]
    if weekly:
        parts.append(", ".join(weekly) + " a week each")
    if EDIT_ACCEPTANCE in means:
        parts.append(f"agent edits kept ~{means[EDIT_ACCEPTANCE]:.0%}")
    return " · ".join(parts)


def _count(release: Release, key: str) -> str:
    value = release.count(key)
    return HIDDEN if value is None else f"~{value}"


def freshness_note(states: Sequence[SyncState], now: dt.datetime) -> str:
    """How old the data is, naming only the sources that are failing or never synced."""
    if not states:
        return "No source has synced yet"
    synced = [state.last_success_at for state in states if state.last_success_at is not None]
    parts = []
    if synced:
        hours = max(0, int((now - min(synced)).total_seconds() // 3600))
        parts.append(f"data {hours}h old" if hours else "data under an hour old")
    for state in states:
        if state.last_success_at is None:
            parts.append(f"{tool_label(state.source)} never synced")
        elif state.last_error_at is not None and state.last_error_at >= state.last_success_at:
            parts.append(f":warning: {tool_label(state.source)} failing")
    text = " · ".join(parts)
    return text[:1].upper() + text[1:]


def privacy_sentence(release: Release) -> str:
    """The digest's one plain sentence on how its figures protect people."""
    return (
        f"Numbers marked ~ are approximate on purpose and groups under {release.k} are not "
        "shown, so nobody can be singled out."
    )


def digest_blocks(
    release: Release,
    previous: Release | None,
    *,
    narrative: str,
    action: str,
    freshness: Sequence[SyncState],
    now: dt.datetime,
) -> list[Block]:
    """The full digest, read in 20 seconds on a phone; every figure comes from the release.

    The headline carries the week's change, the prose (when there is any) how deep the use goes,
    then one line each for usage levels, tools and outcomes, the one thing worth doing, and one
    plain sentence on privacy. A chart, when sent, belongs right after the headline.
    """
    period = release.period
    return [
        header(digest_headline(release, previous)),
        *([section(narrative)] if narrative.strip() else []),
        section("\n".join(digest_lines(release))),
        section(f":point_right: *One thing worth doing:* {action}"),
        context(
            f"Week {period.week} ({period.start:%d %b}–{period.end:%d %b}) · "
            f"{freshness_note(freshness, now)} · `/teamusage {release.team.slug} week` for more",
            privacy_sentence(release),
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
