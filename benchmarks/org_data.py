"""The benchmark organisation: 5 orgs > 130 departments > teams of 13 with a manager each,
people of four usage profiles, and daily usage on both databases, generated fast.

PostgreSQL: `INSERT … SELECT generate_series` (random() seeded with setseed, so a run is
reproducible); SQLite: executemany of rows generated in Python, in batches.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import partitions, rollup
from storage.engine import session as open_session

ORGS = 5
DEPARTMENTS = 130
TEAM_SIZE = 13
ZONES = ("Europe/London", "America/New_York", "Europe/Berlin", "Asia/Singapore", "UTC")
SECOND_TOOLS = ("cursor", "claude_code", "openai")
# Chance of a row on a weekday, for (first tool: copilot, second tool), by profile; weekends
# are WEEKEND times that. About 0.43 rows per person-day overall.
PROFILES = (  # (name, share in %, copilot, second tool)
    ("power", 15, 0.95, 0.70),
    ("regular", 30, 0.50, 0.30),
    ("light", 30, 0.13, 0.06),
    ("inactive", 25, 0.0, 0.0),
)
WEEKEND = 0.2


@dataclass(frozen=True)
class Org:
    """What was generated: team ids by level and a manager's Slack id for each team."""

    people: int
    leaf_teams: list[int]
    departments: list[int]
    orgs: list[int]
    managers: dict[int, str]  # team id -> the Slack id of its manager
    rows: int


def profile_of(index: int) -> tuple[float, float]:
    """A person's weekday chance of using copilot and their second tool (stable by index)."""
    bucket = (index * 2654435761) % 100
    floor = 0
    for _name, share, first, second in PROFILES:
        floor += share
        if bucket < floor:
            return first, second
    return 0.0, 0.0


def slack_id(index: int) -> str:
    return f"UB{index:08d}"


def generate(engine: Engine, *, people: int, teams: int, days: int, last_day: dt.date) -> Org:
    """Write the whole organisation and its usage; return what the measurements need."""
    first_day = last_day - dt.timedelta(days=days - 1)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        _people(connection, people, postgres)
        _identities(connection, people, postgres)
        org = _teams(connection, people, teams)
    if postgres:
        months, month = [], partitions.month_of(first_day)
        while month <= last_day:
            months.append(month)
            month = partitions.next_month(month)
        partitions.create_months(engine, months)
        with engine.begin() as connection:
            rows = _usage_postgres(connection, first_day, last_day)
    else:
        rows = _usage_sqlite(engine, people, first_day, last_day)
    with open_session(engine) as session:
        rollup.rebuild(session)
        session.commit()
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))
    return Org(people, org[0], org[1], org[2], org[3], rows)


def _people(connection: Any, count: int, postgres: bool) -> None:
    if postgres:
        connection.execute(
            sa.text(
                "INSERT INTO person (slack_user_id, email, display_name, tz, created_at)"
                " SELECT 'UB' || lpad(g::text, 8, '0'),"
                " 'bench.user' || lpad(g::text, 6, '0') || '@bench.uptake.example',"
                " 'Bench User ' || g, (ARRAY['Europe/London','America/New_York','Europe/Berlin',"
                "'Asia/Singapore','UTC'])[g % 5 + 1], now()"
                " FROM generate_series(0, :n - 1) g"
            ),
            {"n": count},
        )
        return
    connection.execute(
        sa.text(
            "INSERT INTO person (slack_user_id, email, display_name, tz, created_at)"
            " VALUES (:s, :e, :d, :tz, :at)"
        ),
        [
            {
                "s": slack_id(i),
                "e": f"bench.user{i:06d}@bench.uptake.example",
                "d": f"Bench User {i}",
                "tz": ZONES[i % 5],
                "at": dt.datetime.now(dt.UTC),
            }
            for i in range(count)
        ],
    )


def _identities(connection: Any, count: int, postgres: bool) -> None:
    """Each person: a Copilot account and one other tool's, both verified."""
    for n, tool in enumerate(("copilot", *SECOND_TOOLS)):
        which = "true" if tool == "copilot" else f"(p.id % 3) = {n - 1}"
        connection.execute(
            sa.text(
                "INSERT INTO identity (tool, external_id, email, person_id, verified,"
                " link_method, created_at)"
                f" SELECT '{tool}', '{tool}-' || p.slack_user_id, p.email, p.id,"
                f" {'true' if postgres else '1'}, 'admin', CURRENT_TIMESTAMP"
                f" FROM person p WHERE {which}"
            )
        )


