"""`uptake demo`: a realistic synthetic organisation, so Uptake can be tried without Slack.

Deterministic for a given seed and end date, and idempotent: running it again rewrites the
same people, teams and usage rather than adding more.

The demo writes only to a database that is empty or already the demo's, never beside real
people (their teams, digests and admin views would fill with 300 strangers). Its data marks
itself: every demo person's Slack id starts with `UDEMO` *and* their email is at
`demo.uptake.example` (`.example` is reserved by RFC 2606, so no real person has such an
email, whatever their Slack id); every tool account belongs to such a person; every team's slug
starts with `demo-`. Anything else (people from Slack, accounts from a vendor sync or an import,
teams from an org file) is real data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.demo_usage import day_outcomes, day_usage
from bot.tools import CLAUDE_CODE, COPILOT, CURSOR, OPENAI
from storage import queries
from storage.demo import rows_outside_demo
from storage.engine import session as open_session
from storage.models import LinkMethod, TeamRole

DEMO_SOURCE = "demo"
DEMO_DOMAIN = "demo.uptake.example"
DEMO_USER_PREFIX = "UDEMO"
DEMO_TEAM_PREFIX = "demo-"

FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Ken",
    "Dennis",
    "Margaret",
    "Linus",
    "Guido",
    "Frances",
    "Donald",
    "Radia",
    "Tim",
    "Sophie",
    "Katherine",
    "John",
    "Hedy",
    "Anita",
    "Niklaus",
    "Leslie",
    "Shafi",
    "Fran",
    "Yukihiro",
    "Bjarne",
    "Joan",
    "Ivan",
    "Adele",
    "Jean",
    "Carol",
    "Mary",
    "Lynn",
    "Karen",
    "Rasmus",
    "Brendan",
    "James",
    "Whitfield",
    "Ward",
    "Kent",
    "Erich",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Thompson",
    "Ritchie",
    "Hamilton",
    "Torvalds",
    "Rossum",
    "Allen",
    "Knuth",
    "Perlman",
    "Lee",
    "Wilson",
    "Johnson",
    "Backus",
    "Lamarr",
    "Borg",
    "Wirth",
    "Lamport",
    "Goldwasser",
    "Matsumoto",
    "Stroustrup",
    "Clarke",
    "Sutherland",
    "Goldberg",
    "Bartik",
    "Shaw",
    "Keller",
    "Conway",
    "Jones",
    "Lerdorf",
    "Eich",
    "Gosling",
    "Diffie",
    "Cunningham",
    "Beck",
    "Gamma",
]
ZONES = (
    "Europe/London",
    "Europe/London",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Singapore",
    "America/Los_Angeles",
)
DEPARTMENTS = ("Payments", "Platform", "Mobile", "Data", "Risk", "Markets")
SQUADS = ("Core", "Edge", "Tools", "Growth")

# Archetype: (share of people, weekday chance of an active day)
ARCHETYPES = {
    "inactive": (0.12, 0.0),
    "light": (0.28, 0.10),
    "regular": (0.38, 0.45),
    "power": (0.22, 0.85),
}
TOOL_SEATS = {COPILOT: 0.8, CURSOR: 0.3, CLAUDE_CODE: 0.35, OPENAI: 0.25}


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """A synthetic engineer."""

    slack_user_id: str
    name: str
    email: str
    tz: str
    archetype: str
    tools: tuple[str, ...]
    acceptance: float
    starts_on: int  # day index from which they use AI tools (adoption grows over time)


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo wrote, and who to show."""

    people: int
    teams: int
    usage_rows: int
    samples: dict[str, str]  # archetype -> Slack user id


def _people(rng: random.Random, count: int, days: int) -> list[DemoPerson]:
    names = rng.sample([(f, s) for f in FIRST for s in LAST], count)
    shares = [share for share, _ in ARCHETYPES.values()]
    people = []
    for index, (first, last) in enumerate(names, start=1):
        archetype = rng.choices(list(ARCHETYPES), weights=shares)[0]
        tools = tuple(tool for tool, chance in TOOL_SEATS.items() if rng.random() < chance)
        people.append(
            DemoPerson(
                slack_user_id=f"{DEMO_USER_PREFIX}{index:04d}",
                name=f"{first} {last}",
                email=f"{first}.{last}@{DEMO_DOMAIN}".lower(),
                tz=rng.choice(ZONES),
                archetype=archetype,
                tools=tools or (COPILOT,),
                acceptance=rng.uniform(0.15, 0.42),
                starts_on=int(rng.triangular(0, days * 0.8, 0)),
            )
        )
    return people


def _external_id(person: DemoPerson, tool: str) -> str:
    if tool == COPILOT:
        return person.email.split("@")[0].replace(".", "-") + "-gh"
    if tool == OPENAI:
        return "user-" + person.slack_user_id.lower()
    return person.email


class RealDataError(Exception):
    """The database holds real data, so the demo will not write to it."""

    def __init__(self, found: dict[str, int]) -> None:
        self.found = found
        singular = {"people": "person", "tool accounts": "tool account", "teams": "team"}
        held = [f"{n:,} {what if n != 1 else singular[what]}" for what, n in found.items()]
        super().__init__(f"it holds {', '.join(held)} that the demo did not write")


