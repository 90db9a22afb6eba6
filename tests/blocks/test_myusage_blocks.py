"""The `/myusage` Block Kit builders, checked as data and against Slack's limits."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.adoption import Freshness, Tier, TierThresholds, ToolUsage, UsageSummary
from bot.blocks.common import blocks_to_text
from bot.blocks.myusage import help_blocks, myusage_blocks, no_identity_blocks, sparkline
from tests.blocks.limits import assert_within_slack_limits

NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)


def tool(name: str, **overrides: object) -> ToolUsage:
    values: dict[str, object] = {
        "tool": name,
        "active_days": 3,
        "interactions": 1234,
        "generations": 200,
        "acceptances": 50,
        "lines_accepted": 90,
        "features": ("code_completion", "agent_edit"),
        "cost_cents": None,
        "cost_estimated": False,
    }
    values.update(overrides)
    return ToolUsage(**values)  # type: ignore[arg-type]


def summary(tools: tuple[ToolUsage, ...], **overrides: object) -> UsageSummary:
    values: dict[str, object] = {
        "window_days": 28,
        "start": dt.date(2026, 10, 29),
        "end": dt.date(2026, 11, 25),
        "has_identities": True,
        "pending_identities": 0,
        "tools": tools,
        "active_days": 9,
        "tier": Tier.REGULAR,
        "tier_active_days": 9,
        "tier_rule": "6–14 active days",
        "habit_weeks": 6,
        "weekly_active_days": (0, 1, 2, 3, 4, 5, 6, 7),
        "freshness": (
            Freshness("copilot", NOW - dt.timedelta(hours=5), dt.date(2026, 11, 24), False),
        ),
    }
    values.update(overrides)
    return UsageSummary(**values)  # type: ignore[arg-type]


def test_summary_blocks_show_depth_labels_and_freshness() -> None:
    blocks = myusage_blocks(
        summary((tool("copilot"), tool("claude_code", cost_cents=1234, cost_estimated=True))),
        now=NOW,
    )
    assert_within_slack_limits(blocks)
    text = blocks_to_text(blocks)
    assert "Tier: regular" in text and "6–14 active days" in text
    assert "nobody is ranked" in text
    assert "25% (50 of 200)" in text
    assert "*Cost* (estimated) $12.34" in text
    assert "GitHub Copilot: synced 5h ago, complete to 24 Nov" in text
    assert "Only you can see this" in text


def test_failing_and_never_synced_sources_are_flagged() -> None:
    blocks = myusage_blocks(
        summary(
            (tool("cursor"),),
            freshness=(
                Freshness("cursor", NOW - dt.timedelta(days=2), None, True),
                Freshness("openai", None, None, False),
            ),
        ),
        now=NOW,
    )
    text = blocks_to_text(blocks)
    assert "Cursor: synced 48h ago :warning: last sync failed" in text
    assert "OpenAI: never synced" in text


def test_no_acceptance_rate_without_suggestions() -> None:
    text = blocks_to_text(
        myusage_blocks(summary((tool("openai", generations=0, acceptances=0),)), now=NOW)
    )
    assert "*Acceptance rate* —" in text


def test_many_tools_stay_within_fifty_blocks() -> None:
    tools = tuple(tool(f"tool_{i:02d}", active_days=i % 9) for i in range(60))
    blocks = myusage_blocks(summary(tools), now=NOW)
    assert_within_slack_limits(blocks)
    assert "20 less-used tools are not shown" in blocks_to_text(blocks)


def test_huge_values_are_clipped_to_slack_limits() -> None:
    features = tuple(f"feature_{'x' * 80}_{i}" for i in range(60))
    blocks = myusage_blocks(summary((tool("x" * 400, features=features),)), now=NOW)
    assert_within_slack_limits(blocks)


def test_people_without_identities_get_the_linking_explanation() -> None:
    blocks = myusage_blocks(summary((), has_identities=False, pending_identities=2), now=NOW)
    assert blocks == no_identity_blocks(2)
    assert_within_slack_limits(blocks)
    text = blocks_to_text(blocks)
    assert "2 account link(s) waiting" in text
    assert "email as your Slack profile" in text


def test_help_states_the_thresholds_in_force() -> None:
    blocks = help_blocks(TierThresholds(light_max=3, regular_max=10), 7, note="Sorry")
    assert_within_slack_limits(blocks)
    text = blocks_to_text(blocks)
    assert text.startswith("Sorry")
    assert "light (1–3), regular (4–10), power (11+)" in text
    assert "at least 7 people" in text


@pytest.mark.parametrize(("counts", "expected"), [((0, 7), "▁█"), ((1, 2, 3), "▂▃▄"), ((9,), "█")])
def test_sparkline(counts: tuple[int, ...], expected: str) -> None:
    assert sparkline(counts) == expected
