"""The door to /slack/events: what a request must be before Bolt sees it.

`SlackRequestGate.admit` checks, in order, answering each failure without reading further and
logging it without the request's content: well-formed Slack headers (401), a body within
`SLACK_MAX_BODY_BYTES` (413), a valid signature over the exact bytes (401), UTF-8 (400) and a
body Slack could have sent (400). `first_time` then records the accepted signature in the
database and refuses one already there (401): Slack's signature has no nonce, so an exact copy
verifies again for five minutes, and the database makes that hold across web processes.

Bolt gets the body parsed here: its own parser reads any form body containing the word
`payload` (a slash command typed in `#payload-team`, or `/myusage payload`) as an
interactivity payload, finds none and answers 404, which Slack shows as "dispatch_failed".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import BoltRequest
from slack_bolt.context import BoltContext
from slack_bolt.request.internals import build_context
from sqlalchemy.engine import Engine

from bot.gateway.replay import WINDOW_SECONDS, Refusal, ReplayChecks

logger = logging.getLogger(__name__)

#: Most form fields a Slack request has (a slash command has about fifteen).
MAX_FORM_FIELDS = 64

_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


__all__ = ["Refusal", "SlackRequestGate", "bolt_request", "parse_slack_body"]


class SlackRequestGate:
    """Checks requests to /slack/events and turns the accepted ones into Bolt requests."""

    def __init__(
        self,
        *,
        signing_secret: str,
        engine: Engine,
        max_body_bytes: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = signing_secret.encode()
        self._max_body_bytes = max_body_bytes
        self._clock = clock
        self._checks = ReplayChecks(engine, clock=clock)

    def close(self) -> None:
        """Decide the replay checks still queued, then stop their thread."""
        self._checks.close()

    def admit(self, environ: dict[str, Any]) -> BoltRequest | Refusal:
        """The request as Bolt should see it, or why it is refused."""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not _TIMESTAMP.fullmatch(timestamp):
            return Refusal(401, "missing or malformed X-Slack-Request-Timestamp")
        now = self._clock()
        if abs(now - int(timestamp)) > WINDOW_SECONDS:
            return Refusal(401, "timestamp outside the five-minute window")
        if not _SIGNATURE.fullmatch(signature):
            return Refusal(401, "missing or malformed X-Slack-Signature")
        length = environ.get("CONTENT_LENGTH") or "0"
        if not (length.isascii() and length.isdigit()):
            return Refusal(400, "malformed Content-Length")
        if int(length) > self._max_body_bytes:
            return Refusal(413, f"body over SLACK_MAX_BODY_BYTES ({self._max_body_bytes})")
        raw = environ["wsgi.input"].read(int(length)) if int(length) else b""
        expected = hmac.new(self._secret, b"v0:%s:%s" % (timestamp.encode(), raw), hashlib.sha256)
        if not hmac.compare_digest(f"v0={expected.hexdigest()}", signature):
            return Refusal(401, "signature does not match")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal(400, "body is not UTF-8")
        content_type = environ.get("CONTENT_TYPE", "")
        body = parse_slack_body(text, content_type)
        if body is None:
            return Refusal(400, "body is not a Slack request")
        try:
            return bolt_request(text, body, environ)
        except (KeyError, TypeError, AttributeError, ValueError):
            return Refusal(400, "body is not a Slack request")

    def first_time(self, request: BoltRequest) -> Future[Refusal | None]:
        """Record the request as accepted: its future is a refusal if it was seen before.

        Checks are recorded in batches on a thread of their own (bot/gateway/replay.py), so
        that a caller may stop waiting for a slow database (and ack Slack in time) while the
        verdict still comes.
        """
        signature = request.headers["x-slack-signature"][0]
        timestamp = int(request.headers["x-slack-request-timestamp"][0])
        return self._checks.check(signature, timestamp)


def parse_slack_body(text: str, content_type: str) -> dict[str, Any] | None:
    """The body as Slack encoded it: JSON events, a form, or a form whose `payload` is JSON."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    try:
        if media_type == "application/json":
            return _json_object(text)
        fields = dict(
            parse_qsl(
                text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS
            )
        )
    except (ValueError, RecursionError):
        return None
    if "payload" in fields:  # interactivity: the form's only field is the JSON payload
        return _json_object(fields["payload"]) if len(fields) == 1 else None
    return fields


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def bolt_request(text: str, body: dict[str, Any], environ: dict[str, Any]) -> BoltRequest:
    """A Bolt request for `text` whose body is the one parsed here, not Bolt's reading of it."""
    headers: dict[str, str | Sequence[str]] = {
        key[5:].lower().replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and isinstance(value, str)
    }
    headers["content-type"] = environ.get("CONTENT_TYPE", "")
    headers["content-length"] = environ.get("CONTENT_LENGTH", "")
    request = BoltRequest(body="", query=environ.get("QUERY_STRING", ""), headers=headers)
    # Bolt verifies the signature again over raw_body; its own parse of it is not used.
    request.raw_body = text
    request.body = body
    request.context = build_context(BoltContext({}), body)
    return request
