"""Block Kit for `/teamusage`: team aggregates only, never a named person's figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.adoption import TIER_WINDOW_DAYS, Tier, TierThresholds
from bot.blocks.common import Block, code, context, divider, header, section
from bot.figures.outcomes import TeamOutcomes, team_outcomes
from bot.figures.releases import ACCEPTANCE, Release
from bot.teams import TeamRef
from bot.tools import tool_label
from storage.models import SyncState

TEAMUSAGE_HELP = """\
*/teamusage* shows how a team uses AI coding tools, in aggregate. Nobody's individual \
figures are shown, and nobody is ranked.

• `/teamusage` — the teams you belong to or manage
• `/teamusage TEAM` — a team's last 4 complete weeks; `/teamusage TEAM week|4w|13w` for the \
last complete week or 13 weeks, `/teamusage TEAM 2026-W48` for one ISO week
• `/teamusage digest [TEAM]` — preview this week's digest
• `/teamusage subscribe|unsubscribe TEAM` — the weekly digest (managers get it by default); \
`subscribe TEAM tue 08 quiet-none` picks the day, the hour (your time) and whether a quiet \
week sends a one-line digest (`quiet-short`) or none
• `/teamusage help` — this help

*Privacy*: nothing is shown about a team of fewer than {k} people, and every count is \
released with a little random noise ("~8 of 12"), the same noise for the same people \
whoever asks and however often, so no combination of answers gives away one person's \
figures. Members see their own teams; managers see the teams they lead and the teams \
under them.

*Tiers* (trailing {tier_window} days): inactive (0 active days), light (1–{light}), \
regular ({light_next}–{regular}), power ({regular_next}+).\
"""
MAX_TEAMS_LISTED = 40
HIDDEN = "—"


def teamusage_help_blocks(thresholds: TierThresholds, k: int, *, note: str = "") -> list[Block]:
    """The help text, with the rules in force."""
    text = TEAMUSAGE_HELP.format(
        k=k,
        tier_window=TIER_WINDOW_DAYS,
        light=thresholds.light_max,
        light_next=thresholds.light_max + 1,
        regular=thresholds.regular_max,
        regular_next=thresholds.regular_max + 1,
    )
    return ([section(note)] if note else []) + [section(text)]


def team_list_blocks(
    member_of: Sequence[TeamRef], manages: Sequence[TeamRef], *, is_admin: bool
) -> list[Block]:
    """The caller's teams."""
    if not member_of and not manages:
        body = (
            "You're not in any team Uptake knows yet. Teams come from your organisation's "
            "team list, Slack user groups and GitHub teams; ask your Uptake admin."
        )
        if is_admin:
            body += " As an admin you can look at any team: `/teamusage TEAM`."
        return [section(body)]
    lines = []
    if manages:
        lines.append("*Teams you manage*")
        lines += [f"• `{_arg(t)}` — {t.name}" for t in manages[:MAX_TEAMS_LISTED]]
    if member_of:
        lines.append("*Teams you're in*")
        lines += [f"• `{_arg(t)}` — {t.name}" for t in member_of[:MAX_TEAMS_LISTED]]
    return [
        header("Your teams"),
        section("\n".join(lines)),
        context("`/teamusage TEAM [week|4w|13w]` shows a team's figures."),
    ]


def ambiguous_team_blocks(word: str, matches: Sequence[TeamRef]) -> list[Block]:
    """When a name matches several teams."""
    options = ", ".join(f"`{t.slug}`" for t in matches[:20])
    return [section(f"{code(word)} matches several teams: {options}. Use the full name.")]


def not_allowed_blocks(word: str) -> list[Block]:
    """No such team, or not one the caller may see (indistinguishable on purpose)."""
    return [
        section(
            f"I can't show you {code(word)}: it is not a team you belong to or manage "
            "(or it doesn't exist). `/teamusage` lists yours."
        )
    ]


def _arg(team: TeamRef) -> str:
    return team.slug


def approx(release: Release, key: str) -> str:
    """A released count as people read it: `~8 (67%)` of the team, or a dash for a small team."""
    value = release.count(key)
    if value is None:
        return HIDDEN
    return f"~{value} ({value / release.people:.0%})" if release.people else f"~{value}"


def approx_mean(release: Release, key: str, fmt: str) -> str:
    """A released mean, or a dash when it would be over fewer than k people."""
    value = release.means.get(key) if release.visible else None
    return HIDDEN if value is None else "~" + fmt.format(value)


def change_points(release: Release, previous: Release | None, key: str = "active") -> int | None:
    """The change in a share, in points, between two releases of the same team."""
    now_share = release.share(key)
    before = previous.share(key) if previous is not None else None
    if now_share is None or before is None:
        return None
    return round((now_share - before) * 100)


