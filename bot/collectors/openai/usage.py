"""OpenAI completions usage read into Uptake's columns: days, buckets, users and Codex."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from openai.types.admin.organization.organization_user import OrganizationUser

from bot.collectors.base import MalformedReport, VendorRecord

USAGE_PATH = "/organization/usage/completions"
# Daily buckets per request: the API's maximum for `bucket_width=1d`.
MAX_WINDOW_DAYS = 31


def is_codex(model: str | None) -> bool:
    """True for a Codex model (gpt-5-codex, codex-mini-latest, ...)."""
    return model is not None and "codex" in model.lower()


@dataclass(frozen=True, slots=True)
class Usage:
    """One user's counters for one day."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    # Requests to Codex models (a model name holding "codex"): Codex run on the API.
    codex_requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.requests + other.requests,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.codex_requests + other.codex_requests,
        )


def windows(days: Sequence[dt.date]) -> Iterator[list[dt.date]]:
    """Runs of consecutive days, at most `MAX_WINDOW_DAYS` long, oldest first."""
    window: list[dt.date] = []
    for day in sorted(set(days)):
        if window and (len(window) == MAX_WINDOW_DAYS or day - window[-1] != dt.timedelta(days=1)):
            yield window
            window = []
        window.append(day)
    if window:
        yield window


def midnight(day: dt.date) -> int:
    """Unix seconds at the start of `day`, UTC."""
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


def bucket_day(start_time: int, end_time: int) -> dt.date:
    """The UTC day a bucket belongs to: the one its start falls in (even when not midnight)."""
    if end_time <= start_time:
        raise MalformedReport(f"openai: {USAGE_PATH} returned a bucket that ends as it starts")
    try:
        return dt.datetime.fromtimestamp(start_time, tz=dt.UTC).date()
    except (OverflowError, OSError, ValueError):
        raise MalformedReport(f"openai: {USAGE_PATH} returned an impossible bucket time") from None


def check_no_gaps(window: list[dt.date], usage: Mapping[dt.date, object]) -> None:
    """A day missing before the last day returned is lost data, not a late report."""
    returned = [day for day in window if day in usage]
    if returned:
        missing = [day for day in window if day < returned[-1] and day not in usage]
        if missing:
            raise MalformedReport(f"openai: {USAGE_PATH} returned no bucket for {missing[0]}")


def linkable_email(user: OrganizationUser) -> str | None:
    """The user's email, lowercased, unless the user is a service account."""
    if user.is_service_account:
        return None
    address = user.email or (user.user.email if user.user is not None else None)
    if not address or "@" not in address:
        return None
    return address.strip().lower()


def record(user_id: str, counters: Usage, email_address: str | None) -> VendorRecord:
    used = counters.requests > 0
    return VendorRecord(
        external_id=user_id,
        email=email_address,
        metrics={
            "active": used,
            "interactions": counters.requests,
            "input_tokens": counters.input_tokens,
            "output_tokens": counters.output_tokens,
            # Codex on the API is a coding agent: its requests are the person's agent requests.
            "agent_requests": counters.codex_requests,
            "features": (["api"] if used else []) + (["codex"] if counters.codex_requests else []),
            "cost_cents": None,
            "cost_kind": None,
        },
    )
