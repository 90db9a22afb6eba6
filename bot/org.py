"""`uptake import org FILE`: teams, their parents, members and managers from an org file.

CSV, one row per membership (a team with no people can have one row without a person):

    team,name,parent,person,role
    payments,Payments,engineering,ada@example.com,manager
    payments,Payments,engineering,U012AB3CD,member

YAML:

    teams:
      - team: payments
        name: Payments
        parent: engineering
        managers: [ada@example.com]
        members: [U012AB3CD, grace@example.com]

`person` is an email (of someone Uptake knows: run `uptake people` first) or a Slack user id.
The file is the truth for the teams it came from: importing it again replaces their
memberships, and teams no longer in it are removed. Nothing is written if any line is wrong.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine

from bot.rejected import FileRejected
from storage import queries
from storage.engine import session as open_session
from storage.models import Team

ORG_SOURCE = "org_file"
_SLUG = re.compile(r"[^a-z0-9]+")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class OrgRejected(FileRejected):
    """The org file has problems; nothing was written."""


@dataclass(frozen=True, slots=True)
class OrgImportResult:
    """What an org import wrote."""

    teams: int
    memberships: int
    removed_teams: int


@dataclass
class _TeamSpec:
    slug: str
    name: str
    parent: str | None
    line: int
    people: list[tuple[str, str, int]]  # (person, role, line)


def slugify(name: str) -> str:
    """A team's slug from its name: lower case, words joined by hyphens."""
    return _SLUG.sub("-", name.strip().lower()).strip("-")[:100]


