"""`/aitips`, the tip buttons, the "Get tips" button and the Home tab settings."""

from __future__ import annotations

import datetime as dt
import json

from bot.blocks.common import blocks_to_text
from bot.blocks.ids import (
    GET_TIPS,
    HOME_TIPS_FREQUENCY,
    HOME_TIPS_ON,
    TIP_HELPFUL,
    TIP_NOT_FOR_ME,
)
from bot.tips.service import tip_settings
from storage import queries
from storage.engine import session as open_session
from storage.models import utcnow
from tests.blocks.limits import assert_within_slack_limits
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.handlers.conftest import RunningApp, now_ts
from tests.handlers.home.slack_home import click as home_click
from tests.handlers.home.slack_home import published


def light(app: RunningApp, slack_id: str = "U0ALICE") -> int:
    person = make_person(app.engine, slack_user_id=slack_id, tz="Europe/London")
    identity = make_identity(
        app.engine, tool="copilot", external_id=f"{slack_id}-gh", person_id=person
    )
    add_usage(
        app.engine,
        [
            usage_row(
                identity,
                "copilot",
                utcnow().date() - dt.timedelta(days=1),
                generations=30,
                acceptances=2,
            )
        ],
    )
    return person


def ask(app: RunningApp, text: str, user: str = "U0ALICE") -> str:
    body = app.fake.wait_for(app.command(text, user_id=user, command="/aitips")).body
    assert body["response_type"] == "ephemeral"
    assert_within_slack_limits(body["blocks"])
    return blocks_to_text(body["blocks"])


def test_tips_are_off_until_switched_on_and_settings_change(running_app: RunningApp) -> None:
    person = light(running_app)
    assert "Tips are *off*" in ask(running_app, "status")
    assert "Tips are *on*, weekly" in ask(running_app, "on")
    assert "fortnightly" in ask(running_app, "frequency fortnightly")
    assert "Snoozed until" in ask(running_app, "snooze 2w")
    assert "Tips are *off*" in ask(running_app, "off")
    assert not tip_settings(running_app.engine, person).enabled
    assert "/aitips on" in ask(running_app, "help")
    assert "didn't understand `snooze forever`" in ask(running_app, "snooze forever")


def test_now_sends_a_tip_with_buttons_that_work(running_app: RunningApp) -> None:
    person = light(running_app)
    assert "Sent you a tip" in ask(running_app, "now")
    post = running_app.fake.wait_for("chat.postMessage").body
    assert post["channel"] == "U0ALICE"
    buttons = next(b for b in post["blocks"] if b["type"] == "actions")["elements"]
    value = buttons[0]["value"]
    done = running_app.fake.wait_for(running_app.click(TIP_HELPFUL, value, user_id="U0ALICE"))
    assert "marked helpful" in blocks_to_text(done.body["blocks"])
    with open_session(running_app.engine) as session:
        [delivery] = queries.tip_history(session, person)
    assert delivery.feedback == "helpful"
    # someone else cannot rate it
    other = running_app.fake.wait_for(running_app.click(TIP_NOT_FOR_ME, value, user_id="U0BOB"))
    assert "not valid" in blocks_to_text(other.body["blocks"])
    with open_session(running_app.engine) as session:
        assert queries.tip_history(session, person)[0].feedback == "helpful"


def test_myusage_offers_get_tips_to_light_people_who_have_not_opted_in(
    running_app: RunningApp,
) -> None:
    light(running_app)
    body = running_app.fake.wait_for(running_app.command("", user_id="U0ALICE")).body
    assert any(
        element["action_id"] == GET_TIPS
        for block in body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )
    running_app.fake.wait_for(running_app.click(GET_TIPS, "on", user_id="U0ALICE"))
    again = running_app.fake.wait_for(running_app.command("", user_id="U0ALICE")).body
    assert all(block["type"] != "actions" for block in again["blocks"])
    assert running_app.fake.calls("chat.postMessage") == []  # switching on sends nothing yet


def test_home_tab_shows_and_changes_tip_settings(running_app: RunningApp) -> None:
    person = light(running_app)
    event = {
        "type": "event_callback",
        "team_id": "T0TEST",
        "api_app_id": "A0UPTAKE",
        "event_id": "Ev1",
        "event_time": now_ts(),
        "event": {
            "type": "app_home_opened",
            "user": "U0ALICE",
            "channel": "D1",
            "tab": "home",
            "event_ts": f"{now_ts()}.1",
        },
    }
    running_app.post_signed(json.dumps(event).encode(), content_type="application/json")
    view = running_app.fake.wait_for("views.publish").body["view"]
    assert "Tips are *off*" in blocks_to_text(view["blocks"])
    since = home_click(running_app, HOME_TIPS_ON, "on", user_id="U0ALICE")
    view, _text = published(running_app, "U0ALICE", since)
    assert "Tips are *on*, weekly" in blocks_to_text(view["blocks"])
    assert_within_slack_limits(view["blocks"])
    assert tip_settings(running_app.engine, person).enabled
    select = next(
        element
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == HOME_TIPS_FREQUENCY
    )
    assert select["initial_option"]["value"] == "weekly"
