"""`uptake import identities`: an admin's CSV of accounts and owners, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.linking import MapChange, MappingRejected, import_identity_map
from storage.models import AuditEntry, Identity, LinkMethod
from tests.factories import make_identity, make_person


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.csv"
    path.write_text(text)
    return path


def links(engine: Engine) -> dict[tuple[str, str], tuple[int | None, bool, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                Identity.tool,
                Identity.external_id,
                Identity.person_id,
                Identity.verified,
                Identity.link_method,
            )
        )
        return {
            (tool, ext): (person, verified, method) for tool, ext, person, verified, method in rows
        }


def test_a_dry_run_counts_each_change_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    ada = make_person(engine, slack_user_id="U0ADA", email="ada@example.com")
    bob = make_person(engine, slack_user_id="U0BOB")
    make_identity(engine, tool="copilot", external_id="taken", person_id=bob)
    make_identity(
        engine,
        tool="copilot",
        external_id="claimed",
        person_id=ada,
        verified=False,
        method=LinkMethod.CLAIM,
    )
    make_identity(engine, tool="cursor", external_id="ada@example.com", person_id=ada)
    path = write(
        tmp_path,
        "tool,external_id,slack_user_id,email,note\n"
        "github,Ada-L,,ADA@example.com,new\n"
        "copilot,taken,U0ADA,,moved from bob\n"
        "github,@claimed,U0ADA,,confirms a claim\n"
        "cursor,ada@example.com,U0ADA,,already an admin's\n",
    )
    before = links(engine)

    planned = import_identity_map(engine, path, admin="U0ADMIN", dry_run=True)

    expected = {
        MapChange.LINKED: 1,
        MapChange.MOVED: 1,
        MapChange.CONFIRMED: 1,
        MapChange.UNCHANGED: 1,
    }
    assert (planned.changes, planned.accounts, planned.written) == (expected, 4, False)
    assert links(engine) == before
    done = import_identity_map(engine, path, admin="U0ADMIN")
    assert (done.changes, done.written) == (expected, True)
    assert links(engine)[("copilot", "ada-l")] == (ada, True, "admin")
    assert links(engine)[("copilot", "taken")] == (ada, True, "admin")
    with engine.connect() as connection:
        audited = connection.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar()
    assert audited == 3  # the unchanged mapping is not written again


def test_every_bad_row_is_reported_by_line_and_nothing_is_written(
    engine: Engine, tmp_path: Path
) -> None:
    make_person(engine, slack_user_id="U0ADA")
    path = write(
        tmp_path,
        "tool,external_id,slack_user_id\n"
        "github,ada,U0ADA\n"  # 2: fine
        "windsurf,ada,U0ADA\n"  # 3: unknown tool
        "github,not a login!,U0ADA\n"  # 4: not a GitHub login
        "github,grace,U0NOBODY\n"  # 5: nobody Uptake knows
        "github,ADA,U0ADA\n"  # 6: the same account as line 2
        "cursor,c@example.com,\n",  # 7: no owner
    )
    with pytest.raises(MappingRejected) as caught:
        import_identity_map(engine, path)

    problems = dict(caught.value.problems)
    assert sorted(problems) == [3, 4, 5, 6, 7]
    assert "unknown tool 'windsurf'" in problems[3]
    assert "not a GitHub login" in problems[4]
    assert "no known person" in problems[5]
    assert "duplicates line 2" in problems[6]
    assert "needs a slack_user_id or an email" in problems[7]
    assert links(engine) == {}
