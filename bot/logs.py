"""Logging set-up: text or JSON lines, with secrets and emails scrubbed from every record.

Scrubbing covers the message, the exception and the stack of each record, and is linear in
the length of the text: patterns are bounded and very long texts are clipped first.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, Literal, TextIO
from urllib.parse import unquote

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]

#: Longest message kept; longer ones keep their start and end around a marker.
MAX_MESSAGE_CHARS = 8 * 1024
#: Longest traceback or stack kept (the end, with the exception itself, always survives).
MAX_TRACE_CHARS = 32 * 1024

# Slack tokens (xoxb-, xoxp-, xapp-, ...), bearer/basic credentials, vendor keys.
_SECRET = re.compile(
    r"(xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|sk-[A-Za-z0-9_-]{8,}|key_[A-Za-z0-9]{8,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|(?i:bearer|basic)\s+[A-Za-z0-9._~+/=-]+)"
)
# Signed download links carry their credentials in the query string. The bound keeps a long
# run of links without a query from being rescanned from each one (quadratic time).
_URL_QUERY = re.compile(r"(https?://[^\s?\"'<>]{1,2048})\?[^\s\"'<>]*")
# Bounded as RFC 5321 bounds an address; unbounded runs made this quadratic on long words.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
# What Slack's types, commands and ids are made of (action ids are Uptake's own).
_NOT_ID = re.compile(r"[^A-Za-z0-9_./:-]")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# Bolt logs the whole body of a request whose signature it refused, and of one a middleware
# dropped: people's names and messages. Everything after Bolt's opening words goes.
_BOLT_BODY = re.compile(
    r"(Invalid request signature detected|without providing a response for the request) \(.*",
    re.DOTALL,
)

# slack_sdk's words (web/base_client.py) for a failed attempt and the retry that follows.
_SLACK_RETRY_LINES = (
    "Failed to send a request to Slack API server",
    "A retry handler found",
    "Going to retry the same request",
)

#: Formats exceptions for the filter, which runs before the handler's own formatter.
_PLAIN = logging.Formatter()

# Libraries that log whole request and response bodies at DEBUG (which may hold emails).
_CHATTY = (
    "slack_sdk",
    "slack_bolt",
    "urllib3",
    "httpx",
    "httpcore",
    "httpx2",
    "httpcore2",
    "openai",
    "alembic",
)


def request_summary(body: Mapping[str, Any]) -> str:
    """What kind of Slack request `body` is, with its command, event or ids: none of its content.

    For log lines about a request: what a person typed, their name and every other field of
    the body stay out, as do characters an id never has.
    """
    kind = body.get("type") or ("slash_commands" if "command" in body else "request")
    event = body.get("event")
    actions = body.get("actions")
    view = body.get("view")
    first_action = actions[0] if isinstance(actions, list) and actions else None
    fields = {
        "command": body.get("command"),
        "event": event.get("type") if isinstance(event, Mapping) else None,
        "action_id": (
            first_action.get("action_id")
            if isinstance(first_action, Mapping)
            else body.get("action_id")
        ),
        "callback_id": (
            view.get("callback_id") if isinstance(view, Mapping) else body.get("callback_id")
        ),
    }
    said = [_id_text(kind)]
    said += [f"{name} {_id_text(value)}" for name, value in fields.items() if value]
    return ", ".join(said)


def _id_text(value: object) -> str:
    """`value` as an id fit to log: id characters only, at most 64 of them."""
    return _NOT_ID.sub("?", str(value)[:64])


def redact(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Replace tokens, credentials and email addresses in `text`, clipped to `limit` chars."""
    cleaned = _scrub(_clip(text, limit))
    if _PERCENT_ESCAPE.search(cleaned):
        # `ada%40example.com` in a logged URL or form body is still an email.
        decoded = cleaned
        for _ in range(3):  # double-encoded values too, but never loop on hostile input
            once = unquote(decoded)
            if once == decoded:
                break
            decoded = once
        scrubbed = _scrub(decoded)
        if scrubbed != decoded:
            return scrubbed
    return cleaned


