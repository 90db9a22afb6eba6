"""A running Uptake web app (waitress on a free port) talking to the fake Slack Web API."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from sqlalchemy.engine import Engine
from waitress import wasyncore
from waitress.server import create_server

from bot.app import create_app
from bot.gateway.wsgi import UptakeWSGI
from bot.services import Services
from bot.settings import Settings
from tests.conftest import make_settings
from tests.fakes.signing import sign_slack_request
from tests.fakes.slack_api import FakeSlackAPI

SIGNING_SECRET = "test-signing-secret"
PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "slack" / "payloads"


def slash_command_fields(**overrides: str) -> dict[str, str]:
    """The field set of a real slash command request (Slack's own example), with overrides."""
    source = PAYLOADS / "slash_command.bolt-python-test.form.txt"
    if not source.exists():
        pytest.fail(f"Slack payload examples are missing: {source}", pytrace=False)
    fields = dict(parse_qsl(source.read_text().strip()))
    fields.update(overrides)
    return fields


@dataclass
class RunningApp:
    """The web app under test and the fakes around it."""

    base_url: str
    fake: FakeSlackAPI
    engine: Engine
    settings: Settings
    http: httpx.Client
    sent: list[str] = field(default_factory=list)

    def post_signed(
        self,
        body: bytes,
        *,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> httpx.Response:
        """POST a body to /slack/events signed as Slack would sign it."""
        headers = {**sign_slack_request(secret, body, timestamp), "Content-Type": content_type}
        return self.http.post(f"{self.base_url}/slack/events", content=body, headers=headers)

    def command(
        self,
        text: str = "",
        *,
        user_id: str = "U0ALICE",
        command: str = "/myusage",
        **kwargs: Any,
    ) -> str:
        """Send a slash command and return the response_url path Slack would be answered on."""
        name = uuid.uuid4().hex
        fields = slash_command_fields(
            command=command,
            text=text,
            user_id=user_id,
            team_id="T0TEST",
            response_url=self.fake.response_url(name),
        )
        response = self.post_signed(urlencode(fields).encode(), **kwargs)
        assert response.status_code == 200, response.text
        return f"/response/{name}"

    def click(self, action_id: str, value: str, *, user_id: str) -> str:
        """Click a button (a real block_actions payload); return the response_url path."""
        name = uuid.uuid4().hex
        payload = json.loads((PAYLOADS / "block_actions.bolt-python-test.json").read_text())
        payload["user"] = {
            "id": user_id,
            "username": "someone",
            "name": "someone",
            "team_id": "T0TEST",
        }
        payload["team"] = {"id": "T0TEST", "domain": "uptake-test"}
        payload["response_url"] = self.fake.response_url(name)
        payload["actions"] = [
            {
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "type": "button",
                "text": {"type": "plain_text", "text": "Button"},
                "action_ts": "1700000000.1",
            }
        ]
        body = urlencode({"payload": json.dumps(payload)}).encode()
        response = self.post_signed(body)
        assert response.status_code == 200, response.text
        return f"/response/{name}"


class BackgroundServer:
    """waitress serving a WSGI app on a free loopback port, stopped from its own thread.

    Closing a waitress server from another thread races its select loop, so the loop here
    runs in short steps and closes everything itself when asked to stop.
    """

    def __init__(self, wsgi: Any) -> None:
        self.wsgi = wsgi
        self.server = create_server(wsgi, host="127.0.0.1", port=0, threads=4)
        self.base_url = f"http://127.0.0.1:{self.server.effective_port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="web-app", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        socket_map = self.server._map
        while not self._stop.is_set():
            wasyncore.loop(timeout=0.05, map=socket_map, use_poll=True, count=1)
        self.server.close()
        for channel in list(socket_map.values()):
            channel.close()
        self.server.task_dispatcher.shutdown()

    def stop(self) -> None:
        """Stop serving, wait for the loop, then for the work the app already accepted."""
        self._stop.set()
        self._thread.join(timeout=10)
        close = getattr(self.wsgi, "close", None)
        if close is not None:
            close()


def start_web_app(
    settings: Settings, engine: Engine, services: Services | None = None
) -> BackgroundServer:
    """Serve Uptake's WSGI app in the background."""
    app = create_app(settings, engine=engine, services=services)
    return BackgroundServer(UptakeWSGI(app, engine, settings=settings))


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackAPI]:
    """The fake Slack Web API server."""
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def app_settings(fake_slack: FakeSlackAPI, database_url: str) -> Settings:
    """Settings pointing the app at the fake Slack server."""
    return make_settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
    )


@pytest.fixture
def running_app(
    fake_slack: FakeSlackAPI, engine: Engine, app_settings: Settings
) -> Iterator[RunningApp]:
    """The Uptake web app served over HTTP."""
    server = start_web_app(app_settings, engine)
    with httpx.Client(timeout=10) as http:
        yield RunningApp(server.base_url, fake_slack, engine, app_settings, http)
    server.stop()


def now_ts() -> int:
    """The current Unix time, as Slack puts in request timestamps."""
    return int(time.time())
