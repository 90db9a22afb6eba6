"""Attacks on the privacy rules: the app over HTTP with one admin, and the fake Slack server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.blocks.common import blocks_to_text
from storage.models import AuditEntry
from tests.blocks.limits import assert_within_slack_limits
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
def app(fake_slack: FakeSlackAPI, engine: Engine, database_url: str) -> Iterator[RunningApp]:
    """The Uptake web app served over HTTP, with `ADMIN` as its one admin."""
    settings = make_settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        admin_user_ids=[ADMIN],
    )
    server = start_web_app(settings, engine)
    with httpx.Client(timeout=10) as http:
        yield RunningApp(server.base_url, fake_slack, engine, settings, http)
    server.stop()


def ask(app: RunningApp, text: str, user_id: str, command: str = "/myusage") -> str:
    """A slash command's ephemeral answer, as plain text."""
    body = app.fake.wait_for(app.command(text, user_id=user_id, command=command)).body
    assert body["response_type"] == "ephemeral"
    assert_within_slack_limits(body["blocks"])
    return blocks_to_text(body["blocks"])


def audit_log(engine: Engine) -> list[tuple[str, str | None, int | None, dict[str, object]]]:
    """Every audit entry as (action, actor, subject, detail), oldest first."""
    with engine.connect() as connection:
        return [
            (action, actor, subject, detail)
            for action, actor, subject, detail in connection.execute(
                sa.select(
                    col(AuditEntry.action),
                    col(AuditEntry.actor_slack_user_id),
                    col(AuditEntry.subject_person_id),
                    col(AuditEntry.detail),
                ).order_by(col(AuditEntry.id))
            )
        ]
