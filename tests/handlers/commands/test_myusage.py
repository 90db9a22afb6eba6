"""`/myusage` end to end: signed requests over HTTP, answers on the fake Slack server."""

from __future__ import annotations

import datetime as dt
import threading
import time
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.blocks.common import blocks_to_text
from storage.models import Identity, Person, SyncState, utcnow
from tests.blocks.limits import assert_within_slack_limits
from tests.factories import add_usage, make_identity, make_person, set_sync_state, usage_row
from tests.fakes.slack_api import FakeSlackAPI, SlackError
from tests.handlers.conftest import RunningApp, slash_command_fields, start_web_app

#: Blocks in a `/myusage` answer at most (headline, tools, chart, footer, tips button).
ANSWER_BUDGET = 6


def answer_text(request_body: dict) -> str:  # type: ignore[type-arg]
    return blocks_to_text(request_body["blocks"])


def after_startup(fake: FakeSlackAPI) -> list[object]:
    """Requests other than the app's start-up token check."""
    return [r for r in fake.requests if r.api_method != "auth.test"]


def seed_alice(engine: Engine, *, days: int = 10) -> int:
    person = make_person(engine, slack_user_id="U0ALICE", tz="Europe/London")
    identity = make_identity(engine, tool="copilot", external_id="alice-gh", person_id=person)
    today = utcnow().date()
    add_usage(
        engine,
        [
            usage_row(
                identity,
                "copilot",
                today - dt.timedelta(days=d),
                generations=20,
                acceptances=5,
                lines_accepted=9,
                features=["code_completion"],
            )
            for d in range(days)
        ],
    )
    set_sync_state(engine, SyncState(source="copilot", last_success_at=utcnow()))
    return person


def test_myusage_answers_privately_with_the_callers_figures(running_app: RunningApp) -> None:
    seed_alice(running_app.engine)
    path = running_app.command("")
    answer = running_app.fake.wait_for(path).body

    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False
    assert_within_slack_limits(answer["blocks"])
    assert len(answer["blocks"]) <= ANSWER_BUDGET
    text = answer_text(answer)
    assert "last 28 days" in text
    assert "*What landed:* 90 lines accepted" in text
    assert "Tier: regular* — active on 10 of the last 28 days" in text
    assert "*GitHub Copilot* · 10 days · accepted 25% (50 of 200) · 90 lines" in text
    assert "Freshness — GitHub Copilot: synced within the hour" in text


def test_window_argument_changes_the_window(running_app: RunningApp) -> None:
    seed_alice(running_app.engine)
    answer = running_app.fake.wait_for(running_app.command("7d")).body
    text = answer_text(answer)
    assert "last 7 days" in text and "7 of 7 days in this window" in text


def test_help_and_unknown_input_get_the_help_text(running_app: RunningApp) -> None:
    helped = running_app.fake.wait_for(running_app.command("help")).body
    confused = running_app.fake.wait_for(running_app.command("30d please")).body
    assert "/myusage 7d" in answer_text(helped)
    assert "didn't understand `30d please`" in answer_text(confused)
    assert "/myusage 7d" in answer_text(confused)
    assert confused["response_type"] == "ephemeral"
    # help needs no database or Slack lookups
    assert running_app.fake.calls("users.info") == []


def test_first_time_user_is_registered_and_linked_by_verified_email(
    running_app: RunningApp,
) -> None:
    engine = running_app.engine
    running_app.fake.add_user("U0NEW", email="New.Person@example.com", tz="America/New_York")
    cursor = make_identity(engine, tool="cursor", external_id="new.person@example.com")
    add_usage(
        engine,
        [usage_row(cursor, "cursor", utcnow().date() - dt.timedelta(days=1), interactions=12)],
    )

    answer = running_app.fake.wait_for(running_app.command("", user_id="U0NEW")).body

    assert "Cursor" in answer_text(answer)
    with engine.connect() as connection:
        tz, person_id = connection.execute(
            sa.select(Person.tz, Person.id).where(Person.slack_user_id == "U0NEW")
        ).one()
        linked = connection.execute(
            sa.select(Identity.person_id, Identity.link_method).where(Identity.id == cursor)
        ).one()
    assert tz == "America/New_York"
    assert tuple(linked) == (person_id, "email")


def test_person_without_linked_accounts_is_told_how_linking_works(
    running_app: RunningApp,
) -> None:
    running_app.fake.add_user("U0LONE", email="lone@example.com")
    answer = running_app.fake.wait_for(running_app.command("", user_id="U0LONE")).body
    text = answer_text(answer)
    assert "haven't linked any AI tool accounts" in text
    assert "GitHub Copilot" in text


def test_users_info_failure_still_answers(running_app: RunningApp) -> None:
    running_app.fake.fail_next("users.info", SlackError("missing_scope"))
    answer = running_app.fake.wait_for(running_app.command("", user_id="U0SCOPE")).body
    assert "haven't linked" in answer_text(answer)


def test_nobody_sees_someone_elses_usage(running_app: RunningApp) -> None:
    seed_alice(running_app.engine)
    running_app.fake.add_user("U0BOB", email="bob@example.com")
    answer = running_app.fake.wait_for(running_app.command("", user_id="U0BOB")).body
    text = answer_text(answer)
    assert "haven't linked" in text
    assert "25%" not in text


def test_forged_signature_is_rejected_and_nothing_runs(running_app: RunningApp) -> None:
    fields = slash_command_fields(
        command="/myusage", response_url=running_app.fake.response_url("x")
    )
    response = running_app.post_signed(urlencode(fields).encode(), secret="not-the-secret")
    assert response.status_code == 401
    time.sleep(0.3)  # give a wrongly-started listener the chance to show itself
    assert after_startup(running_app.fake) == []


def test_stale_timestamp_is_rejected(running_app: RunningApp) -> None:
    fields = slash_command_fields(
        command="/myusage", response_url=running_app.fake.response_url("x")
    )
    stale = int(time.time()) - 6 * 60
    response = running_app.post_signed(urlencode(fields).encode(), timestamp=stale)
    assert response.status_code == 401
    time.sleep(0.3)
    assert after_startup(running_app.fake) == []


def test_acks_before_touching_a_slow_database(
    fake_slack: FakeSlackAPI, engine: Engine, app_settings
) -> None:  # type: ignore[no-untyped-def]
    """The HTTP reply (the ack) arrives while the database is still blocked."""
    seed_alice(engine)
    release = threading.Event()
    entered = threading.Event()

    def blocked(*_args: object) -> None:
        entered.set()
        release.wait(10)

    sa.event.listen(engine, "before_cursor_execute", blocked)
    server = start_web_app(app_settings, engine)
    try:
        with httpx.Client(timeout=10) as http:
            running = RunningApp(server.base_url, fake_slack, engine, app_settings, http)
            path = running.command("")  # asserts HTTP 200 came back
            assert entered.wait(5), "the listener never reached the database"
            assert fake_slack.calls(path) == []  # answered Slack, still waiting on the DB
            release.set()
            answer = fake_slack.wait_for(path).body
            assert "Tier:" in answer_text(answer)
    finally:
        release.set()
        sa.event.remove(engine, "before_cursor_execute", blocked)
        server.stop()


def test_a_failure_is_reported_to_the_user_privately(running_app: RunningApp) -> None:
    seed_alice(running_app.engine)
    with running_app.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE sync_state RENAME TO sync_state_gone"))
    try:
        answer = running_app.fake.wait_for(running_app.command("")).body
        assert answer["response_type"] == "ephemeral"
        assert "something went wrong" in answer["text"]
    finally:
        with running_app.engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE sync_state_gone RENAME TO sync_state"))
