"""Teams: who is in them, who may see them, and their figures through the privacy rules."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.adoption import HABIT_WEEKS, TIER_WINDOW_DAYS, Tier, TierThresholds
from bot.privacy import CountRequest, Disclosure, MedianRequest, disclose
from bot.tools import COPILOT
from storage import queries
from storage.engine import session as open_session
from storage.models import SyncState, Team

SEAT_IDLE_DAYS = 28


@dataclass(frozen=True, slots=True)
class TeamRef:
    """A team as the services see it."""

    id: int
    slug: str
    name: str
    parent_id: int | None
    source: str


@dataclass(frozen=True, slots=True)
class Access:
    """What a person may see: teams they belong to, and teams they manage (with sub-teams)."""

    member_of: frozenset[int]
    manages: frozenset[int]
    is_admin: bool

    def may_see(self, team_id: int) -> bool:
        """True when the person may see this team's aggregates."""
        return self.is_admin or team_id in self.member_of or team_id in self.manages


@dataclass(frozen=True)
class TeamFigures:
    """Everything `/teamusage` and digests show about a team, already through `disclose`."""

    team: TeamRef
    window_days: int
    start: dt.date
    end: dt.date
    people: int
    disclosure: Disclosure
    previous: Disclosure
    tools: tuple[str, ...]
    freshness: tuple[SyncState, ...]


def _ref(team: Team) -> TeamRef:
    assert team.id is not None
    return TeamRef(team.id, team.slug, team.name, team.parent_id, team.source)


def load_teams(engine: Engine, sources: Iterable[str] | None = None) -> list[TeamRef]:
    """Every team from the enabled sources."""
    with open_session(engine) as session:
        return [_ref(team) for team in queries.all_teams(session, sources)]


