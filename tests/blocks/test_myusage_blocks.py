"""The `/myusage` Block Kit builders, checked as data, against Slack's limits and block budgets."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.adoption import Freshness, Tier, TierThresholds, ToolUsage, UsageSummary
from bot.blocks.common import blocks_to_text
from bot.blocks.ids import MYUSAGE_TOOL_DETAILS
from bot.blocks.myusage import (
    ChartImage,
    help_blocks,
    myusage_blocks,
    no_identity_blocks,
    sparkline,
)
from bot.blocks.tips import get_tips_button
from bot.blocks.tool_detail import tool_detail_blocks, tool_detail_modal
from bot.personal.chart import CHART_WEEKS, personal_chart
from tests.blocks.limits import assert_within_slack_limits

NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
#: The block budget of a four-tool `/myusage` answer with its chart and the tips button.
FOUR_TOOL_BUDGET = 6
TWELVE_WEEKS = (0, 1, 2, 3, 4, 5, 6, 7, 3, 0, 2, 5)


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


def unused(name: str) -> ToolUsage:
    return tool(name, active_days=0, interactions=0, generations=0, acceptances=0,
                lines_accepted=0, features=())  # fmt: skip


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
        "weekly_active_days": TWELVE_WEEKS,
        "freshness": (
            Freshness("copilot", NOW - dt.timedelta(hours=5), dt.date(2026, 11, 24), False),
        ),
    }
    values.update(overrides)
    return UsageSummary(**values)  # type: ignore[arg-type]


def four_tools() -> UsageSummary:
    """Copilot, Claude Code and Cursor used; OpenAI linked but unused; Claude reports outcomes."""
    return summary(
        (
            tool("copilot", active_days=9, lines_accepted=450),
            tool(
                "claude_code",
                active_days=5,
                generations=0,
                acceptances=0,
                lines_accepted=300,
                cost_cents=1234,
                cost_estimated=True,
            ),
            tool("cursor", active_days=2, lines_accepted=0),
            unused("openai"),
        ),
        outcomes={
            "claude_code": {
                "commits": 12,
                "pull_requests": 3,
                "lines_added": 300,
                "lines_removed": 40,
                "edits_accepted": 45,
                "edits_rejected": 7,
            }
        },
    )


def chart_for(weeks: tuple[int, ...] = TWELVE_WEEKS) -> ChartImage:
    chart = personal_chart(7, weeks, dt.date(2026, 11, 25))
    return ChartImage("F0TEST00001", chart.alt_text)


def test_four_tool_answer_fits_the_block_budget_with_chart_and_tips_button() -> None:
    data = four_tools()
    blocks = [*myusage_blocks(data, now=NOW, chart=chart_for()), get_tips_button()]
    assert_within_slack_limits(blocks)
    assert len(blocks) <= FOUR_TOOL_BUDGET
    assert [block["type"] for block in blocks] == [
        "section",
        "section",
        "image",
        "context",
        "actions",
    ]


def test_headline_leads_with_what_landed_and_keeps_frequency_beside_it() -> None:
    headline = myusage_blocks(four_tools(), now=NOW)[0]["text"]["text"]
    assert headline.startswith("*Your AI tool usage — last 28 days*\n*What landed:* ")
    landed, frequency = headline.index("What landed"), headline.index("Tier: regular")
    assert landed < frequency
    assert "12 commits and 3 pull requests made with AI" in headline
    assert "750 lines accepted" in headline  # Copilot 450 + Claude Code 300; Cursor none
    assert "45 of 52 agent edits accepted (87%)" in headline
    assert "active on 9 of the last 28 days (regular is 6–14 active days" in headline
    assert "*Habit:* 6 of the last 8 weeks" in headline


def test_tools_used_get_a_line_each_and_unused_ones_share_one() -> None:
    tools = next(
        b for b in myusage_blocks(four_tools(), now=NOW) if b.get("block_id") == "myusage-tools"
    )
    lines = tools["text"]["text"].splitlines()
    assert lines[0] == "*GitHub Copilot* · 9 days · accepted 25% (50 of 200) · 450 lines"
    assert lines[1] == "*Claude Code* · 5 days · 300 lines · $12.34 estimated"
    assert lines[2] == "*Cursor* · 2 days · accepted 25% (50 of 200)"
    assert lines[3] == "_Linked, not used in these 28 days: OpenAI_"
    text = blocks_to_text(myusage_blocks(four_tools(), now=NOW))
    # Figures a tool does not report are left out, never shown as 0.
    assert not re.search(r"\b0 (lines|days)|OpenAI · ", text)


def test_each_used_tool_opens_its_details_from_an_overflow_menu() -> None:
    tools = myusage_blocks(four_tools(), now=NOW)[1]
    menu = tools["accessory"]
    assert menu["type"] == "overflow" and menu["action_id"] == MYUSAGE_TOOL_DETAILS
    assert [option["value"] for option in menu["options"]] == [
        "copilot:28",
        "claude_code:28",
        "cursor:28",
    ]


def test_one_tool_gets_a_details_button_and_many_a_select_menu() -> None:
    one = myusage_blocks(summary((tool("cursor"),), window_days=7), now=NOW)[1]["accessory"]
    assert one["type"] == "button" and one["value"] == "cursor:7"
    many = summary(tuple(tool(f"tool_{i:03d}", active_days=1 + i % 9) for i in range(120)))
    blocks = myusage_blocks(many, now=NOW)
    assert_within_slack_limits(blocks)
    assert blocks[1]["accessory"]["type"] == "static_select"
    assert "…and 112 more tools: see the menu." in blocks[1]["text"]["text"]


def test_tools_without_outcome_data_say_so_rather_than_showing_zeros() -> None:
    headline = myusage_blocks(four_tools(), now=NOW)[0]["text"]["text"]
    assert "_Cursor does not report outcomes._" in headline
    silent = summary((tool("openai", lines_accepted=0, generations=0, acceptances=0),))
    text = myusage_blocks(silent, now=NOW)[0]["text"]["text"]
    assert "*What landed:* your tools don't report commits, pull requests or accepted lines" in text
    assert "0 commits" not in text and "0 lines" not in text


def test_answer_before_the_chart_shows_a_sparkline_and_the_chart_takes_its_place() -> None:
    data = four_tools()
    first = myusage_blocks(data, now=NOW)
    assert [block["type"] for block in first] == ["section", "section", "context"]
    assert first[0]["text"]["text"].endswith("\nLast 8 weeks `▅▆▇█▄▁▃▆`")
    completed = myusage_blocks(data, now=NOW, chart=chart_for())
    assert [block["type"] for block in completed] == ["section", "section", "image", "context"]
    assert completed[2]["slack_file"] == {"id": "F0TEST00001"}
    assert "Last 8 weeks" not in blocks_to_text(completed)
    assert completed[0]["text"]["text"] == first[0]["text"]["text"].rsplit("\n", 1)[0]


def test_chart_alt_text_states_every_weeks_figure() -> None:
    chart = personal_chart(7, TWELVE_WEEKS, dt.date(2026, 11, 25))
    assert len(chart.points) == CHART_WEEKS
    assert [point.label for point in chart.points][-2:] == ["18 Nov", "25 Nov"]
    alt = myusage_blocks(four_tools(), now=NOW, chart=chart_for())[2]["alt_text"]
    assert alt == chart.alt_text
    shares = [round(days / 7 * 100) for days in TWELVE_WEEKS]
    assert [int(n) for n in re.findall(r"(\d+) %", alt)] == shares
    assert alt.startswith("Your days with AI tools, share of each week, last 12 weeks: 9 Sep 0 %, ")
    assert alt.endswith(", 18 Nov 29 %, 25 Nov 71 %.")


def test_chart_digest_changes_with_what_is_drawn_and_with_the_person() -> None:
    end = dt.date(2026, 11, 25)
    base = personal_chart(7, TWELVE_WEEKS, end)
    assert personal_chart(7, TWELVE_WEEKS, end).digest == base.digest
    assert personal_chart(8, TWELVE_WEEKS, end).digest != base.digest
    assert personal_chart(7, (*TWELVE_WEEKS[:-1], 6), end).digest != base.digest
    assert personal_chart(7, TWELVE_WEEKS, end + dt.timedelta(days=1)).digest != base.digest
    assert base.filename == f"uptake-trend-{base.digest[:12]}.png"


def test_other_windows_say_their_active_days_beside_the_tier() -> None:
    text = myusage_blocks(summary((tool("copilot"),), window_days=90, active_days=40), now=NOW)
    assert "· 40 of 90 days in this window" in text[0]["text"]["text"]


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
    footer = blocks[-1]["elements"][0]["text"]
    assert footer.startswith("29 Oct – 25 Nov 2026. Freshness — ")
    assert "Cursor: synced 48h ago :warning: last sync failed" in footer
    assert "OpenAI: never synced" in footer


def test_nobody_active_is_told_so_without_a_menu() -> None:
    idle = summary((unused("copilot"), unused("cursor")), tier=Tier.INACTIVE, active_days=0)
    tools = myusage_blocks(idle, now=NOW)[1]
    assert tools["text"]["text"] == (
        "No use recorded in these 28 days.\n"
        "_Linked, not used in these 28 days: GitHub Copilot and Cursor_"
    )
    assert "accessory" not in tools


def test_huge_values_are_clipped_to_slack_limits() -> None:
    features = tuple(f"feature_{'x' * 80}_{i}" for i in range(60))
    blocks = myusage_blocks(summary((tool("x" * 400, features=features),)), now=NOW)
    assert_within_slack_limits(blocks)
    detail = tool_detail_blocks(summary((tool("x" * 400, features=features),)), "x" * 400)
    assert_within_slack_limits(detail)


def test_tool_details_leave_out_what_the_tool_does_not_report() -> None:
    data = four_tools()
    claude = blocks_to_text(tool_detail_blocks(data, "claude_code"))
    assert "*Acceptance rate*" not in claude  # Claude Code reports no suggestions shown
    assert "*Cost* (estimated) $12.34" in claude
    assert "commits with AI 12 · PRs 3 · lines +300/−40 · edits accepted 45 of 52" in claude
    cursor = tool_detail_blocks(data, "cursor")
    assert_within_slack_limits(cursor)
    fields = [field["text"] for field in cursor[0]["fields"]]
    assert fields == [
        "*Active days*\n2 of 28",
        "*Interactions*\n1,234",
        "*Acceptance rate*\n25% (50 of 200)",
        "*Features used*\ncode completion, agent edit",
        "*Outcomes*\nnot reported",
    ]
    openai = blocks_to_text(tool_detail_blocks(data, "openai"))
    assert "No use of OpenAI recorded in these days." in openai
    modal = tool_detail_modal(cursor)
    assert len(modal["title"]["text"]) <= 24 and modal["blocks"] == cursor


def test_signals_a_tool_reports_are_shown_and_those_it_does_not_are_left_out() -> None:
    signals = {
        "copilot": {
            "lines_added": 20,
            "ai_credits_used": 310.4,
            "used_cloud_agent": 3,
            "code_review_active": 1,
            "adoption_phase": 2,
        },
        "cursor": {"tabs_shown": 40, "tabs_accepted": 30, "edits_accepted": 0},
    }
    data = summary((tool("copilot"), tool("cursor")), outcomes=signals)
    headline = myusage_blocks(data, now=NOW)[0]["text"]["text"]
    assert "30 of 40 tab suggestions accepted · 310 AI credits used (use, not the bill)" in headline
    assert "commit" not in headline and "agent edits" not in headline
    copilot = blocks_to_text(tool_detail_blocks(data, "copilot"))
    assert (
        "*Outcomes* (vendor-reported) lines +20 · AI credits used 310 (use, not the bill) · "
        "cloud agent on 3 days · asked for code review on 1 day · "
        "GitHub's adoption phase: agent first"
    ) in copilot
    cursor = blocks_to_text(tool_detail_blocks(data, "cursor"))
    assert "tab suggestions accepted 30 of 40" in cursor and "edits" not in cursor


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
