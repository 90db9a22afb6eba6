"""Tip delivery end to end: who is due, local send times, the outbox, and consent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.adoption import TierThresholds
from bot.outbox import deliver_due
from bot.tips.library import default_library
from bot.tips.llm import LibraryText, OpenAITipWriter
from bot.tips.service import change_tips, plan_tips, record_feedback
from storage import queries
from storage.engine import session as open_session
from storage.models import OutboxState
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.fakes.openai_chat import API_KEY, FakeOpenAIChat
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.vendor_http import FakeVendorAPI

FRIDAY = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # a Friday afternoon
LIBRARY = default_library()
THRESHOLDS = TierThresholds()


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as server:
        yield server


def light_user(engine: Engine, slack_id: str, tz: str = "Europe/London", days: int = 2) -> int:
    person = make_person(engine, slack_user_id=slack_id, tz=tz)
    identity = make_identity(
        engine, tool="copilot", external_id=f"{slack_id.lower()}-gh", person_id=person
    )
    add_usage(
        engine,
        [
            usage_row(
                identity,
                "copilot",
                FRIDAY.date() - dt.timedelta(days=d),
                generations=30,
                acceptances=3,
                features=["code_completion"],
            )
            for d in range(days)
        ],
    )
    return person


def plan(engine: Engine, now: dt.datetime, writer: object | None = None) -> int:
    return plan_tips(
        engine=engine,
        library=LIBRARY,
        writer=writer or LibraryText(),  # type: ignore[arg-type]
        thresholds=THRESHOLDS,
        now=now,
    )


def client(fake: FakeSlackAPI) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])


def tips_sent_to(fake: FakeSlackAPI) -> list[str]:
    return [r.body["channel"] for r in fake.calls("chat.postMessage")]


def test_an_opted_in_light_user_gets_a_tip_at_a_sensible_local_time(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    person = light_user(engine, "U0LIGHT", tz="America/New_York")
    change_tips(engine, person, now=FRIDAY, enabled=True)

    assert plan(engine, FRIDAY) == 1
    assert plan(engine, FRIDAY + dt.timedelta(hours=1)) == 0  # one on its way already
    with open_session(engine) as session:
        [delivery] = queries.tip_history(session, person)
    local = delivery.scheduled_for.astimezone(ZoneInfo("America/New_York"))
    assert local.weekday() == 1 and 10 <= local.hour < 11  # Tuesday mid-morning, their time
    assert delivery.library_version == LIBRARY.version

    assert (
        deliver_due(engine, client(fake), now=delivery.scheduled_for - dt.timedelta(minutes=1)).sent
        == 0
    )
    assert deliver_due(engine, client(fake), now=delivery.scheduled_for).sent == 1
    post = fake.calls("chat.postMessage")[0].body
    assert post["channel"] == "U0LIGHT"
    actions = next(b for b in post["blocks"] if b["type"] == "actions")["elements"]
    assert [a["text"]["text"] for a in actions] == [
        "Helpful",
        "Not for me",
        "Snooze 2 weeks",
        "Stop tips",
    ]
    assert LIBRARY.by_id(delivery.tip_id) is not None


def test_nobody_who_did_not_opt_in_is_planned(engine: Engine) -> None:
    light_user(engine, "U0SHY")
    assert plan(engine, FRIDAY) == 0


def test_snooze_frequency_and_stop_are_honoured(engine: Engine, fake: FakeSlackAPI) -> None:
    person = light_user(engine, "U0FREQ")
    change_tips(engine, person, now=FRIDAY, enabled=True, frequency="fortnightly")
    plan(engine, FRIDAY)
    with open_session(engine) as session:
        [first] = queries.tip_history(session, person)
    deliver_due(engine, client(fake), now=first.scheduled_for)
    assert plan(engine, first.scheduled_for + dt.timedelta(days=13)) == 0
    assert plan(engine, first.scheduled_for + dt.timedelta(days=14, hours=1)) == 1

    change_tips(engine, person, now=FRIDAY, snooze_weeks=4)
    snoozed = FRIDAY + dt.timedelta(days=40)
    change_tips(engine, person, now=snoozed - dt.timedelta(days=1), snooze_weeks=2)
    assert plan(engine, snoozed) == 0

    assert record_feedback(engine, first.id or 0, person, "stop", FRIDAY)
    assert plan(engine, FRIDAY + dt.timedelta(days=80)) == 0
    assert not record_feedback(engine, first.id or 0, person + 999, "helpful", FRIDAY)


def test_a_missed_window_is_not_sent_at_night_and_is_planned_again(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    person = light_user(engine, "U0LATE")
    change_tips(engine, person, now=FRIDAY, enabled=True)
    plan(engine, FRIDAY)
    with open_session(engine) as session:
        [delivery] = queries.tip_history(session, person)
    late = delivery.scheduled_for + dt.timedelta(hours=12)  # the clock was down all day
    assert deliver_due(engine, client(fake), now=late).failed == 1
    assert tips_sent_to(fake) == []
    assert plan(engine, late) == 1  # re-planned for the next window


def test_three_unanswered_tips_ask_once_then_pause(engine: Engine, fake: FakeSlackAPI) -> None:
    person = light_user(engine, "U0QUIET", days=1)
    change_tips(engine, person, now=FRIDAY, enabled=True)
    now = FRIDAY
    for _ in range(3):
        assert plan(engine, now) == 1
        with open_session(engine) as session:
            latest = queries.tip_history(session, person)[0]
        deliver_due(engine, client(fake), now=latest.scheduled_for)
        now = latest.scheduled_for + dt.timedelta(days=7, hours=1)
    assert plan(engine, now) == 0  # asks instead of a fourth tip
    with open_session(engine) as session:
        assert queries.tip_preference(session, person).asked_to_continue_at == now
    deliver_due(engine, client(fake), now=now + dt.timedelta(days=5))
    question = fake.calls("chat.postMessage")[-1].body
    assert question["text"] == "Still want tips from Uptake?"
    assert plan(engine, now + dt.timedelta(days=8)) == 0
    with open_session(engine) as session:
        assert queries.tip_preference(session, person).paused is True
    assert plan(engine, now + dt.timedelta(days=30)) == 0


def test_llm_rewording_is_used_when_valid(engine: Engine, fake: FakeSlackAPI) -> None:
    person = light_user(engine, "U0LLM")
    change_tips(engine, person, now=FRIDAY, enabled=True)
    with FakeVendorAPI() as api:
        chat = FakeOpenAIChat(api)
        chat.content = "Give *Copilot* a go on your next test file; it learns from open tabs."
        writer = OpenAITipWriter(API_KEY, chat.base_url, "test-model", timeout=2)
        try:
            assert plan(engine, FRIDAY, writer) == 1
        finally:
            writer.close()
        body = str(chat.calls()[0].body)
    assert "U0LLM" not in body and "u0llm" not in body
    with open_session(engine) as session:
        [delivery] = queries.tip_history(session, person)
        [message] = queries.outbox_messages(session, kind="tip")
    assert delivery.reworded is True
    assert "learns from open tabs" in message.payload["text"]


def _reset(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    population=st.lists(
        st.tuples(
            st.booleans(),
            st.sampled_from(["weekly", "fortnightly", "monthly"]),
            st.integers(min_value=0, max_value=6),
        ),
        min_size=1,
        max_size=6,
    ),
    start=st.integers(min_value=0, max_value=6),
)
def test_nobody_who_did_not_opt_in_is_ever_messaged(
    engine: Engine, fake: FakeSlackAPI, population: list[tuple[bool, str, int]], start: int
) -> None:
    _reset(engine)
    fake.clear()
    opted = set()
    for n, (enabled, frequency, days) in enumerate(population):
        slack_id = f"U0POP{n:03d}"
        person = light_user(
            engine,
            slack_id,
            tz=["Europe/London", "Asia/Tokyo", "America/Los_Angeles"][n % 3],
            days=days,
        )
        if enabled:
            change_tips(engine, person, now=FRIDAY, enabled=True, frequency=frequency)
            opted.add(slack_id)
        elif n % 2:
            change_tips(engine, person, now=FRIDAY, enabled=True)
            change_tips(engine, person, now=FRIDAY, enabled=False)  # opted in, then out
    now = FRIDAY + dt.timedelta(days=start)
    for _ in range(20):  # ten days of planning and sending, twice a day
        plan(engine, now)
        deliver_due(engine, client(fake), now=now)
        now += dt.timedelta(hours=12)
    sent = set(tips_sent_to(fake))
    assert sent <= opted
    with open_session(engine) as session:
        for message in queries.outbox_messages(session):
            assert message.channel in opted
            if message.state == OutboxState.SENT.value and message.sent_at:
                assert message.sent_at.weekday() in {1, 2, 3} or message.kind != "tip"
