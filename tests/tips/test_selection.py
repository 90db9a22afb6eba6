"""Tip selection from constructed usage: the right gap, no repeats, no "not for me"."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.adoption import Tier
from bot.tips.library import Tip, TipLibrary
from bot.tips.selection import PastTip, UsageGaps, select_tip

DAY = dt.date(2026, 11, 24)


def tip(
    tip_id: str,
    tools: tuple[str, ...],
    gaps: tuple[str, ...],
    features: tuple[str, ...] = (),
    suits: tuple[str, ...] = ("inactive", "light"),
) -> Tip:
    return Tip(
        tip_id,
        tools,
        features,
        gaps,
        suits,
        f"text of {tip_id}",
        "https://docs.github.com/en/copilot",
    )


LIBRARY = TipLibrary(
    "test-1",
    (
        tip("copilot-start", ("copilot",), ("unused_tool", "getting_started")),
        tip("copilot-agent", ("copilot",), ("untried_feature",), ("agent_edit",)),
        tip("copilot-accept", ("copilot",), ("low_acceptance",)),
        tip("cursor-tab", ("cursor",), ("untried_feature",), ("tab",)),
        tip("cursor-back", ("cursor",), ("lapsed_habit",)),
        tip("general", ("copilot", "cursor"), ("getting_started",)),
        tip("power-only", ("copilot",), ("untried_feature",), ("agent_edit",), ("regular",)),
    ),
)


def gaps(**overrides: object) -> UsageGaps:
    values: dict[str, object] = {
        "tier": Tier.LIGHT,
        "used_tools": frozenset(),
        "unused_tools": frozenset(),
        "features_used": frozenset(),
        "low_acceptance_tools": frozenset(),
        "lapsed": False,
    }
    values.update(overrides)
    return UsageGaps(**values)  # type: ignore[arg-type]


def choose(g: UsageGaps, history: list[PastTip] | None = None, **kwargs: object) -> str | None:
    choice = select_tip(LIBRARY, g, history or [], day=DAY, person_key="U1", **kwargs)  # type: ignore[arg-type]
    return None if choice is None else f"{choice.tip.id}:{choice.reason}"


def test_a_seat_not_used_comes_first() -> None:
    assert (
        choose(
            gaps(unused_tools=frozenset({"copilot"}), used_tools=frozenset({"cursor"}), lapsed=True)
        )
        == "copilot-start:unused_tool"
    )


def test_a_lapsed_habit_beats_an_untried_feature() -> None:
    g = gaps(used_tools=frozenset({"cursor"}), features_used=frozenset(), lapsed=True)
    assert choose(g) == "cursor-back:lapsed_habit"


def test_low_acceptance_then_untried_features() -> None:
    g = gaps(used_tools=frozenset({"copilot"}), low_acceptance_tools=frozenset({"copilot"}))
    assert choose(g) == "copilot-accept:low_acceptance"
    g2 = gaps(used_tools=frozenset({"copilot"}), features_used=frozenset({"code_completion"}))
    assert choose(g2) == "copilot-agent:untried_feature"
    tried = gaps(
        used_tools=frozenset({"copilot"}),
        features_used=frozenset({"agent_edit"}),
        tier=Tier.INACTIVE,
    )
    assert choose(tried) in {"general:getting_started", "copilot-start:getting_started"}


def test_never_a_repeat_inside_ninety_days_and_never_not_for_me() -> None:
    g = gaps(unused_tools=frozenset({"copilot"}))
    recent = [PastTip("copilot-start", DAY - dt.timedelta(days=89), "helpful")]
    assert choose(g, recent) != "copilot-start:unused_tool"
    old = [PastTip("copilot-start", DAY - dt.timedelta(days=91), None)]
    assert choose(g, old) == "copilot-start:unused_tool"
    refused = [PastTip("copilot-start", DAY - dt.timedelta(days=400), "not_for_me")]
    assert choose(g, refused) != "copilot-start:unused_tool"


def test_feedback_shapes_the_next_choice() -> None:
    g = gaps(used_tools=frozenset({"copilot", "cursor"}), features_used=frozenset())
    disliked = [PastTip("x-agent", DAY - dt.timedelta(days=200), "not_for_me")]
    library = TipLibrary(
        "t", (*LIBRARY.tips, tip("x-agent", ("copilot",), ("untried_feature",), ("agent_edit",)))
    )
    picked = select_tip(library, g, disliked, day=DAY, person_key="U1")
    assert picked is not None and picked.tip.id == "cursor-tab"


def test_regular_and_power_get_nothing_unless_they_asked() -> None:
    g = gaps(tier=Tier.POWER, used_tools=frozenset({"copilot"}))
    assert choose(g) is None
    assert choose(g, regardless_of_tier=True) == "power-only:untried_feature"


@pytest.mark.parametrize("person", ["U1", "U2", "U3"])
def test_deterministic_for_person_day_and_history(person: str) -> None:
    g = gaps(tier=Tier.INACTIVE)
    first = select_tip(LIBRARY, g, [], day=DAY, person_key=person)
    again = select_tip(LIBRARY, g, [], day=DAY, person_key=person)
    assert first == again and first is not None


def test_nothing_left_gives_none() -> None:
    g = gaps(tier=Tier.INACTIVE)
    seen = [PastTip(t.id, DAY - dt.timedelta(days=1), None) for t in LIBRARY.tips]
    assert choose(g, seen) is None
