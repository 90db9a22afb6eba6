"""Comparing an org file with what is stored (`plan_org`) and making it the truth (`import_org`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.import_files import DEFAULT_MAX_BYTES
from bot.orgfile.parse import ORG_SOURCE, SLACK_ID, OrgRejected, TeamSpec, read_org_file
from storage import imports
from storage.engine import session as open_session
from storage.memberships import replace_team_memberships
from storage.models import Team
from storage.people import people_by_emails, people_by_slack_ids, upsert_people
from storage.teams import all_teams, upsert_teams


class RemovalNotConfirmed(Exception):
    """The file would remove teams the caller did not agree to remove; nothing was written."""

    def __init__(self, slugs: Iterable[str]) -> None:
        self.slugs = tuple(sorted(slugs))
        super().__init__(f"removing {', '.join(self.slugs)} was not confirmed")


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
    specs: dict[str, TeamSpec]
    existing: dict[str, Team]
    wanted: set[_Wanted]
    new_people: tuple[str, ...]


def plan_org(engine: Engine, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> OrgPlan:
    """What importing the org file would change; nothing is written."""
    specs, problems = read_org_file(path, max_bytes)
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
    specs, problems = read_org_file(path, max_bytes)
    with open_session(engine) as session:
        plan, target = _plan(session, specs, problems)
        refused = set(plan.removed) - set(remove)
        if refused:
            raise RemovalNotConfirmed(refused)
        _apply(session, target)
        session.commit()
    return plan


def _plan(
    session: Session, specs: dict[str, TeamSpec], problems: list[tuple[int, str]]
) -> tuple[OrgPlan, _Target]:
    """Check the file against what is stored, and compare; reads only."""
    existing = {team.slug: team for team in all_teams(session)}
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
        for slack_id, person_id in upsert_people(
            session, [{"slack_user_id": slack_id} for slack_id in target.new_people]
        ).items()
    }
    ids = upsert_teams(
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
    replace_team_memberships(session, ids.values(), memberships)
    imports.delete_teams(
        session,
        [
            team.id
            for slug, team in target.existing.items()
            if team.id is not None and team.source == ORG_SOURCE and slug not in target.specs
        ],
    )


def _cycles(specs: dict[str, TeamSpec]) -> list[tuple[int, str]]:
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
    session: Session, specs: dict[str, TeamSpec]
) -> tuple[set[_Wanted], tuple[str, ...], list[tuple[int, str]]]:
    """The memberships the file asks for, the Slack ids not known yet, and unknown emails."""
    slack_ids = {p for s in specs.values() for p, _, _ in s.people if SLACK_ID.match(p)}
    emails = {p for s in specs.values() for p, _, _ in s.people if not SLACK_ID.match(p)}
    by_slack = people_by_slack_ids(session, slack_ids)
    by_email = people_by_emails(session, emails)
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
