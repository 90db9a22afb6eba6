"""Each person's part in a period's team figures, folded from the weekly rollup.

Releases never read daily rows: a person's weeks (a day mask and totals per identity and
week) give their activity in the period, their tier days, habit weeks, acceptance and outcome
totals. The database folds them (`storage.rollup_facts`): Python receives one row per person
for all the periods read together, so memory grows with people, never with days or weeks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.adoption import HABIT_WEEKS, TIER_WINDOW_DAYS
from bot.figures.periods import Period
from storage import rollup
from storage.rollup_facts import FactWindow, person_periods


@dataclass(slots=True)
class PersonFacts:
    """One person's part in a period's figures."""

    active: bool = False
    tier_days: int = 0  # distinct active days in the trailing tier window
    habit_weeks: int = 0  # weeks with an active day, of the last HABIT_WEEKS
    tools: set[str] = field(default_factory=set)
    generations: int = 0
    acceptances: int = 0
    # Outcome totals over the period (None: no source reported it; see bot/figures/outcomes.py)
    commits: int | None = None
    pull_requests: int | None = None
    lines_added: int | None = None
    edits_accepted: int | None = None
    edits_rejected: int | None = None

    def add_outcomes(self, totals: Sequence[int | None]) -> None:
        """Add outcome totals (in `rollup.RELEASE_OUTCOMES` order), keeping None for an
        outcome none of them reported."""
        for name, value in zip(rollup.RELEASE_OUTCOMES, totals, strict=True):
            if value is not None:
                setattr(self, name, (getattr(self, name) or 0) + int(value))


def window_of(period: Period) -> FactWindow:
    """The weeks a period's facts read: the period itself, and its tier and habit windows."""
    if period.start.weekday() != 0:  # the rollup's totals are whole ISO weeks
        raise ValueError(f"period {period.name} does not start on a Monday")
    end = period.end
    tier_start = end - dt.timedelta(days=TIER_WINDOW_DAYS - 1)
    habit_start = end - dt.timedelta(days=7 * HABIT_WEEKS - 1)
    return FactWindow(
        name=period.name,
        start=period.start,
        tier_start=rollup.week_of(tier_start),
        habit_start=rollup.week_of(habit_start),
        end=end,
    )


def person_facts(
    session: Any, everyone: set[int], period: Period, *, tools: Iterable[str]
) -> dict[int, PersonFacts]:
    """Each person's facts for the period (people outside `everyone` left out)."""
    return person_facts_by_period(session, everyone, [period], tools=tools)[period.name]


def person_facts_by_period(
    session: Any, everyone: set[int], periods: Sequence[Period], *, tools: Iterable[str]
) -> dict[str, dict[int, PersonFacts]]:
    """Each period's person facts (by period name), from one query spanning them all: each
    period's facts are exactly what folding that period alone gives. Only `tools` are listed
    in a person's tools (a release lists no others)."""
    windows = [window_of(period) for period in periods]
    facts: dict[str, dict[int, PersonFacts]] = {window.name: {} for window in windows}
    for person, found in person_periods(session, windows, sorted(set(tools))):
        if person not in everyone:
            continue
        for name, part in found.items():
            fact = PersonFacts(
                active=part.active,
                tier_days=part.tier_days,
                habit_weeks=part.habit_weeks,
                tools=set(part.tools),
                generations=part.generations,
                acceptances=part.acceptances,
            )
            fact.add_outcomes(part.outcomes)
            facts[name][person] = fact
    return facts
