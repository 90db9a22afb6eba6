"""Reading GitHub's Copilot payloads: JSON objects with type checks that say where they were.

Absent or null fields read as "not reported" (0, False or None, as each reader says); a field
that is there with the wrong type is a malformed report. Fields nobody reads are ignored, so
a field GitHub adds never fails a day.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from bot.collectors.base import MalformedReport

# Identity.external_id holds at most 320 characters.
_MAX_LOGIN = 320


class Fields:
    """One JSON object from a GitHub payload, read with type checks that say where it was."""

    __slots__ = ("_data", "where")

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise MalformedReport(f"{where}: expected a JSON object")
        self._data: Mapping[str, Any] = data
        self.where = where

    def bad(self, key: str, problem: str) -> MalformedReport:
        """The error for a field that is missing or has the wrong type."""
        return MalformedReport(f"{self.where}: field '{key}' {problem}")

    def count(self, key: str, *, required: bool = False) -> int:
        """A non-negative whole number; 0 when absent and optional."""
        value = self._data.get(key)
        if value is None:
            if required:
                raise self.bad(key, "is missing")
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.bad(key, "is not a non-negative whole number")
        return value

    def flag(self, key: str) -> bool:
        """A boolean; False when absent."""
        value = self._data.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.bad(key, "is not true or false")
        return value

    def optional_flag(self, key: str) -> bool | None:
        """A boolean, or None when absent or null (not reported)."""
        value = self._data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.bad(key, "is not true or false")
        return value

    def optional_count(self, key: str) -> int | None:
        """A non-negative whole number, or None when absent or null (not reported)."""
        return self.count(key) if self.has(key) else None

    def amount(self, key: str) -> float | None:
        """A non-negative finite number (whole or not), or None when absent or null."""
        value = self._data.get(key)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise self.bad(key, "is not a non-negative number")
        return float(value)

    def numbers(self) -> dict[str, float]:
        """Every field holding a plain finite number, by name (for reports of unknown width)."""
        return {
            key: float(value)
            for key, value in self._data.items()
            if isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        }

    def text(self, key: str) -> str:
        """A required non-empty string."""
        value = self._data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.bad(key, "is missing or not a string")
        return value

    def optional_text(self, key: str) -> str | None:
        """A string, or None when absent or null."""
        value = self._data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.bad(key, "is not a string")
        return value

    def texts(self, key: str) -> list[str]:
        """A required list of strings."""
        value = self._data.get(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.bad(key, "is missing or not a list of strings")
        return list(value)

    def login(self, key: str) -> str:
        """A GitHub login, lower-cased (logins are case-insensitive)."""
        login = self.text(key).strip().lower()
        if len(login) > _MAX_LOGIN:
            raise self.bad(key, "is too long for a GitHub login")
        return login

    def optional_date(self, key: str) -> dt.date | None:
        """A YYYY-MM-DD date, or None when absent or null."""
        value = self.optional_text(key)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.bad(key, "is not a YYYY-MM-DD date") from None

    def timestamp(self, key: str, *, required: bool = False) -> dt.datetime | None:
        """An ISO 8601 timestamp as aware UTC (GitHub's offset-less times are UTC)."""
        value = self.optional_text(key)
        if value is None:
            if required:
                raise self.bad(key, "is missing")
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise self.bad(key, "is not an ISO 8601 timestamp") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)

    def obj(self, key: str) -> Fields | None:
        """A nested object, or None when absent or null."""
        value = self._data.get(key)
        if value is None:
            return None
        return Fields(value, f"{self.where}, {key}")

    def obj_or_count(self, key: str) -> Fields | int:
        """A nested object, or a bare non-negative whole number in its place."""
        value = self._data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return self.count(key)
        found = self.obj(key)
        if found is None:
            raise self.bad(key, "is missing")
        return found

    def has(self, key: str) -> bool:
        """True when the key is present and not null."""
        return self._data.get(key) is not None

    def objects(self, key: str, *, required: bool = False) -> list[Fields]:
        """A list of nested objects; empty when absent and optional."""
        value = self._data.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise self.bad(key, "is missing or not a list")
        return [Fields(item, f"{self.where}, {key}[{n}]") for n, item in enumerate(value)]

    def check_day(self, day: dt.date) -> None:
        """Fail unless the row's `day`, when present, is the day the report was asked for."""
        row_day = self.optional_date("day")
        if row_day is not None and row_day != day:
            raise self.bad("day", f"is {row_day}, not the day asked for")


def report_rows(content: bytes, where: str) -> Iterator[Fields]:
    """The objects of a report file: NDJSON, a JSON array as GitHub's docs show it, or one
    JSON object over several lines (the aggregate reports)."""
    stripped = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") and b"\n" in stripped.rstrip():
        try:
            single = json.loads(content)
        except ValueError:
            single = None  # NDJSON: one object a line
        if isinstance(single, dict):
            yield Fields(single, where)
            return
    if stripped.startswith(b"["):
        try:
            items = json.loads(content)
        except ValueError:
            raise MalformedReport(f"{where}: not valid JSON") from None
        if not isinstance(items, list):
            raise MalformedReport(f"{where}: not a JSON array")
        for number, item in enumerate(items, 1):
            yield Fields(item, f"{where} item {number}")
        return
    for number, line in enumerate(io.BytesIO(content), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise MalformedReport(f"{where} line {number}: not valid JSON") from None
        yield Fields(item, f"{where} line {number}")
