"""Local send windows and weekly times: zones, slot spreading, DST gaps and folds.

Expected instants are written out in UTC by hand (or found by a brute-force scan over UTC
minutes), never by re-running the module's own wall-clock → instant conversion.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import itertools
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.local_time import (
    UTC_ZONE,
    SendWindow,
    local_week,
    next_send_time,
    next_weekly_time,
    zone,
)

UTC = dt.UTC
LONDON = "Europe/London"
NEW_YORK = "America/New_York"
DEFAULT = SendWindow()
EVERY_DAY = frozenset(range(7))
# Crosses London's changed hour (01:00–02:00) on both transition Sundays.
LONDON_NIGHT = SendWindow(EVERY_DAY, dt.time(0, 30), dt.time(2, 30))
# Crosses New York's changed hour (02:00–03:00 in March, 01:00–02:00 in November).
NEW_YORK_NIGHT = SendWindow(EVERY_DAY, dt.time(0, 30), dt.time(3, 30))

TUE, WED, THU, SAT, SUN = 1, 2, 3, 5, 6


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def minute_of(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def key_where(window: SendWindow, wanted: Callable[[int], bool]) -> tuple[str, int]:
    """A slot key whose offset (minutes after window.start) satisfies `wanted`."""
    for index in range(10_000):
        key = f"U{index:05d}"
        offset = minute_of(window.slot_time(key)) - minute_of(window.start)
        if wanted(offset):
            return key, offset
    raise AssertionError("no key found")  # pragma: no cover


def local(moment: dt.datetime, tz_name: str) -> dt.datetime:
    return moment.astimezone(ZoneInfo(tz_name))


# --- zone ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        None,
        "",
        "   ",
        "Not/AZone",
        "America",
        "../etc/passwd",
        "/usr/share/zoneinfo/Europe/London",
        "localtime",
        "right/Europe/London",
        "Europe/London\x00",
    ],
)
def test_unknown_or_missing_zone_names_fall_back_to_utc(name: str | None) -> None:
    assert zone(name) is UTC_ZONE
    assert zone(name).key == "UTC"


@pytest.mark.parametrize("name", [LONDON, NEW_YORK, "Asia/Kolkata", "Asia/Kathmandu", "UTC"])
def test_known_zone_names_are_used(name: str) -> None:
    assert zone(name).key == name
    assert zone(f" {name} ").key == name


def test_unknown_zone_behaves_exactly_like_utc() -> None:
    after = utc(2026, 1, 9, 15, 0)
    assert next_send_time(DEFAULT, "Mars/Olympus_Mons", after=after, slot_key="U1") == (
        next_send_time(DEFAULT, "UTC", after=after, slot_key="U1")
    )


@given(st.text(max_size=40))
def test_zone_never_raises(name: str) -> None:
    assert isinstance(zone(name), ZoneInfo)


# --- SendWindow ------------------------------------------------------------------------------


def test_default_window_is_tuesday_to_thursday_ten_to_eleven() -> None:
    assert SendWindow(frozenset({TUE, WED, THU}), dt.time(10), dt.time(11)) == DEFAULT
    assert DEFAULT.length_minutes == 60
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT.start = dt.time(9)  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weekdays": frozenset()},
        {"weekdays": frozenset({7})},
        {"weekdays": frozenset({-1})},
        {"start": dt.time(11), "end": dt.time(10)},
        {"start": dt.time(10), "end": dt.time(10)},
        {"start": dt.time(10, 0, 30)},
        {"end": dt.time(11, 0, 0, 1)},
        {"start": dt.time(10, tzinfo=UTC)},
    ],
)
def test_invalid_windows_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SendWindow(**kwargs)  # type: ignore[arg-type]


def test_slot_offset_is_sha256_of_the_key_modulo_the_window_length() -> None:
    for key in ["", "U012ABCDEF", "T01:U02", "ünïcödé"]:
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        expected = int.from_bytes(digest[:8], "big") % 60
        assert DEFAULT.slot_offset(key) == expected
        assert DEFAULT.slot_time(key) == dt.time(10, expected)


def test_slot_keys_spread_over_the_whole_window() -> None:
    slots = {DEFAULT.slot_time(f"U{index:04d}") for index in range(600)}
    assert all(dt.time(10) <= slot < dt.time(11) for slot in slots)
    assert len(slots) >= 55  # 600 keys over 60 minutes: nearly every minute is used


# --- next_send_time: fixed cases ------------------------------------------------------------


def test_friday_afternoon_in_london_goes_to_next_tuesday() -> None:
    key, offset = key_where(DEFAULT, lambda _: True)
    # Winter: London is UTC+0.
    result = next_send_time(DEFAULT, LONDON, after=utc(2026, 1, 9, 15, 0), slot_key=key)
    assert result == utc(2026, 1, 13, 10, offset)
    assert result.tzinfo is UTC
    # Summer: London is UTC+1, so Tuesday 10:xx BST is 09:xx UTC.
    result = next_send_time(DEFAULT, LONDON, after=utc(2026, 6, 12, 14, 0), slot_key=key)
    assert result == utc(2026, 6, 16, 9, offset)
    assert local(result, LONDON).strftime("%a %H") == "Tue 10"


def test_tuesday_after_the_slot_goes_to_wednesday_before_it_stays_on_tuesday() -> None:
    early, early_offset = key_where(DEFAULT, lambda offset: offset < 30)
    late, late_offset = key_where(DEFAULT, lambda offset: offset > 30)
    tuesday_1030 = utc(2026, 1, 13, 10, 30)
    assert next_send_time(DEFAULT, LONDON, after=tuesday_1030, slot_key=early) == utc(
        2026, 1, 14, 10, early_offset
    )
    assert next_send_time(DEFAULT, LONDON, after=tuesday_1030, slot_key=late) == utc(
        2026, 1, 13, 10, late_offset
    )


def test_exactly_at_the_slot_counts_one_second_later_does_not() -> None:
    key, offset = key_where(DEFAULT, lambda _: True)
    slot = utc(2026, 1, 13, 10, offset)
    assert next_send_time(DEFAULT, LONDON, after=slot, slot_key=key) == slot
    assert next_send_time(
        DEFAULT, LONDON, after=slot + dt.timedelta(seconds=1), slot_key=key
    ) == utc(2026, 1, 14, 10, offset)


def test_thursday_after_the_slot_goes_to_next_tuesday() -> None:
    key, offset = key_where(DEFAULT, lambda _: True)
    after = utc(2026, 1, 15, 11, 0)  # Thursday, window over
    assert next_send_time(DEFAULT, LONDON, after=after, slot_key=key) == utc(
        2026, 1, 20, 10, offset
    )


def test_new_york() -> None:
    key, offset = key_where(DEFAULT, lambda _: True)
    # Friday 15:00 EST (UTC-5) → Tuesday 10:xx EST = 15:xx UTC.
    result = next_send_time(DEFAULT, NEW_YORK, after=utc(2026, 1, 9, 20, 0), slot_key=key)
    assert result == utc(2026, 1, 13, 15, offset)
    # Summer, EDT (UTC-4): Tuesday 10:xx EDT = 14:xx UTC.
    result = next_send_time(DEFAULT, NEW_YORK, after=utc(2026, 7, 10, 20, 0), slot_key=key)
    assert result == utc(2026, 7, 14, 14, offset)


def test_evening_window_west_of_utc_uses_the_local_date() -> None:
    # Tuesday 20:00 PST is already Wednesday 04:00 UTC; Tuesday's evening slot is still ahead.
    window = SendWindow(frozenset({TUE}), dt.time(20), dt.time(23))
    key, offset = key_where(window, lambda offset: offset > 0)
    result = next_send_time(window, "America/Los_Angeles", after=utc(2026, 1, 14, 4), slot_key=key)
    assert result == utc(2026, 1, 14, 4) + dt.timedelta(minutes=offset)


def test_kolkata_half_hour_offset_and_local_date() -> None:
    key, offset = key_where(DEFAULT, lambda _: True)
    # Monday 23:00 UTC is already Tuesday 04:30 IST: today's (Tuesday's) slot is still ahead.
    result = next_send_time(DEFAULT, "Asia/Kolkata", after=utc(2026, 1, 12, 23, 0), slot_key=key)
    assert result == utc(2026, 1, 13, 4, 30) + dt.timedelta(minutes=offset)
    assert local(result, "Asia/Kolkata").time() == dt.time(10, offset)


def test_kathmandu_quarter_hour_offset() -> None:
    key, offset = key_where(DEFAULT, lambda _: True)
    # Monday 12:00 UTC is Monday 17:45 NPT (UTC+5:45) → Tuesday 10:xx NPT = 04:15+xx UTC.
    result = next_send_time(DEFAULT, "Asia/Kathmandu", after=utc(2026, 1, 12, 12, 0), slot_key=key)
    assert result == utc(2026, 1, 13, 4, 15) + dt.timedelta(minutes=offset)
    assert local(result, "Asia/Kathmandu").time() == dt.time(10, offset)


def test_auckland_is_a_day_ahead_of_utc() -> None:
    key, offset = key_where(DEFAULT, lambda _: True)
    # Tuesday 22:00 UTC is Wednesday 11:00 NZDT (UTC+13): Wednesday's window is over, so
    # Thursday 10:xx NZDT, which is still Wednesday 21:xx in UTC.
    after = utc(2026, 1, 13, 22, 0)
    result = next_send_time(DEFAULT, "Pacific/Auckland", after=after, slot_key=key)
    assert result == utc(2026, 1, 14, 21, offset)
    assert local(result, "Pacific/Auckland").strftime("%a %H") == "Thu 10"
    # In July Auckland is on NZST (UTC+12).
    result = next_send_time(
        DEFAULT, "Pacific/Auckland", after=utc(2026, 7, 14, 23, 0), slot_key=key
    )
    assert result == utc(2026, 7, 15, 22, offset)
    assert local(result, "Pacific/Auckland").strftime("%a %H") == "Thu 10"


def test_not_before_date_is_honoured() -> None:
    key, offset = key_where(DEFAULT, lambda _: True)
    tuesday_0900 = utc(2026, 1, 13, 9, 0)
    # Snoozed until Thursday: Tuesday and Wednesday are skipped.
    assert next_send_time(
        DEFAULT, LONDON, after=tuesday_0900, slot_key=key, not_before_date=dt.date(2026, 1, 15)
    ) == utc(2026, 1, 15, 10, offset)
    # Until a Saturday: the next allowed day from then is Tuesday.
    assert next_send_time(
        DEFAULT, LONDON, after=tuesday_0900, slot_key=key, not_before_date=dt.date(2026, 1, 17)
    ) == utc(2026, 1, 20, 10, offset)
    # A date in the past changes nothing.
    assert next_send_time(
        DEFAULT, LONDON, after=tuesday_0900, slot_key=key, not_before_date=dt.date(2025, 1, 1)
    ) == utc(2026, 1, 13, 10, offset)


def test_not_before_date_is_a_local_date() -> None:
    key, offset = key_where(DEFAULT, lambda _: True)
    # Tuesday 2026-01-13 10:xx in Auckland is Monday 2026-01-12 21:xx UTC. A not-before of
    # Tuesday allows it, because Tuesday is the *local* date.
    result = next_send_time(
        DEFAULT,
        "Pacific/Auckland",
        after=utc(2026, 1, 12, 0, 0),
        slot_key=key,
        not_before_date=dt.date(2026, 1, 13),
    )
    assert result == utc(2026, 1, 12, 21, offset)


def test_naive_after_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_send_time(DEFAULT, LONDON, after=dt.datetime(2026, 1, 9, 15))
    with pytest.raises(ValueError, match="timezone-aware"):
        next_weekly_time(0, dt.time(9), LONDON, after=dt.datetime(2026, 1, 9, 15))
    with pytest.raises(ValueError, match="timezone-aware"):
        local_week(dt.datetime(2026, 1, 9, 15), LONDON)


def test_non_utc_aware_after_is_accepted_and_result_is_utc() -> None:
    key, offset = key_where(DEFAULT, lambda _: True)
    after = dt.datetime(2026, 1, 9, 15, 0, tzinfo=ZoneInfo(NEW_YORK))  # 20:00 UTC
    result = next_send_time(DEFAULT, LONDON, after=after, slot_key=key)
    assert result == utc(2026, 1, 13, 10, offset)
    assert result.utcoffset() == dt.timedelta(0)


# --- next_send_time: DST ---------------------------------------------------------------------


def test_london_spring_forward_slot_in_the_gap_moves_to_the_end_of_the_gap() -> None:
    # 2026-03-29: at 01:00 GMT clocks go to 02:00 BST; local 01:00–01:59 does not exist.
    key, offset = key_where(LONDON_NIGHT, lambda offset: 30 <= offset < 90)
    result = next_send_time(LONDON_NIGHT, LONDON, after=utc(2026, 3, 28, 22, 0), slot_key=key)
    assert result == utc(2026, 3, 29, 1, 0)  # 02:00 BST, the first valid minute
    assert local(result, LONDON).time() == dt.time(2, 0)
    # The naive reading (slot with the pre-transition offset) would be a later, wrong instant.
    assert result != utc(2026, 3, 29, 0, 30) + dt.timedelta(minutes=offset)


def test_london_spring_forward_slot_before_and_after_the_gap() -> None:
    before, before_offset = key_where(LONDON_NIGHT, lambda offset: offset < 30)  # 00:30–00:59
    after_gap, after_offset = key_where(LONDON_NIGHT, lambda offset: offset >= 90)  # 02:00–
    start = utc(2026, 3, 28, 22, 0)
    # 00:xx is still GMT (UTC+0); 02:xx is BST (UTC+1).
    assert next_send_time(LONDON_NIGHT, LONDON, after=start, slot_key=before) == (
        utc(2026, 3, 29, 0, 30) + dt.timedelta(minutes=before_offset)
    )
    assert next_send_time(LONDON_NIGHT, LONDON, after=start, slot_key=after_gap) == (
        utc(2026, 3, 29, 0, 30) + dt.timedelta(minutes=after_offset - 60)
    )


def test_london_gap_slot_already_past_goes_to_the_next_day() -> None:
    key, _ = key_where(LONDON_NIGHT, lambda offset: 30 <= offset < 90)
    # After 02:00 BST (01:00 UTC) the moved-forward slot is past: Monday, same wall time in BST.
    result = next_send_time(
        LONDON_NIGHT, LONDON, after=utc(2026, 3, 29, 1) + dt.timedelta(seconds=1), slot_key=key
    )
    slot = LONDON_NIGHT.slot_time(key)
    assert result == utc(2026, 3, 30, slot.hour - 1, slot.minute)


def test_london_slot_in_gap_with_no_window_left_after_it_skips_the_day() -> None:
    # The window ends at 02:00, so the rest of it after a 01:xx slot is all inside the gap.
    window = SendWindow(EVERY_DAY, dt.time(0, 30), dt.time(2, 0))
    key, offset = key_where(window, lambda offset: 30 <= offset < 90)
    result = next_send_time(window, LONDON, after=utc(2026, 3, 28, 22, 0), slot_key=key)
    # Monday 30 March, 01:xx BST = 00:xx UTC.
    assert result == utc(2026, 3, 30, 0, 0) + dt.timedelta(minutes=offset - 30)
    assert local(result, LONDON).date() == dt.date(2026, 3, 30)


def test_window_entirely_inside_the_gap_is_skipped_to_the_next_allowed_day() -> None:
    gap_window = SendWindow(EVERY_DAY, dt.time(1, 5), dt.time(1, 55))
    key, offset = key_where(gap_window, lambda _: True)
    result = next_send_time(gap_window, LONDON, after=utc(2026, 3, 28, 12, 0), slot_key=key)
    # Saturday's slot is past, Sunday has no 01:xx at all: Monday 01:xx BST = 00:xx UTC.
    assert result == utc(2026, 3, 30, 0, 5) + dt.timedelta(minutes=offset)
    sundays = SendWindow(frozenset({SUN}), dt.time(1, 5), dt.time(1, 55))
    result = next_send_time(sundays, LONDON, after=utc(2026, 3, 28, 12, 0), slot_key=key)
    assert result == utc(2026, 4, 5, 0, 5) + dt.timedelta(minutes=offset)
    assert local(result, LONDON).strftime("%a %H") == "Sun 01"


def test_london_fall_back_uses_the_first_occurrence() -> None:
    # 2026-10-25: at 01:00 GMT (02:00 BST) clocks go back to 01:00; 01:00–01:59 happens twice.
    key, offset = key_where(LONDON_NIGHT, lambda offset: 30 <= offset < 90)
    result = next_send_time(LONDON_NIGHT, LONDON, after=utc(2026, 10, 24, 22, 0), slot_key=key)
    first = utc(2026, 10, 24, 23, 30) + dt.timedelta(minutes=offset)  # 01:xx BST
    assert result == first
    assert local(result, LONDON).fold == 0
    assert local(result, LONDON).utcoffset() == dt.timedelta(hours=1)


def test_london_fall_back_between_the_two_occurrences_goes_to_the_next_day() -> None:
    key, offset = key_where(LONDON_NIGHT, lambda offset: 30 <= offset < 90)
    first = utc(2026, 10, 24, 23, 30) + dt.timedelta(minutes=offset)
    second = first + dt.timedelta(hours=1)
    result = next_send_time(
        LONDON_NIGHT, LONDON, after=first + dt.timedelta(minutes=1), slot_key=key
    )
    assert result != second
    assert result == utc(2026, 10, 26, 0, 30) + dt.timedelta(minutes=offset)  # Monday, GMT


def test_london_fall_back_slots_outside_the_repeated_hour() -> None:
    before, before_offset = key_where(LONDON_NIGHT, lambda offset: offset < 30)
    after_fold, after_offset = key_where(LONDON_NIGHT, lambda offset: offset >= 90)
    start = utc(2026, 10, 24, 22, 0)
    assert next_send_time(LONDON_NIGHT, LONDON, after=start, slot_key=before) == (
        utc(2026, 10, 24, 23, 30) + dt.timedelta(minutes=before_offset)  # 00:xx BST
    )
    assert next_send_time(LONDON_NIGHT, LONDON, after=start, slot_key=after_fold) == (
        utc(2026, 10, 25, 0, 30) + dt.timedelta(minutes=after_offset)  # 02:xx GMT
    )


def test_new_york_spring_forward_and_fall_back() -> None:
    # 2026-03-08: 02:00 EST → 03:00 EDT. Slot 02:xx does not exist: 03:00 EDT = 07:00 UTC.
    gap_key, _ = key_where(NEW_YORK_NIGHT, lambda offset: 90 <= offset < 150)
    result = next_send_time(NEW_YORK_NIGHT, NEW_YORK, after=utc(2026, 3, 8, 0, 0), slot_key=gap_key)
    assert result == utc(2026, 3, 8, 7, 0)
    assert local(result, NEW_YORK).time() == dt.time(3, 0)
    # 2026-11-01: 02:00 EDT → 01:00 EST. Slot 01:xx means 01:xx EDT (UTC-4).
    fold_key, offset = key_where(NEW_YORK_NIGHT, lambda offset: 30 <= offset < 90)
    result = next_send_time(
        NEW_YORK_NIGHT, NEW_YORK, after=utc(2026, 11, 1, 0, 0), slot_key=fold_key
    )
    assert result == utc(2026, 11, 1, 4, 30) + dt.timedelta(minutes=offset)
    assert local(result, NEW_YORK).utcoffset() == dt.timedelta(hours=-4)


def test_new_york_window_inside_the_gap_is_skipped() -> None:
    window = SendWindow(frozenset({SUN, 0}), dt.time(2, 10), dt.time(2, 50))
    key, offset = key_where(window, lambda _: True)
    result = next_send_time(window, NEW_YORK, after=utc(2026, 3, 7, 12, 0), slot_key=key)
    # Sunday 8 March has no 02:xx; Monday 9 March 02:xx EDT = 06:xx UTC.
    assert result == utc(2026, 3, 9, 6, 10) + dt.timedelta(minutes=offset)


# --- next_send_time: properties --------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",  # -3:30 with DST
    "America/Santiago",  # DST changes at local midnight
    "America/Sao_Paulo",
    "Asia/Kolkata",  # +5:30
    "Asia/Kathmandu",  # +5:45
    "Asia/Tehran",  # +3:30
    "Asia/Beirut",  # DST changes at local midnight
    "Australia/Adelaide",  # +9:30 / +10:30
    "Australia/Lord_Howe",  # half-hour DST shift
    "Pacific/Auckland",
    "Pacific/Chatham",  # +12:45 / +13:45
]


@functools.cache
def transitions(name: str) -> tuple[dt.datetime, ...]:
    """UTC hours (2026–2027) at which the zone's offset has just changed."""
    tz = ZoneInfo(name)
    found = []
    moment = utc(2026, 1, 1)
    previous = moment.astimezone(tz).utcoffset()
    while moment < utc(2028, 1, 1):
        moment += dt.timedelta(hours=1)
        offset = moment.astimezone(tz).utcoffset()
        if offset != previous:
            found.append(moment)
        previous = offset
    return tuple(found)


