"""Releases: each team's final figures for a fixed period, computed once and stored.

All teams' releases for a period are computed in one pass: one read of memberships, one read of
the usage rows the period needs, then every team's people are the union of its own members and
its sub-teams' people, bottom-up. Nothing is computed per request.

When a release is made, and when it may change (the rule `docs/privacy.md` analyses):
- A period's releases are made once the period is over and its data is complete: every enabled
  source is complete to the period's last day, or `RELEASE_GRACE` has passed since it ended.
- A stored release is final. Late vendor data and roster changes after it was made never
  change it; a team that appears later (a new team, a newly allowed user group) gets its own
  release for the periods still missing, computed with its roster at that time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from bot.adoption import Tier, TierThresholds
from bot.figures.disclosure import (
    Cell,
    Rules,
    partition_to_total,
    released_count,
    released_mean,
)
from bot.figures.facts import PersonFacts, person_facts_by_period
from bot.figures.facts import person_facts as person_facts  # noqa: PLC0414  (re-exported)
from bot.figures.noise import new_record_key
from bot.figures.outcomes import OutcomeCells
from bot.figures.periods import Period, last_complete
from bot.teams import TeamRef
from bot.tools import COPILOT
from storage import releases as store
from storage.engine import session as open_session

logger = logging.getLogger(__name__)

RELEASE_GRACE = dt.timedelta(days=2)
HISTORY_WEEKS = 12  # weekly releases kept ready for the digest's trend chart
SEAT_IDLE_DAYS = 28
HABIT_MIN_WEEKS = 6  # "habitual": active in at least 6 of the last 8 weeks
ACCEPTANCE = "acceptance_rate"
# Periods whose person facts are folded from one read of the weekly rollup: their facts are
# held at once, so this bounds memory when many are due (a first run makes 17).
PERIODS_PER_READ = 6


@dataclass(frozen=True)
class Release:
    """What any surface may show about one team for one period."""

    team: TeamRef
    period: Period
    people: int
    visible: bool
    k: int
    counts: Mapping[str, int] = field(default_factory=dict)
    means: Mapping[str, float | None] = field(default_factory=dict)
    tools: tuple[str, ...] = ()
    computed_at: dt.datetime | None = None

    def count(self, key: str) -> int | None:
        """A released count, or None when the team is too small for any figure."""
        return self.counts.get(key) if self.visible else None

    def share(self, key: str) -> float | None:
        """A released count as a share of the team."""
        value = self.count(key)
        return None if value is None or not self.people else value / self.people

    def as_dict(self) -> dict[str, Any]:
        """The release as plain data (the CLI's --json, exports)."""
        return {
            "team": self.team.slug,
            "period": self.period.name,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "people": self.people,
            "visible": self.visible,
            "k": self.k,
            "counts": dict(self.counts),
            "means": dict(self.means),
            "tools": list(self.tools),
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
        }


def team_people(
    teams: Sequence[TeamRef], direct: Iterable[tuple[int, int]]
) -> dict[int, frozenset[int]]:
    """Each team's people: its direct members and every sub-team's people (bottom-up)."""
    own: dict[int, set[int]] = defaultdict(set)
    for team_id, person_id in direct:
        own[team_id].add(person_id)
    children: dict[int, list[int]] = defaultdict(list)
    known = {team.id for team in teams}
    for team in teams:
        if team.parent_id in known:
            children[team.parent_id].append(team.id)
    people: dict[int, frozenset[int]] = {}

    def resolve(team_id: int, path: frozenset[int]) -> frozenset[int]:
        if team_id in people:
            return people[team_id]
        found = set(own.get(team_id, ()))
        for child in children.get(team_id, []):
            if child not in path:  # a cycle in a hand-written org file must not loop
                found |= resolve(child, path | {child})
        people[team_id] = frozenset(found)
        return people[team_id]

    for team in teams:
        resolve(team.id, frozenset({team.id}))
    return people


def compute_releases(
    engine: Engine,
    teams: Sequence[TeamRef],
    period: Period,
    *,
    rules: Rules,
    thresholds: TierThresholds,
    tools: Iterable[str],
) -> int:
    """Compute and store the period's release for every team that has none yet."""
    return compute_period_releases(
        engine, teams, [period], rules=rules, thresholds=thresholds, tools=tools
    )


def compute_period_releases(
    engine: Engine,
    teams: Sequence[TeamRef],
    periods: Sequence[Period],
    *,
    rules: Rules,
    thresholds: TierThresholds,
    tools: Iterable[str],
) -> int:
    """Compute and store each period's release for every team that has none yet; how many.

    The periods share one read of memberships, seats and record keys, and one read of the
    weekly rollup for every PERIODS_PER_READ of them (a week's run has about five due); each
    period's figures are exactly what computing it alone gives. Each period's releases are
    stored and committed before the next is made.
    """
    with open_session(engine) as session:
        todo: dict[Period, list[TeamRef]] = {}
        for period in periods:
            done = store.released_team_ids(session, period.name)
            missing = [team for team in teams if team.id not in done]
            if missing:
                todo[period] = missing
        if not todo:
            return 0
        people = team_people(teams, store.direct_members(session))
        everyone = set().union(*(people[team.id] for missing in todo.values() for team in missing))
        seats = store.seats(session, COPILOT)
        keys = store.record_keys(session, everyone, new_record_key)
        tool_list = tuple(sorted(set(tools)))
        made = 0
        facts: dict[str, dict[int, PersonFacts]] = {}
        order = list(todo)
        for index, (period, missing) in enumerate(todo.items()):
            if index % PERIODS_PER_READ == 0:  # the next few periods' facts, in one read
                group = order[index : index + PERIODS_PER_READ]
                facts = person_facts_by_period(session, everyone, group, tools=tool_list)
            idle, holders = _seats(seats, everyone, period)
            period_facts = facts.pop(period.name)  # dropped once used
            rows = []
            for team in missing:
                members = people[team.id]
                figures = release_figures(
                    members,
                    facts=period_facts,
                    keys=keys,
                    holders=holders,
                    idle=idle,
                    tools=tool_list,
                    rules=rules,
                    thresholds=thresholds,
                    weeks=period.weeks,
                )
                rows.append(
                    {
                        "team_id": team.id,
                        "period": period.name,
                        "people": len(members),
                        "figures": json.dumps(figures, sort_keys=True),
                    }
                )
            store.store_releases(session, rows)
            session.commit()
            logger.info("releases: %d team(s) for %s", len(rows), period.name)
            made += len(rows)
    return made


def _seats(
    seats: Iterable[tuple[int, dt.datetime | None]], everyone: set[int], period: Period
) -> tuple[set[int], set[int]]:
    """(people whose seat was unused for 28+ days at the period's end, every seat holder)."""
    idle_before = dt.datetime.combine(
        period.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC
    ) - dt.timedelta(days=SEAT_IDLE_DAYS)
    holders, idle = set(), set()
    for person, last in seats:
        if person in everyone:
            holders.add(person)
            if last is None or last < idle_before:
                idle.add(person)
    return idle, holders


def release_figures(
    members: frozenset[int],
    *,
    facts: Mapping[int, PersonFacts],
    keys: Mapping[int, int],
    holders: set[int],
    idle: set[int],
    tools: tuple[str, ...],
    rules: Rules,
    thresholds: TierThresholds,
    weeks: int = 1,
) -> dict[str, Any]:
    """One team's figures over `weeks` weeks, through the disclosure layer (pure: no database)."""
    size = len(members)
    if size < rules.k:
        return {"visible": False, "k": rules.k, "tools": list(tools), "counts": {}, "means": {}}
    cells: dict[str, Cell] = defaultdict(Cell)
    for name in ("active", "habit", "seats", "seats_idle", ACCEPTANCE):
        cells[name] = Cell()
    for tier in Tier:
        cells[f"tier:{tier.value}"] = Cell()
    for tool in tools:
        cells[f"tool:{tool}"] = Cell()
    outcomes = OutcomeCells()
    empty = PersonFacts()
    for person in members:
        key = keys[person]
        fact = facts.get(person, empty)
        tier = thresholds.tier_for(fact.tier_days)
        cells[f"tier:{tier.value}"].add(key)
        if fact.active:
            cells["active"].add(key)
        if fact.habit_weeks >= HABIT_MIN_WEEKS:
            cells["habit"].add(key)
        for tool in fact.tools:
            if tool in tools:
                cells[f"tool:{tool}"].add(key)
        if fact.generations:
            cells[ACCEPTANCE].add(key, min(1.0, fact.acceptances / fact.generations))
        if person in holders:
            cells["seats"].add(key)
        if person in idle:
            cells["seats_idle"].add(key)
        outcomes.add(key, fact, weeks=weeks)
    acceptance = cells.pop(ACCEPTANCE)
    counts = {name: released_count(cell, ceiling=size, rules=rules) for name, cell in cells.items()}
    tiers = {name: value for name, value in counts.items() if name.startswith("tier:")}
    counts.update(partition_to_total(tiers, size))
    outcome_counts, outcome_means = outcomes.release(size=size, rules=rules)
    counts.update(outcome_counts)
    return {
        "visible": True,
        "k": rules.k,
        "tools": list(tools),
        "counts": counts,
        "means": {
            ACCEPTANCE: released_mean(acceptance, stream=ACCEPTANCE, bound=1.0, rules=rules),
            **outcome_means,
        },
    }


def due_periods(today: dt.date) -> list[Period]:
    """Every period whose release should exist by now: recent weeks, and 4 and 13 weeks."""
    latest = last_complete(today)
    weeks = [latest]
    for _ in range(HISTORY_WEEKS):
        weeks.append(weeks[-1].previous())
    spans = []
    for length in (4, 13):
        span = last_complete(today, length)
        spans += [span, span.previous()]
    return sorted(set(weeks + spans), key=lambda p: (p.end, p.weeks))


def data_complete(period: Period, complete_to: Iterable[dt.date | None], now: dt.datetime) -> bool:
    """True when every source is complete to the period's end, or the grace time has passed."""
    ended = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    if now < ended:
        return False
    if now >= ended + RELEASE_GRACE:
        return True
    return all(day is not None and day >= period.end for day in complete_to)


def read_release(engine: Engine, team: TeamRef, period: Period) -> Release | None:
    """The stored release of a team for a period, or None if it is not made yet."""
    return read_releases(engine, team, [period]).get(period.name)


def read_releases(engine: Engine, team: TeamRef, periods: Sequence[Period]) -> dict[str, Release]:
    """The stored releases of a team for several periods, by period name."""
    return read_team_releases(engine, [team], periods).get(team.id, {})


def read_team_releases(
    engine: Engine, teams: Sequence[TeamRef], periods: Sequence[Period]
) -> dict[int, dict[str, Release]]:
    """The stored releases of several teams for several periods, by team id and period name,
    in one read."""
    by_name = {period.name: period for period in periods}
    by_id = {team.id: team for team in teams}
    with open_session(engine) as session:
        rows = store.releases_of_teams(session, list(by_id), list(by_name))
    found: dict[int, dict[str, Release]] = {}
    for row in rows:
        figures = json.loads(row.figures)
        found.setdefault(row.team_id, {})[row.period] = Release(
            team=by_id[row.team_id],
            period=by_name[row.period],
            people=row.people,
            visible=bool(figures["visible"]),
            k=int(figures["k"]),
            counts={key: int(value) for key, value in figures["counts"].items()},
            means=dict(figures["means"]),
            tools=tuple(figures["tools"]),
            computed_at=row.computed_at,
        )
    return found
