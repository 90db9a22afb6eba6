"""Logs never carry tokens, credentials or email addresses."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import RedactingFilter, configure_logging, redact


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234-5678-abcdef",
        "xapp-1-A0-123-abc",
        "Bearer abc.def-ghi",
        "Basic a2V5X2FiYzo=",
        "sk-proj-abcdefghijkl",
        "key_0123456789abcdef",
        "Ada.Lovelace+ai@example.co.uk",
        "ghp_abcdefghijklmnopqrstuvwx",
        "github_pat_11ABCDEFG0123456789_abcdefghij",
    ],
)
def test_redact_removes_secrets_and_emails(secret: str) -> None:
    assert secret not in redact(f"calling with {secret} now")
    assert secret not in redact(f"GET https://blob.example.net/r.json?{secret} 200")
    assert redact("nothing to hide: U012AB3CD, 28d") == "nothing to hide: U012AB3CD, 28d"


def test_signed_url_query_strings_are_removed() -> None:
    line = redact("HTTP Request: GET https://blob.example.net/r.json?sig=Zm9v&se=2026 200")
    assert "sig=" not in line and "https://blob.example.net/r.json?[query]" in line


def test_filter_scrubs_formatted_arguments() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("uptake.test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token %s for %s", "xoxb-9-9-secret", "ada@example.com")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "xoxb-9-9-secret" not in output and "ada@example.com" not in output
    assert "token [secret] for [email]" in output


def test_debug_level_keeps_body_dumping_libraries_at_info(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("DEBUG")
        configure_logging("DEBUG")  # configuring twice does not double the output
        assert root.level == logging.DEBUG
        assert logging.getLogger("slack_sdk").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("slack_bolt").getEffectiveLevel() == logging.INFO
        logging.getLogger("uptake.test").info("linked %s", "ada@example.com")
        err = capsys.readouterr().err
        assert err.count("linked [email]") == 1
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name in ("slack_sdk", "slack_bolt", "urllib3", "httpx", "httpcore", "openai"):
            logging.getLogger(name).setLevel(logging.NOTSET)