def _from_csv(text: str) -> tuple[dict[str, _TeamSpec], list[tuple[int, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    problems: list[tuple[int, str]] = []
    if not reader.fieldnames or "team" not in reader.fieldnames:
        return {}, [(1, "the header must have a team column (and name, parent, person, role)")]
    teams: dict[str, _TeamSpec] = {}
    for row in reader:
        line = reader.line_num
        raw = (row.get("team") or "").strip()
        slug = slugify(raw)
        if not slug:
            problems.append((line, "team is empty"))
            continue
        spec = teams.setdefault(
            slug,
            _TeamSpec(slug, (row.get("name") or "").strip() or raw, None, line, []),
        )
        parent = slugify(row.get("parent") or "") or None
        if parent and spec.parent and parent != spec.parent:
            problems.append((line, f"team {slug} has two parents: {spec.parent} and {parent}"))
        spec.parent = spec.parent or parent
        person = (row.get("person") or "").strip()
        role = (row.get("role") or "member").strip().lower()
        if role not in {"member", "manager"}:
            problems.append((line, f"role must be member or manager, not {role!r}"))
        elif person:
            spec.people.append((person, role, line))
    return teams, problems


def _from_yaml(text: str) -> tuple[dict[str, _TeamSpec], list[tuple[int, str]]]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {}, [((mark.line + 1) if mark else 0, "not valid YAML")]
    if not isinstance(document, dict) or not isinstance(document.get("teams"), list):
        return {}, [(1, "the file must have a top-level list `teams:`")]
    teams: dict[str, _TeamSpec] = {}
    problems: list[tuple[int, str]] = []
    for number, entry in enumerate(document["teams"], start=1):
        if not isinstance(entry, dict) or not str(entry.get("team") or "").strip():
            problems.append((number, f"team entry {number} needs a `team:` name"))
            continue
        raw = str(entry["team"])
        slug = slugify(raw)
        if slug in teams:
            problems.append((number, f"team {slug} appears twice"))
            continue
        people: list[tuple[str, str, int]] = []
        for role, key in (("manager", "managers"), ("member", "members")):
            value: Any = entry.get(key) or []
            if not isinstance(value, list):
                problems.append((number, f"{key} of {slug} must be a list"))
                continue
            people += [(str(person).strip(), role, number) for person in value]
        teams[slug] = _TeamSpec(
            slug,
            str(entry.get("name") or raw).strip(),
            slugify(str(entry.get("parent") or "")) or None,
            number,
            people,
        )
    return teams, problems


def import_org(engine: Engine, path: Path) -> OrgImportResult:
    """Check the whole org file, then make it the truth for org-file teams."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in {".yaml", ".yml"}:
        specs, problems = _from_yaml(text)
    elif path.suffix.lower() == ".csv":
        specs, problems = _from_csv(text)
    else:
        raise OrgRejected([(0, "the file must end in .csv, .yaml or .yml")])
    with open_session(engine) as session:
        existing = {team.slug: team for team in queries.all_teams(session)}
        for spec in specs.values():
            if spec.parent and spec.parent not in specs and spec.parent not in existing:
                problems.append((spec.line, f"parent {spec.parent} of {spec.slug} is unknown"))
            other = existing.get(spec.slug)
            if other is not None and other.source != ORG_SOURCE:
                problems.append(
                    (spec.line, f"{spec.slug} already names a team from {other.source}")
                )
        problems += _cycles(specs)
        resolved, person_problems = _resolve_people(session, specs)
        problems += person_problems
        if problems:
            raise OrgRejected(sorted(problems))
        if not specs:
            raise OrgRejected([(0, "the file has no teams")])

        ids = queries.upsert_teams(
            session,
            [
                # parent_id is set below, through the ORM, once every team has an id
                {"slug": s.slug, "name": s.name[:200], "source": ORG_SOURCE}
                for s in specs.values()
            ],
        )
        all_ids = {slug: team.id for slug, team in existing.items() if team.id is not None}
        all_ids.update(ids)
        for spec in specs.values():
            team = session.get(Team, ids[spec.slug])
            assert team is not None
            team.parent_id = all_ids[spec.parent] if spec.parent else None
            session.add(team)
        memberships = [
            {"team_id": ids[slug], "person_id": person_id, "role": role}
            for slug, members in resolved.items()
            for person_id, role in sorted(members)
        ]
        queries.replace_team_memberships(session, ids.values(), memberships)
        stale = [
            team
            for slug, team in existing.items()
            if team.source == ORG_SOURCE and slug not in specs
        ]
        for team in stale:
            session.delete(team)
        session.commit()
    return OrgImportResult(teams=len(ids), memberships=len(memberships), removed_teams=len(stale))


def _cycles(specs: dict[str, _TeamSpec]) -> list[tuple[int, str]]:
    problems = []
    for spec in specs.values():
        seen, current = {spec.slug}, spec.parent
        while current in specs:
            if current in seen:
                problems.append((spec.line, f"team {spec.slug} is inside itself (a cycle)"))
                break
            seen.add(current)
            current = specs[current].parent
    return problems


def _resolve_people(
    session: Any, specs: dict[str, _TeamSpec]
) -> tuple[dict[str, set[tuple[int, str]]], list[tuple[int, str]]]:
    problems: list[tuple[int, str]] = []
    wanted_ids = {p for s in specs.values() for p, _, _ in s.people if _SLACK_ID.match(p)}
    emails = {p.lower() for s in specs.values() for p, _, _ in s.people if "@" in p}
    by_slack = queries.upsert_people(session, [{"slack_user_id": i} for i in sorted(wanted_ids)])
    by_email = queries.people_by_emails(session, emails)
    resolved: dict[str, set[tuple[int, str]]] = {slug: set() for slug in specs}
    for spec in specs.values():
        for person, role, line in spec.people:
            if _SLACK_ID.match(person):
                resolved[spec.slug].add((by_slack[person], role))
            elif "@" in person and person.lower() in by_email:
                resolved[spec.slug].add((by_email[person.lower()], role))
            elif "@" in person:
                problems.append((line, "no known person has that email (run `uptake people`)"))
            else:
                problems.append((line, f"{person[:40]!r} is neither an email nor a Slack user id"))
    return resolved, problems
