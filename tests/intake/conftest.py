"""The web app served with the OTLP intake on, for a real OpenTelemetry exporter to send to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine

from bot.settings import Settings
from tests.conftest import make_settings
from tests.fakes.slack_api import FakeSlackAPI
from tests.handlers.conftest import SIGNING_SECRET, start_web_app
from tests.handlers.conftest import fake_slack as fake_slack  # noqa: PLC0414  (a fixture)

TOKEN = "claude-token-0123456789abcdef"
GEMINI_TOKEN = "gemini-token-0123456789abcdef"
MAX_BODY = 64 * 1024


@dataclass
class Intake:
    """Where the running app takes OTLP metrics, and its database."""

    url: str
    engine: Engine
    settings: Settings


@pytest.fixture
def intake(fake_slack: FakeSlackAPI, engine: Engine, database_url: str) -> Iterator[Intake]:
    """The Uptake web app over HTTP with OTLP_TOKENS set."""
    settings = make_settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        otlp_tokens=f"claude:{TOKEN},gemini:{GEMINI_TOKEN}",
        otlp_max_body_bytes=MAX_BODY,
    )
    server = start_web_app(settings, engine)
    yield Intake(f"{server.base_url}/v1/metrics", engine, settings)
    server.stop()
