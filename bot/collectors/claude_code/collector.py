"""Claude Code usage from Anthropic's Claude Code Analytics Admin API, one UTC day per call.

`GET /v1/organizations/usage_report/claude_code?starting_at=YYYY-MM-DD` returns one day only,
paged with `limit`/`page` and `has_more`/`next_page` (VENDOR-APIS.md §2a). Each row is an actor's
day on one terminal and customer type; rows of the same actor are summed into one record.

Mapping to Uptake's daily usage columns:
- interactions: `core_metrics.num_sessions`.
- generations / acceptances: tool actions (edit, multi-edit, write, notebook edit, and any newer
  tool the vendor adds) offered / accepted, i.e. `accepted + rejected` and `accepted`.
- lines_accepted: `core_metrics.lines_of_code.added`; Claude Code reports no suggested lines.
- input_tokens: uncached input plus cache creation plus cache reads. All three are prompt tokens
  the model processed and was billed for, so together they are the input volume; counting only
  uncached input would make heavy cache users look idle.
- output_tokens: output tokens.
- cost_cents: the sum of `model_breakdown[].estimated_cost.amount`, which the vendor gives in US
  cents and calls an estimate (cost_kind "estimated"). When any model's cost is missing or not in
  USD the day's cost is left unknown (None) rather than understated or mixed across currencies.
- features: tool action names used that day, plus "commits" and "pull_requests" when Claude Code
  made any.

Only usage counts are read: the report carries no prompts or code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import metadata
from typing import Any

from bot.collectors.base import Collector, CollectorError, DayReport, MalformedReport, VendorRecord
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
# Identity.external_id holds at most 320 characters.
MAX_EXTERNAL_ID = 320
API_KEY_PREFIX = "api_key:"


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
        totals: dict[str, _ActorDay] = {}
        cursor: str | None = None
        seen: set[str] = set()
        for page_number in page_numbers(self.source, f"usage report for {day}", self.max_pages):
            params: dict[str, str | int] = {"starting_at": day.isoformat(), "limit": PAGE_LIMIT}
            if cursor is not None:
                params["page"] = cursor
            page = self._get_page(params)
            for row in _rows(page, self.source, day, page_number):
                actor = totals.setdefault(row.external_id, _ActorDay(email=row.email))
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


# -- parsing ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """One vendor row reduced to the counts Uptake keeps."""

    external_id: str
    email: str | None
    sessions: int
    offered: int
    accepted: int
    lines_added: int
    commits: int
    pull_requests: int
    input_tokens: int
    output_tokens: int
    cost_cents: Decimal | None
    tools_used: set[str]


@dataclass(slots=True)
class _ActorDay:
    """The running totals of one actor's rows for the day."""

    email: str | None
    sessions: int = 0
    offered: int = 0
    accepted: int = 0
    lines_added: int = 0
    commits: int = 0
    pull_requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_cents: Decimal | None = Decimal(0)
    tools_used: set[str] = field(default_factory=set)

    def add(self, row: _Row) -> None:
        self.sessions += row.sessions
        self.offered += row.offered
        self.accepted += row.accepted
        self.lines_added += row.lines_added
        self.commits += row.commits
        self.pull_requests += row.pull_requests
        self.input_tokens += row.input_tokens
        self.output_tokens += row.output_tokens
        if self.cost_cents is None or row.cost_cents is None:
            self.cost_cents = None
        else:
            self.cost_cents += row.cost_cents
        self.tools_used |= row.tools_used

    def record(self, external_id: str) -> VendorRecord:
        features = set(self.tools_used)
        if self.commits > 0:
            features.add("commits")
        if self.pull_requests > 0:
            features.add("pull_requests")
        active = any(
            (
                self.sessions,
                self.offered,
                self.lines_added,
                self.commits,
                self.pull_requests,
                self.input_tokens,
                self.output_tokens,
            )
        )
        cost = (
            None
            if self.cost_cents is None
            else int(self.cost_cents.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        )
        return VendorRecord(
            external_id=external_id,
            email=self.email,
            metrics={
                "active": active,
                "interactions": self.sessions,
                "generations": self.offered,
                "acceptances": self.accepted,
                "lines_suggested": 0,
                "lines_accepted": self.lines_added,
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "cost_cents": cost,
                "cost_kind": "estimated" if cost is not None else None,
                "features": sorted(features),
            },
        )


def _rows(page: Mapping[str, Any], source: str, day: dt.date, page_number: int) -> list[_Row]:
    """Every row of a page; one bad row fails the whole page (and so the day)."""
    data = page.get("data")
    if not isinstance(data, list):
        raise MalformedReport(
            f"{source}: usage report for {day}, page {page_number}: no 'data' list"
        )
    return [_Parser(source, day, page_number, index).row(item) for index, item in enumerate(data)]


@dataclass(frozen=True, slots=True)
class _Parser:
    """Reads one row; error messages name the row's position, never its actor."""

    source: str
    day: dt.date
    page: int
    index: int

    def fail(self, problem: str) -> MalformedReport:
        return MalformedReport(
            f"{self.source}: usage report for {self.day}, page {self.page}, row {self.index}: "
            f"{problem}"
        )

    def row(self, item: object) -> _Row:
        row = self.mapping(item, "row")
        self.check_date(row.get("date"))
        external_id, email = self.actor(row.get("actor"))
        core = self.mapping(row.get("core_metrics"), "core_metrics")
        lines = self.mapping(core.get("lines_of_code"), "core_metrics.lines_of_code")
        offered = accepted = 0
        tools_used: set[str] = set()
        tool_actions = self.mapping(row.get("tool_actions", {}), "tool_actions")
        for name, counts in tool_actions.items():
            # Every tool key is optional, and newer tools may appear; count whatever is there.
            action = self.mapping(counts, f"tool_actions.{name}")
            yes = self.count(action, "accepted", f"tool_actions.{name}")
            no = self.count(action, "rejected", f"tool_actions.{name}")
            offered += yes + no
            accepted += yes
            if yes + no > 0:
                tools_used.add(str(name))
        input_tokens = output_tokens = 0
        cost: Decimal | None = Decimal(0)
        models = row.get("model_breakdown", [])
        if not isinstance(models, list):
            raise self.fail("model_breakdown is not a list")
        for position, entry in enumerate(models):
            where = f"model_breakdown[{position}]"
            model = self.mapping(entry, where)
            tokens = self.mapping(model.get("tokens"), f"{where}.tokens")
            input_tokens += (
                self.count(tokens, "input", f"{where}.tokens")
                + self.count(tokens, "cache_creation", f"{where}.tokens", optional=True)
                + self.count(tokens, "cache_read", f"{where}.tokens", optional=True)
            )
            output_tokens += self.count(tokens, "output", f"{where}.tokens")
            amount = self.cost(model.get("estimated_cost"), f"{where}.estimated_cost")
            cost = None if cost is None or amount is None else cost + amount
        return _Row(
            external_id=external_id,
            email=email,
            sessions=self.count(core, "num_sessions", "core_metrics"),
            offered=offered,
            accepted=accepted,
            lines_added=self.count(lines, "added", "core_metrics.lines_of_code"),
            commits=self.count(core, "commits_by_claude_code", "core_metrics", optional=True),
            pull_requests=self.count(
                core, "pull_requests_by_claude_code", "core_metrics", optional=True
            ),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_cents=cost,
            tools_used=tools_used,
        )

    def mapping(self, value: object, what: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} is missing or not an object")
        return value

    def count(
        self, container: Mapping[str, Any], key: str, where: str, *, optional: bool = False
    ) -> int:
        value = container.get(key)
        if value is None and optional:
            return 0
        # JSON numbers such as 12.0 are whole counts too; booleans are not numbers here.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(f"{where}.{key} is missing or not a non-negative integer")
        return value

    def check_date(self, value: object) -> None:
        if not isinstance(value, str):
            raise self.fail("date is missing or not a string")
        reported = _parse_day(value)
        if reported is None:
            raise self.fail(f"date {value[:40]!r} is neither YYYY-MM-DD nor an ISO timestamp")
        if reported != self.day:
            raise self.fail(f"row is for {reported}, not the requested day")

    def actor(self, value: object) -> tuple[str, str | None]:
        actor = self.mapping(value, "actor")
        kind = actor.get("type")
        if kind == "user_actor":
            email = actor.get("email_address")
            if not isinstance(email, str) or "@" not in email.strip():
                raise self.fail("user_actor has no email_address")
            email = email.strip().lower()
            if len(email) > MAX_EXTERNAL_ID:
                raise self.fail("user_actor email_address is longer than an email can be")
            return email, email
        if kind == "api_actor":
            name = actor.get("api_key_name")
            if not isinstance(name, str) or not name.strip():
                raise self.fail("api_actor has no api_key_name")
            return _api_key_id(name.strip()), None
        raise self.fail(f"unknown actor type {str(kind)[:40]!r}")

    def cost(self, value: object, where: str) -> Decimal | None:
        """US cents, or None when the vendor gives no estimate or one in another currency."""
        if value is None:
            return None
        estimate = self.mapping(value, where)
        currency = estimate.get("currency")
        if not isinstance(currency, str):
            raise self.fail(f"{where}.currency is missing or not a string")
        amount = _decimal(estimate.get("amount"))
        if amount is None or amount < 0:
            raise self.fail(f"{where}.amount is missing or not a non-negative number")
        if currency.upper() != "USD":
            logger.warning(
                "%s: cost estimate in %s, not USD, on %s; leaving that cost unknown",
                self.source,
                currency[:8],
                self.day,
            )
            return None
        return amount


def _parse_day(value: str) -> dt.date | None:
    """The UTC date of `YYYY-MM-DD` or of an ISO 8601 timestamp such as 2025-08-08T00:00:00Z."""
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).date()


def _decimal(value: object) -> Decimal | None:
    """A finite number from a JSON number or a decimal string (as Anthropic's cost report uses)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _api_key_id(name: str) -> str:
    """`api_key:<name>`, shortened with a digest if the name would not fit an identity."""
    external_id = API_KEY_PREFIX + name
    if len(external_id) <= MAX_EXTERNAL_ID:
        return external_id
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{API_KEY_PREFIX}{name[: MAX_EXTERNAL_ID - len(API_KEY_PREFIX) - 17]}~{digest}"


def _error_type(content: bytes) -> str | None:
    """The `error.type` of an Anthropic error body, if it has one."""
    try:
        body = json.loads(content)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    return kind[:60] if isinstance(kind, str) else None
