"""Each person's part in a period's team figures, folded from the weekly rollup.

Releases never read daily rows: a person's weeks (a day mask and totals per identity and
week) give their activity in the period, their tier days, habit weeks, acceptance and outcome
totals. Memory grows with people, never with days.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from bot.adoption import HABIT_WEEKS, TIER_WINDOW_DAYS
from bot.figures.periods import Period
from storage import rollup


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
        """Add a week's outcome totals (in `rollup.RELEASE_OUTCOMES` order), keeping None
        for an outcome no week reported."""
        for name, value in zip(rollup.RELEASE_OUTCOMES, totals, strict=True):
            if value is not None:
                setattr(self, name, (getattr(self, name) or 0) + int(value))


def person_facts(session: Any, everyone: set[int], period: Period) -> dict[int, PersonFacts]:
    """Each person's facts for the period, folded from their weekly rollup rows one person at
    a time (a person's rows arrive together): memory grows with people, never with days."""
    return person_facts_by_period(session, everyone, [period])[period.name]


def person_facts_by_period(
    session: Any, everyone: set[int], periods: Sequence[Period]
) -> dict[str, dict[int, PersonFacts]]:
    """Each period's person facts (by period name), from one read of the rollup spanning them
    all: each person's weeks are read once and folded for every period whose windows they fall
    in, exactly as a read of that period's weeks alone would fold them."""
    spans: dict[str, tuple[dt.date, dt.date, _Windows]] = {}
    for period in periods:
        if period.start.weekday() != 0:  # the rollup's totals are whole ISO weeks
            raise ValueError(f"period {period.name} does not start on a Monday")
        end = period.end
        tier_start = end - dt.timedelta(days=TIER_WINDOW_DAYS - 1)
        habit_start = end - dt.timedelta(days=7 * HABIT_WEEKS - 1)
        first = rollup.week_of(min(period.start, tier_start, habit_start))
        spans[period.name] = (first, end, _Windows(period.start, tier_start, habit_start, end))
    facts: dict[str, dict[int, PersonFacts]] = {name: {} for name in spans}
    if not spans:
        return facts
    since = min(first for first, _, _ in spans.values())
    until = max(end for _, end, _ in spans.values())
    weeks = rollup.person_weeks(session, since, until)
    for person, rows in itertools.groupby(weeks, key=attrgetter("person")):
        if person not in everyone:
            continue
        mine = list(rows)
        for name, (first, end, windows) in spans.items():
            inside = [row for row in mine if first <= row.week <= end]
            if inside:
                facts[name][person] = _fold_person(inside, windows)
    return facts


def _fold_person(rows: list[rollup.PersonWeek], windows: _Windows) -> PersonFacts:
    """One person's facts from their weeks.

    A person reported for the same tool and week both by the vendor's admin API and through
    OpenTelemetry is counted once: the admin API's figures win, and OpenTelemetry only fills
    an outcome the admin API does not report. Active days are the union of both.
    """
    fact = PersonFacts()
    masks: dict[dt.date, int] = {}
    reported: dict[tuple[dt.date, str], tuple[bool, ...]] = {}
    for row in rows if any(row.from_otlp for row in rows) else ():  # only OTLP rows read it
        if not row.from_otlp:
            known = reported.get((row.week, row.tool), (False,) * len(row.outcomes))
            reported[(row.week, row.tool)] = tuple(
                was or value is not None for was, value in zip(known, row.outcomes, strict=True)
            )
    for row in rows:
        masks[row.week] = masks.get(row.week, 0) | row.day_mask
        if not row.day_mask & windows.bits(row.week)[0]:
            continue  # a week inside the period has all its days in it
        fact.active = True
        fact.tools.add(row.tool)
        admin = reported.get((row.week, row.tool)) if row.from_otlp else None
        if admin is None:
            fact.generations += row.generations
            fact.acceptances += row.acceptances
            fact.add_outcomes(row.outcomes)
        else:
            fact.add_outcomes(
                tuple(
                    None if known else value
                    for known, value in zip(admin, row.outcomes, strict=True)
                )
            )
    return windows.fold(fact, masks)


class _Windows:
    """Which day-mask bits of a week fall in the period, the tier and the habit windows."""

    def __init__(self, start: dt.date, tier_start: dt.date, habit_start: dt.date, end: dt.date):
        self._ranges = ((start, end), (tier_start, end), (habit_start, end))
        self._habit_start = habit_start
        self._bits: dict[dt.date, tuple[int, int, int]] = {}
        self._habit_index: dict[dt.date, tuple[int, ...]] = {}

    def bits(self, week: dt.date) -> tuple[int, int, int]:
        """(period bits, tier bits, habit bits) of `week`."""
        found = self._bits.get(week)
        if found is None:
            days = [week + dt.timedelta(days=i) for i in range(7)]
            period, tier, habit = (
                sum(1 << i for i, day in enumerate(days) if first <= day <= last)
                for first, last in self._ranges
            )
            found = self._bits[week] = (period, tier, habit)
            self._habit_index[week] = tuple((day - self._habit_start).days // 7 for day in days)
        return found

    def fold(self, fact: PersonFacts, weeks: Mapping[dt.date, int]) -> PersonFacts:
        """Tier days and habit weeks from a person's day masks, OR-ed over identities and tools."""
        habit: set[int] = set()
        for week, mask in weeks.items():
            _, tier_bits, habit_bits = self.bits(week)
            fact.tier_days += (mask & tier_bits).bit_count()
            in_habit = mask & habit_bits
            if in_habit:
                index = self._habit_index[week]
                habit.update(index[i] for i in range(7) if in_habit >> i & 1)
        fact.habit_weeks = len(habit)
        return fact