def _scrub(text: str) -> str:
    text = _BOLT_BODY.sub(r"\1 ([request body not logged])", text)
    return _EMAIL.sub("[email]", _SECRET.sub("[secret]", _URL_QUERY.sub(r"\1?[query]", text)))


def _clip(text: str, limit: int) -> str:
    """`text` if short enough, else its start and end without the words cut in two."""
    if len(text) <= limit:
        return text
    head_words = text[: limit // 2].rsplit(None, 1)
    tail_words = text[-(limit // 2) :].split(None, 1)
    # A word cut in two could be half a token or an address the patterns no longer see.
    head = head_words[0] if len(head_words) == 2 else ""
    tail = tail_words[1] if len(tail_words) == 2 else ""
    cut = len(text) - len(head) - len(tail)
    return f"{head} …[{cut} characters not logged]… {tail}"


class RedactingFilter(logging.Filter):
    """Scrubs each record's message, exception and stack before any formatter sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse a cached exc_text rather than formatting the exception again.
            record.exc_text = _PLAIN.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, MAX_TRACE_CHARS)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, MAX_TRACE_CHARS)
        return True


class DropBoltTokenNotice(logging.Filter):
    """Drops Bolt's warning that the token will be unused, which every start would log."""

    # Bolt reads SLACK_BOT_TOKEN from the environment itself and warns that Uptake's client
    # (built with that same token) takes precedence: nothing for anyone to act on.

    def filter(self, record: logging.LogRecord) -> bool:
        if "slack_bolt" not in sys.modules:  # only Bolt says it; importing Bolt here costs a second
            return True
        from slack_bolt.logger.messages import (  # noqa: PLC0415
            warning_client_prioritized_and_token_skipped,
        )

        return bool(record.msg != warning_client_prioritized_and_token_skipped())


class SlackRetriesAtDebug(logging.Filter):
    """Logs slack_sdk's line for each failed attempt to reach Slack, and each retry, as DEBUG."""

    # Whoever called Slack reports the failure once retries run out (`uptake` in one line
    # naming SLACK_API_URL); three ERROR lines before it only bury it. LOG_LEVEL=DEBUG shows them.

    def filter(self, record: logging.LogRecord) -> bool:
        if not (
            record.name.startswith("slack_sdk.")
            and isinstance(record.msg, str)
            and record.msg.startswith(_SLACK_RETRY_LINES)
        ):
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger().isEnabledFor(logging.DEBUG)


class RedactingFormatter(logging.Formatter):
    """A text formatter whose every line is scrubbed, whichever handler it is lent to."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), MAX_MESSAGE_CHARS + MAX_TRACE_CHARS)


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object a line: timestamp, level, logger, message, extras, exc_info; scrubbed."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        ordered = {"timestamp": log_data.pop("timestamp"), **log_data}
        return {key: _redact_value(key, value) for key, value in ordered.items()}


def _redact_value(key: str, value: Any) -> Any:
    """A field's value with every string in it scrubbed; objects become scrubbed strings."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if key == "timestamp":
        return value  # a datetime the encoder writes as ISO 8601
    if isinstance(value, str):
        limit = MAX_TRACE_CHARS if key in {"exc_info", "stack_info"} else MAX_MESSAGE_CHARS
        return redact(value, limit)
    if isinstance(value, dict):
        return {str(k): _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(key, item) for item in value]
    return redact(str(value))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of each record."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(level: str, fmt: LogFormat = "text") -> None:
    """Log to standard error at `level`, never below INFO for libraries that dump bodies."""
    handler = _StderrHandler()
    handler.setFormatter(
        RedactingJsonFormatter()
        if fmt == "json"
        else RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    handler.addFilter(SlackRetriesAtDebug())
    handler.addFilter(RedactingFilter())
    handler.addFilter(DropBoltTokenNotice())
    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    floor = max(logging.INFO, logging.getLevelName(level))
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING if name == "alembic" else floor)
