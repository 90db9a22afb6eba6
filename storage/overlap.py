"""One person, one tool, one day, counted once, whichever ways it reached Uptake.

An engineer can be reported for the same tool twice: by the vendor's admin API (Claude Code,
Copilot) and through OpenTelemetry from their own client. The rule everywhere a person's
figures are added up (`/myusage`, exports, team releases through the rollup): the admin API's
figures win, and OpenTelemetry only fills what the admin API does not report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol, TypeVar

#: The `source` of daily rows (and rollup weeks) that came through OpenTelemetry.
OTLP_SOURCE = "otlp"


class DayRow(Protocol):
    """What `counted_once` reads of a row."""

    @property
    def day(self) -> dt.date: ...

    @property
    def tool(self) -> str: ...

    @property
    def source(self) -> str: ...


Row = TypeVar("Row", bound=DayRow)


def counted_once(rows: Sequence[Row]) -> list[Row]:
    """The rows without OpenTelemetry days that an admin API also reported for that tool."""
    reported = {(row.tool, row.day) for row in rows if row.source != OTLP_SOURCE}
    return [row for row in rows if row.source != OTLP_SOURCE or (row.tool, row.day) not in reported]
