"""Claude Code usage from Anthropic's Claude Code Analytics Admin API, one UTC day per call.

`GET /v1/organizations/usage_report/claude_code?starting_at=YYYY-MM-DD` returns one day only,
paged with `limit`/`page` and `has_more`/`next_page` (VENDOR-APIS.md §2a). Each row is an actor's
day on one terminal and customer type; rows of the same actor are summed into one record
(`report.py` reads them). Only usage counts are read: the report carries no prompts or code.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import metadata
from typing import Any

from bot.collectors.base import Collector, CollectorError, DayReport, MalformedReport, VendorRecord
from bot.collectors.claude_code.report import ActorDay, rows_of
from bot.collectors.http import VendorHTTP, decode_json, page_numbers
from bot.settings import Settings

logger = logging.getLogger(__name__)

REPORT_PATH = "/v1/organizations/usage_report/claude_code"
ANTHROPIC_VERSION = "2023-06-01"
# The documented maximum page size; fewer, larger pages keep a 65,000-person org quick.
PAGE_LIMIT = 1000
# "Data usually appears within 1 hour ... only data older than 1 hour is returned" (CC-GUIDE):
# a day counts as complete two hours after it ends, allowing for the "usually".
REPORT_LAG = dt.timedelta(hours=2)


def _user_agent() -> str:
    try:
        return f"uptake/{metadata.version('uptake')}"
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "uptake"


class ClaudeCodeCollector(Collector):
    """Daily Claude Code usage per user (by email) and per API key (by key name)."""

    source = "claude_code"
    tool = "claude_code"
    # The vendor documents no start date and "no specified deletion period".
    earliest_day = None
    history_days = None

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        if settings.anthropic_admin_key is None:
            raise CollectorError(f"{self.source}: ANTHROPIC_ADMIN_KEY is not set")
        self._http = VendorHTTP(
            self.source,
            settings.anthropic_api_url,
            headers={
                "x-api-key": settings.anthropic_admin_key.get_secret_value(),
                "anthropic-version": ANTHROPIC_VERSION,
                "User-Agent": _user_agent(),
                "Accept": "application/json",
            },
            timeout=settings.vendor_timeout_seconds,
            retry_budget=settings.vendor_retry_budget_seconds,
            sleep=sleep,
        )

    def latest_complete_day(self, now: dt.datetime) -> dt.date:
        """Yesterday (UTC), once the vendor's hour of lag after midnight has passed."""
        return (now.astimezone(dt.UTC) - REPORT_LAG).date() - dt.timedelta(days=1)

    def fetch(self, days: Sequence[dt.date]) -> Iterator[DayReport]:
        """Yield each day once every page of it has been read, oldest first."""
        for day in days:
            yield DayReport(day=day, records=self._fetch_day(day))

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    # -- one day -------------------------------------------------------------------------------

    def _fetch_day(self, day: dt.date) -> list[VendorRecord]:
        totals: dict[str, ActorDay] = {}
        cursor: str | None = None
        seen: set[str] = set()
        for page_number in page_numbers(self.source, f"usage report for {day}", self.max_pages):
            params: dict[str, str | int] = {"starting_at": day.isoformat(), "limit": PAGE_LIMIT}
            if cursor is not None:
                params["page"] = cursor
            page = self._get_page(params)
            for row in rows_of(page, self.source, day, page_number):
                actor = totals.setdefault(row.external_id, ActorDay(email=row.email))
                actor.add(row)
            has_more = page.get("has_more")
            if not isinstance(has_more, bool):
                raise MalformedReport(
                    f"{self.source}: usage report for {day} has no boolean 'has_more'"
                )
            if not has_more:
                return [actor.record(external_id) for external_id, actor in sorted(totals.items())]
            cursor = page.get("next_page")
            if not isinstance(cursor, str) or not cursor:
                raise MalformedReport(
                    f"{self.source}: usage report for {day} says has_more but gives no next_page"
                )
            if cursor in seen:
                raise MalformedReport(
                    f"{self.source}: usage report for {day} repeated a page cursor"
                )
            seen.add(cursor)
        raise AssertionError("unreachable: page_numbers raises past its cap")  # pragma: no cover

    def _get_page(self, params: Mapping[str, str | int]) -> dict[str, Any]:
        response = self._http.request("GET", REPORT_PATH, params=dict(params))
        if response.status_code >= 400:
            # VendorHTTP hands back 403/404/410; Anthropic sends 403 for a key that is not an
            # Admin key (or lacks access). Only the error *type* is kept: messages are free text.
            kind = _error_type(response.content)
            detail = f" ({kind})" if kind else ""
            hint = (
                ": the key must be an Admin API key of an organisation with Claude Code analytics"
                if response.status_code == 403
                else ""
            )
            raise CollectorError(
                f"{self.source}: HTTP {response.status_code}{detail} on {REPORT_PATH}{hint}"
            )
        body = decode_json(self.source, response, REPORT_PATH)
        if not isinstance(body, dict):
            raise MalformedReport(f"{self.source}: usage report page is not a JSON object")
        return body


def _error_type(content: bytes) -> str | None:
    """The `error.type` of an Anthropic error body, if it has one."""
    try:
        body = json.loads(content)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    return kind[:60] if isinstance(kind, str) else None