def test_the_zone_list_exercises_dst() -> None:
    assert len(transitions(LONDON)) == 4
    assert len(transitions("Australia/Lord_Howe")) == 4
    assert transitions("Asia/Kolkata") == ()


@st.composite
def windows(draw: st.DrawFn) -> SendWindow:
    weekdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    if draw(st.booleans()):
        # Short windows in the small hours or around midnight, where transitions happen.
        start = draw(st.one_of(st.integers(0, 240), st.integers(1320, 1438)))
        end = draw(st.integers(start + 1, min(start + 150, 1439)))
    else:
        start = draw(st.integers(0, 1438))
        end = draw(st.integers(start + 1, 1439))
    return SendWindow(weekdays, dt.time(start // 60, start % 60), dt.time(end // 60, end % 60))


@st.composite
def afters(draw: st.DrawFn, name: str) -> dt.datetime:
    near = transitions(name)
    near_a_transition: bool = draw(st.booleans())
    if near and near_a_transition:
        base = draw(st.sampled_from(near))
        return base + dt.timedelta(
            minutes=draw(st.integers(-3 * 1440, 1440)), seconds=draw(st.integers(0, 59))
        )
    return draw(
        st.datetimes(
            min_value=dt.datetime(2026, 1, 1),
            max_value=dt.datetime(2027, 12, 31, 23, 59, 59),
            timezones=st.just(UTC),
        )
    )


def first_moment(
    tz: ZoneInfo, day: dt.date, at: dt.time, end: dt.time | None = None
) -> dt.datetime | None:
    """The first UTC minute whose wall clock is on `day` and in `[at, end)`, by scanning.

    That is the first occurrence of `at`, or the end of a DST gap that swallowed it, or None if
    the gap ate everything up to `end`. `at` and `end` are whole minutes.
    """
    offsets = [
        tz.utcoffset(dt.datetime.combine(day + dt.timedelta(days=shift), dt.time(12)))
        for shift in (-1, 0, 1)
    ]
    known = [offset for offset in offsets if offset is not None]
    moment = dt.datetime.combine(day, at, tzinfo=UTC) - max(known) - dt.timedelta(hours=1)
    stop = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=UTC)
    if end is not None:
        stop = dt.datetime.combine(day, end, tzinfo=UTC)
    stop += dt.timedelta(hours=1) - min(known)
    while moment <= stop:
        wall = moment.astimezone(tz)
        if wall.date() == day and at <= wall.time() and (end is None or wall.time() < end):
            return moment
        moment += dt.timedelta(minutes=1)
    return None


def brute_force(
    window: SendWindow,
    name: str,
    after: dt.datetime,
    not_before: dt.date | None,
    slot_key: str,
) -> tuple[dt.datetime, list[dt.date]]:
    """The expected send time, and the allowed dates a DST gap left without a send moment.

    Every allowed local date from before `after` on is tried in turn; its send moment is the
    first minute on that date in `[slot, end)` (see `first_moment`), and the answer is the
    first such moment at or after `after`.
    """
    tz = ZoneInfo(name)
    slot = window.slot_time(slot_key)
    day = after.astimezone(tz).date() - dt.timedelta(days=2)
    swallowed: list[dt.date] = []
    for _ in range(400):
        if day.weekday() in window.weekdays and (not_before is None or day >= not_before):
            moment = first_moment(tz, day, slot, window.end)
            if moment is None:
                swallowed.append(day)
            elif moment >= after:
                return moment, swallowed
        day += dt.timedelta(days=1)
    raise AssertionError("brute force found nothing")  # pragma: no cover


@st.composite
def send_cases(
    draw: st.DrawFn,
) -> tuple[SendWindow, str, dt.datetime, dt.date | None, str]:
    name = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(name)
    window = draw(windows())
    slot_key = draw(st.text(max_size=12))
    after = draw(afters(name))
    aim_near_slot: bool = draw(st.booleans())
    if aim_near_slot:
        # Put `after` shortly before (or just after) that local day's slot, where the choice
        # between "today" and "the next allowed day" is made.
        moment = first_moment(tz, after.astimezone(tz).date(), window.slot_time(slot_key))
        if moment is not None:
            after = moment - dt.timedelta(seconds=draw(st.integers(-120, 4 * 3600)))
    not_before = None
    if draw(st.booleans()):
        local_date = after.astimezone(tz).date()
        not_before = local_date + dt.timedelta(days=draw(st.integers(-3, 10)))
    return window, name, after, not_before, slot_key


GAP_KEY = key_where(LONDON_NIGHT, lambda offset: 30 <= offset < 90)[0]
GAP_TAIL = SendWindow(EVERY_DAY, dt.time(0, 30), dt.time(2))  # ends where London's gap ends
GAP_TAIL_KEY = key_where(GAP_TAIL, lambda offset: 30 <= offset < 90)[0]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(send_cases())
@example(  # London spring-forward with a slot in the gap
    (LONDON_NIGHT, LONDON, utc(2026, 3, 28, 22), None, GAP_KEY),
)
@example(  # London spring-forward: the gap eats the rest of the window after the slot
    (GAP_TAIL, LONDON, utc(2026, 3, 28, 22), None, GAP_TAIL_KEY),
)
@example(  # Beirut falls back at midnight: Saturday 23:00-23:59 happens twice
    (
        SendWindow(EVERY_DAY, dt.time(23), dt.time(23, 59)),
        "Asia/Beirut",
        utc(2026, 10, 24, 19),
        None,
        "U1",
    ),
)
def test_next_send_time_properties(
    case: tuple[SendWindow, str, dt.datetime, dt.date | None, str],
) -> None:
    window, name, after, not_before, slot_key = case
    result = next_send_time(
        window, name, after=after, not_before_date=not_before, slot_key=slot_key
    )
    tz = ZoneInfo(name)
    wall = result.astimezone(tz)

    # Aware UTC, not before `after`, a whole minute.
    assert result.utcoffset() == dt.timedelta(0)
    assert result >= after
    assert (result.second, result.microsecond) == (0, 0)
    # On the person's clock: an allowed weekday, inside the window, at or after their slot.
    assert wall.weekday() in window.weekdays
    assert window.start <= wall.time() < window.end
    assert wall.time() >= window.slot_time(slot_key)
    if not_before is not None:
        assert wall.date() >= not_before
    # Deterministic for the same key.
    assert result == next_send_time(
        window, name, after=after, not_before_date=not_before, slot_key=slot_key
    )
    # The earliest candidate: equal to the brute-force scan, and every allowed day in between
    # was passed over only because its slot had gone or did not exist.
    expected, swallowed = brute_force(window, name, after, not_before, slot_key)
    assert result == expected
    # Unless a DST gap swallowed a day, an allowed day comes round within a week.
    if not swallowed:
        earliest = after.astimezone(tz).date()
        if not_before is not None:
            earliest = max(earliest, not_before)
        assert wall.date() - earliest <= dt.timedelta(days=7)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(ZONES), key=st.text(max_size=12), after=afters("Europe/London"))
