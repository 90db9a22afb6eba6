"""Uptake's configuration: one `Settings` object, read from the environment and validated once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class SettingsError(Exception):
    """A setting has a bad value; the message names the variable and is safe to print."""


class Settings(BaseSettings):
    """Every setting Uptake reads; `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = Field(default_factory=lambda: f"sqlite:///{Path.cwd() / 'uptake.db'}")
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = Field(default=3000, ge=1, le=65535)
    admin_user_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # A Slack user group (its handle, without @) whose members are admins too.
    admin_user_group: str | None = None
    min_group_size: int = Field(default=5, ge=2, le=1000)
    # ε of the noise on each released team count (docs/privacy.md): smaller hides more.
    disclosure_epsilon: float = Field(default=1.0, ge=0.1, le=5.0)
    retention_days: int = Field(default=400, ge=30, le=3650)
    team_sources: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["org_file", "slack", "github"]
    )
    tier_light_max_days: int = Field(default=5, ge=1, le=27)
    tier_regular_max_days: int = Field(default=14, ge=2, le=28)
    log_level: str = "INFO"
    # text for people; json for a log platform (one object a line).
    log_format: Literal["text", "json"] = "text"
    web_threads: int = Field(default=8, ge=1, le=256)
    # Threads answering slash commands, clicks and events after their ack, and how many more
    # may wait for one; beyond that a command is answered "busy" at once (bot/gateway/work_pool.py).
    work_threads: int = Field(default=16, ge=1, le=256)
    work_queue: int = Field(default=400, ge=0, le=100_000)
    # Largest request body /slack/events reads; bigger ones get 413 unread. Button clicks carry
    # the whole message or Home tab they came from (50-100 blocks of up to 3,000 characters).
    slack_max_body_bytes: int = Field(default=256 * 1024, ge=16 * 1024, le=16 * 1024 * 1024)
    # OTLP/HTTP metrics intake at POST /v1/metrics: one bearer token per sending source, as
    # comma-separated `source:token` pairs. None turns the intake off (404).
    otlp_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    # Largest OTLP request body read (after gzip, too); bigger ones get 413.
    otlp_max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=16 * 1024, le=64 * 1024 * 1024)
    # Port of the clock's Prometheus /metrics server; 0 turns it off.
    metrics_port: int = Field(default=9102, ge=0, le=65535)

    # Vendor usage APIs: a source with no credentials is off.
    github_token: SecretStr | None = None
    github_org: str | None = None
    github_enterprise: str | None = None
    github_api_url: str = "https://api.github.com"
    anthropic_admin_key: SecretStr | None = None
    anthropic_api_url: str = "https://api.anthropic.com"
    openai_admin_key: SecretStr | None = None
    openai_admin_base_url: str = "https://api.openai.com/v1"
    cursor_api_key: SecretStr | None = None
    cursor_api_url: str = "https://api.cursor.com"
    # Also read Cursor's AI code tracking report (Enterprise): AI lines against other lines.
    cursor_ai_code_tracking: bool = False
    # Tip rewording through any OpenAI-compatible endpoint (optional; off without a key).
    openai_api_key: SecretStr | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "gpt-4.1-mini"
    openai_timeout_seconds: float = Field(default=4.0, gt=0, le=30)
    sync_interval_minutes: int = Field(default=60, ge=60, le=24 * 60)
    sync_backfill_days: int = Field(default=28, ge=1, le=365)
    vendor_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    vendor_retry_budget_seconds: float = Field(default=300.0, ge=0, le=3600)
    # The largest file `uptake import` reads; anything bigger is refused unread.
    import_max_bytes: int = Field(default=512 * 1024 * 1024, ge=1024, le=64 * 1024**3)

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "github_token",
        "github_org",
        "github_enterprise",
        "anthropic_admin_key",
        "openai_admin_key",
        "cursor_api_key",
        "openai_api_key",
        "admin_user_group",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with 'xoxb-'")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with 'xapp-'")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator(
        "github_api_url", "anthropic_api_url", "openai_admin_base_url", "cursor_api_url"
    )
    @classmethod
    def _vendor_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        if value.startswith("postgres://"):  # Heroku-style URLs
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("must be an sqlite:/// path or a postgresql:// URL")
        try:
            make_url(value)
        except (ArgumentError, ValueError):  # not shown: their text may hold the password
            raise ValueError(
                "is not a URL SQLAlchemy can read: check its user, host, port (a number) and name"
            ) from None
        return value

    @field_validator("admin_user_ids", "team_sources", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("otlp_tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("otlp_tokens")
    @classmethod
    def _tokens_have_sources(cls, value: list[SecretStr]) -> list[SecretStr]:
        sources: set[str] = set()
        for number, pair in enumerate(value, start=1):
            source, _, token = pair.get_secret_value().partition(":")
            if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", source) or len(token) < 16:
                # Which entry, never its text: it is a secret.
                raise ValueError(
                    f"entry {number} is not `source:token` with a lower-case source name and a "
                    "token of at least 16 characters"
                )
            if source in sources:
                raise ValueError(f"source {source!r} appears twice")
            sources.add(source)
        return value

    @field_validator("admin_user_ids")
    @classmethod
    def _ids_look_like_slack(cls, value: list[str]) -> list[str]:
        for user_id in value:
            if user_id[:1] not in {"U", "W"} or not user_id.isalnum():
                raise ValueError(f"{user_id!r} is not a Slack user id such as U012AB3CD")
        return value

    @field_validator("team_sources")
    @classmethod
    def _known_team_sources(cls, value: list[str]) -> list[str]:
        unknown = set(value) - {"org_file", "slack", "github"}
        if unknown:
            raise ValueError(
                f"unknown team source(s) {sorted(unknown)}; use org_file, slack, github"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @model_validator(mode="after")
    def _github_scope(self) -> Settings:
        if self.github_token is not None and not (self.github_org or self.github_enterprise):
            raise ValueError("GITHUB_TOKEN needs GITHUB_ORG or GITHUB_ENTERPRISE")
        if self.github_org and self.github_enterprise:
            raise ValueError("set GITHUB_ORG or GITHUB_ENTERPRISE, not both")
        return self

    @model_validator(mode="after")
    def _tiers_ordered(self) -> Settings:
        if self.tier_regular_max_days <= self.tier_light_max_days:
            raise ValueError("TIER_REGULAR_MAX_DAYS must be greater than TIER_LIGHT_MAX_DAYS")
        return self

    @property
    def has_slack_credentials(self) -> bool:
        """True when the bot can talk to a real Slack workspace."""
        return self.slack_bot_token is not None and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )


def load_settings(**overrides: object) -> Settings:
    """Build `Settings` from the environment, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        name = "_".join(str(part) for part in error["loc"]).upper()
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{name}: {message}" if name else message)
    return "Invalid setting " + "; ".join(problems)
