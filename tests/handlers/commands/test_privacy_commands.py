"""`/myusage privacy`, `export` and `forget` over HTTP."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from bot.blocks.common import blocks_to_text
from bot.blocks.ids import FORGET_CANCEL, FORGET_CONFIRM
from storage.models import AuditEntry, DailyUsage, Identity, Person, utcnow
from tests.blocks.limits import assert_within_slack_limits
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.handlers.conftest import RunningApp


def seed(app: RunningApp) -> int:
    person = make_person(app.engine, slack_user_id="U0ALICE", email="alice@example.com")
    identity = make_identity(
        app.engine, tool="cursor", external_id="alice@example.com", person_id=person
    )
    add_usage(
        app.engine,
        [usage_row(identity, "cursor", utcnow().date() - dt.timedelta(days=d)) for d in range(3)],
    )
    return person


def answer(app: RunningApp, text: str) -> dict:  # type: ignore[type-arg]
    body = app.fake.wait_for(app.command(text, user_id="U0ALICE")).body
    assert body["response_type"] == "ephemeral"
    assert_within_slack_limits(body["blocks"])
    return body


def test_privacy_shows_what_is_stored_who_sees_what_and_the_audit_log(
    running_app: RunningApp,
) -> None:
    person = seed(running_app)
    with running_app.engine.begin() as connection:
        connection.execute(
            sa.insert(AuditEntry).values(
                at=utcnow(),
                actor_slack_user_id="U0ADMIN",
                action="identity.mapped",
                subject_person_id=person,
                detail={},
            )
        )
    text = blocks_to_text(answer(running_app, "privacy")["blocks"])
    assert "1 linked tool account(s)" in text and "3 daily usage row(s)" in text
    assert "groups of at least 5" in text or "at least 5" in text
    assert "400 days" in text
    assert "an admin linked an account to you (<@U0ADMIN>)" in text


def test_export_sends_everything_as_a_file_in_a_dm(running_app: RunningApp) -> None:
    seed(running_app)
    text = blocks_to_text(answer(running_app, "export")["blocks"])
    assert "JSON file in our direct messages" in text
    complete = running_app.fake.wait_for("files.completeUploadExternal").body
    assert complete["channel_id"] == "DU0ALICE"
    [content] = running_app.fake.uploaded_files.values()
    document = json.loads(content)
    assert document["schema"] == "uptake.personal-data.v1"
    assert len(document["daily_usage"]) == 3
    with running_app.engine.connect() as connection:
        actions = connection.execute(sa.select(AuditEntry.action)).scalars().all()
    assert actions == ["person.exported"]


def test_forget_asks_first_then_deletes_only_the_clickers_data(running_app: RunningApp) -> None:
    seed(running_app)
    bob = make_person(running_app.engine, slack_user_id="U0BOB")
    bobs = make_identity(running_app.engine, tool="copilot", external_id="bob", person_id=bob)
    add_usage(running_app.engine, [usage_row(bobs, "copilot", utcnow().date())])

    asked = answer(running_app, "forget")
    buttons = next(b for b in asked["blocks"] if b["type"] == "actions")["elements"]
    assert {b["action_id"] for b in buttons} == {FORGET_CONFIRM, FORGET_CANCEL}
    assert "confirm" in buttons[0]

    kept = running_app.fake.wait_for(running_app.click(FORGET_CANCEL, "cancel", user_id="U0ALICE"))
    assert "Nothing was deleted" in blocks_to_text(kept.body["blocks"])
    with running_app.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one() == 2

    done = running_app.fake.wait_for(running_app.click(FORGET_CONFIRM, "forget", user_id="U0ALICE"))
    assert "deleted everything" in blocks_to_text(done.body["blocks"])
    with running_app.engine.connect() as connection:
        people = connection.execute(sa.select(Person.slack_user_id)).scalars().all()
        identities = connection.execute(sa.select(Identity.external_id)).scalars().all()
        usage = connection.execute(sa.select(sa.func.count()).select_from(DailyUsage)).scalar_one()
    assert people == ["U0BOB"] and identities == ["bob"] and usage == 1
