"""Cursor: per-user daily usage and team members from the Admin API (Enterprise teams).

`POST /teams/daily-usage-data` answers one body for a date range of at most 30 days, with one
row per member and day, keyed by email. `GET /teams/members` lists every seat, so people with
a Cursor seat but no usage still appear. Both are limited to 20 requests a minute per team.

Outcomes: accepted agent edits and their lines (`totalAccepts`/`totalRejects`,
`acceptedLinesAdded`/`acceptedLinesDeleted`) and tab completions (`totalTabsShown`,
`totalTabsAccepted`). A count Cursor leaves out reads as 0 for usage and as "not reported"
for outcomes; a count that is there must be a whole number; fields nobody reads are ignored.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.collectors.base import (
    MAX_PAGES,
    Collector,
    CollectorError,
    DayReport,
    MalformedReport,
    VendorRecord,
)
from bot.collectors.cursor.ai_code import (
    AI_CODE_INTERVAL,
    AI_CODE_PAGE_SIZE,
    AI_CODE_PATH,
    CommitLines,
    read_page,
)
from bot.collectors.http import VendorHTTP, decode_json
from bot.settings import Settings
from storage import identities
from storage.engine import session as open_session

logger = logging.getLogger(__name__)

USAGE_PATH = "/teams/daily-usage-data"
MEMBERS_PATH = "/teams/members"

# The current docs cap one request at 30 days (older copies said 90; the lower one holds).
MAX_WINDOW_DAYS = 30
# 20 requests a minute per team: one every 3 seconds never trips the limit.
MIN_REQUEST_INTERVAL = 3.0
# Usage is aggregated hourly, so a day is only complete once its last hour has been rolled up.
AGGREGATION_LAG = dt.timedelta(hours=2)

_DAY_MS = 86_400_000
_EPOCH = dt.date(1970, 1, 1)
# DailyUsage count columns are 32-bit integers on PostgreSQL.
_MAX_COUNT = 2**31 - 1
# Identity.external_id and Identity.email hold at most 320 characters.
_MAX_EMAIL = 320

# The per-row counts Uptake reads; each, when present, must be a whole number >= 0.
_COUNTS = (
    "totalLinesAdded",
    "acceptedLinesAdded",
    "acceptedLinesDeleted",
    "totalRejects",
    "totalApplies",
    "totalAccepts",
    "totalTabsShown",
    "totalTabsAccepted",
    "composerRequests",
    "chatRequests",
    "agentRequests",
    "cmdkUsages",
    "bugbotUsages",
)
# Feature name -> the count that shows it was used that day.
_FEATURES = {
    "agent": "agentRequests",
    "apply": "totalApplies",
    "bugbot": "bugbotUsages",
    "chat": "chatRequests",
    "cmdk": "cmdkUsages",
    "composer": "composerRequests",
    "tab": "totalTabsShown",
}
# Outcome column -> the count it is.
_OUTCOMES = {
    "lines_added": "acceptedLinesAdded",
    "lines_removed": "acceptedLinesDeleted",
    "edits_accepted": "totalAccepts",
    "edits_rejected": "totalRejects",
    "tabs_shown": "totalTabsShown",
    "tabs_accepted": "totalTabsAccepted",
}


@dataclass(slots=True)
class _DayUsage:
    """One member's usage on one day, summed over the rows Cursor sent for them."""

    active: bool = False
    # None: Cursor did not report the count in any row.
    reported: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(_COUNTS))

    def add(self, active: bool, counts: Mapping[str, int | None]) -> None:
        self.active = self.active or active
        for name, value in counts.items():
            had = self.reported[name]
            self.reported[name] = had if value is None else value if had is None else had + value

    def metrics(self) -> dict[str, Any]:
        c = {name: value or 0 for name, value in self.reported.items()}
        metrics: dict[str, Any] = {
            "active": self.active,
            "interactions": c["composerRequests"]
            + c["chatRequests"]
            + c["agentRequests"]
            + c["cmdkUsages"]
            + c["bugbotUsages"],
            "generations": c["totalTabsShown"] + c["totalApplies"],
            "acceptances": c["totalTabsAccepted"] + c["totalAccepts"],
            "lines_suggested": c["totalLinesAdded"],
            "lines_accepted": c["acceptedLinesAdded"],
            "chat_requests": c["chatRequests"] + c["composerRequests"],
            "agent_requests": c["agentRequests"],
            # Spend comes from a separate, month-to-date endpoint; nothing per day.
            "cost_cents": None,
            "cost_kind": None,
            "features": sorted(name for name, count in _FEATURES.items() if c[count] > 0),
            **{column: self.reported[count] for column, count in _OUTCOMES.items()},
        }
        for name, value in metrics.items():
            if isinstance(value, int) and not isinstance(value, bool) and value > _MAX_COUNT:
                raise MalformedReport(f"cursor: {USAGE_PATH} reported an implausible {name} count")
        return metrics


