"""The app factory: builds the Bolt `App`. Nothing here runs at import time."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient
from sqlalchemy.engine import Engine

from bot.digests.writer import narrative_writer_for
from bot.services import Services
from bot.settings import Settings
from bot.tips.writer import tip_writer_for
from handlers import register_all
from storage.engine import make_engine

logger = logging.getLogger(__name__)

ERROR_TEXT = (
    "Sorry, something went wrong on Uptake's side and your request did not finish. "
    "Please try again in a minute; if it keeps happening, tell your Uptake admin."
)


def make_client(settings: Settings) -> WebClient:
    """A Web API client for `SLACK_API_URL` that retries rate limits and dropped connections."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def create_app(
    settings: Settings,
    *,
    client: WebClient | None = None,
    engine: Engine | None = None,
    llm: Any | None = None,
    services: Services | None = None,
) -> App:
    """Build the Bolt app with every listener registered.

    Requests are signature-checked whenever a signing secret is configured (HTTP mode);
    Socket Mode needs none.
    """
    if settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is required to run the Slack app")
    if services is None:
        services = Services(
            settings=settings,
            engine=engine or make_engine(settings.database_url),
            llm=llm if llm is not None else tip_writer_for(settings),
            narrator=narrative_writer_for(settings),
        )
    signing_secret = settings.slack_signing_secret
    app = App(
        client=client or make_client(settings),
        signing_secret=signing_secret.get_secret_value() if signing_secret else None,
        request_verification_enabled=signing_secret is not None,
        logger=logging.getLogger("uptake.bolt"),
    )
    register_all(app, services)
    app.error(_report_error)
    return app


def _report_error(
    error: Exception, body: dict[str, Any], logger: logging.Logger
) -> BoltResponse | None:
    """Log the failure and tell the person, privately, what happened and what to do."""
    logger.error(
        "listener failed: %s (%s)",
        type(error).__name__,
        body.get("command") or body.get("type") or "unknown",
        exc_info=error,
    )
    response_url = body.get("response_url")
    if response_url:
        try:
            WebhookClient(response_url, timeout=5).send(
                text=ERROR_TEXT, response_type="ephemeral", replace_original=False
            )
        except Exception:  # the error reply is best effort; the failure is already logged
            logger.warning("could not send the error reply", exc_info=True)
    return None
