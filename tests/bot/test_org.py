"""`uptake import org`: CSV and YAML org files, planned before they are written."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.orgfile import OrgRejected, PeopleChange, RemovalNotConfirmed, import_org, plan_org
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
    result = import_org(engine, second, remove={"platform-edge"})

    assert result.removed == ("platform-edge",)
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


FIRST_ORG = (
    "teams:\n"
    "  - team: engineering\n    managers: [ada@example.com]\n"
    "  - team: payments\n    parent: engineering\n    members: [U0A, U0B]\n"
    "  - team: search\n    parent: engineering\n    members: [U0C]\n"
    "  - team: legacy\n    members: [U0D]\n"
)
SECOND_ORG = (
    "teams:\n"
    "  - team: engineering\n    members: [ada@example.com]\n"  # manager becomes member
    "  - team: payments\n    name: Payments Core\n    members: [U0A, U0NEW]\n"  # renamed, moved
    "  - team: search\n    parent: engineering\n    members: [U0C]\n"
    "  - team: billing\n    parent: payments\n    managers: [U0B]\n"  # added
)  # legacy is gone


def test_plan_shows_what_changes_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    make_person(engine, email="ada@example.com")
    assert plan_org(engine, write(tmp_path, "org.yaml", FIRST_ORG)).added == (
        "engineering",
        "legacy",
        "payments",
        "search",
    )
    assert teams(engine) == {}
    import_org(engine, write(tmp_path, "org.yaml", FIRST_ORG))
    before = (teams(engine), memberships(engine))

    plan = plan_org(engine, write(tmp_path, "org2.yaml", SECOND_ORG))

    assert (plan.teams, plan.memberships) == (4, 5)
    assert plan.added == ("billing",)
    assert plan.renamed == ("payments",)
    assert plan.moved == ("payments",)
    assert (plan.removed, plan.removed_memberships) == (("legacy",), 1)
    assert plan.members_added == PeopleChange(2, ("engineering", "payments"))
    assert plan.members_removed == PeopleChange(1, ("payments",))
    assert plan.managers_added == PeopleChange(1, ("billing",))
    assert plan.managers_removed == PeopleChange(1, ("engineering",))
    assert plan.new_people == 1
    assert (teams(engine), memberships(engine)) == before
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT COUNT(*) FROM person")).scalar_one() == 5


def test_removal_must_be_confirmed_and_nothing_is_written_without_it(
    engine: Engine, tmp_path: Path
) -> None:
    make_person(engine, email="ada@example.com")
    import_org(engine, write(tmp_path, "org.yaml", FIRST_ORG))
    before = (teams(engine), memberships(engine))
    second = write(tmp_path, "org2.yaml", SECOND_ORG)

    with pytest.raises(RemovalNotConfirmed) as caught:
        import_org(engine, second, remove={"search"})
    assert caught.value.slugs == ("legacy",)
    assert (teams(engine), memberships(engine)) == before

    done = import_org(engine, second, remove={"legacy"})
    assert done.removed == ("legacy",)
    assert teams(engine) == {
        "engineering": ("engineering", None),
        "payments": ("Payments Core", None),
        "search": ("search", "engineering"),
        "billing": ("billing", "payments"),
    }
    assert not plan_org(engine, second).changes_anything


def test_yaml_problems_cite_the_line_they_are_on(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "org.yaml",
        "# Our teams, kept by People Ops.\n"  # 1
        "\n"  # 2
        "teams:\n"  # 3
        "  - team: platform\n"  # 4
        "    members:\n"  # 5
        "      - U0A\n"  # 6
        "      - not a person\n"  # 7
        "\n"  # 8
        "  - team: edge\n"  # 9
        "    parnet: platform\n"  # 10: a typo
        "  - name: Nameless\n",  # 11: no team
    )
    with pytest.raises(OrgRejected) as caught:
        import_org(engine, path)

    problems = dict(caught.value.problems)
    assert set(problems) == {7, 10, 11}
    assert "members.1" in problems[7] and "neither an email nor a Slack user id" in problems[7]
    assert "parnet" in problems[10] and "unknown field" in problems[10]
    assert "team: missing" in problems[11]
    assert teams(engine) == {}


def test_yaml_syntax_errors_and_repeated_teams_cite_their_lines(
    engine: Engine, tmp_path: Path
) -> None:
    broken = write(tmp_path, "broken.yaml", "teams:\n  - team: a\n    members: [U0A\n")
    with pytest.raises(OrgRejected) as caught:
        import_org(engine, broken)
    assert caught.value.problems[0][0] == 4
    assert "not valid YAML" in caught.value.problems[0][1]

    twice = write(tmp_path, "twice.yaml", "teams:\n  - team: a\n\n  - team: A\n")
    with pytest.raises(OrgRejected) as caught:
        import_org(engine, twice)
    assert caught.value.problems == [(4, "team a appears twice (first on line 2)")]


def test_an_alias_bomb_is_refused_at_once_with_its_line(engine: Engine, tmp_path: Path) -> None:
    # Nine levels of nine aliases each: a few hundred bytes that would expand to 9**9 values.
    levels = ['  - &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"  - &l{n} [" + ",".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 9)]
    path = write(tmp_path, "bomb.yaml", "teams:\n  - team: a\n" + "\n".join(levels) + "\n")
    started = time.monotonic()

    with pytest.raises(OrgRejected) as caught:
        import_org(engine, path)

    assert time.monotonic() - started < 1
    assert caught.value.problems == [
        (3, "YAML anchors and aliases (&name, *name) are not allowed; write it out")
    ]


def test_a_parent_that_the_import_would_remove_is_refused(engine: Engine, tmp_path: Path) -> None:
    import_org(engine, write(tmp_path, "org.csv", "team,parent\nold,\nkept,old\n"))
    with pytest.raises(OrgRejected) as caught:
        import_org(engine, write(tmp_path, "org2.csv", "team,parent\nkept,old\n"), remove={"old"})
    assert caught.value.problems == [
        (2, "parent old of kept is not in the file, so this import would remove it")
    ]


def test_unknown_csv_columns_are_refused(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "org.csv", "team,person,rol\npayments,U0A,manager\n")
    with pytest.raises(OrgRejected, match="problem") as caught:
        import_org(engine, path)
    assert caught.value.problems[0][0] == 1
    assert "rol" in caught.value.problems[0][1]