def test_default_window_never_sends_at_night_or_at_a_weekend(
    name: str, key: str, after: dt.datetime
) -> None:
    wall = next_send_time(DEFAULT, name, after=after, slot_key=key).astimezone(ZoneInfo(name))
    assert wall.weekday() in {TUE, WED, THU}
    assert dt.time(10) <= wall.time() < dt.time(11)


@settings(max_examples=100, deadline=None)
@given(key=st.text(max_size=12), other=st.text(max_size=12))
def test_the_same_person_gets_the_same_minute_every_week(key: str, other: str) -> None:
    first = next_send_time(DEFAULT, LONDON, after=utc(2026, 1, 12), slot_key=key)
    later = next_send_time(DEFAULT, LONDON, after=utc(2026, 2, 9), slot_key=key)
    assert later - first == dt.timedelta(weeks=4)
    if DEFAULT.slot_time(key) != DEFAULT.slot_time(other):
        assert first != next_send_time(DEFAULT, LONDON, after=utc(2026, 1, 12), slot_key=other)


# --- local_week --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sunday_2330", "monday_0030"),
    [
        # Pacific/Kiritimati is UTC+14: Sunday 23:30 local is Sunday 09:30 UTC.
        ("Pacific/Kiritimati", utc(2026, 1, 11, 9, 30), utc(2026, 1, 11, 10, 30)),
        # Pacific/Pago_Pago is UTC-11: Monday 00:30 local is Monday 11:30 UTC.
        ("Pacific/Pago_Pago", utc(2026, 1, 12, 10, 30), utc(2026, 1, 12, 11, 30)),
        ("Asia/Kathmandu", utc(2026, 1, 11, 17, 45), utc(2026, 1, 11, 18, 45)),
    ],
)
def test_local_week_turns_over_at_local_midnight(
    name: str, sunday_2330: dt.datetime, monday_0030: dt.datetime
) -> None:
    assert local(sunday_2330, name).strftime("%a %H:%M") == "Sun 23:30"
    assert local(monday_0030, name).strftime("%a %H:%M") == "Mon 00:30"
    assert local_week(sunday_2330, name) == (2026, 2)
    assert local_week(monday_0030, name) == (2026, 3)