def _teams(
    connection: Any, people: int, teams: int
) -> tuple[list[int], list[int], list[int], dict[int, str]]:
    ids = dict(connection.execute(sa.text("SELECT slack_user_id, id FROM person")).all())

    def add(slug: str, name: str, parent: int | None) -> int:
        return int(
            connection.execute(
                sa.text(
                    "INSERT INTO team (slug, name, parent_id, source, allowed)"
                    " VALUES (:slug, :name, :parent, 'org_file', :yes) RETURNING id"
                ),
                {"slug": slug, "name": name, "parent": parent, "yes": True},
            ).scalar_one()
        )

    parent_of: dict[int, int] = {}
    # 5,000 teams: 130 departments in 5 orgs; smaller runs scale the levels down.
    n_departments = max(1, min(DEPARTMENTS, teams * DEPARTMENTS // 5_000))
    n_orgs = max(1, min(ORGS, n_departments // 3))
    orgs = [add(f"org-{o}", f"Org {o}", None) for o in range(n_orgs)]
    for d in range(n_departments):
        org = orgs[d * n_orgs // n_departments]
        parent_of[add(f"dept-{d:03d}", f"Department {d}", org)] = org
    departments = list(parent_of)
    leaves = []
    for t in range(teams):
        parent = departments[t * n_departments // teams]
        leaves.append(add(f"team-{t:04d}", f"Team {t}", parent))
        parent_of[leaves[-1]] = parent
    memberships, managers = [], {}
    for person in range(people):
        team = leaves[min(person // TEAM_SIZE, teams - 1)]
        memberships.append({"t": team, "p": ids[slack_id(person)], "r": "member"})
        if team not in managers:
            managers[team] = slack_id(person)
            memberships.append({"t": team, "p": ids[slack_id(person)], "r": "manager"})
    for group, children in ((departments, leaves), (orgs, departments)):
        for parent in group:
            child = next(c for c in children if parent_of[c] == parent)
            managers[parent] = managers[child]
            memberships.append({"t": parent, "p": ids[managers[child]], "r": "manager"})
    connection.execute(
        sa.text("INSERT INTO membership (team_id, person_id, role) VALUES (:t, :p, :r)"),
        memberships,
    )
    connection.execute(sa.text("UPDATE team_version SET version = version + 1"))
    return leaves, departments, orgs, managers


_USAGE_COLUMNS = (
    "identity_id, day, tool, source, active, interactions, generations, acceptances,"
    " lines_suggested, lines_accepted, chat_requests, agent_requests, cli_requests,"
    " input_tokens, output_tokens, cost_cents, cost_kind, features, updated_at"
)


def _usage_postgres(connection: Any, first: dt.date, last: dt.date) -> int:
    cases = " ".join(
        f"WHEN h.bucket < {sum(p[1] for p in PROFILES[: n + 1])} THEN"
        f" CASE WHEN i.tool = 'copilot' THEN {first_p} ELSE {second_p} END"
        for n, (_name, _share, first_p, second_p) in enumerate(PROFILES)
    )
    # Generated rows point at identities just written: skip the per-row foreign-key triggers
    # (a superuser setting, for this transaction only), which cost more than the insert.
    if connection.execute(
        sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    ).scalar():
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
    connection.execute(sa.text("SELECT setseed(0.42)"))
    result = connection.execute(
        sa.text(
            f"INSERT INTO daily_usage ({_USAGE_COLUMNS})"
            " SELECT i.id, d::date, i.tool, i.tool, true, g.n * 3, g.n * 2, g.n,"
            " g.n * 9, g.n * 3, g.n, g.n / 4, 0, g.n * 900, g.n * 300,"
            " CASE WHEN i.tool = 'copilot' THEN NULL ELSE g.n * 4 END,"
            " CASE WHEN i.tool = 'copilot' THEN NULL ELSE 'estimated' END, '[]', now()"
            " FROM identity i"
            " CROSS JOIN LATERAL (SELECT ((i.person_id::bigint * 2654435761) % 100) AS bucket) h"
            " CROSS JOIN generate_series(CAST(:first AS date), CAST(:last AS date),"
            " interval '1 day') d"
            " CROSS JOIN LATERAL (SELECT 1 + (random() * 12)::int AS n) g"
            f" WHERE random() < (CASE {cases} ELSE 0 END)"
            f" * (CASE WHEN extract(isodow FROM d) >= 6 THEN {WEEKEND} ELSE 1 END)"
        ),
        {"first": first, "last": last},
    )
    return int(result.rowcount or 0)


def _usage_sqlite(engine: Engine, people: int, first: dt.date, last: dt.date) -> int:
    rng = random.Random(42)
    with engine.connect() as connection:
        identities = connection.execute(
            sa.text(
                "SELECT i.id, i.tool, p.slack_user_id"
                " FROM identity i JOIN person p ON p.id = i.person_id"
            )
        ).all()
    statement = sa.text(
        f"INSERT INTO daily_usage ({_USAGE_COLUMNS}) VALUES (:i, :d, :t, :t, 1, :n3, :n2, :n,"
        " :n9, :n3, :n, :n4, 0, :n900, :n300, :cost, :kind, '[]', CURRENT_TIMESTAMP)"
    )
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    written, batch = 0, []
    for identity_id, tool, slack in identities:
        chances = profile_of(int(slack[2:]))
        chance = chances[0] if tool == "copilot" else chances[1]
        for day in days:
            if rng.random() < chance * (WEEKEND if day.weekday() >= 5 else 1):
                n = rng.randint(1, 13)
                cost = None if tool == "copilot" else n * 4
                batch.append(
                    {
                        "i": identity_id,
                        "d": day,
                        "t": tool,
                        "n": n,
                        "n2": 2 * n,
                        "n3": 3 * n,
                        "n4": n // 4,
                        "n9": 9 * n,
                        "n900": 900 * n,
                        "n300": 300 * n,
                        "cost": cost,
                        "kind": None if cost is None else "estimated",
                    }
                )
        if len(batch) >= 50_000:
            with engine.begin() as connection:
                connection.execute(statement, batch)
            written, batch = written + len(batch), []
    if batch:
        with engine.begin() as connection:
            connection.execute(statement, batch)
        written += len(batch)
    return written
