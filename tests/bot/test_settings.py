"""Settings: defaults, validation with one clear line, and secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_SLACK_API_URL, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout; tests/conftest.py clears the env


def test_defaults_need_no_configuration(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'uptake.db'}"
    assert settings.slack_api_url == DEFAULT_SLACK_API_URL
    assert (settings.min_group_size, settings.retention_days, settings.port) == (5, 400, 3000)
    assert not settings.has_slack_credentials


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db:5432/uptake")
    monkeypatch.setenv("ADMIN_USER_IDS", "U01ABC, W02DEF ,")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("MIN_GROUP_SIZE", "7")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://u@db:5432/uptake"
    assert settings.admin_user_ids == ["U01ABC", "W02DEF"]
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.min_group_size == 7


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("RETENTION_DAYS=90\n")
    assert load_settings().retention_days == 90


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MIN_GROUP_SIZE", "five", "MIN_GROUP_SIZE"),
        ("MIN_GROUP_SIZE", "1", "MIN_GROUP_SIZE"),
        ("RETENTION_DAYS", "-3", "RETENTION_DAYS"),
        ("PORT", "70000", "PORT"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN"),
        ("SLACK_APP_TOKEN", "xoxb-wrong", "SLACK_APP_TOKEN"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL"),
        ("ADMIN_USER_IDS", "U1,not-an-id", "ADMIN_USER_IDS"),
        ("TIER_LIGHT_MAX_DAYS", "20", "TIER_REGULAR_MAX_DAYS"),
    ],
)
def test_bad_values_fail_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_secrets_never_appear_in_repr_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-super-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "shh-signing")
    settings = load_settings()
    assert "super-secret" not in repr(settings) and "shh-signing" not in repr(settings)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-also-secret")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "also-secret" not in str(caught.value)


def test_blank_tokens_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "  ")
    assert load_settings().slack_bot_token is None


def test_github_needs_an_org_or_an_enterprise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    with pytest.raises(SettingsError, match="GITHUB_ORG or GITHUB_ENTERPRISE"):
        load_settings()
    monkeypatch.setenv("GITHUB_ORG", "acme")
    monkeypatch.setenv("GITHUB_ENTERPRISE", "acme-ent")
    with pytest.raises(SettingsError, match="not both"):
        load_settings()
    monkeypatch.delenv("GITHUB_ENTERPRISE")
    assert load_settings().github_org == "acme"


def test_env_example_documents_every_setting() -> None:
    from bot.settings import Settings

    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    documented = {
        line.split("=", 1)[0]
        for line in example.splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert documented == {name.upper() for name in Settings.model_fields}
