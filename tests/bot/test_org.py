"""`uptake import org`: CSV and YAML org files, re-imported without duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.org import OrgRejected, import_org
from storage.models import Membership, Team
from tests.factories import make_person


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def teams(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(Team.id, Team.slug, Team.name, Team.parent_id)).all()
    slugs = {team_id: slug for team_id, slug, _, _ in rows}
    return {slug: (name, slugs.get(parent)) for _, slug, name, parent in rows}


def memberships(engine: Engine) -> set[tuple[str, int, str]]:
    with engine.connect() as connection:
        return {
            (slug, person, role)
            for slug, person, role in connection.execute(
                sa.select(Team.slug, Membership.person_id, Membership.role).join(
                    Team, Team.id == Membership.team_id
                )
            )
        }


def test_csv_org_file_builds_nested_teams(engine: Engine, tmp_path: Path) -> None:
    ada = make_person(engine, email="ada@example.com")
    path = write(
        tmp_path,
        "org.csv",
        "team,name,parent,person,role\n"
        "engineering,Engineering,,ada@example.com,manager\n"
        "payments,Payments Core,engineering,U0BOB,member\n"
        "payments,Payments Core,engineering,ADA@example.com,member\n",
    )
    result = import_org(engine, path)
    again = import_org(engine, path)

    assert (result.teams, result.memberships) == (2, 3)
    assert (again.teams, again.memberships) == (2, 3)
    assert teams(engine) == {
        "engineering": ("Engineering", None),
        "payments": ("Payments Core", "engineering"),
    }
    roles = {(slug, role) for slug, person, role in memberships(engine) if person == ada}
    assert roles == {("engineering", "manager"), ("payments", "member")}
    assert len(memberships(engine)) == 3


def test_yaml_org_file_and_removal_on_reimport(engine: Engine, tmp_path: Path) -> None:
    make_person(engine, email="ada@example.com")
    first = write(
        tmp_path,
        "org.yaml",
        "teams:\n"
        "  - team: platform\n    managers: [ada@example.com]\n    members: [U0A, U0B]\n"
        "  - team: platform-edge\n    parent: platform\n    members: [U0C]\n",
    )
    import_org(engine, first)
    second = write(tmp_path, "org2.yaml", "teams:\n  - team: platform\n    members: [U0A]\n")
    result = import_org(engine, second)

    assert result.removed_teams == 1
    assert set(teams(engine)) == {"platform"}
    assert {role for _, _, role in memberships(engine)} == {"member"}
    assert len(memberships(engine)) == 1


def test_problems_are_reported_by_line_and_nothing_is_written(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "org.csv",
        "team,name,parent,person,role\n"
        "a,A,b,U0A,member\n"  # line 2: fine
        "b,B,a,U0B,member\n"  # line 3: a and b are inside each other
        "c,C,nowhere,U0C,member\n"  # line 4: unknown parent
        "d,D,,stranger@example.com,member\n"  # line 5: unknown email
        "e,E,,U0E,boss\n"  # line 6: unknown role
        "f,F,,not a person,member\n",  # line 7: neither email nor Slack id
    )
    with pytest.raises(OrgRejected) as caught:
        import_org(engine, path)
    lines = {line for line, _ in caught.value.problems}
    assert {3, 4, 5, 6, 7} <= lines
    assert teams(engine) == {}
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT COUNT(*) FROM person")).scalar_one() == 0