def _headline(release: Release, previous: Release | None) -> str:
    active = release.count("active")
    if active is None:
        return f"*Active:* {HIDDEN}"
    line = f"*Active:* ~{active} of {release.people} people ({active / release.people:.0%})"
    change = change_points(release, previous)
    if change is not None:
        line += f", {change:+d} points on {_span(release)} before"
    return line


def _span(release: Release) -> str:
    weeks = release.period.weeks
    return "the week" if weeks == 1 else f"the {weeks} weeks"


def outcome_line(outcomes: TeamOutcomes) -> str:
    """What landed, in aggregate: one line, leaving out the figures that are withheld."""
    per_person = [
        f"~{value:.1f} {what}"
        for value, what in (
            (outcomes.commits, "commits"),
            (outcomes.pull_requests, "pull requests"),
        )
        if value is not None
    ]
    if outcomes.lines_added is not None:
        per_person.append(f"~{outcomes.lines_added:,.0f} lines added")
    parts = [f"~{outcomes.landed} made commits or pull requests with AI"]
    if per_person:
        parts.append(", ".join(per_person) + " per person a week")
    if outcomes.edit_acceptance is not None:
        parts.append(f"~{outcomes.edit_acceptance:.0%} of agent edits accepted")
    return f"*What landed* (~{outcomes.reporting} people whose tools report it): " + " · ".join(
        parts
    )


def freshness_line(states: Sequence[SyncState], now: dt.datetime) -> str:
    """When each source last synced, and whether it is failing."""
    if not states:
        return "No source has synced yet."
    parts = []
    for state in states:
        if state.last_success_at is None:
            parts.append(f"{tool_label(state.source)}: never synced")
            continue
        hours = max(0, int((now - state.last_success_at).total_seconds() // 3600))
        failing = state.last_error_at is not None and state.last_error_at >= state.last_success_at
        parts.append(
            f"{tool_label(state.source)}: {hours}h ago" + (" :warning: failing" if failing else "")
        )
    return "Freshness — " + " · ".join(parts)


def method_note(release: Release) -> str:
    """One line on how the figures were protected."""
    return (
        f"Counts carry a little random noise (~), the same for the same people every time; "
        f"nothing is shown for fewer than {release.k} people. No names, no ranking."
    )


def small_team_text(k: int) -> str:
    """Why a small team shows nothing."""
    return (
        f"This team has fewer than {k} people in Uptake, so nothing about it is shown: "
        "any figure would be about too few people to stay anonymous."
    )


def not_released_blocks(team: TeamRef, period_label: str) -> list[Block]:
    """A period whose figures are not released yet (its data is still coming in)."""
    return [
        section(
            f"The figures for *{team.name}*, {period_label}, are not released yet: a period's "
            "figures are made once its data is complete (at most two days after it ends). "
            f"`/teamusage {team.slug} 4w` shows the last complete 4 weeks."
        )
    ]


def teamusage_blocks(
    release: Release,
    previous: Release | None,
    *,
    freshness: Sequence[SyncState],
    now: dt.datetime,
) -> list[Block]:
    """The team's released figures for one period; every number comes from the release."""
    title = f"{release.team.name} — {release.period.label()}"[:150]
    if not release.visible:
        return [header(title), section(small_team_text(release.k))]
    tiers = " · ".join(f"{tier.value} {approx(release, f'tier:{tier.value}')}" for tier in Tier)
    tools = [f"*{tool_label(tool)}*: {approx(release, f'tool:{tool}')}" for tool in release.tools]
    seats = release.count("seats")
    outcomes = team_outcomes(release)
    return [
        header(title),
        section(f"*People in scope:* {release.people}\n{_headline(release, previous)}"),
        section(f"*Tier mix* (how often, not how well): {tiers}"),
        section(
            "*Adoption per tool* (people active in the period)\n"
            + ("\n".join(tools) if tools else "No tools are set up yet.")
        ),
        *([section(outcome_line(outcomes))] if outcomes is not None else []),
        section(
            "*Depth*",
            fields=[
                f"*Acceptance rate* (mean)\n{approx_mean(release, ACCEPTANCE, '{:.0%}')}",
                f"*Habit* (active 6+ of the last 8 weeks)\n{approx(release, 'habit')}",
                "*Copilot seats unused 28+ days*\n"
                + (approx(release, "seats_idle") if seats else "no seats linked"),
            ],
        ),
        divider(),
        context(freshness_line(freshness, now), method_note(release)),
    ]
