"""Reading an org file: its CSV and YAML formats, checked line by line, as teams by slug."""

from __future__ import annotations

import re
from collections.abc import Iterator
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

from bot.import_files import control_characters, csv_rows, numbered_lines
from bot.rejected import FileRejected, dotted, field_table, load_yaml, validation_problems

ORG_SOURCE = "org_file"


_SLUG = re.compile(r"[^a-z0-9]+")


SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class OrgRejected(FileRejected):
    """The org file has problems; nothing was written."""


def slugify(name: str) -> str:
    """A team's slug from its name: lower case, words joined by hyphens."""
    return _SLUG.sub("-", name.strip().lower()).strip("-")[:100]


def _person(value: str) -> str:
    if SLACK_ID.match(value):
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
class TeamSpec:
    slug: str
    name: str
    parent: str | None
    line: int
    people: list[tuple[str, str, int]]  # (person, role, line)


def read_org_file(path: Path, max_bytes: int) -> tuple[dict[str, TeamSpec], list[tuple[int, str]]]:
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
) -> tuple[dict[str, TeamSpec], list[tuple[int, str]]]:
    fieldnames, records = csv_rows(lines)
    columns = list(OrgCsvRow.model_fields)
    if "team" not in fieldnames:
        return {}, [(1, f"the header must have a team column (columns: {', '.join(columns)})")]
    unknown = [name for name in fieldnames if name not in columns]
    if unknown:
        return {}, [(1, f"unknown column(s) {', '.join(unknown)} (columns: {', '.join(columns)})")]
    teams: dict[str, TeamSpec] = {}
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
        spec = teams.setdefault(slug, TeamSpec(slug, row.name or row.team, None, line, []))
        parent = slugify(row.parent or "") or None
        if parent and spec.parent and parent != spec.parent:
            problems.append((line, f"team {slug} has two parents: {spec.parent} and {parent}"))
        spec.parent = spec.parent or parent
        if row.person:
            spec.people.append((row.person, row.role, line))
    return teams, problems


def _from_yaml(text: str) -> tuple[dict[str, TeamSpec], list[tuple[int, str]]]:
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
    teams: dict[str, TeamSpec] = {}
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
        teams[slug] = TeamSpec(slug, entry.name or entry.team, parent, line, people)
    return teams, problems
