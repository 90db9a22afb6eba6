"""The team tree is read once per process and reloaded only when teams change, in any process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.teams import load_teams
from storage import imports, teams
from storage.engine import make_engine
from storage.engine import session as open_session


@pytest.fixture
def other_process(engine: Engine, database_url: str) -> Iterator[Engine]:
    """A second engine on the same database: what another web process or the clock holds."""
    other = make_engine(database_url)
    yield other
    other.dispose()


def _add(engine: Engine, slug: str, parent: int | None = None, source: str = "org_file") -> int:
    with open_session(engine) as session:
        found = teams.upsert_teams(
            session, [{"slug": slug, "name": slug.title(), "parent_id": parent, "source": source}]
        )
        session.commit()
    return found[slug]


def test_a_second_load_reads_no_team_rows(engine: Engine) -> None:
    _add(engine, "payments")
    load_teams(engine)
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]).lower())

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert [t.slug for t in load_teams(engine)] == ["payments"]
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert not [s for s in statements if "from team " in s or "from team\n" in s], statements
    assert any("team_version" in s for s in statements)


def test_every_change_made_elsewhere_is_seen_at_the_next_load(
    engine: Engine, other_process: Engine
) -> None:
    parent = _add(engine, "engineering")
    assert [t.slug for t in load_teams(engine)] == ["engineering"]
    child = _add(other_process, "payments")  # an org import in another process
    assert {t.slug for t in load_teams(engine)} == {"engineering", "payments"}
    with open_session(other_process) as session:
        imports.set_team_parents(session, {child: parent})
        session.commit()
    assert {t.slug: t.parent_id for t in load_teams(engine)}["payments"] == parent
    group = _add(other_process, "slack:design", source="slack")  # a directory sync
    assert "slack:design" not in {t.slug for t in load_teams(engine)}  # not allowed yet
    with open_session(other_process) as session:
        teams.set_team_allowed(session, group, allowed=True)
        session.commit()
    assert "slack:design" in {t.slug for t in load_teams(engine, ["slack"])}
    with open_session(other_process) as session:
        imports.delete_teams(session, [child])
        session.commit()
    assert {t.slug for t in load_teams(engine)} == {"engineering", "slack:design"}
