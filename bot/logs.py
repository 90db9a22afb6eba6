"""Logging set-up: one format, and secrets and emails scrubbed from every record."""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

# Slack tokens (xoxb-, xoxp-, xapp-, ...), bearer/basic credentials, vendor keys, emails.
_SECRET = re.compile(
    r"(xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|sk-[A-Za-z0-9_-]{8,}|key_[A-Za-z0-9]{8,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|(?i:bearer|basic)\s+[A-Za-z0-9._~+/=-]+)"
)
# Signed download links carry their credentials in the query string.
_URL_QUERY = re.compile(r"(https?://[^\s?\"'<>]+)\?[^\s\"'<>]*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

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


def redact(text: str) -> str:
    """Replace tokens, credentials and email addresses in `text`."""
    return _EMAIL.sub("[email]", _SECRET.sub("[secret]", _URL_QUERY.sub(r"\1?[query]", text)))


class RedactingFilter(logging.Filter):
    """Scrubs each record's final message, so no handler ever sees a secret or an email."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of each record."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(level: str) -> None:
    """Log to standard error at `level`, never below INFO for libraries that dump bodies."""
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    floor = max(logging.INFO, logging.getLevelName(level))
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING if name == "alembic" else floor)
