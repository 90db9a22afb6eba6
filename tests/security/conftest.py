"""A web app with an admin, and a second fake that stands in for an attacker's server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from bot.settings import Settings
from tests.conftest import make_settings
from tests.fakes.slack_api import FakeSlackAPI
from tests.handlers.conftest import SIGNING_SECRET, RunningApp, start_web_app

ADMIN = "U0ADMIN"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackAPI]:
    """The fake Slack Web API server."""
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def attacker() -> Iterator[FakeSlackAPI]:
    """Somewhere a forged body would like Uptake to post to (it records every request)."""
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def admin_settings(fake_slack: FakeSlackAPI, database_url: str) -> Settings:
    """Settings with one admin, pointing at the fake Slack server."""
    return make_settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        admin_user_ids=[ADMIN],
    )


@pytest.fixture
def web(fake_slack: FakeSlackAPI, engine: Engine, admin_settings: Settings) -> Iterator[RunningApp]:
    """The Uptake web app served over HTTP, with one admin."""
    server = start_web_app(admin_settings, engine)
    with httpx.Client(timeout=10) as http:
        yield RunningApp(server.base_url, fake_slack, engine, admin_settings, http)
    server.stop()
