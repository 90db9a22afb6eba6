"""One demo organisation for the preview tests, built once per module on SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.demo import build_demo
from bot.services import Services
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Identity, Membership, Person
from tests.conftest import make_settings
from tests.factories import make_person
from tests.releases import release_now

# A Monday morning: last week (2026-W48) is complete and released.
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
FIRST_TIMER = "U0FIRST01"


@dataclass(frozen=True)
class DemoPeople:
    """The demo database, and the people the previews are made for."""

    url: str
    services: Services
    four_tools: str  # a person with an account in all four tools
    manager: str  # a person who leads teams (their Home shows team cards)
    first_timer: str  # registered, with no linked account yet


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPeople]:
    url = f"sqlite:///{tmp_path_factory.mktemp('preview') / 'demo.db'}"
    engine: Engine = make_engine(url)
    upgrade(engine)
    settings = make_settings(database_url=url)
    build_demo(engine, now=NOW, people_count=150, days=56)
    # Noise-free releases: with fresh record keys every run, a team's week-on-week change
    # could fall under the quiet-week threshold in one run and not the next (a quiet week's
    # digest has no chart). The privacy tests use the real noise.
    release_now(engine, NOW, k=settings.min_group_size)
    make_person(engine, slack_user_id=FIRST_TIMER)
    with engine.connect() as connection:
        four_tools = connection.execute(
            sa.select(Person.slack_user_id)
            .join(Identity, Identity.person_id == Person.id)
            .where(
                Person.id.not_in(  # type: ignore[union-attr]
                    sa.select(Membership.person_id).where(Membership.role == "manager")
                )
            )
            .group_by(Person.id, Person.slack_user_id)
            .having(sa.func.count(sa.distinct(Identity.tool)) == 4)
            .order_by(Person.slack_user_id)
        ).scalar()
        manager = connection.execute(
            sa.select(Person.slack_user_id)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.role == "manager")
            .order_by(Person.slack_user_id)
        ).scalar()
    assert four_tools and manager
    services = Services(settings=settings, engine=engine, clock=lambda: NOW)
    yield DemoPeople(url, services, four_tools, manager, FIRST_TIMER)
    engine.dispose()
