"""Local-time windows for tips and digests: when, on a person's own clock, a message may go out.

Pure functions: no database, no Slack. Instants go in and come out as aware UTC datetimes; the
wall clock is worked out in the person's Slack time zone (the IANA name in `users.info` `tz`).

One daylight-saving policy, used everywhere in this module:

* A wall-clock time that does not exist that day (the spring-forward gap, e.g. 01:30 in London
  on the last Sunday of March) is never turned into an instant by guessing an offset. It moves
  *forward* to the first instant after the gap (02:00 BST in that example).
* A wall-clock time that happens twice (fall-back, e.g. 01:30 in London on the last Sunday of
  October) means its first occurrence (`fold=0`, 01:30 BST).

Sends are spread inside their window by a stable hash of a slot key (the Slack user id, say), so
one person always gets the same minute and a whole organisation is not messaged at 10:00:00.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import zoneinfo
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = [
    "UTC_ZONE",
    "SendWindow",
    "local_week",
    "next_send_time",
    "next_weekly_time",
    "zone",
]

UTC_ZONE = ZoneInfo("UTC")

# Loadable names that are not a person's zone: the host's own zone, and tzdata's placeholder.
_NOT_PERSONAL_ZONES = frozenset({"localtime", "Factory", "posixrules"})

# How far ahead to look before giving up. An allowed weekday comes round within a week; only a
# window lost to a DST gap can skip one, and that happens at most a couple of times a year.
_SEARCH_DAYS = 400
_SEARCH_WEEKS = 60


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_PERSONAL_ZONES


def zone(tz_name: str | None) -> ZoneInfo:
    """The zone for a Slack `tz` name; UTC for a missing, empty or unknown name.

    Only IANA names from the installed tz database are accepted, so neither a path
    (`../etc/passwd`), a leap-second `right/…` variant nor the server's own `localtime` can leak in.
    """
    name = (tz_name or "").strip()
    if not name or name not in _known_zones():
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # pragma: no cover - defensive
        return UTC_ZONE


def _minute_of_day(value: dt.time) -> int:
    return value.hour * 60 + value.minute


@dataclass(frozen=True)
class SendWindow:
    """When messages may go out, on the recipient's wall clock.

    `weekdays` uses Monday=0 … Sunday=6. The window is `[start, end)` on each allowed local date;
    both ends are naive whole-minute times and `start < end` (a window never crosses midnight).
    The default, Tuesday to Thursday 10:00–11:00, keeps messages off nights, weekends and the
    Monday/Friday edges of the week.
    """

    weekdays: frozenset[int] = frozenset({1, 2, 3})
    start: dt.time = dt.time(10, 0)
    end: dt.time = dt.time(11, 0)

    def __post_init__(self) -> None:
        # Accept any iterable of ints at runtime but always store a frozenset (hashable, frozen).
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        if not self.weekdays:
            raise ValueError("a send window needs at least one weekday")
        for day in self.weekdays:
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), not {day!r}")
        for label, value in (("start", self.start), ("end", self.end)):
            if value.tzinfo is not None:
                raise ValueError(f"window {label} is a local wall-clock time and must be naive")
            if value.second or value.microsecond:
                raise ValueError(f"window {label} must be a whole minute, not {value}")
        if not self.start < self.end:
            raise ValueError(f"window start {self.start} must be before end {self.end}")

    @property
    def length_minutes(self) -> int:
        """How many whole-minute send slots the window has."""
        return _minute_of_day(self.end) - _minute_of_day(self.start)

    def slot_offset(self, slot_key: str) -> int:
        """Minutes after `start` at which `slot_key` is sent: stable across processes and hosts.

        The first 8 bytes of SHA-256 of the UTF-8 key, big-endian, modulo the window length.
        (Python's `hash()` is salted per process, so it would move people around on restart.)
        """
        digest = hashlib.sha256(slot_key.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.length_minutes

    def slot_time(self, slot_key: str) -> dt.time:
        """The local wall-clock minute inside `[start, end)` at which `slot_key` is sent."""
        minute = _minute_of_day(self.start) + self.slot_offset(slot_key)
        return dt.time(minute // 60, minute % 60)


def _as_utc(moment: dt.datetime, name: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment!r}")
    return moment.astimezone(dt.UTC)


def _instant(day: dt.date, wall: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of `wall` on local `day` in `tz`, by this module's DST policy.

    Ambiguous (fall-back): the first occurrence, `fold=0`. Nonexistent (spring-forward gap): the
    transition itself, i.e. the first instant after the gap.
    """
    local = dt.datetime.combine(day, wall)
    first = local.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    if first.astimezone(tz).replace(tzinfo=None) == local:
        return first
    # In a gap, fold=0 applies the offset from before the transition and fold=1 the offset from
    # after it; the two readings straddle the transition, which we find by bisection to the
    # second (tz database transitions fall on whole seconds).
    other = local.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)
    before, after = sorted((first, other))
    before = before.replace(microsecond=0)
    target = after.astimezone(tz).utcoffset()
    low, high = 0, int((after - before).total_seconds()) + 1
    # Invariant: the offset at before+low differs from target; at before+high it equals it.
    while high - low > 1:
        middle = (low + high) // 2
        if (before + dt.timedelta(seconds=middle)).astimezone(tz).utcoffset() == target:
            high = middle
        else:
            low = middle
    return before + dt.timedelta(seconds=high)


