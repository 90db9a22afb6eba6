"""`/myusage`'s chart and tool details, end to end: signed requests over HTTP, the fake Slack.

The figures are answered first; the person's own chart follows in the same ephemeral message
(response_url, replace_original) once drawn and uploaded privately. The chart and the details
do not depend on the database, so these run on SQLite only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.blocks.common import blocks_to_text
from bot.blocks.ids import FORGET_CONFIRM, MYUSAGE_TOOL_DETAILS
from bot.personal.chart_lane import PersonalCharts
from bot.services import Services
from bot.settings import Settings
from storage.models import Person, SyncState, utcnow
from tests.blocks.limits import assert_within_slack_limits
from tests.factories import add_usage, make_identity, make_person, set_sync_state, usage_row
from tests.fakes.slack_api import FakeSlackAPI, SlackError
from tests.handlers.conftest import PAYLOADS, RunningApp, start_web_app

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ANSWER_BUDGET = 6
CHART_TIMEOUT = 20.0


@pytest.fixture
def charts() -> PersonalCharts:
    """The app's chart lane, with a short quiet period so tests do not wait long."""
    return PersonalCharts(quiet_seconds=0.05)


@pytest.fixture
def charted_app(
    fake_slack: FakeSlackAPI, engine: Engine, app_settings: Settings, charts: PersonalCharts
) -> Iterator[RunningApp]:
    """The web app, built with Services the test holds (to wait for the chart lane)."""
    services = Services(settings=app_settings, engine=engine, charts=charts)
    server = start_web_app(app_settings, engine, services)
    with httpx.Client(timeout=10) as http:
        yield RunningApp(server.base_url, fake_slack, engine, app_settings, http)
    server.stop()


def seed(
    engine: Engine, slack_user_id: str = "U0ALICE", *, tools: tuple[str, ...] = ("copilot",)
) -> None:
    """Ten active days up to today on each tool: 7 of 7 this week, 3 of 7 the week before."""
    person = make_person(engine, slack_user_id=slack_user_id, tz="UTC")
    today = utcnow().date()
    for tool in tools:
        identity = make_identity(
            engine, tool=tool, external_id=f"{slack_user_id}-{tool}", person_id=person
        )
        add_usage(
            engine,
            [
                usage_row(
                    identity,
                    tool,
                    today - dt.timedelta(days=d),
                    generations=20,
                    acceptances=5,
                    lines_accepted=9,
                )
                for d in range(10)
            ],
        )
    set_sync_state(engine, SyncState(source="copilot", last_success_at=utcnow()))


def answers(fake: FakeSlackAPI, path: str, count: int) -> list[dict[str, Any]]:
    """The first `count` posts to a response_url, waiting for them."""
    fake.wait_for(lambda r: len(fake.calls(path)) >= count, timeout=CHART_TIMEOUT)
    return [request.body for request in fake.calls(path)[:count]]