def test_local_week_differs_from_the_utc_week() -> None:
    # Sunday 2026-01-11 12:00 UTC is already Monday 02:00 in Kiritimati.
    moment = utc(2026, 1, 11, 12, 0)
    assert local_week(moment, "UTC") == (2026, 2)
    assert local_week(moment, "Pacific/Kiritimati") == (2026, 3)
    assert local_week(moment, None) == (2026, 2)


def test_local_week_uses_the_iso_year() -> None:
    # Thursday 2026-12-31 is in ISO week 53 of 2026; Friday 2027-01-01 too. Monday 2027-01-04
    # starts 2027-W01. 2025-12-29 (Monday) is ISO 2026-W01.
    assert local_week(utc(2027, 1, 1, 12), "UTC") == (2026, 53)
    assert local_week(utc(2027, 1, 4, 12), "UTC") == (2027, 1)
    assert local_week(utc(2025, 12, 29, 12), "UTC") == (2026, 1)
    # In Los Angeles (UTC-8) Monday 2027-01-04 06:00 UTC is still Sunday evening.
    assert local_week(utc(2027, 1, 4, 6), "America/Los_Angeles") == (2026, 53)


# --- next_weekly_time ------------------------------------------------------------------------


@pytest.mark.parametrize("name", [LONDON, NEW_YORK])
def test_monday_nine_every_week_through_both_transitions(name: str) -> None:
    tz = ZoneInfo(name)
    moment = utc(2026, 2, 1)
    results = []
    for _ in range(49):  # bounded: a result that never advances must fail, not hang
        moment = next_weekly_time(0, dt.time(9), name, after=moment)
        results.append(moment)
    assert results[0] == utc(2026, 2, 2, 9 if name == LONDON else 14)
    assert results[-1] == utc(2027, 1, 4, 9 if name == LONDON else 14)  # every Monday
    for result in results:
        wall = result.astimezone(tz)
        assert (wall.weekday(), wall.time()) == (0, dt.time(9))
        assert result.utcoffset() == dt.timedelta(0)
    gaps = {later - earlier for earlier, later in itertools.pairwise(results)}
    # A plain week, plus one an hour shorter (spring) and one an hour longer (autumn).
    assert gaps == {dt.timedelta(hours=168), dt.timedelta(hours=167), dt.timedelta(hours=169)}