def real_data(engine: Engine) -> dict[str, int]:
    """What the database holds that the demo did not write (nothing: an empty dict)."""
    with open_session(engine) as session:
        found = rows_outside_demo(
            session,
            user_prefix=DEMO_USER_PREFIX,
            email_domain=DEMO_DOMAIN,
            team_prefix=DEMO_TEAM_PREFIX,
        )
    return {what: count for what, count in found.items() if count}


def build_demo(
    engine: Engine, *, now: dt.datetime, people_count: int = 300, days: int = 120, seed: int = 7
) -> DemoResult:
    """Write the demo organisation and its usage up to yesterday (UTC); safe to run again.

    Raises `RealDataError`, writing nothing, when the database holds anything but the demo.
    """
    found = real_data(engine)
    if found:
        raise RealDataError(found)
    today = now.astimezone(dt.UTC).date()
    rng = random.Random(seed)
    outcome_rng = random.Random(seed * 7919 + 1)  # its own stream: usage stays as it was
    people = _people(rng, people_count, days)
    first_day = today - dt.timedelta(days=days)
    with open_session(engine) as session:
        person_ids = queries.upsert_people(
            session,
            [
                {
                    "slack_user_id": p.slack_user_id,
                    "email": p.email,
                    "display_name": p.name,
                    "tz": p.tz,
                }
                for p in people
            ],
        )
        teams = [
            {
                "slug": f"{DEMO_TEAM_PREFIX}{d.lower()}",
                "name": d,
                "parent_id": None,
                "source": "org_file",
            }
            for d in DEPARTMENTS
        ]
        parents = queries.upsert_teams(session, teams)
        squads = [
            {
                "slug": f"{DEMO_TEAM_PREFIX}{d.lower()}-{s.lower()}",
                "name": f"{d} {s}",
                "parent_id": parents[f"{DEMO_TEAM_PREFIX}{d.lower()}"],
                "source": "org_file",
            }
            for d in DEPARTMENTS
            for s in SQUADS
        ]
        squad_slugs = queries.upsert_teams(session, squads)
        squad_ids = [squad_slugs[str(squad["slug"])] for squad in squads]
        memberships = []
        for index, person in enumerate(people):
            team_id = squad_ids[index % len(squad_ids)]
            memberships.append(
                {
                    "team_id": team_id,
                    "person_id": person_ids[person.slack_user_id],
                    "role": "member",
                }
            )
            if index < len(squad_ids):  # the first person placed in each squad manages it
                memberships.append(
                    {
                        "team_id": team_id,
                        "person_id": person_ids[person.slack_user_id],
                        "role": TeamRole.MANAGER.value,
                    }
                )
            if index % len(SQUADS) == 0 and index < len(squad_ids):
                # ...and the manager of each department's first squad leads the department
                department = squads[index]["parent_id"]
                memberships.append(
                    {
                        "team_id": department,
                        "person_id": person_ids[person.slack_user_id],
                        "role": TeamRole.MANAGER.value,
                    }
                )
        queries.add_memberships(session, memberships)

        keys = {(tool, _external_id(p, tool)): p for p in people for tool in p.tools}
        identity_ids = queries.ensure_identities(session, keys)
        for key, person in keys.items():
            method = LinkMethod.EMAIL if key[0] in {CLAUDE_CODE, CURSOR} else LinkMethod.ADMIN
            queries.link_identity(
                session, identity_ids[key], person_ids[person.slack_user_id], method, verified=True
            )

        rows = []
        for person in people:
            weekday_chance = ARCHETYPES[person.archetype][1]
            for offset in range(days):
                day = first_day + dt.timedelta(days=offset)
                weekend = day.weekday() >= 5
                chance = weekday_chance * (0.15 if weekend else 1.0)
                if offset < person.starts_on or rng.random() >= chance:
                    continue
                used = [tool for tool in person.tools if rng.random() < 0.75] or [person.tools[0]]
                for tool in used:
                    rows.append(
                        {
                            "identity_id": identity_ids[(tool, _external_id(person, tool))],
                            "day": day,
                            "tool": tool,
                            "source": DEMO_SOURCE,
                            **queries.zero_usage(),
                            "active": True,
                            **day_usage(rng, person.acceptance, tool, weekend),
                            **day_outcomes(outcome_rng, tool, person.acceptance),
                        }
                    )
        written = queries.upsert_daily_usage(session, rows)
        queries.record_sync_success(
            session,
            DEMO_SOURCE,
            at=now,
            complete_through=today - dt.timedelta(days=1),
        )
        session.commit()

    samples = {}
    for archetype in ("light", "regular", "power"):
        match = next(
            (p for p in people if p.archetype == archetype and p.starts_on < days // 2), None
        )
        if match:
            samples[archetype] = match.slack_user_id
    return DemoResult(
        people=len(people), teams=len(teams) + len(squads), usage_rows=written, samples=samples
    )
