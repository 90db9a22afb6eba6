"""HTTP mode over WSGI: Slack's requests at /slack/events, /healthz and Prometheus /metrics.

Requests to /slack/events pass `SlackRequestGate` (bot/gateway/gate.py) before Bolt sees
them: malformed, oversized, unsigned, undecodable and replayed requests are refused there.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any

from prometheus_client import CollectorRegistry, make_wsgi_app
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.gateway.gate import Refusal, SlackRequestGate
from bot.gateway.work_pool import ACKED_ALREADY, WorkPool
from bot.intake.otlp import METRICS_PATH as OTLP_PATH
from bot.intake.otlp import OtlpIntake
from bot.ops.metrics import process_registry, request_latency
from bot.settings import Settings
from storage.engine import ping

logger = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
_PATHS = frozenset({SLACK_PATH, HEALTH_PATH, METRICS_PATH, OTLP_PATH})

#: How long a request thread waits for the replay check before acking Slack regardless.
REPLAY_WAIT_SECONDS = 1.0

StartResponse = Callable[..., Any]
_STATUS = {
    400: "400 Bad Request",
    401: "401 Unauthorized",
    413: "413 Content Too Large",
    503: "503 Service Unavailable",
}


class UptakeWSGI:
    """Routes the paths Uptake serves; everything else is 404."""

    def __init__(
        self,
        app: App,
        engine: Engine,
        registry: CollectorRegistry | None = None,
        *,
        settings: Settings,
    ) -> None:
        if settings.slack_signing_secret is None:
            raise ValueError("SLACK_SIGNING_SECRET is required to answer Slack over HTTP")
        self._app = app
        self._gate = SlackRequestGate(
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            engine=engine,
            max_body_bytes=settings.slack_max_body_bytes,
        )
        self._engine = engine
        executor = getattr(app.listener_runner, "listener_executor", None)
        self._work_pool = executor if isinstance(executor, WorkPool) else None
        self.registry = registry or process_registry(engine)
        self._metrics = make_wsgi_app(self.registry)
        self._latency = request_latency(self.registry)
        self._otlp = OtlpIntake(engine, settings) if settings.otlp_tokens else None

    def close(self) -> None:
        """Finish the work already accepted (replay checks, then listeners) and stop its threads.

        Work runs on pools after the ack; closing them before the database engine is disposed
        means no listener opens a connection on an engine that is going away.
        """
        self._gate.close()
        executor = getattr(self._app.listener_runner, "listener_executor", None)
        if executor is not None:
            executor.shutdown(wait=True)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        # Unknown paths share one label, so a scanner cannot grow the series without bound.
        with self._latency.labels(path=path if path in _PATHS else "other").time():
            return self._route(path, environ, start_response)

    def _route(
        self, path: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if path == OTLP_PATH and self._otlp is not None:
            return self._otlp(environ, start_response)
        if path == METRICS_PATH:
            return self._metrics(environ, start_response)  # type: ignore[no-any-return]
        if path == SLACK_PATH and environ.get("REQUEST_METHOD") == "POST":
            return self._slack(environ, start_response)
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in {"GET", "HEAD"}:
            return self._health(start_response)
        return _json(start_response, "404 Not Found", {"error": "not found"})

    def _slack(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self._work_pool is None:
            return self._ack(environ, start_response, None)
        with self._work_pool.acking():
            return self._ack(environ, start_response, self._work_pool)

    def _ack(
        self, environ: dict[str, Any], start_response: StartResponse, pool: WorkPool | None
    ) -> Iterable[bytes]:
        admitted = self._gate.admit(environ)
        if isinstance(admitted, Refusal):
            return _refuse(start_response, admitted)
        verdict = self._gate.first_time(admitted)
        try:
            # Commands, clicks and events are acked empty before any work: if the database is
            # too slow to say whether this is a replay, ack now and decide when it answers.
            refusal = verdict.result(REPLAY_WAIT_SECONDS if _acked_empty(admitted) else None)
        except TimeoutError:
            verdict.add_done_callback(lambda done: self._dispatch_later(admitted, done))
            start_response("200 OK", [("Content-Length", "0")])
            return [b""]
        if refusal is not None:
            return _refuse(start_response, refusal)
        if pool is not None and _acked_empty(admitted) and pool.has_room():
            # The ack is all Slack waits for: Bolt's middleware and the listener run on the
            # pool, off the request thread (a full pool is Bolt's to answer "busy", below).
            admitted.context[ACKED_ALREADY] = True
            pool.submit_whole(self._dispatch_acked, admitted)
            start_response("200 OK", [("Content-Length", "0")])
            return [b""]
        with pool.answering() if pool is not None else contextlib.nullcontext():
            answer = self._app.dispatch(admitted)  # the answer is the listener's: wait for it
        response = WsgiHttpResponse(answer.status, answer.headers, answer.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def _dispatch_acked(self, request: BoltRequest) -> None:
        try:
            self._app.dispatch(request)  # its ack goes nowhere: Slack was answered already
        except Exception:  # Bolt reports listener errors itself; this is anything before them
            logger.exception("could not dispatch an acknowledged Slack request")

    def _dispatch_later(self, request: BoltRequest, verdict: Future[Refusal | None]) -> None:
        refusal = verdict.result()
        if refusal is not None:
            logger.info("refused a Slack request after acking it: %s", refusal.reason)
            return
        self._app.dispatch(request)  # its ack goes nowhere: Slack was answered already

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            ping(self._engine)
        except SQLAlchemyError as exc:
            logger.error("health check: database unavailable (%s)", type(exc).__name__)
            return _json(start_response, "503 Service Unavailable", {"database": "unavailable"})
        return _json(start_response, "200 OK", {"database": "ok"})


def _acked_empty(request: BoltRequest) -> bool:
    """Whether Uptake's answer to this request is an empty 200 whatever the listener does."""
    body = request.body
    return "command" in body or body.get("type") in {"block_actions", "event_callback"}


def _refuse(start_response: StartResponse, refusal: Refusal) -> list[bytes]:
    # Why, never what: the body may hold people's names, messages and emails.
    logger.info("refused a Slack request (%d): %s", refusal.status, refusal.reason)
    return _json(start_response, _STATUS[refusal.status], {"error": refusal.reason})


def _json(start_response: StartResponse, status: str, body: dict[str, str]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]
