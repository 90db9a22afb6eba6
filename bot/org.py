"""`uptake import org FILE`: teams, their parents, members and managers from an org file.

The file is the truth for the teams it came from: importing it again replaces their
memberships, and teams no longer in it are removed. `plan_org` says what an import would
change without writing anything; `import_org` makes the change, in one transaction, and removes
only the teams its caller agreed to remove. Nothing is written if any line is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.import_files import DEFAULT_MAX_BYTES, control_characters, csv_rows, numbered_lines
from bot.rejected import FileRejected, dotted, field_table, load_yaml, validation_problems
from storage import imports, queries
from storage.engine import session as open_session
from storage.models import Team

ORG_SOURCE = "org_file"
_SLUG = re.compile(r"[^a-z0-9]+")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class OrgRejected(FileRejected):
    """The org file has problems; nothing was written."""


class RemovalNotConfirmed(Exception):
    """The file would remove teams the caller did not agree to remove; nothing was written."""

    def __init__(self, slugs: Iterable[str]) -> None:
        self.slugs = tuple(sorted(slugs))
        super().__init__(f"removing {', '.join(self.slugs)} was not confirmed")


def slugify(name: str) -> str:
    """A team's slug from its name: lower case, words joined by hyphens."""
    return _SLUG.sub("-", name.strip().lower()).strip("-")[:100]


def _person(value: str) -> str:
    if _SLACK_ID.match(value):
        return value
    if "@" in value and " " not in value:
        return value.lower()
    raise ValueError(f"{value[:40]!r} is neither an email nor a Slack user id")


def _plain(data: Any) -> Any:
    """Refuse control characters in any text of a team or row."""
    bad = control_characters(data) if isinstance(data, dict) else []
    if bad:
        raise ValueError(f"{', '.join(bad)}: a control character is not allowed in text")
    return data


def _team(value: str) -> str:
    if not slugify(value):
        raise ValueError("a team needs a name with letters or digits")
    return value


#: A person in an org file: a Slack user id, or the email of someone Uptake knows.
PersonRef = Annotated[str, AfterValidator(_person)]
TeamName = Annotated[str, AfterValidator(_team)]