def test_monday_nine_exact_instants_around_london_and_new_york_changes() -> None:
    # London: Mon 23 March GMT, Mon 30 March BST; Mon 26 October GMT again.
    assert next_weekly_time(0, dt.time(9), LONDON, after=utc(2026, 3, 23, 9)) == utc(2026, 3, 30, 8)
    assert next_weekly_time(0, dt.time(9), LONDON, after=utc(2026, 10, 20)) == utc(2026, 10, 26, 9)
    # New York: Mon 9 March is already EDT (UTC-4); Mon 2 November EST (UTC-5).
    assert next_weekly_time(0, dt.time(9), NEW_YORK, after=utc(2026, 3, 3)) == utc(2026, 3, 9, 13)
    assert next_weekly_time(0, dt.time(9), NEW_YORK, after=utc(2026, 10, 27)) == utc(
        2026, 11, 2, 14
    )


def test_weekly_time_is_strictly_after() -> None:
    monday = utc(2026, 1, 12, 9)
    assert next_weekly_time(0, dt.time(9), LONDON, after=monday) == utc(2026, 1, 19, 9)
    assert next_weekly_time(0, dt.time(9), LONDON, after=monday - dt.timedelta(microseconds=1)) == (
        monday
    )


def test_weekly_time_in_a_gap_moves_to_the_end_of_the_gap() -> None:
    # Sunday 01:30 London does not exist on 29 March 2026: the first instant after the gap.
    result = next_weekly_time(SUN, dt.time(1, 30), LONDON, after=utc(2026, 3, 23))
    assert result == utc(2026, 3, 29, 1, 0)
    assert local(result, LONDON).time() == dt.time(2, 0)
    # With seconds, still the transition itself, not 02:00:15.
    result = next_weekly_time(SUN, dt.time(1, 30, 15), LONDON, after=utc(2026, 3, 23))
    assert result == utc(2026, 3, 29, 1, 0)
    # New York, 2:30 on 8 March 2026 → 03:00 EDT = 07:00 UTC.
    result = next_weekly_time(SUN, dt.time(2, 30), NEW_YORK, after=utc(2026, 3, 2))
    assert result == utc(2026, 3, 8, 7, 0)


