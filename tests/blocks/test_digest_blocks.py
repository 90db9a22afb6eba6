"""The digest reads in 20 seconds on a phone: a headline with the change, prose that adds depth
without repeating a line, one line each for usage levels, tools and outcomes, one next step and
one plain privacy sentence."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from bot.blocks.common import Block
from bot.blocks.digest import digest_blocks, digest_headline, digest_lines
from bot.digests.narrative import TemplateNarrative, digest_facts
from bot.figures.periods import Period
from bot.figures.releases import ACCEPTANCE, Release
from bot.teams import TeamRef
from storage.models import SyncState
from tests.blocks.limits import assert_within_slack_limits

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
TEAM = TeamRef(id=7, slug="payments", name="Payments", parent_id=None, source="org_file")
WEEK = Period(2026, 48)
TOOLS = ("copilot", "claude_code", "cursor", "openai")
COUNTS = {
    "active": 11,
    "habit": 10,
    "tier:inactive": 3,
    "tier:light": 4,
    "tier:regular": 5,
    "tier:power": 2,
    "tool:copilot": 9,
    "tool:claude_code": 7,
    "tool:cursor": 4,
    "tool:openai": 2,
    "seats": 10,
    "seats_idle": 1,
}
RELEASE = Release(
    team=TEAM,
    period=WEEK,
    people=14,
    visible=True,
    k=5,
    counts=COUNTS,
    means={ACCEPTANCE: 0.27},
    tools=TOOLS,
)
LAST_WEEK = dataclasses.replace(RELEASE, period=WEEK.previous(), counts={**COUNTS, "active": 8})
FRESH = (SyncState(source="copilot", last_success_at=NOW - dt.timedelta(hours=3)),)
ACTION = "Ask the team what one thing made their AI tools more useful this week, and share it."


def build(release: Release = RELEASE, previous: Release | None = LAST_WEEK) -> list[Block]:
    return digest_blocks(
        release,
        previous,
        narrative=TemplateNarrative().narrate(digest_facts(release)),
        action=ACTION,
        freshness=FRESH,
        now=NOW,
    )


def texts(block: Block) -> list[str]:
    if block["type"] in ("header", "section"):
        return [block["text"]["text"], *(f["text"] for f in block.get("fields", []))]
    if block["type"] == "context":
        return [element["text"] for element in block["elements"]]
    return []


def numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+", text))


def test_the_digest_is_a_headline_prose_lines_one_action_and_a_footer() -> None:
    blocks = build()

    assert_within_slack_limits(blocks)
    assert [b["type"] for b in blocks] == ["header", "section", "section", "section", "context"]
    assert texts(blocks[0]) == ["Payments: ~11 of 14 used AI tools this week (79%), up 21 points"]
    lines = texts(blocks[2])[0].split("\n")
    assert lines == [
        "*Usage levels:* power ~2 · regular ~5 · light ~4 · inactive ~3",
        "*Tools:* GitHub Copilot ~9 · Claude Code ~7 · Cursor ~4 · OpenAI ~2",
    ]
    assert texts(blocks[3]) == [f":point_right: *One thing worth doing:* {ACTION}"]


def test_the_prose_never_repeats_a_lines_figures() -> None:
    blocks = build()
    prose = texts(blocks[1])[0]
    shown_on_lines = numbers(" ".join(digest_lines(RELEASE)) + texts(blocks[0])[0])

    assert prose  # depth: habit and acceptance
    assert "10" in numbers(prose) and "27" in numbers(prose)
    assert numbers(prose) & shown_on_lines == set()
    for word in ("Copilot", "Cursor", "Claude", "OpenAI", "power", "regular", "inactive"):
        assert word not in prose


def test_the_privacy_note_is_one_plain_sentence() -> None:
    blocks = build()
    everything = " ".join(text for block in blocks for text in texts(block))
    footer = texts(blocks[-1])

    privacy = [text for text in footer if "singled out" in text]
    assert privacy == [
        "Numbers marked ~ are approximate on purpose and groups under 5 are not shown, "
        "so nobody can be singled out."
    ]
    assert privacy[0].count(". ") == 0
    # No internal labels and no method jargon reach the reader.
    for jargon in ("tier:", "tool:", "outcome:", "non-users", "noise", "cell", "release"):
        assert jargon not in everything


def test_hidden_figures_show_as_a_dash_and_leave_the_prose_out() -> None:
    counts = {key: value for key, value in COUNTS.items() if key != "tool:openai"}
    release = dataclasses.replace(RELEASE, counts=counts, means={ACCEPTANCE: None})

    blocks = build(release)

    assert "OpenAI —" in texts(blocks[2])[0]
    assert "27%" not in " ".join(texts(blocks[1]))


def test_a_week_without_visible_depth_has_no_prose_block() -> None:
    counts = {key: value for key, value in COUNTS.items() if key != "habit"}
    release = dataclasses.replace(RELEASE, counts=counts, means={})

    blocks = build(release)

    assert [b["type"] for b in blocks] == ["header", "section", "section", "context"]
    assert texts(blocks[1])[0].startswith("*Usage levels:*")


def test_outcomes_have_a_line_only_when_the_release_has_them() -> None:
    no_reports = dataclasses.replace(
        RELEASE,
        counts={**COUNTS, "outcome:reporting": 0, "outcome:landed": 0},
        means={ACCEPTANCE: 0.27, "outcome:commits": None},
    )
    for release in (RELEASE, no_reports):
        assert not any(line.startswith("*Outcomes:*") for line in digest_lines(release))

    with_outcomes = dataclasses.replace(
        RELEASE,
        counts={**COUNTS, "outcome:reporting": 8, "outcome:landed": 5},
        means={
            ACCEPTANCE: 0.27,
            "outcome:commits": 3.24,
            "outcome:pull_requests": 1.1,
            "outcome:lines_added": 241.7,
            "outcome:edit_acceptance": 0.78,
        },
    )
    (outcomes,) = [line for line in digest_lines(with_outcomes) if line.startswith("*Outcomes")]

    assert outcomes == (
        "*Outcomes:* ~5 of ~8 people landed commits or PRs with AI · ~3.2 commits, ~1.1 PRs, "
        "~242 lines a week each · agent edits kept ~78%"
    )
    blocks = build(with_outcomes)
    assert_within_slack_limits(blocks)
    assert len(blocks) == 5


@pytest.mark.parametrize(
    ("before", "headline"),
    [
        (None, "Payments: ~11 of 14 used AI tools this week (79%)"),
        (11, "Payments: ~11 of 14 used AI tools this week (79%), the same as last week"),
        (12, "Payments: ~11 of 14 used AI tools this week (79%), down 7 points"),
    ],
)
def test_the_headline_carries_the_change(before: int | None, headline: str) -> None:
    previous = (
        None
        if before is None
        else dataclasses.replace(LAST_WEEK, counts={**COUNTS, "active": before})
    )

    assert digest_headline(RELEASE, previous) == headline


def test_a_long_team_name_is_clipped_before_the_figures() -> None:
    team = dataclasses.replace(TEAM, name="Platform " * 30)
    release = dataclasses.replace(RELEASE, team=team)

    headline = digest_headline(release, LAST_WEEK)

    assert len(headline) <= 150
    assert headline.endswith(": ~11 of 14 used AI tools this week (79%), up 21 points")


def test_a_failing_source_is_named_in_the_footer() -> None:
    failing = SyncState(
        source="cursor",
        last_success_at=NOW - dt.timedelta(hours=30),
        last_error_at=NOW - dt.timedelta(hours=1),
    )
    blocks = digest_blocks(
        RELEASE, LAST_WEEK, narrative="", action=ACTION, freshness=(*FRESH, failing), now=NOW
    )

    assert "Data 30h old · :warning: Cursor failing" in texts(blocks[-1])[0]