def descendants(teams: Sequence[TeamRef], root: int) -> set[int]:
    """A team and every team under it."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for team in teams:
        children[team.parent_id].append(team.id)
    found, stack = set(), [root]
    while stack:
        current = stack.pop()
        if current in found:  # a cycle in a hand-written org file must not loop forever
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def access_for(
    engine: Engine, person_id: int | None, teams: Sequence[TeamRef], *, is_admin: bool
) -> Access:
    """The teams a person may see."""
    if person_id is None:
        return Access(frozenset(), frozenset(), is_admin)
    with open_session(engine) as session:
        roles = queries.direct_team_roles(session, person_id)
    known = {team.id for team in teams}
    member_of = {team_id for team_id, role in roles if role == "member" and team_id in known}
    managed = set()
    for team_id, role in roles:
        if role == "manager" and team_id in known:
            managed |= descendants(teams, team_id)
    return Access(frozenset(member_of), frozenset(managed), is_admin)


def find_team(teams: Sequence[TeamRef], word: str) -> list[TeamRef]:
    """Teams matching what someone typed: slug, slug without its source prefix, or name."""
    wanted = word.strip().lower().lstrip("#@")
    exact = [t for t in teams if t.slug.lower() == wanted]
    if exact:
        return exact
    return [
        t for t in teams if t.slug.lower().split(":", 1)[-1] == wanted or t.name.lower() == wanted
    ]


def team_people(engine: Engine, teams: Sequence[TeamRef], team_id: int) -> set[int]:
    """The people a team's figures are about: its members and its sub-teams' members."""
    with open_session(engine) as session:
        return queries.team_members(session, descendants(teams, team_id))


def team_figures(
    engine: Engine,
    teams: Sequence[TeamRef],
    team: TeamRef,
    *,
    window_days: int,
    today: dt.date,
    now: dt.datetime,
    k: int,
    thresholds: TierThresholds,
) -> TeamFigures:
    """A team's figures for the window ending `today`, with the privacy rules applied."""
    people = team_people(engine, teams, team.id)
    start = today - dt.timedelta(days=window_days - 1)
    previous_start = start - dt.timedelta(days=window_days)
    earliest = min(previous_start, today - dt.timedelta(days=7 * HABIT_WEEKS - 1))
    with open_session(engine) as session:
        rows = queries.active_days_by_person(session, people, earliest, today)
        holders, idle = queries.unused_seat_holders(
            session, people, COPILOT, now - dt.timedelta(days=SEAT_IDLE_DAYS)
        )
        freshness = tuple(queries.sync_states(session))

    days: dict[int, set[dt.date]] = defaultdict(set)
    tool_users: dict[str, set[int]] = defaultdict(set)
    shown: dict[int, int] = defaultdict(int)
    accepted: dict[int, int] = defaultdict(int)
    for person, day, tool, generations, acceptances in rows:
        days[person].add(day)
        if start <= day <= today:
            tool_users[tool].add(person)
            shown[person] += generations
            accepted[person] += acceptances

    tier_start = today - dt.timedelta(days=TIER_WINDOW_DAYS - 1)
    trend_start = today - dt.timedelta(days=7 * HABIT_WEEKS - 1)
    active = {p for p in people if any(start <= d <= today for d in days[p])}
    active_before = {p for p in people if any(previous_start <= d < start for d in days[p])}
    tiers: dict[Tier, set[int]] = defaultdict(set)
    for person in people:
        tiers[thresholds.tier_for(sum(1 for d in days[person] if d >= tier_start))].add(person)

    tools = tuple(sorted(tool_users))
    counts = [
        CountRequest("active", frozenset(active)),
        CountRequest("inactive", frozenset(people - active)),
        *(CountRequest(f"tier:{tier.value}", frozenset(tiers[tier])) for tier in Tier),
        *(CountRequest(f"tool:{tool}", frozenset(tool_users[tool])) for tool in tools),
        *(CountRequest(f"not:{tool}", frozenset(people - tool_users[tool])) for tool in tools),
        CountRequest("seats", frozenset(holders)),
        CountRequest("seats_idle", frozenset(idle)),
        CountRequest("seats_used", frozenset(holders - idle)),
    ]
    medians = [
        MedianRequest(
            "acceptance_rate",
            {p: accepted[p] / shown[p] for p in people if shown[p]},
        ),
        MedianRequest(
            "active_days",
            {p: float(sum(1 for d in days[p] if start <= d <= today)) for p in people},
        ),
        MedianRequest(
            "habit_weeks",
            {
                p: float(len({(d - trend_start).days // 7 for d in days[p] if d >= trend_start}))
                for p in people
            },
        ),
    ]
    disclosure = disclose(people, k=k, counts=counts, medians=medians)
    previous = disclose(
        people,
        k=k,
        counts=[
            CountRequest("active", frozenset(active_before)),
            CountRequest("inactive", frozenset(people - active_before)),
        ],
    )
    return TeamFigures(
        team=team,
        window_days=window_days,
        start=start,
        end=today,
        people=len(people),
        disclosure=disclosure,
        previous=previous,
        tools=tools,
        freshness=freshness,
    )


def weekly_active_trend(
    engine: Engine,
    teams: Sequence[TeamRef],
    team: TeamRef,
    *,
    last_day: dt.date,
    weeks: int,
    k: int,
) -> list[tuple[dt.date, float | None]]:
    """The team's active share for each of the last `weeks` weeks (None: hidden for privacy)."""
    people = team_people(engine, teams, team.id)
    first = last_day - dt.timedelta(days=7 * weeks - 1)
    with open_session(engine) as session:
        rows = queries.active_days_by_person(session, people, first, last_day)
    active_by_week: dict[int, set[int]] = defaultdict(set)
    for person, day, *_ in rows:
        active_by_week[(day - first).days // 7].add(person)
    trend = []
    for week in range(weeks):
        active = frozenset(active_by_week[week])
        result = disclose(
            people,
            k=k,
            counts=[
                CountRequest("active", active),
                CountRequest("inactive", frozenset(people) - active),
            ],
        )
        trend.append((first + dt.timedelta(days=7 * week), result.share("active")))
    return trend