class CursorCollector(Collector):
    """Daily usage per Cursor member (by email), and the team's member list."""

    source = "cursor"
    tool = "cursor"
    # Cursor answers a range in one body, about one row per member and day, with no paging:
    # aim for at most this many rows a response so that a large team's backfill fits in memory.
    rows_per_request = 50_000

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings.cursor_api_key is None:
            raise CollectorError("cursor: CURSOR_API_KEY is not set")
        self._sleep = sleep
        self._clock = clock
        self._last_request_at: float | None = None
        # The AI code tracking report (Enterprise): asked for only when switched on, and
        # dropped for the rest of the run once Cursor refuses it.
        self._ai_code = settings.cursor_ai_code_tracking
        self._last_ai_code_at: float | None = None
        # Rows a day is expected to hold: the member count once known, or the most seen.
        self._daily_rows = 0
        # Basic auth: the key is the username and the password is empty (`-u KEY:`).
        self._http = VendorHTTP(
            self.source,
            settings.cursor_api_url,
            headers={"Accept": "application/json"},
            auth=(settings.cursor_api_key.get_secret_value(), ""),
            timeout=settings.vendor_timeout_seconds,
            retry_budget=settings.vendor_retry_budget_seconds,
            sleep=sleep,
        )

    def latest_complete_day(self, now: dt.datetime) -> dt.date:
        """Yesterday (UTC), once Cursor has had time to roll up its last hour."""
        return (now.astimezone(dt.UTC) - AGGREGATION_LAG).date() - dt.timedelta(days=1)

    def fetch(self, days: Sequence[dt.date]) -> Iterator[DayReport]:
        """Yield every requested day, oldest first, one request per window of up to 30 days."""
        pending = sorted(set(days))
        while pending:
            span = self._window_days()
            window = [day for day in pending if (day - pending[0]).days < span]
            # The whole window is validated before any of it is yielded: a bad row anywhere
            # in a response must keep every day of that response from being written.
            reports, row_count = self._fetch_window(window)
            days_spanned = (window[-1] - window[0]).days + 1
            self._daily_rows = max(self._daily_rows, math.ceil(row_count / days_spanned))
            yield from reports
            pending = pending[len(window) :]

    def _window_days(self) -> int:
        """Days per request: 30, or fewer when a big team would make one body too large."""
        return max(1, min(MAX_WINDOW_DAYS, self.rows_per_request // max(1, self._daily_rows)))

    def _fetch_window(self, window: list[dt.date]) -> tuple[list[DayReport], int]:
        """The window's day reports and how many rows Cursor sent for it."""
        # Bounds: startDate is midnight UTC of the first day and endDate midnight UTC after
        # the last, which is how the published example reads: period 1710720000000 to
        # 1710892800000 (2024-03-18 00:00 to 2024-03-20 00:00) returned rows dated the 18th
        # and 19th only, so endDate is exclusive, or inclusive with nothing yet on the 20th.
        # Either way every requested day lies inside the range, so none is missed; a row
        # dated at endDate (the inclusive reading) belongs to the next window and is dropped
        # here by its date, so none is counted twice. The span (last - first + 1 days) is at
        # most 30 days, the documented limit: the example's two days span exactly 2 days.
        first, last = window[0], window[-1]
        body = {"startDate": _epoch_ms(first), "endDate": _epoch_ms(last + dt.timedelta(days=1))}
        payload = decode_json(self.source, self._request("POST", USAGE_PATH, json=body), USAGE_PATH)
        wanted = set(window)
        usage: dict[tuple[dt.date, str], _DayUsage] = {}
        ignored: list[dt.date] = []
        rows = _usage_rows(payload)
        for day, email, active, counts in rows:
            if day not in wanted:
                ignored.append(day)
                continue
            usage.setdefault((day, email), _DayUsage()).add(active, counts)
        if ignored:
            logger.debug(
                "cursor: ignored %d row(s) dated outside %s..%s (%s)",
                len(ignored),
                first,
                last,
                ", ".join(sorted({str(day) for day in ignored})),
            )
        commits = self._commit_lines(window)
        metrics = {key: day_usage.metrics() for key, day_usage in usage.items()}
        if commits is not None:
            for key in {key for key in commits if key[0] in wanted} | set(metrics):
                lines = commits.get(key, CommitLines())
                found = metrics.setdefault(key, {"active": False})
                found.update(lines.outcomes())
                if lines.commits:
                    found["outcome_detail"] = {"commit_lines": lines.detail()}
        by_day: dict[dt.date, list[VendorRecord]] = {day: [] for day in window}
        for (day, email), day_metrics in sorted(metrics.items()):
            by_day[day].append(VendorRecord(external_id=email, metrics=day_metrics, email=email))
        return [DayReport(day, by_day[day]) for day in window], len(rows)

    def _commit_lines(self, window: list[dt.date]) -> dict[tuple[dt.date, str], CommitLines] | None:
        """The window's commits per day and person, or None when the report is not to be had.

        The report is an Enterprise feature in Alpha: when Cursor refuses it, or answers
        something unreadable, the usage days are still written, without commit lines.
        """
        if not self._ai_code:
            return None
        start = dt.datetime.combine(window[0], dt.time(), tzinfo=dt.UTC)
        end = dt.datetime.combine(window[-1] + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        totals: dict[tuple[dt.date, str], CommitLines] = {}
        try:
            for page in range(1, MAX_PAGES + 1):
                params = {
                    "startDate": start.isoformat().replace("+00:00", "Z"),
                    "endDate": end.isoformat().replace("+00:00", "Z"),
                    "page": page,
                    "pageSize": AI_CODE_PAGE_SIZE,
                }
                response = self._paced_ai_code_request(params)
                payload = decode_json(self.source, response, AI_CODE_PATH)
                read, total = read_page(payload, totals, page)
                seen = (page - 1) * AI_CODE_PAGE_SIZE + read
                if read < AI_CODE_PAGE_SIZE or (total is not None and seen >= total):
                    return totals
            raise MalformedReport(f"cursor: {AI_CODE_PATH} kept returning pages")
        except CollectorError as exc:
            self._ai_code = False
            logger.warning("cursor: AI code tracking not read, and not asked again (%s)", exc)
            return None

    def _paced_ai_code_request(self, params: dict[str, Any]) -> httpx.Response:
        """One request for the AI code report, spaced under its 5-a-minute limit."""
        if self._last_ai_code_at is not None:
            wait = self._last_ai_code_at + AI_CODE_INTERVAL - self._clock()
            if wait > 0:
                self._sleep(wait)
        try:
            return self._request("GET", AI_CODE_PATH, params=params)
        finally:
            self._last_ai_code_at = self._clock()

    def sync_extras(self, engine: Any, now: dt.datetime) -> None:
        """Give every member an identity, linked by email, so seats without usage show."""
        payload = decode_json(self.source, self._request("GET", MEMBERS_PATH), MEMBERS_PATH)
        emails = _member_emails(payload)
        self._daily_rows = max(self._daily_rows, len(emails))
        with open_session(engine) as session:
            identity_ids = identities.ensure_identities(session, {(self.tool, e) for e in emails})
            if identity_ids:
                identities.set_identity_emails(
                    session, {identity_id: ext for (_, ext), identity_id in identity_ids.items()}
                )
            linked = identities.link_identities_to_known_people(session, identity_ids.values())
            session.commit()
        logger.info("cursor: %d team member(s), %d newly linked by email", len(emails), linked)

    def close(self) -> None:
        """Release connections."""
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one paced request; 403/404/410 are failures here (Cursor uses none for data)."""
        if self._last_request_at is not None:
            wait = self._last_request_at + MIN_REQUEST_INTERVAL - self._clock()
            if wait > 0:
                self._sleep(wait)
        try:
            response = self._http.request(method, path, **kwargs)
        finally:
            # Count from when the call (and any retries inside it) finished, so the next
            # request is spaced from the last attempt, not the first.
            self._last_request_at = self._clock()
        if response.status_code >= 300:
            raise CollectorError(f"cursor: HTTP {response.status_code} on {path}")
        return response


def _epoch_ms(day: dt.date) -> int:
    return (day - _EPOCH).days * _DAY_MS


def _usage_rows(payload: Any) -> list[tuple[dt.date, str, bool, dict[str, int | None]]]:
    """(day, email, isActive, counts) for each row; `MalformedReport` on any bad row."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise MalformedReport(f"cursor: {USAGE_PATH} answered without a 'data' list")
    rows: list[tuple[dt.date, str, bool, dict[str, int | None]]] = []
    for index, row in enumerate(payload["data"]):
        where = f"row {index} of {USAGE_PATH}"
        if not isinstance(row, dict):
            raise MalformedReport(f"cursor: {where} is not an object")
        stamp = _count(row, "date", where)
        try:
            day = _EPOCH + dt.timedelta(days=stamp // _DAY_MS)
        except OverflowError:
            raise MalformedReport(f"cursor: {where} has an impossible 'date'") from None
        active = row.get("isActive")
        if not isinstance(active, bool):
            raise MalformedReport(f"cursor: {where} has no boolean 'isActive'")
        email = _email(row.get("email"), where)
        counts = {
            name: None if row.get(name) is None else _count(row, name, where) for name in _COUNTS
        }
        rows.append((day, email, active, counts))
    return rows


def _count(row: Mapping[str, Any], name: str, where: str) -> int:
    """A whole number >= 0 (JSON may spell it 3.0)."""
    value = row.get(name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedReport(f"cursor: {where} has no whole-number {name!r}")
    return value


def _email(value: Any, where: str) -> str:
    """A lower-cased email; the message never repeats the value."""
    if not isinstance(value, str) or "@" not in value or len(value.strip()) > _MAX_EMAIL:
        raise MalformedReport(f"cursor: {where} has no usable 'email'")
    return value.strip().lower()


def _member_emails(payload: Any) -> set[str]:
    """Member emails from `{teamMembers: [...]}` or, as older docs showed, a bare array."""
    members = payload.get("teamMembers") if isinstance(payload, dict) else payload
    if not isinstance(members, list):
        raise MalformedReport(f"cursor: {MEMBERS_PATH} answered without a 'teamMembers' list")
    emails = set()
    for index, member in enumerate(members):
        where = f"member {index} of {MEMBERS_PATH}"
        if not isinstance(member, dict):
            raise MalformedReport(f"cursor: {where} is not an object")
        emails.add(_email(member.get("email"), where))
    return emails
