"""The adoption model: tiers, windows, habit, trend and depth."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine

from bot.adoption import Tier, TierThresholds, summarize_rows, summarize_usage
from storage.models import SyncState
from storage.usage import UsageRow
from tests.factories import add_usage, make_identity, make_person, set_sync_state, usage_row

TODAY = dt.date(2026, 11, 25)
DEFAULT = TierThresholds()


def row(days_ago: int, tool: str = "copilot", *, active: bool = True, **metrics: int) -> UsageRow:
    return UsageRow(
        day=TODAY - dt.timedelta(days=days_ago),
        tool=tool,
        source=tool,
        active=active,
        interactions=metrics.get("interactions", 1),
        generations=metrics.get("generations", 0),
        acceptances=metrics.get("acceptances", 0),
        lines_accepted=metrics.get("lines_accepted", 0),
        cost_cents=metrics.get("cost_cents"),
        cost_kind=None,
        features=(),
    )


@pytest.mark.parametrize(
    ("active_days", "tier"),
    [
        (0, Tier.INACTIVE),
        (1, Tier.LIGHT),
        (5, Tier.LIGHT),
        (6, Tier.REGULAR),
        (14, Tier.REGULAR),
        (15, Tier.POWER),
        (28, Tier.POWER),
    ],
)
def test_default_tier_boundaries(active_days: int, tier: Tier) -> None:
    assert DEFAULT.tier_for(active_days) is tier


def test_thresholds_come_from_configuration() -> None:
    strict = TierThresholds(light_max=2, regular_max=10)
    assert strict.tier_for(3) is Tier.REGULAR
    assert strict.tier_for(11) is Tier.POWER
    assert strict.describe(Tier.REGULAR) == "3–10 active days"


def test_tier_counts_distinct_days_across_tools_in_the_trailing_28_days() -> None:
    rows = [row(d) for d in range(6)] + [row(d, "cursor") for d in range(3)] + [row(30)]
    tools, _, tier, tier_days, _, _ = summarize_rows(
        rows, window_days=7, today=TODAY, thresholds=DEFAULT
    )
    assert tier_days == 6  # the cursor days overlap, day 30 is outside the tier window
    assert tier is Tier.REGULAR
    assert {t.tool: t.active_days for t in tools} == {"copilot": 6, "cursor": 3}


def test_inactive_rows_do_not_count_as_active_days() -> None:
    rows = [row(1, active=False, interactions=0), row(2)]
    _, active, tier, tier_days, _, _ = summarize_rows(
        rows, window_days=7, today=TODAY, thresholds=DEFAULT
    )
    assert (active, tier_days, tier) == (1, 1, Tier.LIGHT)


def test_window_limits_the_per_tool_figures_but_not_the_tier() -> None:
    rows = [row(d, interactions=10) for d in (0, 3, 10, 20)]
    tools, active, _, tier_days, _, _ = summarize_rows(
        rows, window_days=7, today=TODAY, thresholds=DEFAULT
    )
    assert tools[0].interactions == 20
    assert active == 2
    assert tier_days == 4


def test_habit_and_weekly_trend_cover_eight_weeks_oldest_first() -> None:
    # active twice in the newest week, once in the oldest, nothing in between
    rows = [row(0), row(1), row(55), row(60)]
    *_, habit, weekly = summarize_rows(rows, window_days=28, today=TODAY, thresholds=DEFAULT)
    assert weekly == (1, 0, 0, 0, 0, 0, 0, 2)
    assert habit == 2


def test_acceptance_rate_needs_suggestions() -> None:
    rows = [row(0, generations=40, acceptances=10), row(1, "openai", interactions=5)]
    tools, *_ = summarize_rows(rows, window_days=7, today=TODAY, thresholds=DEFAULT)
    by_tool = {t.tool: t for t in tools}
    assert by_tool["copilot"].acceptance_rate == pytest.approx(0.25)
    assert by_tool["openai"].acceptance_rate is None


def test_known_tools_without_usage_are_shown_with_zeroes() -> None:
    tools, *_ = summarize_rows(
        [], window_days=28, today=TODAY, thresholds=DEFAULT, known_tools=["cursor"]
    )
    assert [(t.tool, t.active_days, t.interactions) for t in tools] == [("cursor", 0, 0)]


def test_summary_from_the_database(engine: Engine) -> None:
    person = make_person(engine)
    copilot = make_identity(engine, tool="copilot", external_id="ada", person_id=person)
    claude = make_identity(engine, tool="claude_code", external_id="ada@x.io", person_id=person)
    add_usage(
        engine,
        [
            usage_row(
                copilot,
                "copilot",
                TODAY - dt.timedelta(days=d),
                generations=10,
                acceptances=3,
                lines_accepted=7,
            )
            for d in range(8)
        ]
        + [usage_row(claude, "claude_code", TODAY, cost_cents=250, cost_kind="billed")],
    )
    synced = dt.datetime(2026, 11, 25, 5, tzinfo=dt.UTC)
    set_sync_state(
        engine,
        SyncState(
            source="copilot", last_success_at=synced, last_complete_day=TODAY - dt.timedelta(days=1)
        ),
    )
    set_sync_state(engine, SyncState(source="cursor", last_success_at=synced))

    summary = summarize_usage(engine, person, window_days=7, today=TODAY, thresholds=DEFAULT)

    assert summary.has_identities
    assert summary.tier is Tier.REGULAR and summary.tier_active_days == 8
    by_tool = {t.tool: t for t in summary.tools}
    assert by_tool["copilot"].active_days == 7
    assert by_tool["copilot"].lines_accepted == 49
    assert by_tool["claude_code"].cost_cents == 250
    assert not by_tool["claude_code"].cost_estimated
    # freshness only for the sources this person's data came from
    assert [f.source for f in summary.freshness] == ["copilot"]
    assert summary.freshness[0].last_success_at == synced


def test_summary_rejects_unknown_windows(engine: Engine) -> None:
    with pytest.raises(ValueError, match="window"):
        summarize_usage(engine, 1, window_days=30, today=TODAY, thresholds=DEFAULT)


def test_failing_source_is_flagged(engine: Engine) -> None:
    person = make_person(engine)
    identity = make_identity(engine, tool="cursor", external_id="a@x.io", person_id=person)
    add_usage(engine, [usage_row(identity, "cursor", TODAY)])
    ok = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    set_sync_state(
        engine,
        SyncState(
            source="cursor",
            last_success_at=ok,
            last_error_at=ok + dt.timedelta(hours=2),
            last_error="500",
        ),
    )
    summary = summarize_usage(engine, person, window_days=28, today=TODAY, thresholds=DEFAULT)
    assert summary.freshness[0].failing


def test_a_twelve_week_trend_reads_the_older_weeks_active_days_only(engine: Engine) -> None:
    person = make_person(engine)
    mine = make_identity(engine, tool="copilot", external_id="twelve", person_id=person)
    claimed = make_identity(engine, tool="cursor", external_id="x@y.io", person_id=person)
    unverified = make_identity(
        engine, tool="cursor", external_id="claim@y.io", person_id=person, verified=False
    )
    days_ago = [0, 1, 8, 60, 61, 62, 70, 83, 84]  # 84 days ago is outside the 12 weeks
    add_usage(
        engine,
        [usage_row(mine, "copilot", TODAY - dt.timedelta(days=d)) for d in days_ago]
        + [usage_row(claimed, "cursor", TODAY - dt.timedelta(days=d)) for d in (60, 75)]
        + [usage_row(claimed, "cursor", TODAY - dt.timedelta(days=76), active=False)]
        + [usage_row(unverified, "cursor", TODAY - dt.timedelta(days=77))],
    )
    summary = summarize_usage(
        engine, person, window_days=28, today=TODAY, thresholds=DEFAULT, trend_weeks=12
    )
    # Weeks oldest first: days 83-77, 76-70, 69-63, 62-56, ..., 13-7, 6-0.
    assert summary.weekly_active_days == (1, 2, 0, 3, 0, 0, 0, 0, 0, 0, 1, 2)
    assert summary.habit_weeks == 2  # of the last 8 weeks only
    default = summarize_usage(engine, person, window_days=28, today=TODAY, thresholds=DEFAULT)
    assert default.weekly_active_days == summary.weekly_active_days[-8:]
