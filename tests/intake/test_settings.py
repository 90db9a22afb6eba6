"""OTLP_TOKENS: `source:token` pairs, checked at start-up without ever echoing a token."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from tests.conftest import make_settings


def test_tokens_are_read_as_source_token_pairs() -> None:
    settings = make_settings(otlp_tokens="claude:aaaaaaaaaaaaaaaa1, gemini:bbbbbbbbbbbbbbbb2")
    assert [t.get_secret_value() for t in settings.otlp_tokens] == [
        "claude:aaaaaaaaaaaaaaaa1",
        "gemini:bbbbbbbbbbbbbbbb2",
    ]
    assert "aaaa" not in repr(settings)


@pytest.mark.parametrize(
    "value",
    [
        "tooshort-secret",
        "claude:short",
        "Claude:aaaaaaaaaaaaaaaaaaaa",
        "a:xxxxxxxxxxxxxxxxx,a:yyyyyyyyyyyyyyyyy",
    ],
)
def test_a_bad_entry_fails_fast_without_showing_the_token(value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, database_url="sqlite://", otlp_tokens=value)
    message = str(raised.value)
    assert message.startswith("Invalid setting OTLP_TOKENS: ")
    for secret in ("xxxxxxxx", "aaaaaaaa", "short", "tooshort"):
        assert secret not in message


def test_no_tokens_means_no_intake() -> None:
    assert make_settings().otlp_tokens == []