def test_weekly_time_in_a_gap_at_local_midnight() -> None:
    # Beirut springs forward at Sunday 00:00 EET (Saturday 22:00 UTC) straight to 01:00 EEST:
    # Sunday 00:00 does not exist, and the first instant after the gap is Sunday 01:00.
    result = next_weekly_time(SUN, dt.time(0), "Asia/Beirut", after=utc(2026, 3, 23))
    assert result == utc(2026, 3, 28, 22, 0)
    assert local(result, "Asia/Beirut").strftime("%a %H:%M") == "Sun 01:00"


def test_weekly_time_in_a_fold_uses_the_first_occurrence() -> None:
    result = next_weekly_time(SUN, dt.time(1, 30), LONDON, after=utc(2026, 10, 19))
    assert result == utc(2026, 10, 25, 0, 30)  # 01:30 BST, not 01:30 GMT
    # Between the two occurrences, the next one is a week later.
    result = next_weekly_time(SUN, dt.time(1, 30), LONDON, after=utc(2026, 10, 25, 0, 45))
    assert result == utc(2026, 11, 1, 1, 30)
    result = next_weekly_time(SUN, dt.time(1, 30), NEW_YORK, after=utc(2026, 10, 26))
    assert result == utc(2026, 11, 1, 5, 30)  # 01:30 EDT


