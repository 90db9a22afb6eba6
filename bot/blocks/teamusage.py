"""Block Kit for `/teamusage`: team aggregates only, never a named person's figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.adoption import TIER_WINDOW_DAYS, Tier, TierThresholds
from bot.blocks.common import Block, context, divider, header, section
from bot.teams import TeamFigures, TeamRef
from bot.tools import tool_label

TEAMUSAGE_HELP = """\
*/teamusage* shows how a team uses AI coding tools, in aggregate. Nobody's individual \
figures are shown, and nobody is ranked.

• `/teamusage` — the teams you belong to or manage
• `/teamusage TEAM` — a team's last 28 days; `/teamusage TEAM 7d|28d|90d` for another window
• `/teamusage digest [TEAM]` — preview this week's digest
• `/teamusage subscribe|unsubscribe TEAM` — the weekly digest (managers get it by default); \
`subscribe TEAM tue 08 quiet-none` picks the day, the hour (your time) and whether a quiet \
week sends a one-line digest (`quiet-short`) or none
• `/teamusage help` — this help

*Privacy*: every figure is about a group of at least {k} people. A figure that would be \
about fewer, or that would let you work out such a figure by subtraction, is hidden and \
the answer says so. Members see their own teams; managers see the teams they lead and the \
teams under them.

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
        context("`/teamusage TEAM [7d|28d|90d]` shows a team's figures."),
    ]


def ambiguous_team_blocks(word: str, matches: Sequence[TeamRef]) -> list[Block]:
    """When a name matches several teams."""
    options = ", ".join(f"`{t.slug}`" for t in matches[:20])
    return [section(f"`{word}` matches several teams: {options}. Use the full name.")]


def not_allowed_blocks(word: str) -> list[Block]:
    """No such team, or not one the caller may see (indistinguishable on purpose)."""
    return [
        section(
            f"I can't show you `{word}`: it is not a team you belong to or manage "
            "(or it doesn't exist). `/teamusage` lists yours."
        )
    ]


def _arg(team: TeamRef) -> str:
    return team.slug


def _count(figures: TeamFigures, key: str) -> str:
    value = figures.disclosure.counts.get(key)
    if value is None:
        return HIDDEN
    return f"{value} ({value / figures.people:.0%})" if figures.people else str(value)


def _median(figures: TeamFigures, key: str, fmt: str) -> str:
    value = figures.disclosure.medians.get(key)
    return HIDDEN if value is None else fmt.format(value)


def _headline(figures: TeamFigures) -> str:
    active = figures.disclosure.counts.get("active")
    if active is None:
        return f"*Active:* {HIDDEN} (hidden for privacy)"
    share = active / figures.people
    line = f"*Active:* {active} of {figures.people} people ({share:.0%})"
    before = figures.previous.counts.get("active")
    if before is not None:
        change = round((share - before / figures.people) * 100)
        line += f", {change:+d} points on the previous {figures.window_days} days"
    return line


def _freshness(figures: TeamFigures, now: dt.datetime) -> str:
    if not figures.freshness:
        return "No source has synced yet."
    parts = []
    for state in figures.freshness:
        if state.last_success_at is None:
            parts.append(f"{tool_label(state.source)}: never synced")
            continue
        hours = max(0, int((now - state.last_success_at).total_seconds() // 3600))
        failing = state.last_error_at is not None and state.last_error_at >= state.last_success_at
        parts.append(
            f"{tool_label(state.source)}: {hours}h ago" + (" :warning: failing" if failing else "")
        )
    return "Freshness — " + " · ".join(parts)


def _hidden_note(figures: TeamFigures) -> str:
    if not figures.disclosure.hidden:
        return "Nothing was hidden."
    names = sorted({_label(key) for key in figures.disclosure.hidden})
    return (
        f"Hidden for privacy ({HIDDEN}): {', '.join(names)} — each would be about fewer than "
        f"{figures.disclosure.k} people, or would let someone work such a figure out."
    )


def _label(key: str) -> str:
    kind, _, rest = key.partition(":")
    if kind == "tier":
        return f"{rest} tier"
    if kind == "tool":
        return f"{tool_label(rest)} users"
    if kind == "not":
        return f"non-users of {tool_label(rest)}"
    return key.replace("_", " ")


def teamusage_blocks(figures: TeamFigures, *, now: dt.datetime) -> list[Block]:
    """The team's figures; every number comes from the privacy disclosure."""
    title = f"{figures.team.name} — last {figures.window_days} days"
    k = figures.disclosure.k
    if not figures.disclosure.group_visible:
        return [
            header(title),
            section(
                f"This team has fewer than {k} people in Uptake, so nothing about it is shown: "
                "any figure would be about too few people to stay anonymous."
            ),
        ]
    tiers = " · ".join(f"{tier.value} {_count(figures, f'tier:{tier.value}')}" for tier in Tier)
    tools = [f"*{tool_label(tool)}*: {_count(figures, f'tool:{tool}')}" for tool in figures.tools]
    seats = figures.disclosure.counts.get("seats")
    idle = _count(figures, "seats_idle")
    blocks: list[Block] = [
        header(title),
        section(f"*People in scope:* {figures.people}\n{_headline(figures)}"),
        section(f"*Tier mix* (how often, not how well): {tiers}"),
        section(
            "*Adoption per tool* (people active in the window)\n"
            + ("\n".join(tools) if tools else "No tool use recorded in this window.")
        ),
        section(
            "*Depth* (medians over the people with the figure)",
            fields=[
                f"*Acceptance rate*\n{_median(figures, 'acceptance_rate', '{:.0%}')}",
                f"*Active days*\n{_median(figures, 'active_days', '{:.0f}')}"
                f" of {figures.window_days}",
                f"*Habit*\n{_median(figures, 'habit_weeks', '{:.0f}')} of 8 weeks",
                f"*Copilot seats unused {28} days*\n" + (idle if seats else "no seats linked"),
            ],
        ),
        divider(),
        context(
            f"{figures.start:%d %b} – {figures.end:%d %b %Y}. " + _freshness(figures, now),
            _hidden_note(figures),
        ),
    ]
    return blocks
