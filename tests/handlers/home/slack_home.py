"""Signed Home tab traffic for tests: the tab opening, clicks on it, and modal submissions.

Every payload starts from one of Slack's own examples (tests/fixtures/slack/payloads) with
the test's values put in, and goes over HTTP to the running app.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy.engine import Engine

from bot.blocks.common import blocks_to_text
from bot.services import Services
from tests.blocks.limits import assert_view_within_slack_limits
from tests.conftest import make_settings
from tests.fakes.slack_api import FakeSlackAPI, RecordedRequest
from tests.handlers.conftest import PAYLOADS, SIGNING_SECRET, RunningApp, now_ts, start_web_app

ADMIN = "U0ADMIN"


def home_app(
    fake_slack: FakeSlackAPI, engine: Engine, database_url: str, **services: Any
) -> Iterator[RunningApp]:
    """The web app with an admin configured (and, optionally, a fixed clock)."""
    settings = make_settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        admin_user_ids=[ADMIN],
    )
    server = start_web_app(settings, engine, Services(settings=settings, engine=engine, **services))
    with httpx.Client(timeout=10) as http:
        yield RunningApp(server.base_url, fake_slack, engine, settings, http)
    server.stop()


def _after(app: RunningApp, api_method: str, since: int, user_id: str | None = None) -> Any:
    def matches(request: RecordedRequest) -> bool:
        return (
            request.api_method == api_method
            and app.fake.requests.index(request) >= since
            and (user_id is None or request.body.get("user_id") == user_id)
        )

    matches.__name__ = f"{api_method} after request {since}"
    return matches


def published(app: RunningApp, user_id: str, since: int) -> tuple[dict[str, Any], str]:
    """The next Home view published for `user_id` after request number `since`, checked
    against Slack's limits, and its text."""
    view = app.fake.wait_for(_after(app, "views.publish", since, user_id)).body["view"]
    assert_view_within_slack_limits(view)
    return view, blocks_to_text(view["blocks"])


def open_home(app: RunningApp, user_id: str) -> tuple[dict[str, Any], str]:
    """Open the Home tab (a signed `app_home_opened` event) and return what was published."""
    since = len(app.fake.requests)
    event = {
        "type": "event_callback",
        "team_id": "T0TEST",
        "api_app_id": "A0UPTAKE",
        "event_id": f"Ev{uuid.uuid4().hex[:10]}",
        "event_time": now_ts(),
        "event": {
            "type": "app_home_opened",
            "user": user_id,
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": f"{now_ts()}.{uuid.uuid4().int % 1000000:06d}",
        },
    }
    response = app.post_signed(json.dumps(event).encode(), content_type="application/json")
    assert response.status_code == 200, response.text
    return published(app, user_id, since)


def click(
    app: RunningApp,
    action_id: str,
    value: str,
    *,
    user_id: str,
    window: str = "28d",
    selected: bool = False,
) -> int:
    """Click a button (or choose an option) on the Home tab; the request count before it."""
    since = len(app.fake.requests)
    payload = json.loads((PAYLOADS / "block_actions.bolt-python-test.json").read_text())
    payload.pop("response_url", None)  # clicks in a Home tab carry none
    payload.pop("message", None)
    payload["user"] = {"id": user_id, "username": "someone", "name": "someone", "team_id": "T0TEST"}
    payload["team"] = {"id": "T0TEST", "domain": "uptake-test"}
    payload["trigger_id"] = f"1.{uuid.uuid4().hex}"
    payload["container"] = {"type": "view", "view_id": "V0HOME"}
    payload["view"] = {
        "id": "V0HOME",
        "type": "home",
        "blocks": [],
        "private_metadata": window,
        "callback_id": "",
    }
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": "b",
        "type": "button",
        "action_ts": "1700000000.1",
    }
    if selected:
        action |= {"type": "static_select", "selected_option": option(value)}
    else:
        action |= {"value": value, "text": {"type": "plain_text", "text": "Button"}}
    payload["actions"] = [action]
    response = app.post_signed(urlencode({"payload": json.dumps(payload)}).encode())
    assert response.status_code == 200, response.text
    return since


def option(value: str) -> dict[str, Any]:
    """A chosen option as Slack sends it back."""
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def submit(
    app: RunningApp,
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user_id: str,
    private_metadata: str = "",
) -> tuple[dict[str, Any], int]:
    """Submit a modal (a signed `view_submission`, Slack's own payload shape); the JSON the app
    acknowledged with (empty when it simply closed the modal), and the request count before."""
    since = len(app.fake.requests)
    path = PAYLOADS / "java-slack-sdk-samples" / "ViewSubmissionPayload.json"
    if not path.exists():
        pytest.fail(f"Slack payload examples are missing: {path}", pytrace=False)
    payload = json.loads(path.read_text())
    for key in ("enterprise", "function_data", "interactivity", "bot_access_token"):
        payload.pop(key, None)
    payload["team"] = {"id": "T0TEST", "domain": "uptake-test"}
    payload["user"] = {"id": user_id, "username": "someone", "name": "someone", "team_id": "T0TEST"}
    payload["api_app_id"] = "A0UPTAKE"
    payload["trigger_id"] = f"1.{uuid.uuid4().hex}"
    payload["view"] |= {
        "id": "V0MODAL",
        "team_id": "T0TEST",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "state": {"values": values},
        "title": {"type": "plain_text", "text": "Uptake", "emoji": True},
        "root_view_id": "V0MODAL",
        "previous_view_id": None,
        "app_id": "A0UPTAKE",
    }
    response = app.post_signed(urlencode({"payload": json.dumps(payload)}).encode())
    assert response.status_code == 200, response.text
    return (response.json() if response.content.strip() else {}), since


def filled_modal(app: RunningApp, since: int) -> dict[str, Any]:
    """The modal a click opened (views.open), as it was filled in (views.update) if it was."""
    opened = app.fake.wait_for(_after(app, "views.open", since)).body["view"]
    assert_view_within_slack_limits(opened)
    if opened.get("callback_id"):
        return dict(opened)
    view = app.fake.wait_for(_after(app, "views.update", since)).body["view"]
    assert_view_within_slack_limits(view)
    return dict(view)
