"""Team queries: org-file teams are allowed, synced teams wait for an admin's decision."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import queries
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.teams import all_teams, set_team_allowed, upsert_teams
from tests.conftest import _postgres_database
from tests.factories import make_identity


def allowed_by_slug(session: Session) -> dict[str, bool]:
    return {team.slug: team.allowed for team in all_teams(session)}


def test_org_file_teams_are_allowed_and_synced_ones_are_not(engine: Engine) -> None:
    github = make_identity(engine, tool="copilot", external_id="octo")
    with Session(engine) as session:
        upsert_teams(
            session,
            [
                {"slug": "payments", "name": "Payments", "source": "org_file"},
                {"slug": "platform", "name": "Platform"},  # the org file is the default source
            ],
        )
        upsert_teams(session, [{"slug": "slack:guild", "name": "Guild", "source": "slack"}])
        queries.replace_vendor_teams(
            session, "github", {"github:core": "Core"}, {"github:core": {github}}
        )
        session.commit()
        assert allowed_by_slug(session) == {
            "payments": True,
            "platform": True,
            "slack:guild": False,
            "github:core": False,
        }
        assert [t.slug for t in all_teams(session, ["slack", "github"], allowed=False)] == [
            "github:core",
            "slack:guild",
        ]
        assert [t.slug for t in all_teams(session, allowed=True)] == ["payments", "platform"]


def test_syncing_again_keeps_the_admins_decision(engine: Engine) -> None:
    guild = {"slug": "slack:guild", "name": "Guild", "source": "slack"}
    with Session(engine) as session:
        team_id = upsert_teams(session, [guild])["slack:guild"]
        assert set_team_allowed(session, team_id, allowed=True)
        assert not set_team_allowed(session, team_id, allowed=True)
        session.commit()
        upsert_teams(session, [{**guild, "name": "Guild (renamed)"}])
        session.commit()
        session.expire_all()
        [team] = all_teams(session)
        assert (team.name, team.allowed) == ("Guild (renamed)", True)

        assert set_team_allowed(session, team_id, allowed=False)
        session.commit()
        upsert_teams(session, [guild])
        session.commit()
        session.expire_all()
        assert allowed_by_slug(session) == {"slack:guild": False}


@pytest.fixture
def at_0006(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Engine:
    """A fresh database of the same kind, migrated to the revision before team approval."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = _postgres_database(request)
    engine = make_engine(url)
    request.addfinalizer(engine.dispose)
    upgrade(engine, "0006")
    return engine


def test_the_migration_allows_existing_org_file_teams_only(at_0006: Engine) -> None:
    with at_0006.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO team (slug, name, source) VALUES (:slug, :slug, :source)"),
            [
                {"slug": "payments", "source": "org_file"},
                {"slug": "slack:guild", "source": "slack"},
                {"slug": "github:core", "source": "github"},
            ],
        )
    upgrade(at_0006, "0007")
    with at_0006.connect() as connection:
        allowed = {
            slug: bool(value)
            for slug, value in connection.execute(sa.text("SELECT slug, allowed FROM team"))
        }
    assert allowed == {"payments": True, "slack:guild": False, "github:core": False}
