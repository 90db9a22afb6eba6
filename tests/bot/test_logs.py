"""Logs never carry tokens, credentials or email addresses."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import socket
import time
from collections.abc import Iterator, Sequence
from urllib.error import URLError
from urllib.parse import urlencode

import pytest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.app import create_app
from bot.logs import RedactingFilter, configure_logging, redact
from storage.engine import make_engine
from tests.conftest import make_settings
from tests.fakes.signing import sign_slack_request
from tests.fakes.slack_api import FakeSlackAPI


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


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Leave the root logger and the libraries' floors as the test found them."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    for name in ("slack_sdk", "slack_bolt", "urllib3", "httpx", "httpcore", "openai", "alembic"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def _fail_with(message: str) -> None:
    raise RuntimeError(message)


def test_exceptions_and_stacks_are_scrubbed(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    logger = logging.getLogger("uptake.test.exceptions")
    try:
        _fail_with("no user for ada@example.com with xoxb-1-2-secret")
    except RuntimeError:
        logger.exception("lookup failed", stack_info=True)
    err = capsys.readouterr().err
    assert "Traceback" in err and "_fail_with" in err and "Stack (most recent call last)" in err
    assert "ada@example.com" not in err and "xoxb-1-2-secret" not in err
    assert "RuntimeError: no user for [email] with [secret]" in err


def test_filter_scrubs_the_traceback_for_any_formatter() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("uptake.test.filter-exceptions")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            _fail_with("grace@example.com")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert "grace@example.com" not in stream.getvalue()
    assert "RuntimeError: [email]" in stream.getvalue()


def test_long_texts_are_clipped_and_scrubbed_in_linear_time() -> None:
    started = time.perf_counter()
    redact("a" * 65_536)
    assert time.perf_counter() - started < 0.5  # the old email pattern took seconds
    started = time.perf_counter()
    for text in ("a" * 32_768, "https://a" * 3_600, "a." * 16_384 + "@b", "a@" * 16_384):
        redact(text, limit=10**6)  # unclipped: the patterns themselves are linear
    assert time.perf_counter() - started < 1
    line = redact("a" * 65_536 + " mailed ada@example.com")
    assert len(line) < 9_000 and "characters not logged" in line
    assert "ada@example.com" not in line and line.endswith("mailed [email]")
    # A word cut in two at the clip is dropped, not kept as half an address or token.
    cut = redact("x " + "ada@example.com" * 1_000)
    assert "@" not in cut and "example" not in cut


@pytest.mark.parametrize(
    "encoded",
    ["ada%40example.com", "ada%2540example.com", "ada%2Bai%40example.com", "xoxb%2D1%2D2-x"],
)
def test_url_encoded_emails_and_tokens_are_scrubbed(encoded: str) -> None:
    line = redact(f"POST /lookup body=email%3D{encoded}&next=1")
    assert "ada" not in line and "example" not in line and "xoxb" not in line


def test_text_without_secrets_keeps_its_escapes() -> None:
    assert redact("path /a%20b ok") == "path /a%20b ok"


SIGNING_SECRET = "right-secret"


def dispatch_signed(body: str, signed_with: str) -> BoltResponse:
    """Hand `body`, signed with `signed_with`, to an app whose secret is SIGNING_SECRET."""
    with FakeSlackAPI() as fake:
        settings = make_settings(
            slack_bot_token="xoxb-test-token",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake.url,
        )
        app = create_app(settings, engine=make_engine("sqlite://"))
        headers: dict[str, str | Sequence[str]] = {**sign_slack_request(signed_with, body.encode())}
        return app.dispatch(BoltRequest(body=body, headers=headers))


def test_bolt_never_logs_a_refused_request_body(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "command=%2Fmyusage&text=ask+Grace+about+the+merger&user_id=U1"
    configure_logging("DEBUG")
    response = dispatch_signed(body, "wrong")
    assert response.status == 401
    err = capsys.readouterr().err
    assert "Invalid request signature detected" in err
    assert "merger" not in err and "Grace" not in err and "myusage" not in err


def test_json_lines_carry_fields_and_scrubbed_exceptions(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    logger = logging.getLogger("uptake.test.json")
    logger.info("sent to %s", "ada@example.com", extra={"request_id": "req-1"})
    try:
        _fail_with("token xoxb-1-2-secret refused for grace@example.com")
    except RuntimeError:
        logger.exception("digest failed", extra={"job_id": "digests"})
    lines = capsys.readouterr().err.strip().splitlines()
    first, second = (json.loads(line) for line in lines)
    assert list(first)[:4] == ["timestamp", "level", "logger", "message"]
    assert first["level"] == "INFO" and first["logger"] == "uptake.test.json"
    assert first["message"] == "sent to [email]" and first["request_id"] == "req-1"
    assert dt.datetime.fromisoformat(first["timestamp"]).tzinfo is not None
    assert second["level"] == "ERROR" and second["job_id"] == "digests"
    assert "RuntimeError: token [secret] refused for [email]" in second["exc_info"]
    assert "xoxb-1-2-secret" not in lines[1] and "grace@" not in lines[1]


def test_slack_retries_are_logged_at_debug_only(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"  # nothing listens there
    retry = ConnectionErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0)
    )
    client = WebClient(token="xoxb-1-2", base_url=closed, retry_handlers=[retry])
    said = {}
    for level in ("INFO", "DEBUG"):
        configure_logging(level)
        with pytest.raises(URLError):
            client.auth_test()
        said[level] = capsys.readouterr().err
    assert said["INFO"] == ""  # the caller says it once, naming the setting
    attempts = said["DEBUG"].count("DEBUG slack_sdk.web.base_client Failed to send a request")
    assert attempts == 2 and "Going to retry the same request" in said["DEBUG"]
    assert "ERROR" not in said["DEBUG"]


UNHANDLED = [
    # Someone typing into a select menu whose options no listener serves.
    {
        "type": "block_suggestion",
        "action_id": "nobody_serves_this",
        "block_id": "b1",
        "value": "ask Grace about the merger",
        "user": {"id": "U0GRACE", "name": "grace.hopper"},
        "team": {"id": "T0TEST"},
        "api_app_id": "A0UPTAKE",
    },
    # A legacy dialog submitted: its fields are what the person typed.
    {
        "type": "dialog_submission",
        "callback_id": "old_dialog",
        "submission": {"note": "ask Grace about the merger"},
        "user": {"id": "U0GRACE", "name": "grace.hopper"},
        "team": {"id": "T0TEST"},
    },
]


@pytest.mark.parametrize("payload", UNHANDLED, ids=lambda p: p["type"])
def test_an_unhandled_request_is_logged_without_its_content(
    root_logging: None, capsys: pytest.CaptureFixture[str], payload: dict[str, object]
) -> None:
    body = urlencode({"payload": json.dumps(payload)})
    configure_logging("DEBUG")
    response = dispatch_signed(body, SIGNING_SECRET)
    assert response.status == 404
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "nhandled request" in line]
    assert len(said) == 1, err
    assert payload["type"] in said[0]
    assert str(payload.get("action_id") or payload.get("callback_id")) in said[0]
    for content in ("merger", "Grace", "grace", "U0GRACE"):
        assert content not in err
