"""The adoption model: what a person's usage looks like over a window, and their tier."""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import sync_state, usage
from storage.engine import session as open_session

WINDOWS = (7, 28, 90)
TIER_WINDOW_DAYS = 28
HABIT_WEEKS = 8


class Tier(enum.StrEnum):
    """How often someone uses AI tools; describes frequency, never a rank."""

    INACTIVE = "inactive"
    LIGHT = "light"
    REGULAR = "regular"
    POWER = "power"


@dataclass(frozen=True, slots=True)
class TierThresholds:
    """Active days in the trailing 28 days that mark the top of light and regular."""

    light_max: int = 5
    regular_max: int = 14

    def tier_for(self, active_days: int) -> Tier:
        """The tier for a count of active days."""
        if active_days <= 0:
            return Tier.INACTIVE
        if active_days <= self.light_max:
            return Tier.LIGHT
        if active_days <= self.regular_max:
            return Tier.REGULAR
        return Tier.POWER

    def describe(self, tier: Tier) -> str:
        """The rule behind a tier, in words."""
        return {
            Tier.INACTIVE: "no active days",
            Tier.LIGHT: f"1–{self.light_max} active days",
            Tier.REGULAR: f"{self.light_max + 1}–{self.regular_max} active days",
            Tier.POWER: f"{self.regular_max + 1} or more active days",
        }[tier]


@dataclass(frozen=True, slots=True)
class ToolUsage:
    """One tool's figures over the window."""

    tool: str
    active_days: int
    interactions: int
    generations: int
    acceptances: int
    lines_accepted: int
    features: tuple[str, ...]
    cost_cents: int | None
    cost_estimated: bool

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted suggestions over suggestions shown, when the tool reports both."""
        return self.acceptances / self.generations if self.generations else None


@dataclass(frozen=True, slots=True)
class Freshness:
    """When a source's data was last brought in."""

    source: str
    last_success_at: dt.datetime | None
    last_complete_day: dt.date | None
    failing: bool


@dataclass(frozen=True, slots=True)
class UsageSummary:
    """Everything `/myusage` shows a person about themselves."""

    window_days: int
    start: dt.date
    end: dt.date
    has_identities: bool
    pending_identities: int
    tools: tuple[ToolUsage, ...]
    active_days: int
    tier: Tier
    tier_active_days: int
    tier_rule: str
    habit_weeks: int
    # Active days in each seven-day week ending today, oldest first (HABIT_WEEKS of them unless
    # more were asked for).
    weekly_active_days: tuple[int, ...]
    freshness: tuple[Freshness, ...]
    # Per tool, the outcome signals its sources reported in the window (commits, pull requests,
    # lines added, edits, credits, …; `storage.outcomes.person_signals`): a metric no source
    # reported is absent, and so is a tool that reported none.
    outcomes: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def tools_used(self) -> int:
        """Breadth: how many tools had at least one active day."""
        return sum(1 for tool in self.tools if tool.active_days)