def images(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [block for block in blocks if block["type"] == "image"]


def test_the_chart_follows_the_figures_in_the_same_private_message(
    charted_app: RunningApp, charts: PersonalCharts
) -> None:
    seed(charted_app.engine)
    fake = charted_app.fake
    path = charted_app.command("")
    first, second = answers(fake, path, 2)

    # The figures come first, without waiting for the chart.
    assert first["replace_original"] is False and images(first["blocks"]) == []
    # Then the same message, replaced, with the chart inside it.
    assert second["response_type"] == "ephemeral" and second["replace_original"] is True
    assert_within_slack_limits(second["blocks"])
    assert len(second["blocks"]) <= ANSWER_BUDGET
    [image] = images(second["blocks"])
    file_id = image["slack_file"]["id"]
    # Only the 8-week sparkline gave way to the chart.
    before = blocks_to_text(first["blocks"]).split("\n")
    assert [line for line in before if not line.startswith("Last 8 weeks")] == blocks_to_text(
        second["blocks"]
    ).split("\n")

    # Uploaded privately: a PNG shared with no conversation.
    assert fake.uploaded_files[file_id].startswith(PNG_SIGNATURE)
    assert fake.completed_files[file_id]["channels"] == []
    complete = fake.calls("files.completeUploadExternal")[0].body
    assert "channel_id" not in complete and "channels" not in complete

    # Alt text states the figures: 12 weeks, the last two 3 and 7 of 7 days.
    alt = image["alt_text"]
    assert "last 12 weeks" in alt
    assert re.search(r", \d+ \w{3} 43 %, \d+ \w{3} 100 %\.$", alt), alt
    assert len(re.findall(r"\d+ %", alt)) == 12
    assert charts.idle(CHART_TIMEOUT)


def test_asking_again_shows_the_chart_at_once_without_drawing_it_again(
    charted_app: RunningApp, charts: PersonalCharts
) -> None:
    seed(charted_app.engine)
    fake = charted_app.fake
    _, completed = answers(fake, charted_app.command(""), 2)
    assert charts.idle(CHART_TIMEOUT)
    [first_image] = images(completed["blocks"])

    # Another window draws the same 12 weeks: the chart is in the first answer.
    path = charted_app.command("7d")
    again = fake.wait_for(path).body
    assert charts.idle(CHART_TIMEOUT)
    [image] = images(again["blocks"])
    assert image == first_image
    assert "last 7 days" in blocks_to_text(again["blocks"])
    assert len(fake.calls(path)) == 1
    assert len(fake.calls("files.getUploadURLExternal")) == 1


def test_a_failed_upload_leaves_the_figures_answered(
    charted_app: RunningApp, charts: PersonalCharts
) -> None:
    seed(charted_app.engine)
    fake = charted_app.fake
    fake.fail_next("files.getUploadURLExternal", SlackError("internal_error"))
    path = charted_app.command("")
    answer = fake.wait_for(path).body
    assert charts.idle(CHART_TIMEOUT)
    assert len(fake.calls(path)) == 1
    assert "Tier: regular" in blocks_to_text(answer["blocks"])


def test_forgetting_deletes_the_chart_file(charted_app: RunningApp, charts: PersonalCharts) -> None:
    seed(charted_app.engine)
    fake = charted_app.fake
    _, completed = answers(fake, charted_app.command(""), 2)
    assert charts.idle(CHART_TIMEOUT)
    [image] = images(completed["blocks"])

    fake.wait_for(charted_app.click(FORGET_CONFIRM, "confirm", user_id="U0ALICE"))
    deleted = fake.wait_for("files.delete").body
    assert deleted["file"] == image["slack_file"]["id"]
    assert image["slack_file"]["id"] not in fake.completed_files


def choose(app: RunningApp, value: str, *, user_id: str, from_home: bool = False) -> str:
    """Pick an option from the details menu (a real block_actions payload); its response path."""
    name = uuid.uuid4().hex
    payload = json.loads((PAYLOADS / "block_actions.bolt-python-test.json").read_text())
    payload["user"] = {"id": user_id, "username": "someone", "name": "someone", "team_id": "T0TEST"}
    payload["team"] = {"id": "T0TEST", "domain": "uptake-test"}
    if from_home:
        payload.pop("response_url", None)
        payload.pop("message", None)
        payload["container"] = {"type": "view", "view_id": "V0HOME"}
        payload["view"] = {"id": "V0HOME", "type": "home", "blocks": []}
    else:
        payload["response_url"] = app.fake.response_url(name)
    payload["actions"] = [
        {
            "action_id": MYUSAGE_TOOL_DETAILS,
            "block_id": "myusage-tools",
            "type": "overflow",
            "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value},
            "action_ts": "1700000000.1",
        }
    ]
    response = app.post_signed(urlencode({"payload": json.dumps(payload)}).encode())
    assert response.status_code == 200, response.text
    return f"/response/{name}"


def test_the_menu_opens_one_tools_details_privately(charted_app: RunningApp) -> None:
    seed(charted_app.engine, tools=("copilot", "cursor"))
    fake = charted_app.fake
    answer = fake.wait_for(charted_app.command("")).body
    menu = answer["blocks"][1]["accessory"]
    assert menu["type"] == "overflow"
    assert [option["value"] for option in menu["options"]] == ["copilot:28", "cursor:28"]

    detail = fake.wait_for(choose(charted_app, "cursor:28", user_id="U0ALICE")).body
    assert detail["response_type"] == "ephemeral" and detail["replace_original"] is False
    assert_within_slack_limits(detail["blocks"])
    assert [field["text"] for field in detail["blocks"][0]["fields"]] == [
        "*Active days*\n10 of 28",
        "*Acceptance rate*\n25% (50 of 200)",
        "*Lines accepted*\n90",
        "*Outcomes*\nnot reported",
    ]
    assert detail["blocks"][0]["text"]["text"] == "*Cursor*, last 28 days"


def test_the_details_are_only_ever_the_clickers_own(charted_app: RunningApp) -> None:
    seed(charted_app.engine)
    charted_app.fake.add_user("U0BOB", email="bob@example.com")
    detail = charted_app.fake.wait_for(choose(charted_app, "copilot:28", user_id="U0BOB")).body
    text = blocks_to_text(detail["blocks"])
    assert "haven't linked" in text and "25%" not in text


def test_a_forged_choice_gets_the_help_text(charted_app: RunningApp) -> None:
    seed(charted_app.engine)
    path = choose(charted_app, "copilot:30' or 1=1", user_id="U0ALICE")
    assert "/myusage 7d" in blocks_to_text(charted_app.fake.wait_for(path).body["blocks"])


def test_on_the_home_tab_the_details_open_in_a_modal(charted_app: RunningApp) -> None:
    seed(charted_app.engine)
    choose(charted_app, "copilot:7", user_id="U0ALICE", from_home=True)
    opened = charted_app.fake.wait_for("views.open").body
    view = opened["view"]
    assert view["type"] == "modal" and view["title"]["text"] == "Tool details"
    assert "*Active days*\n7 of 7" in [field["text"] for field in view["blocks"][0]["fields"]]


def test_no_chart_is_drawn_once_the_app_has_stopped(
    fake_slack: FakeSlackAPI, engine: Engine, app_settings: Settings
) -> None:
    charts = PersonalCharts(quiet_seconds=60)  # the app stops long before it would draw
    seed(engine)
    services = Services(settings=app_settings, engine=engine, charts=charts)
    server = start_web_app(app_settings, engine, services)
    try:
        with httpx.Client(timeout=10) as http:
            app = RunningApp(server.base_url, fake_slack, engine, app_settings, http)
            fake_slack.wait_for(app.command(""))
    finally:
        server.stop()
    assert charts.idle(5), "the chart waited on after the answering pool closed"
    assert fake_slack.calls("files.getUploadURLExternal") == []


def test_a_chart_slack_is_still_processing_is_shown_on_the_second_try(
    charted_app: RunningApp, charts: PersonalCharts
) -> None:
    seed(charted_app.engine)
    fake = charted_app.fake
    fake.unready_file_posts = 1
    path = charted_app.command("")
    first, refused, shown = answers(fake, path, 3)
    assert charts.idle(CHART_TIMEOUT)
    assert images(first["blocks"]) == []
    assert refused["blocks"] == shown["blocks"] and shown["replace_original"] is True
    assert len(images(shown["blocks"])) == 1 and fake.unready_file_posts == 0
    assert len(fake.calls(path)) == 3


def test_a_light_four_tool_user_gets_at_most_six_blocks_with_chart_and_tips(
    charted_app: RunningApp, charts: PersonalCharts
) -> None:
    engine = charted_app.engine
    person = make_person(engine, slack_user_id="U0FOUR", tz="UTC")
    today = utcnow().date()
    for tool in ("copilot", "claude_code", "cursor", "openai"):
        identity = make_identity(engine, tool=tool, external_id=f"four-{tool}", person_id=person)
        if tool != "openai":  # linked, never used
            add_usage(
                engine,
                [
                    usage_row(identity, tool, today - dt.timedelta(days=d), interactions=4)
                    for d in (0, 9)
                ],
            )
    fake = charted_app.fake
    first, completed = answers(fake, charted_app.command("", user_id="U0FOUR"), 2)
    assert charts.idle(CHART_TIMEOUT)
    for answer in (first, completed):
        assert_within_slack_limits(answer["blocks"])
        assert len(answer["blocks"]) <= ANSWER_BUDGET
    assert [block["type"] for block in completed["blocks"]] == [
        "section", "section", "image", "context", "actions"
    ]  # fmt: skip
    text = blocks_to_text(completed["blocks"])
    assert "Tier: light" in text and "_Linked, not used in these 28 days: OpenAI_" in text
    assert "OpenAI ·" not in text and " 0 " not in text


def test_a_chart_queued_just_after_its_person_was_forgotten_is_not_uploaded(
    charted_app: RunningApp, charts: PersonalCharts
) -> None:
    seed(charted_app.engine)
    seed(charted_app.engine, "U0BOB")
    with Session(charted_app.engine) as session:
        alice = session.exec(select(Person).where(Person.slack_user_id == "U0ALICE")).one()
    # What `forget` tells the chart lane; here while no chart is being drawn, as when an answer
    # computed just before the forget queues its chart just after it.
    assert alice.id is not None
    charts.forget(alice.id)

    answers(charted_app.fake, charted_app.command(""), 1)
    bob = charted_app.command("", user_id="U0BOB")
    answers(charted_app.fake, bob, 2)  # Bob's chart came, so Alice's (queued first) is done

    assert charts.idle(CHART_TIMEOUT)
    assert len(charted_app.fake.calls("files.getUploadURLExternal")) == 1  # Bob's only