def test_weekly_time_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        next_weekly_time(7, dt.time(9), LONDON, after=utc(2026, 1, 1))
    with pytest.raises(ValueError):
        next_weekly_time(0, dt.time(9, tzinfo=UTC), LONDON, after=utc(2026, 1, 1))


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    name=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    minute=st.integers(0, 1439),
)
def test_next_weekly_time_properties(
    data: st.DataObject, name: str, weekday: int, minute: int
) -> None:
    after = data.draw(afters(name))
    at = dt.time(minute // 60, minute % 60)
    tz = ZoneInfo(name)
    result = next_weekly_time(weekday, at, name, after=after)
    assert result > after
    assert result.utcoffset() == dt.timedelta(0)
    wall = result.astimezone(tz)
    assert wall.weekday() == weekday
    assert wall.time() >= at
    # Brute force: the first date with that weekday whose first minute at/after `at` (the first
    # occurrence, or the end of a gap) is strictly after `after`.
    day = after.astimezone(tz).date() - dt.timedelta(days=7)
    for _ in range(30):
        if day.weekday() == weekday:
            moment = first_moment(tz, day, at)
            if moment is not None and moment > after:
                break
        day += dt.timedelta(days=1)
    else:  # pragma: no cover
        raise AssertionError("brute force found nothing")
    assert result == moment
    # Asking again from the result itself moves on by about a week (strictly after).
    again = next_weekly_time(weekday, at, name, after=result)
    assert dt.timedelta(days=7, hours=-2) <= again - result <= dt.timedelta(days=7, hours=2)
    if wall.time() != at:
        # Only a DST gap may move it: the result is the instant the clocks jumped.
        just_before = (result - dt.timedelta(seconds=1)).astimezone(tz)
        assert just_before.utcoffset() != wall.utcoffset()
        assert just_before.replace(tzinfo=None) < dt.datetime.combine(wall.date(), at)
