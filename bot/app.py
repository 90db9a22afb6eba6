"""The app factory: builds the Bolt `App`. Nothing here runs at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient
from sqlalchemy.engine import Engine

from bot.digests.writer import narrative_writer_for
from bot.gateway.work_pool import WorkPool, ack_first
from bot.logs import request_summary
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
    # Listeners run on a bounded pool; `ack_first` acks on the request thread
    # (bot/gateway/work_pool.py).
    work = WorkPool(settings.work_threads, settings.work_queue)
    app = App(
        client=client or make_client(settings),
        signing_secret=signing_secret.get_secret_value() if signing_secret else None,
        request_verification_enabled=signing_secret is not None,
        logger=logging.getLogger("uptake.bolt"),
        listener_executor=work,
        # Bolt's own warning quotes the body (what people typed); `report_error` says less.
        raise_error_for_unhandled_request=True,
    )
    app.use(ack_first(work))
    register_all(app, services)
    app.error(error_reporter(settings))
    return app


def error_reporter(settings: Settings) -> Callable[..., BoltResponse | None]:
    """The `@app.error` handler: log the failure, and tell the person if Slack really asked.

    It replies only to a request that verifiably came from Slack (Socket Mode, or a valid
    signature: an error may be the verification itself failing), and only to a `response_url`
    on Slack's own hosts, so a forged body can never make Uptake post anywhere.
    """
    secret = settings.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value()) if secret else None
    reply_hosts = _reply_hosts(settings.slack_api_url)

    def report_error(
        error: Exception, request: BoltRequest, body: dict[str, Any], logger: logging.Logger
    ) -> BoltResponse | None:
        """Log the failure and tell the person, privately, what happened and what to do."""
        if isinstance(error, BoltUnhandledRequestError):  # no listener for it: nothing failed
            logger.warning("unhandled request: %s", request_summary(body))
            return None
        logger.error(
            "listener failed: %s (%s)",
            type(error).__name__,
            str(body.get("command") or body.get("type") or "unknown")[:40],
            exc_info=error,
        )
        response_url = body.get("response_url")
        if not isinstance(response_url, str) or not _from_slack(request, verifier):
            return None
        if _origin(response_url) not in reply_hosts:
            logger.warning("no error reply: the response_url is not on a Slack host")
            return None
        try:
            WebhookClient(response_url, timeout=5).send(
                text=ERROR_TEXT, response_type="ephemeral", replace_original=False
            )
        except Exception:  # the error reply is best effort; the failure is already logged
            logger.warning("could not send the error reply", exc_info=True)
        return None

    return report_error


def _from_slack(request: BoltRequest, verifier: SignatureVerifier | None) -> bool:
    """True when the request came over Socket Mode or carries a valid Slack signature."""
    if request.mode == "socket_mode":
        return True
    timestamp = (request.headers.get("x-slack-request-timestamp") or [""])[0]
    signature = (request.headers.get("x-slack-signature") or [""])[0]
    if verifier is None or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    return verifier.is_valid(body=request.raw_body, timestamp=timestamp, signature=signature)


Origin = tuple[str, str, int]


def _origin(url: str) -> Origin | None:
    """(scheme, host, port) of `url`, None if it has no host or a bad port."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return (parts.scheme, parts.hostname, port) if parts.hostname else None


def _reply_hosts(api_url: str) -> frozenset[Origin]:
    """Where Slack's response_urls live: hooks.slack.com, and beside SLACK_API_URL."""
    hosts = {("https", "hooks.slack.com", 443)}
    api = _origin(api_url)
    if api is not None:  # GovSlack's are on hooks.slack-gov.com; tests' on the fake's host
        hosts |= {api, ("https", f"hooks.{api[1]}", 443)}
    return frozenset(hosts)