def next_send_time(
    window: SendWindow,
    tz_name: str | None,
    *,
    after: dt.datetime,
    not_before_date: dt.date | None = None,
    slot_key: str = "",
) -> dt.datetime:
    """The first send moment at or after `after`, as aware UTC.

    Each allowed local date (an allowed weekday, on or after `not_before_date`) has exactly one
    send moment: the person's slot minute (`window.slot_time(slot_key)`). If that minute does not
    exist that day (a DST gap), the moment moves forward to the first valid minute after the gap,
    provided that is still inside the window on the same date; otherwise the date is skipped. A
    repeated minute (fall-back) means its first occurrence. A date whose moment is already before
    `after` is skipped too: a person whose slot has passed today is sent tomorrow (or the next
    allowed day), not "right now because the window is still open".

    The result always reads, on the person's clock, as a whole minute in `[start, end)` on an
    allowed weekday, on or after `not_before_date`.
    """
    after_utc = _as_utc(after, "after")
    tz = zone(tz_name)
    slot = window.slot_time(slot_key)
    # Start a day early: cheap, and robust to any zone whose local date is not monotonic.
    day = after_utc.astimezone(tz).date() - dt.timedelta(days=1)
    if not_before_date is not None and not_before_date > day:
        day = not_before_date
    for _ in range(_SEARCH_DAYS):
        if day.weekday() in window.weekdays:
            moment = _instant(day, slot, tz)
            local = moment.astimezone(tz)
            if (
                moment >= after_utc
                and local.date() == day
                and window.start <= local.time() < window.end
            ):
                return moment
        day += dt.timedelta(days=1)
    raise RuntimeError(  # pragma: no cover - needs a zone whose every allowed day is a DST gap
        f"no send time for {window} in {tz.key} within {_SEARCH_DAYS} days of {after_utc}"
    )


def local_week(moment: dt.datetime, tz_name: str | None) -> tuple[int, int]:
    """The ISO (year, week) of `moment`'s local date in `tz_name`; digests are keyed by it."""
    local = _as_utc(moment, "moment").astimezone(zone(tz_name))
    iso = local.date().isocalendar()
    return iso.year, iso.week


def next_weekly_time(
    weekday: int, at: dt.time, tz_name: str | None, *, after: dt.datetime
) -> dt.datetime:
    """The next local `weekday` at wall-clock `at`, strictly after `after`, as aware UTC.

    If `at` does not exist on that date (a DST gap) the result is the first instant after the
    gap; if it happens twice, the first occurrence (`fold=0`).
    """
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ValueError(f"weekday is 0 (Monday) to 6 (Sunday), not {weekday!r}")
    if at.tzinfo is not None:
        raise ValueError("`at` is a local wall-clock time and must be naive")
    after_utc = _as_utc(after, "after")
    tz = zone(tz_name)
    day = after_utc.astimezone(tz).date() - dt.timedelta(days=1)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    for _ in range(_SEARCH_WEEKS):
        moment = _instant(day, at, tz)
        if moment > after_utc:
            return moment
        day += dt.timedelta(days=7)
    raise RuntimeError(  # pragma: no cover - unreachable: a week always moves time forward
        f"no weekly time for weekday {weekday} at {at} in {tz.key} after {after_utc}"
    )
