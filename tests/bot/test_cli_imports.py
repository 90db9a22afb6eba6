"""`uptake import`: each kind shows its file format, and shows what it will write before writing."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.importer import UsageRecord
from bot.linking import IdentityMapRow
from storage.models import DailyUsage, Identity, Person, Team
from tests.factories import make_person

ORG = (
    "teams:\n"
    "  - team: engineering\n    managers: [ada@example.com]\n"
    "  - team: payments\n    parent: engineering\n    members: [U0A, U0B]\n"
    "  - team: legacy\n    members: [U0C]\n"
)
ORG_WITHOUT_LEGACY = (
    "teams:\n"
    "  - team: engineering\n    managers: [ada@example.com]\n"
    "  - team: payments\n    name: Payments Core\n    parent: engineering\n    members: [U0A]\n"
)


class Terminal(io.StringIO):
    """Standard input as a person at a terminal, who types `answer`."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def count(engine: Engine, table: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def team_slugs(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(sa.select(Team.slug)).scalars())


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


# --- help ---------------------------------------------------------------------------------------


def test_usage_help_shows_every_field_and_examples_that_import(
    env: None, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_text(capsys, "import", "usage")

    for field in UsageRecord.model_fields:
        assert f"\n  {field} " in text
    assert "integer >= 0" in text and "YYYY-MM-DD, required" in text
    assert "example:\n  uptake import usage usage.csv --dry-run" in text
    lines = text.splitlines()
    csv_at = lines.index("example CSV:")
    ndjson_at = lines.index("example NDJSON line:")
    csv_rows = [line.strip() for line in lines[csv_at + 1 : csv_at + 3]]
    csv_example = write(tmp_path, "e.csv", "\n".join(csv_rows) + "\n")
    ndjson_example = write(tmp_path, "e.ndjson", lines[ndjson_at + 1].strip() + "\n")
    assert main(["import", "usage", csv_example, "--dry-run"]) == 0
    assert main(["import", "usage", ndjson_example, "--dry-run"]) == 0
    assert "would import 1 rows" in capsys.readouterr().out


def test_identities_and_org_help_show_their_formats_and_an_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    identities = help_text(capsys, "import", "identities")
    for field in IdentityMapRow.model_fields:
        assert f"\n  {field} " in identities
    assert "example:\n  uptake import identities github-logins.csv --dry-run" in identities

    org = help_text(capsys, "import", "org")
    assert "team,name,parent,person,role" in org and "managers: [ada@example.com]" in org
    assert "role    member|manager" in org
    assert "--yes" in org and "--dry-run" in org
    assert "example:\n  uptake import org org.yaml --dry-run" in org


# --- org ----------------------------------------------------------------------------------------


def test_org_dry_run_shows_the_plan_and_writes_nothing(
    env: None, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_person(engine, email="ada@example.com")

    assert main(["import", "org", write(tmp_path, "org.yaml", ORG), "--dry-run"]) == 0

    out = capsys.readouterr().out
    assert "The file has 3 team(s) and 4 membership(s)." in out
    assert "  add 3 team(s): engineering, legacy, payments" in out
    assert "  add 3 member(s) to: legacy, payments" in out
    assert "  add 1 manager(s) to: engineering" in out
    assert "  add 3 person(s) by Slack user id, not seen before" in out
    assert "Dry run: nothing was written." in out
    assert (count(engine, Team), count(engine, Person)) == (0, 1)


def test_org_removal_is_refused_without_yes_when_nobody_can_answer(
    env: None,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_person(engine, email="ada@example.com")
    assert main(["import", "org", write(tmp_path, "org.yaml", ORG)]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # piped: not a person's answer

    assert main(["import", "org", write(tmp_path, "org2.yaml", ORG_WITHOUT_LEGACY)]) == 1

    captured = capsys.readouterr()
    assert "  REMOVE 1 team(s), with their 1 membership(s): legacy" in captured.out
    assert "  rename 1 team(s): payments" in captured.out
    assert "  remove 1 member(s) from: payments" in captured.out
    assert "would remove 1 team(s) (legacy); nothing was written" in captured.err
    assert "Pass --yes" in captured.err
    assert team_slugs(engine) == {"engineering", "payments", "legacy"}


def test_org_yes_removes_teams(
    env: None, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_person(engine, email="ada@example.com")
    main(["import", "org", write(tmp_path, "org.yaml", ORG)])

    assert main(["import", "org", write(tmp_path, "org2.yaml", ORG_WITHOUT_LEGACY), "--yes"]) == 0

    assert "removed 1 team(s) no longer in the file" in capsys.readouterr().out
    assert team_slugs(engine) == {"engineering", "payments"}
    assert main(["import", "org", write(tmp_path, "org2.yaml", ORG_WITHOUT_LEGACY)]) == 0
    assert "Nothing to change" in capsys.readouterr().out


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("answer", ["y\n", "\n"])
def test_org_removal_is_asked_on_a_terminal(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
) -> None:
    agreed = answer == "y\n"
    make_person(engine, email="ada@example.com")
    main(["import", "org", write(tmp_path, "org.yaml", ORG)])
    monkeypatch.setattr(sys, "stdin", Terminal(answer))

    status = main(["import", "org", write(tmp_path, "org2.yaml", ORG_WITHOUT_LEGACY)])

    assert status == (0 if agreed else 1)
    assert "Remove 1 team(s) (legacy)? [y/N]" in capsys.readouterr().out
    assert ("legacy" in team_slugs(engine)) is not agreed


def test_org_file_problems_are_printed_with_their_lines(
    env: None, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "org.yaml", "teams:\n  - team: a\n\n    manager: [U0A]\n")

    assert main(["import", "org", path, "--dry-run"]) == 1

    assert f"{path}:4: manager: unknown field" in capsys.readouterr().err


# --- usage and identities -----------------------------------------------------------------------


def test_usage_dry_run_reports_counts_and_writes_nothing(
    env: None, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "u.csv",
        "email,tool,date,interactions\na@x.io,cursor,2026-11-01,3\nb@x.io,cursor,2026-11-01,1\n",
    )

    assert main(["import", "usage", path, "--dry-run"]) == 0

    assert capsys.readouterr().out == (
        "Dry run, nothing was written: the file would import 2 rows (0 replacing days already "
        "stored) for 2 identities (2 not linked to a Slack user yet).\n"
    )
    assert (count(engine, DailyUsage), count(engine, Identity)) == (0, 0)
    assert main(["import", "usage", path]) == 0
    assert main(["import", "usage", path, "--dry-run"]) == 0
    assert "(2 replacing days already stored)" in capsys.readouterr().out.splitlines()[-1]


def test_identities_dry_run_reports_counts_and_writes_nothing(
    env: None, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_person(engine, slack_user_id="U0ADA")
    path = write(tmp_path, "map.csv", "tool,external_id,slack_user_id\ngithub,ada,U0ADA\n")

    assert main(["import", "identities", path, "--dry-run"]) == 0

    assert capsys.readouterr().out == (
        "Dry run, nothing was written: the file would map 1 account(s): 1 newly linked, "
        "0 moved from another person, 0 confirmed, 0 already mapped.\n"
    )
    assert count(engine, Identity) == 0
    assert main(["import", "identities", path]) == 0
    assert "Mapped 1 account(s): 1 newly linked" in capsys.readouterr().out
    assert count(engine, Identity) == 1


def test_a_dry_run_does_not_migrate_the_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "fresh.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    path = write(tmp_path, "u.csv", "email,tool,date\na@x.io,cursor,2026-11-01\n")

    assert main(["import", "usage", path, "--dry-run"]) == 1

    assert "uptake db upgrade" in capsys.readouterr().err
    engine = sa.create_engine(f"sqlite:///{database}")
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()
