"""Loading people from the Slack directory links their accounts by verified email."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.directory import sync_people
from storage.models import Identity, Person
from tests.factories import make_identity
from tests.fakes.slack_api import FakeSlackAPI


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as server:
        yield server


def test_people_are_loaded_across_pages_and_linked(engine: Engine, fake: FakeSlackAPI) -> None:
    for n in range(450):
        fake.add_user(f"U{n:05d}", email=f"Person{n}@Example.com", tz="Asia/Tokyo")
    fake.add_user("UBOT", email="bot@example.com", is_bot=True)
    fake.add_user("UGONE", email="gone@example.com", deleted=True)
    cursor = make_identity(engine, tool="cursor", external_id="person7@example.com")
    gone = make_identity(engine, tool="cursor", external_id="gone@example.com")

    result = sync_people(engine, WebClient(token="xoxb-test", base_url=fake.url))
    again = sync_people(engine, WebClient(token="xoxb-test", base_url=fake.url))

    assert (result.people, result.linked) == (450, 1)
    assert (again.people, again.linked) == (450, 0)
    assert len(fake.calls("users.list")) == 6  # 3 pages of at most 200, twice
    with engine.connect() as connection:
        people = connection.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one()
        owners = dict(connection.execute(sa.select(Identity.id, Identity.person_id)).all())
        tz = connection.execute(
            sa.select(Person.tz).where(Person.slack_user_id == "U00007")
        ).scalar_one()
    assert people == 450
    assert owners[cursor] is not None and owners[gone] is None
    assert tz == "Asia/Tokyo"
