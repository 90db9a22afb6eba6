"""Rows of a usage file as they are stored, and the plain CSV rows checked without pydantic.

`UsageRecord` (bot/usage_file.py) is the schema and says what is wrong with a row. Checking
each of millions of CSV rows through it costs more than writing them, though, and nearly every
row of a real file has plain values: ASCII digits, an ISO date, a lower-case tool. `PlainCsvRows`
accepts exactly such rows, by hand, against the same limits and patterns the schema uses; any
row it does not vouch for (an odd spelling, a value out of range, a missing column) goes to
`UsageRecord`, which accepts it or words the problem. A plain row is a strict subset of what the
schema accepts, and both paths build the stored row with `storage_values`, so the result is the
same either way (tests/bot/test_usage_rows.py compares them).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from storage.models import CostKind
from storage.usage import USAGE_COUNTERS

IMPORT_SOURCE = "import"
COUNTERS = USAGE_COUNTERS
#: The largest value each kind of count column holds (INTEGER, BIGINT on PostgreSQL).
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
#: Counts stored in BIGINT columns; the others are INTEGER.
BIG_COUNTERS = frozenset({"input_tokens", "output_tokens"})
#: Cost is stored as cents in an INTEGER column.
MAX_COST_USD = Decimal(INT32_MAX) / 100
EMAIL_MAX_LENGTH = 320
EMAIL_PATTERN = r"^[^ ]*@[^ ]*$"
SLACK_USER_ID_MAX_LENGTH = 32
SLACK_USER_ID_PATTERN = r"^[UW][A-Za-z0-9]*$"
TOOL_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"
FEATURE_MAX_LENGTH = 64
MAX_FEATURES = 100

# What pydantic reads as a boolean, in the spellings taken here (others go to the schema).
_BOOLEANS = {
    **dict.fromkeys(("1", "on", "t", "true", "y", "yes"), True),
    **dict.fromkeys(("0", "off", "f", "false", "n", "no"), False),
}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Plain decimals only: no sign, exponent or leading zero, at most the schema's 4 places.
_PLAIN_COST = re.compile(r"(?:0|[1-9][0-9]{0,7})(?:\.[0-9]{1,4})?")
_COST_KINDS = frozenset(kind.value for kind in CostKind)
_CACHED = 4_096  # distinct dates, tools, costs and feature lists remembered per file
_ESTIMATED = CostKind.ESTIMATED.value
#: The daily_usage columns of a checked row's `values`, in order (all but identity_id).
ROW_COLUMNS = (
    "day",
    "tool",
    "source",
    "active",
    *COUNTERS,
    "cost_cents",
    "cost_kind",
    "features",
)


class CheckedRow(NamedTuple):
    """A row that passed every check: whose it is, its day, and its storage columns.

    The columns are a tuple of plain values (`ROW_COLUMNS`; features a tuple too), not a
    dict: a file has millions of rows, and the collector need not track any of them.
    """

    identity_key: tuple[str, str]  # (tool, email or Slack user id)
    email: str | None
    slack_user_id: str | None
    date: dt.date
    values: tuple[Any, ...]  # the daily_usage columns but identity_id, as ROW_COLUMNS

    @property
    def row(self) -> dict[str, Any]:
        """The stored columns by name (all but identity_id), features as a list."""
        row = dict(zip(ROW_COLUMNS, self.values, strict=True))
        row["features"] = list(row["features"])
        return row


def storage_values(  # noqa: PLR0917  (positional: called for every row of a file)
    tool: str,
    day: dt.date,
    active: bool | None,
    counts: Sequence[int],
    cents: int | None,
    cost_kind: str | None,
    features: Sequence[str],
) -> tuple[Any, ...]:
    """The stored columns of a checked row (`counts` in COUNTERS order); both readers use it.

    `cents` is `cents_of` the cost, if any; `features` are as `feature_list` leaves them.
    """
    kind = None if cents is None else cost_kind or _ESTIMATED
    active = any(counts) if active is None else active
    return (day, tool, IMPORT_SOURCE, active, *counts, cents, kind, tuple(features))


def cents_of(cost_usd: Decimal) -> int:
    """A cost in USD as the whole cents stored."""
    return int((cost_usd * 100).to_integral())


def feature_list(features: list[str]) -> list[str]:
    """Features as stored: each once, in order."""
    return sorted(set(features)) if len(features) > 1 else list(features)


class PlainCsvRows:
    """Checks the plain rows of a CSV file with this header; `None` means "ask the schema"."""

    def __init__(self, header: Sequence[str], check: Callable[[list[str]], CheckedRow | None]):
        self.header = list(header)
        self.check = check

    @classmethod
    def for_header(cls, header: Sequence[str], known: Sequence[str]) -> PlainCsvRows | None:
        """A checker for this header, or None when its rows must all go to the schema.

        `known` are the schema's column names: an unknown or repeated one is the schema's
        problem to word. A column without a name (a trailing comma) must have empty cells.
        """
        named = [name for name in header if name]
        if len(set(named)) != len(named) or not set(named) <= set(known):
            return None
        return cls(header, _row_checker(list(header)))


def _row_checker(header: list[str]) -> Callable[[list[str]], CheckedRow | None]:
    width = len(header)
    padding = [""] * (width + 1)  # short rows lack their last columns; index -1 is absent

    def at(name: str) -> int:
        return header.index(name) if name in header else -1

    email_at, slack_at, tool_at, date_at = at("email"), at("slack_user_id"), at("tool"), at("date")
    active_at, cost_at, kind_at, features_at = (
        at("active"),
        at("cost_usd"),
        at("cost_kind"),
        at("features"),
    )
    count_cells = operator.itemgetter(*(at(name) for name in COUNTERS))
    # Up to 9 or 18 digits: below 2**31 and 2**63, whatever they are (more: the schema's).
    count_shapes = re.compile(
        ",".join("[0-9]{0,18}" if name in BIG_COUNTERS else "[0-9]{0,9}" for name in COUNTERS)
    )
    generations, acceptances = COUNTERS.index("generations"), COUNTERS.index("acceptances")
    unnamed = [index for index, name in enumerate(header) if not name]
    email_shape = re.compile(EMAIL_PATTERN)
    slack_shape = re.compile(SLACK_USER_ID_PATTERN)
    tool_shape = re.compile(TOOL_PATTERN)
    dates: dict[str, dt.date] = {}
    tools: set[str] = set()
    costs: dict[str, int] = {}
    feature_lists: dict[str, tuple[str, ...]] = {}

    def check(values: list[str]) -> CheckedRow | None:
        cells = values + padding if len(values) < width else [*values, ""]
        if unnamed and any(cells[index] for index in unnamed):
            return None
        tool = cells[tool_at]
        if tool not in tools:
            if not (tool.isascii() and tool_shape.match(tool)):
                return None
            if len(tools) < _CACHED:
                tools.add(tool)
        text = cells[date_at]
        day = dates.get(text)
        if day is None:
            if not _ISO_DATE.fullmatch(text):
                return None
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                return None
            if len(dates) < _CACHED:
                dates[text] = day
        email = cells[email_at] or None
        if email is not None:
            if not (
                email.isascii() and len(email) <= EMAIL_MAX_LENGTH and email_shape.match(email)
            ):
                return None
            email = email.lower()
        slack_user_id = cells[slack_at] or None
        if slack_user_id is not None and not (
            slack_user_id.isascii()
            and len(slack_user_id) <= SLACK_USER_ID_MAX_LENGTH
            and slack_shape.match(slack_user_id)
        ):
            return None
        who = email or slack_user_id
        if who is None:
            return None
        counts = count_cells(cells)
        if not count_shapes.fullmatch(",".join(counts)):
            return None
        numbers = list(map(int, counts)) if all(counts) else [int(c) if c else 0 for c in counts]
        if numbers[acceptances] > numbers[generations] > 0:  # the schema words it
            return None
        active: bool | None = None
        if text := cells[active_at]:
            active = _BOOLEANS.get(text)
            if active is None:
                return None
        cents: int | None = None
        if text := cells[cost_at]:
            cents = costs.get(text)
            if cents is None:
                if not _PLAIN_COST.fullmatch(text):
                    return None
                cost = Decimal(text)
                if cost > MAX_COST_USD:
                    return None
                cents = cents_of(cost)
                if len(costs) < _CACHED:
                    costs[text] = cents
        kind = cells[kind_at] or None
        if kind is not None and kind not in _COST_KINDS:
            return None
        features: tuple[str, ...] = ()
        if text := cells[features_at]:
            found = feature_lists.get(text)
            if found is None:
                if not text.isascii():
                    return None
                named = [f.strip() for f in text.split(";") if f.strip()]
                if len(named) > MAX_FEATURES or any(len(f) > FEATURE_MAX_LENGTH for f in named):
                    return None
                found = tuple(feature_list(named))
                if len(feature_lists) < _CACHED:
                    feature_lists[text] = found
            features = found
        stored = storage_values(tool, day, active, numbers, cents, kind, features)
        return CheckedRow((tool, who), email, slack_user_id, day, stored)

    return check
