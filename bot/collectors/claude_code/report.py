"""Rows of Anthropic's Claude Code usage report, read into Uptake's daily columns.

Mapping (see the package docstring for the counts shared with every source):
- interactions: `core_metrics.num_sessions`.
- generations / acceptances: tool actions (edit, multi-edit, write, notebook edit, and any newer
  tool the vendor adds) offered / accepted, i.e. `accepted + rejected` and `accepted`; the same
  decisions are the outcome columns `edits_accepted` / `edits_rejected`, and per tool in
  `outcome_detail["edit_decisions"]`.
- lines_accepted and lines_added: `core_metrics.lines_of_code.added`; lines_removed: `.removed`.
- commits and pull_requests: `commits_by_claude_code`, `pull_requests_by_claude_code`.
- input_tokens: uncached input plus cache creation plus cache reads, all prompt tokens the
  model processed; output_tokens: output tokens.
- cost_cents: the sum of `model_breakdown[].estimated_cost.amount` (US cents, an estimate).
  When any model's cost is missing or not in USD the day's cost is left unknown (None).

A count the vendor leaves out reads as 0 (usage) or "not reported" (outcomes); a field that is
there with the wrong type fails the day; fields nobody reads are ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from bot.collectors.base import MalformedReport, VendorRecord

logger = logging.getLogger(__name__)

# Identity.external_id holds at most 320 characters.
MAX_EXTERNAL_ID = 320
API_KEY_PREFIX = "api_key:"
# The outcome counts, each None when the vendor did not report it.
_OUTCOMES = ("commits", "pull_requests", "lines_added", "lines_removed")


@dataclass(slots=True)
class Row:
    """One vendor row reduced to the counts Uptake keeps."""

    external_id: str
    email: str | None
    sessions: int
    input_tokens: int
    output_tokens: int
    cost_cents: Decimal | None
    # Tool name -> (accepted, rejected); None when the row has no tool actions at all.
    decisions: dict[str, tuple[int, int]] | None
    outcomes: dict[str, int | None]


@dataclass(slots=True)
class ActorDay:
    """The running totals of one actor's rows for the day."""

    email: str | None
    sessions: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_cents: Decimal | None = Decimal(0)
    decisions: dict[str, tuple[int, int]] | None = None
    outcomes: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(_OUTCOMES))

    def add(self, row: Row) -> None:
        self.sessions += row.sessions
        self.input_tokens += row.input_tokens
        self.output_tokens += row.output_tokens
        if self.cost_cents is None or row.cost_cents is None:
            self.cost_cents = None
        else:
            self.cost_cents += row.cost_cents
        if row.decisions is not None:
            mine = self.decisions if self.decisions is not None else {}
            for tool, (yes, no) in row.decisions.items():
                had_yes, had_no = mine.get(tool, (0, 0))
                mine[tool] = (had_yes + yes, had_no + no)
            self.decisions = mine
        for name, value in row.outcomes.items():
            had = self.outcomes[name]
            self.outcomes[name] = had if value is None else value if had is None else had + value

    def record(self, external_id: str) -> VendorRecord:
        decisions = self.decisions or {}
        accepted = sum(yes for yes, _ in decisions.values())
        rejected = sum(no for _, no in decisions.values())
        outcomes = self.outcomes
        features = {tool for tool, (yes, no) in decisions.items() if yes + no > 0}
        if outcomes["commits"]:
            features.add("commits")
        if outcomes["pull_requests"]:
            features.add("pull_requests")
        active = any(
            (
                self.sessions,
                accepted + rejected,
                outcomes["lines_added"],
                outcomes["lines_removed"],
                outcomes["commits"],
                outcomes["pull_requests"],
                self.input_tokens,
                self.output_tokens,
            )
        )
        cost = (
            None
            if self.cost_cents is None
            else int(self.cost_cents.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        )
        reported = self.decisions is not None
        return VendorRecord(
            external_id=external_id,
            email=self.email,
            metrics={
                "active": active,
                "interactions": self.sessions,
                "generations": accepted + rejected,
                "acceptances": accepted,
                "lines_suggested": 0,
                "lines_accepted": outcomes["lines_added"] or 0,
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "cost_cents": cost,
                "cost_kind": "estimated" if cost is not None else None,
                "features": sorted(features),
                **outcomes,
                "edits_accepted": accepted if reported else None,
                "edits_rejected": rejected if reported else None,
                "outcome_detail": (
                    {
                        "edit_decisions": {
                            tool: {"accepted": yes, "rejected": no}
                            for tool, (yes, no) in sorted(decisions.items())
                        }
                    }
                    if decisions
                    else None
                ),
            },
        )


def rows_of(page: Mapping[str, Any], source: str, day: dt.date, page_number: int) -> list[Row]:
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

    def row(self, item: object) -> Row:
        row = self.mapping(item, "row")
        self.check_date(row.get("date"))
        external_id, email = self.actor(row.get("actor"))
        core = self.mapping(row.get("core_metrics", {}), "core_metrics")
        lines = core.get("lines_of_code")
        lines = None if lines is None else self.mapping(lines, "core_metrics.lines_of_code")
        decisions: dict[str, tuple[int, int]] | None = None
        if row.get("tool_actions") is not None:
            decisions = {}
            tool_actions = self.mapping(row["tool_actions"], "tool_actions")
            for name, counts in tool_actions.items():
                # Every tool key is optional, and newer tools may appear; count whatever is there.
                where = f"tool_actions.{name}"
                action = self.mapping(counts, where)
                decisions[str(name)] = (
                    self.count(action, "accepted", where),
                    self.count(action, "rejected", where),
                )
        input_tokens = output_tokens = 0
        cost: Decimal | None = Decimal(0)
        models = row.get("model_breakdown", [])
        if not isinstance(models, list):
            raise self.fail("model_breakdown is not a list")
        for position, entry in enumerate(models):
            where = f"model_breakdown[{position}]"
            model = self.mapping(entry, where)
            tokens = self.mapping(model.get("tokens", {}), f"{where}.tokens")
            input_tokens += sum(
                self.count(tokens, key, f"{where}.tokens")
                for key in ("input", "cache_creation", "cache_read")
            )
            output_tokens += self.count(tokens, "output", f"{where}.tokens")
            amount = self.cost(model.get("estimated_cost"), f"{where}.estimated_cost")
            cost = None if cost is None or amount is None else cost + amount
        return Row(
            external_id=external_id,
            email=email,
            sessions=self.count(core, "num_sessions", "core_metrics"),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_cents=cost,
            decisions=decisions,
            outcomes={
                "commits": self.optional(core, "commits_by_claude_code", "core_metrics"),
                "pull_requests": self.optional(
                    core, "pull_requests_by_claude_code", "core_metrics"
                ),
                "lines_added": self.optional(lines, "added", "core_metrics.lines_of_code"),
                "lines_removed": self.optional(lines, "removed", "core_metrics.lines_of_code"),
            },
        )

    def mapping(self, value: object, what: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} is missing or not an object")
        return value

    def count(self, container: Mapping[str, Any], key: str, where: str) -> int:
        """A non-negative whole number; 0 when the vendor leaves it out."""
        return self.optional(container, key, where) or 0

    def optional(self, container: Mapping[str, Any] | None, key: str, where: str) -> int | None:
        """A non-negative whole number, or None when absent (not reported)."""
        value = None if container is None else container.get(key)
        if value is None:
            return None
        # JSON numbers such as 12.0 are whole counts too; booleans are not numbers here.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(f"{where}.{key} is not a non-negative integer")
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