class OrgYamlTeam(BaseModel):
    """One team of a YAML org file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)

    team: TeamName = Field(description="the team; its slug is made from this")
    name: str | None = Field(default=None, max_length=200, description="default: team")
    parent: str | None = Field(default=None, description="the team this one is inside")
    managers: list[PersonRef] = Field(default_factory=list, description="Slack ids or emails")
    members: list[PersonRef] = Field(default_factory=list, description="Slack ids or emails")

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, data: Any) -> Any:
        return _plain(data)


class OrgYamlFile(BaseModel):
    """A YAML org file: a list of teams."""

    model_config = ConfigDict(extra="forbid")

    teams: list[OrgYamlTeam]


class OrgCsvRow(BaseModel):
    """One row of a CSV org file: a membership (or a team with nobody in it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    team: TeamName = Field(description="the team; its slug is made from this")
    name: str | None = Field(default=None, max_length=200, description="default: team")
    parent: str | None = Field(default=None, description="the team this one is inside")
    person: PersonRef | None = Field(default=None, description="a Slack user id or an email")
    role: Literal["member", "manager"] = Field(default="member", description="default: member")

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, data: Any) -> Any:
        return _plain(data)

    @field_validator("role", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


def org_file_help() -> str:
    """The org file's formats, for `--help`; the CSV columns come from `OrgCsvRow`."""
    return f"""\
CSV (.csv), one row per membership; a team with nobody in it can have one row without a person:
{field_table(OrgCsvRow)}

  team,name,parent,person,role
  payments,Payments,engineering,ada@example.com,manager
  payments,Payments,engineering,U012AB3CD,member

YAML (.yaml, .yml), a list of teams:
  teams:
    - team: payments
      name: Payments
      parent: engineering
      managers: [ada@example.com]
      members: [U012AB3CD, grace@example.com]

A person is a Slack user id, or the email of someone Uptake knows (run `uptake people` first).
A parent is a team in the file, or a team from Slack or GitHub. The file is the truth for its
teams: importing it again replaces their memberships and removes teams no longer in it."""


@dataclass
class _TeamSpec:
    slug: str
    name: str
    parent: str | None
    line: int
    people: list[tuple[str, str, int]]  # (person, role, line)


@dataclass(frozen=True, slots=True)
class PeopleChange:
    """Memberships (or manager roles) added or removed, and the teams they are in."""

    count: int = 0
    teams: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OrgPlan:
    """What importing an org file changes: teams by slug, and memberships by team."""

    teams: int  # in the file
    memberships: int  # in the file
    added: tuple[str, ...] = ()
    renamed: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()  # given another parent, or none
    removed: tuple[str, ...] = ()
    removed_memberships: int = 0  # of the removed teams
    members_added: PeopleChange = PeopleChange()
    members_removed: PeopleChange = PeopleChange()
    managers_added: PeopleChange = PeopleChange()
    managers_removed: PeopleChange = PeopleChange()
    new_people: int = 0  # Slack user ids Uptake had not seen

    @property
    def changes_anything(self) -> bool:
        """Whether importing the file would change anything stored."""
        return bool(
            self.added
            or self.renamed
            or self.moved
            or self.removed
            or self.members_added.count
            or self.members_removed.count
            or self.managers_added.count
            or self.managers_removed.count
            or self.new_people
        )


# A membership the file asks for: (team slug, person id or a Slack id not yet known, role).
_Wanted = tuple[str, int | str, str]


@dataclass(frozen=True, slots=True)
class _Target:
    specs: dict[str, _TeamSpec]
    existing: dict[str, Team]
    wanted: set[_Wanted]
    new_people: tuple[str, ...]


def _read(path: Path, max_bytes: int) -> tuple[dict[str, _TeamSpec], list[tuple[int, str]]]:
    """The teams the file describes, by slug, and the problems found in the file alone."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".yaml", ".yml"}:
        raise OrgRejected([(0, "the file must end in .csv, .yaml or .yml")])
    lines = numbered_lines(path, max_bytes=max_bytes)
    try:
        if suffix == ".csv":
            specs, problems = _from_csv(lines)
        else:
            specs, problems = _from_yaml("".join(text for _, text in lines))
    except FileRejected as exc:
        raise OrgRejected(exc.problems) from None
    if not specs:
        raise OrgRejected(sorted(problems) or [(1, "the file has no teams")])
    return specs, problems


def _from_csv(
    lines: Iterator[tuple[int, str]],
) -> tuple[dict[str, _TeamSpec], list[tuple[int, str]]]:
    fieldnames, records = csv_rows(lines)
    columns = list(OrgCsvRow.model_fields)
    if "team" not in fieldnames:
        return {}, [(1, f"the header must have a team column (columns: {', '.join(columns)})")]
    unknown = [name for name in fieldnames if name not in columns]
    if unknown:
        return {}, [(1, f"unknown column(s) {', '.join(unknown)} (columns: {', '.join(columns)})")]
    teams: dict[str, _TeamSpec] = {}
    problems: list[tuple[int, str]] = []
    for line, record in records:
        if isinstance(record, str):
            problems.append((line, record))
            continue
        try:
            row = OrgCsvRow.model_validate({k: v for k, v in record.items() if v and v.strip()})
        except ValidationError as exc:
            problems += validation_problems(exc, line)
            continue
        slug = slugify(row.team)
        spec = teams.setdefault(slug, _TeamSpec(slug, row.name or row.team, None, line, []))
        parent = slugify(row.parent or "") or None
        if parent and spec.parent and parent != spec.parent:
            problems.append((line, f"team {slug} has two parents: {spec.parent} and {parent}"))
        spec.parent = spec.parent or parent
        if row.person:
            spec.people.append((row.person, row.role, line))
    return teams, problems


def _from_yaml(text: str) -> tuple[dict[str, _TeamSpec], list[tuple[int, str]]]:
    try:
        document = load_yaml(text)
    except FileRejected as exc:
        return {}, exc.problems
    if not isinstance(document.data, dict) or "teams" not in document.data:
        return {}, [(1, "the file must have a top-level list `teams:`")]
    try:
        parsed = OrgYamlFile.model_validate(document.data)
    except ValidationError as exc:
        # ("teams", 2, "members", 0) is on its own line already: say "members.0".
        return {}, validation_problems(exc, document.line, lambda at: dotted(at[2:] or at))
    teams: dict[str, _TeamSpec] = {}
    problems: list[tuple[int, str]] = []
    for index, entry in enumerate(parsed.teams):
        line = document.line(("teams", index))
        slug = slugify(entry.team)
        if slug in teams:
            problems.append((line, f"team {slug} appears twice (first on line {teams[slug].line})"))
            continue
        people = [
            (person, role, document.line(("teams", index, key, position)))
            for role, key, listed in (
                ("manager", "managers", entry.managers),
                ("member", "members", entry.members),
            )
            for position, person in enumerate(listed)
        ]
        parent = slugify(entry.parent or "") or None
        teams[slug] = _TeamSpec(slug, entry.name or entry.team, parent, line, people)
    return teams, problems


def plan_org(engine: Engine, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> OrgPlan:
    """What importing the org file would change; nothing is written."""
    specs, problems = _read(path, max_bytes)
    with open_session(engine) as session:
        plan, _ = _plan(session, specs, problems)
    return plan


def import_org(
    engine: Engine,
    path: Path,
    *,
    remove: Collection[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> OrgPlan:
    """Make the org file the truth for org-file teams; remove only the teams in `remove`.

    Raises `RemovalNotConfirmed`, writing nothing, when the file would remove any other team.
    """
    specs, problems = _read(path, max_bytes)
    with open_session(engine) as session:
        plan, target = _plan(session, specs, problems)
        refused = set(plan.removed) - set(remove)
        if refused:
            raise RemovalNotConfirmed(refused)
        _apply(session, target)
        session.commit()
    return plan


def _plan(
    session: Session, specs: dict[str, _TeamSpec], problems: list[tuple[int, str]]
) -> tuple[OrgPlan, _Target]:
    """Check the file against what is stored, and compare; reads only."""
    existing = {team.slug: team for team in queries.all_teams(session)}
    for spec in specs.values():
        other = existing.get(spec.slug)
        if other is not None and other.source != ORG_SOURCE:
            problems.append((spec.line, f"{spec.slug} already names a team from {other.source}"))
        if spec.parent is None or spec.parent in specs:
            continue
        parent = existing.get(spec.parent)
        if parent is None:
            problems.append((spec.line, f"parent {spec.parent} of {spec.slug} is unknown"))
        elif parent.source == ORG_SOURCE:
            problems.append(
                (
                    spec.line,
                    f"parent {spec.parent} of {spec.slug} is not in the file, "
                    "so this import would remove it",
                )
            )
    problems += _cycles(specs)
    wanted, new_people, person_problems = _resolve_people(session, specs)
    problems += person_problems
    if problems:
        raise OrgRejected(sorted(problems))

    slug_of = {team.id: slug for slug, team in existing.items()}
    kept_ids = [existing[slug].id for slug in specs if slug in existing]
    current: set[_Wanted] = {
        (slug_of[team_id], person_id, role)
        for team_id, person_id, role in imports.team_memberships(
            session, [team_id for team_id in kept_ids if team_id is not None]
        )
    }
    removed = sorted(
        slug for slug, team in existing.items() if team.source == ORG_SOURCE and slug not in specs
    )
    removed_ids = [existing[slug].id for slug in removed]
    plan = OrgPlan(
        teams=len(specs),
        memberships=len(wanted),
        added=tuple(sorted(slug for slug in specs if slug not in existing)),
        renamed=tuple(
            sorted(
                slug
                for slug, spec in specs.items()
                if slug in existing and existing[slug].name != spec.name[:200]
            )
        ),
        moved=tuple(
            sorted(
                slug
                for slug, spec in specs.items()
                if slug in existing and slug_of.get(existing[slug].parent_id) != spec.parent
            )
        ),
        removed=tuple(removed),
        removed_memberships=len(
            imports.team_memberships(session, [i for i in removed_ids if i is not None])
        ),
        members_added=_change(wanted - current, "member"),
        members_removed=_change(current - wanted, "member"),
        managers_added=_change(wanted - current, "manager"),
        managers_removed=_change(current - wanted, "manager"),
        new_people=len(new_people),
    )
    return plan, _Target(specs, existing, wanted, new_people)


def _change(memberships: set[_Wanted], role: str) -> PeopleChange:
    of_role = [slug for slug, _, kind in memberships if kind == role]
    return PeopleChange(len(of_role), tuple(sorted(set(of_role))))


def _apply(session: Session, target: _Target) -> None:
    people: dict[int | str, int] = {
        slack_id: person_id
        for slack_id, person_id in queries.upsert_people(
            session, [{"slack_user_id": slack_id} for slack_id in target.new_people]
        ).items()
    }
    ids = queries.upsert_teams(
        session,
        [
            {"slug": spec.slug, "name": spec.name[:200], "source": ORG_SOURCE}
            for spec in target.specs.values()
        ],
    )
    all_ids = {slug: team.id for slug, team in target.existing.items() if team.id is not None}
    all_ids.update(ids)
    imports.set_team_parents(
        session,
        {
            ids[spec.slug]: all_ids[spec.parent] if spec.parent else None
            for spec in target.specs.values()
        },
    )
    memberships = [
        {
            "team_id": ids[slug],
            "person_id": people[person] if isinstance(person, str) else person,
            "role": role,
        }
        for slug, person, role in sorted(target.wanted, key=str)
    ]
    queries.replace_team_memberships(session, ids.values(), memberships)
    imports.delete_teams(
        session,
        [
            team.id
            for slug, team in target.existing.items()
            if team.id is not None and team.source == ORG_SOURCE and slug not in target.specs
        ],
    )


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
    session: Session, specs: dict[str, _TeamSpec]
) -> tuple[set[_Wanted], tuple[str, ...], list[tuple[int, str]]]:
    """The memberships the file asks for, the Slack ids not known yet, and unknown emails."""
    slack_ids = {p for s in specs.values() for p, _, _ in s.people if _SLACK_ID.match(p)}
    emails = {p for s in specs.values() for p, _, _ in s.people if not _SLACK_ID.match(p)}
    by_slack = queries.people_by_slack_ids(session, slack_ids)
    by_email = queries.people_by_emails(session, emails)
    wanted: set[_Wanted] = set()
    problems: list[tuple[int, str]] = []
    for spec in specs.values():
        for person, role, line in spec.people:
            if person in slack_ids:
                wanted.add((spec.slug, by_slack.get(person, person), role))
            elif person in by_email:
                wanted.add((spec.slug, by_email[person], role))
            else:
                problems.append((line, "no known person has that email (run `uptake people`)"))
    return wanted, tuple(sorted(slack_ids - set(by_slack))), problems