def summarize_rows(
    rows: Sequence[usage.UsageRow],
    *,
    window_days: int,
    today: dt.date,
    thresholds: TierThresholds,
    known_tools: Iterable[str] = (),
    trend_weeks: int = HABIT_WEEKS,
    earlier_active_days: Iterable[dt.date] = (),
) -> tuple[tuple[ToolUsage, ...], int, Tier, int, int, tuple[int, ...]]:
    """Pure part of the model: per-tool figures, window active days, tier, habit and trend.

    The trend is active days in each of the last `trend_weeks` seven-day weeks ending today
    (at least HABIT_WEEKS, since habit is read from its last HABIT_WEEKS); active days older
    than the rows may be given as `earlier_active_days`.
    """
    trend_weeks = max(trend_weeks, HABIT_WEEKS)
    start = today - dt.timedelta(days=window_days - 1)
    tier_start = today - dt.timedelta(days=TIER_WINDOW_DAYS - 1)
    trend_start = today - dt.timedelta(days=7 * trend_weeks - 1)

    per_tool: dict[str, list[usage.UsageRow]] = defaultdict(list)
    window_days_active: set[dt.date] = set()
    tier_days: set[dt.date] = set()
    trend_days: set[dt.date] = set()
    for row in rows:
        if row.active:
            if row.day >= tier_start:
                tier_days.add(row.day)
            if row.day >= trend_start:
                trend_days.add(row.day)
        if start <= row.day <= today:
            per_tool[row.tool].append(row)
            if row.active:
                window_days_active.add(row.day)

    tools = []
    for tool in sorted(set(per_tool) | set(known_tools)):
        tool_rows = per_tool.get(tool, [])
        costs = [row.cost_cents for row in tool_rows if row.cost_cents is not None]
        tools.append(
            ToolUsage(
                tool=tool,
                active_days=len({row.day for row in tool_rows if row.active}),
                interactions=sum(row.interactions for row in tool_rows),
                generations=sum(row.generations for row in tool_rows),
                acceptances=sum(row.acceptances for row in tool_rows),
                lines_accepted=sum(row.lines_accepted for row in tool_rows),
                features=tuple(sorted({f for row in tool_rows for f in row.features})),
                cost_cents=sum(costs) if costs else None,
                cost_estimated=any(row.cost_kind == "estimated" for row in tool_rows),
            )
        )

    trend_days.update(day for day in earlier_active_days if day >= trend_start)
    weekly = [0] * trend_weeks
    for day in trend_days:
        if day <= today:
            weekly[(day - trend_start).days // 7] += 1
    tier_active = len(tier_days)
    return (
        tuple(tools),
        len(window_days_active),
        thresholds.tier_for(tier_active),
        tier_active,
        sum(1 for count in weekly[-HABIT_WEEKS:] if count),
        tuple(weekly),
    )


def summarize_usage(
    engine: Engine,
    person_id: int,
    *,
    window_days: int,
    today: dt.date,
    thresholds: TierThresholds,
    trend_weeks: int = HABIT_WEEKS,
) -> UsageSummary:
    """Read a person's usage and sync state and build their summary, in one session.

    `weekly_active_days` covers the last `trend_weeks` weeks (`/myusage` draws 12 of them).
    """
    with open_session(engine) as session:
        return summarize_in(
            session,
            person_id,
            window_days=window_days,
            today=today,
            thresholds=thresholds,
            trend_weeks=trend_weeks,
        )


def summarize_in(
    session: Session,
    person_id: int,
    *,
    window_days: int,
    today: dt.date,
    thresholds: TierThresholds,
    trend_weeks: int = HABIT_WEEKS,
) -> UsageSummary:
    """`summarize_usage` in the caller's session (which may read more in the same one)."""
    if window_days not in WINDOWS:
        raise ValueError(f"window must be one of {WINDOWS}, not {window_days}")
    earliest = today - dt.timedelta(days=max(window_days, 7 * HABIT_WEEKS) - 1)
    trend_start = today - dt.timedelta(days=7 * trend_weeks - 1)
    # One read covers the trend too: of its weeks before `earliest`, only active days count.
    identities, read, outcomes = usage.person_usage_and_signals(
        session,
        person_id,
        min(earliest, trend_start),
        today,
        signals_since=today - dt.timedelta(days=window_days - 1),
    )
    rows = [row for row in read if row.day >= earliest]
    earlier = sorted({row.day for row in read if row.day < earliest and row.active})
    sources = {row.source for row in rows}
    states = sync_state.source_freshness(session, sources) if sources else []

    verified_tools = {tool for tool, verified in identities if verified}
    tools, active, tier, tier_active, habit, weekly = summarize_rows(
        rows,
        window_days=window_days,
        today=today,
        thresholds=thresholds,
        known_tools=verified_tools,
        trend_weeks=trend_weeks,
        earlier_active_days=earlier,
    )
    freshness = tuple(
        Freshness(
            source=source,
            last_success_at=succeeded,
            last_complete_day=complete,
            failing=failed is not None and (succeeded is None or failed >= succeeded),
        )
        for source, succeeded, complete, failed in states
    )
    return UsageSummary(
        window_days=window_days,
        start=today - dt.timedelta(days=window_days - 1),
        end=today,
        has_identities=bool(verified_tools),
        pending_identities=sum(1 for _, verified in identities if not verified),
        tools=tools,
        active_days=active,
        tier=tier,
        tier_active_days=tier_active,
        tier_rule=thresholds.describe(tier),
        habit_weeks=habit,
        weekly_active_days=weekly,
        freshness=freshness,
        outcomes=outcomes,
    )
