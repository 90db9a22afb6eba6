"""Choosing a tip: the gap in a person's own usage, and the library's best answer to it.

Deterministic for a given person, day and history: ties are broken by a stable hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from bot.adoption import Tier, UsageSummary
from bot.tips.library import Tip, TipLibrary

REPEAT_AFTER_DAYS = 90
LOW_ACCEPTANCE = 0.20
MIN_SUGGESTIONS_FOR_RATE = 20
GAP_WEIGHTS = {
    "unused_tool": 50,
    "lapsed_habit": 40,
    "low_acceptance": 30,
    "untried_feature": 20,
    "getting_started": 10,
}


@dataclass(frozen=True, slots=True)
class UsageGaps:
    """What a person's own usage says they might get more out of."""

    tier: Tier
    used_tools: frozenset[str]
    unused_tools: frozenset[str]
    features_used: frozenset[str]
    low_acceptance_tools: frozenset[str]
    lapsed: bool

    @property
    def tools(self) -> frozenset[str]:
        """Every tool the person has an account in."""
        return self.used_tools | self.unused_tools


@dataclass(frozen=True, slots=True)
class PastTip:
    """A tip the person was sent, and what they said of it."""

    tip_id: str
    day: dt.date
    feedback: str | None


@dataclass(frozen=True, slots=True)
class Choice:
    """The chosen tip and the gap it answers."""

    tip: Tip
    reason: str


def find_gaps(recent: UsageSummary, longer: UsageSummary) -> UsageGaps:
    """Gaps from a 28-day summary (what is used now) and a 90-day one (what was ever tried)."""
    used = frozenset(t.tool for t in recent.tools if t.active_days)
    unused = frozenset(t.tool for t in recent.tools if not t.active_days)
    features = frozenset(f for t in longer.tools for f in t.features)
    low = frozenset(
        t.tool
        for t in recent.tools
        if t.generations >= MIN_SUGGESTIONS_FOR_RATE
        and t.acceptance_rate is not None
        and t.acceptance_rate < LOW_ACCEPTANCE
    )
    weeks = recent.weekly_active_days
    lapsed = any(weeks[:-2]) and not any(weeks[-2:])
    return UsageGaps(recent.tier, used, unused, features, low, lapsed)


def _gap_for(tip: Tip, gaps: UsageGaps) -> str | None:
    """The strongest gap of this person that the tip answers, if any."""
    tools = set(tip.tools)
    found = []
    if "unused_tool" in tip.gaps and tools & gaps.unused_tools:
        found.append("unused_tool")
    if "lapsed_habit" in tip.gaps and gaps.lapsed and tools & gaps.tools:
        found.append("lapsed_habit")
    if "low_acceptance" in tip.gaps and tools & gaps.low_acceptance_tools:
        found.append("low_acceptance")
    if (
        "untried_feature" in tip.gaps
        and tools & gaps.used_tools
        and tip.features
        and not set(tip.features) <= gaps.features_used
    ):
        found.append("untried_feature")
    if (
        "getting_started" in tip.gaps
        and gaps.tier in (Tier.INACTIVE, Tier.LIGHT)
        and (tools & gaps.tools or not gaps.tools)
    ):
        found.append("getting_started")
    return max(found, key=lambda gap: GAP_WEIGHTS[gap]) if found else None


def _tiebreak(person_key: str, day: dt.date, tip_id: str) -> int:
    digest = hashlib.sha256(f"{person_key}|{day.isoformat()}|{tip_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def select_tip(
    library: TipLibrary,
    gaps: UsageGaps,
    history: Sequence[PastTip],
    *,
    day: dt.date,
    person_key: str,
    regardless_of_tier: bool = False,
) -> Choice | None:
    """The most relevant tip not seen in 90 days and never rated "not for me"."""
    cutoff = day - dt.timedelta(days=REPEAT_AFTER_DAYS)
    excluded = {p.tip_id for p in history if p.day > cutoff or p.feedback == "not_for_me"}
    by_id = {tip.id: tip for tip in library.tips}
    liked = [by_id[p.tip_id] for p in history if p.feedback == "helpful" and p.tip_id in by_id]
    disliked = [
        by_id[p.tip_id] for p in history if p.feedback == "not_for_me" and p.tip_id in by_id
    ]
    tier = gaps.tier.value if gaps.tier in (Tier.INACTIVE, Tier.LIGHT) else "regular"
    if gaps.tier in (Tier.REGULAR, Tier.POWER) and not regardless_of_tier:
        return None
    best: tuple[int, int, Tip, str] | None = None
    for tip in library.tips:
        if tip.id in excluded or tier not in tip.suits:
            continue
        gap = _gap_for(tip, gaps)
        if gap is None:
            continue
        score = GAP_WEIGHTS[gap]
        if any(set(tip.tools) & set(other.tools) for other in liked):
            score += 5
        for other in disliked:
            shared = set(tip.features) & set(other.features) if tip.features else set()
            if shared or (not tip.features and set(tip.tools) == set(other.tools)):
                score -= 8
        candidate = (score, _tiebreak(person_key, day, tip.id), tip, gap)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return None if best is None else Choice(best[2], best[3])
