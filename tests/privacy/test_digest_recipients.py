"""Someone who leaves a team (no longer its manager or member, and not a channel an admin
subscribed) stops getting its digest: checked when the digest is built and when it is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.adoption import TierThresholds
from bot.digests.narrative import TemplateNarrative
from bot.digests.service import digest_week, send_weekly_digests
from bot.figures.disclosure import Rules
from bot.figures.releases import compute_releases
from bot.outbox import deliver_due
from bot.teams import load_teams
from storage import queries
from storage.engine import session as open_session
from storage.models import OutboxState
from storage.teams import set_team_allowed
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.fakes.slack_api import FakeSlackAPI

MONDAY_0900 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
BOSS = "U0BOSS"
CHANNEL = "C0LEADS"


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as server:
        yield server


def client(fake: FakeSlackAPI) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])


def payments(engine: Engine) -> tuple[int, int]:
    """A team of 8 (6 active last week) managed by BOSS; (team id, BOSS's person id)."""
    with open_session(engine) as session:
        team = queries.upsert_teams(
            session,
            [{"slug": "payments", "name": "Payments", "parent_id": None, "source": "org_file"}],
        )["payments"]
        session.commit()
    memberships = []
    for n in range(8):
        person = make_person(engine, slack_user_id=f"U0PAY{n}", tz="UTC")
        memberships.append({"team_id": team, "person_id": person, "role": "member"})
        identity = make_identity(engine, tool="copilot", external_id=f"pay-{n}", person_id=person)
        if n < 6:
            add_usage(engine, [usage_row(identity, "copilot", dt.date(2026, 11, 28))])
    boss = make_person(engine, slack_user_id=BOSS, tz="UTC")
    memberships.append({"team_id": team, "person_id": boss, "role": "manager"})
    with open_session(engine) as session:
        queries.add_memberships(session, memberships)
        session.commit()
    return team, boss


def queue_digests(engine: Engine) -> int:
    """Release last week's figures (and the week before), then queue the digests due."""
    week = digest_week(MONDAY_0900, "UTC")
    for period in (week, week.previous()):
        compute_releases(
            engine,
            load_teams(engine, ["org_file"]),
            period,
            rules=Rules(k=5),
            thresholds=TierThresholds(),
            tools={"copilot"},
        )
    return send_weekly_digests(
        engine=engine,
        team_sources=["org_file"],
        narrative=TemplateNarrative(),
        now=MONDAY_0900,
    )


def no_longer_manager(engine: Engine, team: int, boss: int) -> None:
    with open_session(engine) as session:
        assert queries.set_manager(session, team, boss, manager=False)
        session.commit()


def digest_states(engine: Engine) -> dict[str, str]:
    with open_session(engine) as session:
        return {
            message.idempotency_key: message.state
            for message in queries.outbox_messages(session)
            if message.kind.startswith("digest")
        }


def test_a_removed_manager_who_had_chosen_a_day_gets_no_digest_built(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team, boss = payments(engine)
    with open_session(engine) as session:  # `/teamusage subscribe payments mon 09` as manager
        queries.set_digest_subscription(session, team, BOSS, active=True)
        session.commit()
    no_longer_manager(engine, team, boss)

    assert queue_digests(engine) == 0
    deliver_due(engine, client(fake), now=MONDAY_0900)
    assert fake.channel_messages(BOSS) == []


def test_someone_who_left_the_team_loses_their_own_subscription(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team, _ = payments(engine)
    leaver = make_person(engine, slack_user_id="U0LEAVER", tz="UTC")
    with open_session(engine) as session:
        queries.set_digest_subscription(session, team, "U0LEAVER", active=True)
        session.commit()  # subscribed while a member; the roster no longer has them

    assert queue_digests(engine) == 1  # the manager's only
    deliver_due(engine, client(fake), now=MONDAY_0900)
    assert fake.channel_messages("U0LEAVER") == []
    assert leaver


def test_a_manager_removed_after_the_digest_was_queued_does_not_receive_it(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team, boss = payments(engine)
    assert queue_digests(engine) == 1
    no_longer_manager(engine, team, boss)

    report = deliver_due(engine, client(fake), now=MONDAY_0900)

    assert report.sent == 0
    assert fake.calls("chat.postMessage") == [] and fake.calls("files.completeUploadExternal") == []
    states = digest_states(engine)
    assert states and set(states.values()) == {OutboxState.CANCELLED.value}


def test_a_channel_an_admin_unsubscribed_after_queueing_gets_nothing(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team, boss = payments(engine)
    no_longer_manager(engine, team, boss)
    with open_session(engine) as session:
        queries.set_digest_subscription(session, team, CHANNEL, active=True)
        session.commit()
    assert queue_digests(engine) == 1
    with open_session(engine) as session:  # `/uptake-admin no-digest-channel payments C0LEADS`
        queries.set_digest_subscription(session, team, CHANNEL, active=False)
        session.commit()

    assert deliver_due(engine, client(fake), now=MONDAY_0900).sent == 0
    assert fake.channel_messages(CHANNEL) == []


def test_a_current_manager_and_channel_still_get_theirs(engine: Engine, fake: FakeSlackAPI) -> None:
    team, _ = payments(engine)
    with open_session(engine) as session:
        queries.set_digest_subscription(session, team, CHANNEL, active=True)
        session.commit()

    assert queue_digests(engine) == 2
    deliver_due(engine, client(fake), now=MONDAY_0900)
    assert len(fake.channel_messages(BOSS)) == 1 and len(fake.channel_messages(CHANNEL)) == 1
    assert set(digest_states(engine).values()) == {OutboxState.SENT.value}


def test_a_manager_of_the_team_above_keeps_a_subscription_only_while_managing_it(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team, boss = payments(engine)
    with open_session(engine) as session:
        parent = queries.upsert_teams(
            session,
            [{"slug": "finance", "name": "Finance", "parent_id": None, "source": "org_file"}],
        )["finance"]
        session.commit()
    with engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE team SET parent_id = {parent} WHERE id = {team}")
    director = make_person(engine, slack_user_id="U0DIRECTOR", tz="UTC")
    with open_session(engine) as session:
        queries.add_memberships(
            session, [{"team_id": parent, "person_id": director, "role": "manager"}]
        )
        queries.set_digest_subscription(session, team, "U0DIRECTOR", active=True)
        session.commit()
    # BOSS's; and the director's own of Finance and the one they subscribed to.
    assert queue_digests(engine) == 3
    assert boss
    with open_session(engine) as session:
        queries.set_manager(session, parent, director, manager=False)
        session.commit()

    deliver_due(engine, client(fake), now=MONDAY_0900)

    assert fake.channel_messages("U0DIRECTOR") == []
    assert len(fake.channel_messages(BOSS)) == 1


def test_a_digest_queued_for_a_team_an_admin_then_denies_is_not_sent(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team, _boss = payments(engine)
    assert queue_digests(engine) == 1
    with open_session(engine) as session:  # `/uptake-admin teams deny payments`, say
        assert set_team_allowed(session, team, allowed=False)
        session.commit()

    assert deliver_due(engine, client(fake), now=MONDAY_0900).sent == 0
    assert fake.calls("chat.postMessage") == []
    assert set(digest_states(engine).values()) == {OutboxState.CANCELLED.value}
