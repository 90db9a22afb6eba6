"""The fake Socket Mode server speaks Slack's protocol to slack_sdk's own client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.socket_mode import FakeSocketMode

APP_TOKEN = "xapp-1-A0UPTAKE-1-fake"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlackAPI, FakeSocketMode]]:
    with FakeSlackAPI() as api, FakeSocketMode(api) as slack:
        yield api, slack


def test_hello_then_envelopes_and_acks_with_slack_sdks_client(
    fakes: tuple[FakeSlackAPI, FakeSocketMode],
) -> None:
    api, slack = fakes
    received: list[dict[str, object]] = []
    client = SocketModeClient(APP_TOKEN, web_client=WebClient(base_url=api.url))
    client.on_message_listeners.append(lambda message: received.append(json.loads(message)))

    def answer(client: SocketModeClient, request: SocketModeRequest) -> None:
        payload = {"text": "pong"} if request.accepts_response_payload else None
        client.send_socket_mode_response(SocketModeResponse(request.envelope_id, payload))

    client.socket_mode_request_listeners.append(answer)  # type: ignore[arg-type]
    try:
        client.connect()
        slack.wait_connected()
        command = slack.slash_command({"command": "/myusage", "text": ""})
        event = slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})

        assert slack.wait_ack(command.envelope_id).payload == {"text": "pong"}
        assert slack.wait_ack(event.envelope_id).payload is None
    finally:
        client.close()
    assert received[0]["type"] == "hello" and received[0]["num_connections"] == 1
    assert api.calls("apps.connections.open")[0].token == APP_TOKEN


def test_tickets_are_one_use_and_need_an_app_token(
    fakes: tuple[FakeSlackAPI, FakeSocketMode],
) -> None:
    api, slack = fakes
    url = WebClient(base_url=api.url).apps_connections_open(app_token=APP_TOKEN)["url"]
    with connect(url) as first:
        assert json.loads(first.recv(timeout=5))["type"] == "hello"
    with pytest.raises(InvalidStatus) as refused:
        connect(url)
    assert refused.value.response.status_code == 401 and slack.refused == 1

    with pytest.raises(SlackApiError) as wrong_kind:
        WebClient(base_url=api.url).apps_connections_open(app_token="xoxb-1-bot")
    assert wrong_kind.value.response["error"] == "not_allowed_token_type"
