"""HTTP mode over WSGI: Slack's requests at /slack/events, /healthz and Prometheus /metrics."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, make_wsgi_app
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.ops.metrics import process_registry, request_latency
from storage.engine import ping

logger = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
_PATHS = frozenset({SLACK_PATH, HEALTH_PATH, METRICS_PATH})

StartResponse = Callable[..., Any]


class UptakeWSGI:
    """Routes the paths Uptake serves; everything else is 404."""

    def __init__(self, app: App, engine: Engine, registry: CollectorRegistry | None = None) -> None:
        self._slack = SlackRequestHandler(app, path=SLACK_PATH)
        self._engine = engine
        self.registry = registry or process_registry(engine)
        self._metrics = make_wsgi_app(self.registry)
        self._latency = request_latency(self.registry)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        # Unknown paths share one label, so a scanner cannot grow the series without bound.
        with self._latency.labels(path=path if path in _PATHS else "other").time():
            return self._route(path, environ, start_response)

    def _route(
        self, path: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if path == METRICS_PATH:
            return self._metrics(environ, start_response)  # type: ignore[no-any-return]
        if path == SLACK_PATH:
            return self._slack(environ, start_response)
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in {"GET", "HEAD"}:
            return self._health(start_response)
        return _json(start_response, "404 Not Found", {"error": "not found"})

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            ping(self._engine)
        except SQLAlchemyError as exc:
            logger.error("health check: database unavailable (%s)", type(exc).__name__)
            return _json(start_response, "503 Service Unavailable", {"database": "unavailable"})
        return _json(start_response, "200 OK", {"database": "ok"})


def _json(start_response: StartResponse, status: str, body: dict[str, str]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]
