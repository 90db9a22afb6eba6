"""The demo's synthetic days: usage counts per tool, and the outcomes each tool reports.

Outcomes follow what each source really reports (README, "Outcome metrics"): Claude Code
commits, pull requests, lines and edit decisions; Copilot and Cursor lines and agent edit
decisions; OpenAI's completions API reports no outcomes, so its days have none (NULL, shown
as "not reported", never as 0).
"""

from __future__ import annotations

import random
from typing import Any

from bot.tools import CLAUDE_CODE, COPILOT, CURSOR
from storage.models import CostKind
from storage.outcomes import OUTCOME_METRICS

COPILOT_FEATURES = (
    "code_completion",
    "chat_panel_ask_mode",
    "chat_panel_agent_mode",
    "chat_inline",
    "agent_edit",
    "copilot_cli",
)
CURSOR_FEATURES = ("tab", "composer", "chat", "agent", "cmdk")
CLAUDE_FEATURES = ("edit_tool", "multi_edit_tool", "write_tool")


def day_usage(rng: random.Random, acceptance: float, tool: str, weekend: bool) -> dict[str, Any]:
    """One active day's usage counts of a tool, for a person with this acceptance rate."""
    scale = 0.4 if weekend else 1.0
    if tool == COPILOT:
        shown = int(rng.randint(20, 160) * scale) + 1
        accepted = int(shown * acceptance * rng.uniform(0.8, 1.2))
        chat = rng.randint(0, 12)
        features = ["code_completion", *rng.sample(COPILOT_FEATURES[1:], rng.randint(0, 3))]
        return {
            "interactions": shown + chat,
            "generations": shown,
            "acceptances": min(accepted, shown),
            "lines_suggested": shown * 3,
            "lines_accepted": min(accepted, shown) * rng.randint(1, 4),
            "chat_requests": chat,
            "agent_requests": rng.randint(0, 3) if "agent_edit" in features else 0,
            "cli_requests": rng.randint(1, 5) if "copilot_cli" in features else 0,
            "features": sorted(features),
        }
    if tool == CURSOR:
        shown = int(rng.randint(30, 200) * scale) + 1
        accepted = int(shown * acceptance * rng.uniform(0.9, 1.3))
        requests = rng.randint(1, 25)
        return {
            "interactions": requests + shown,
            "generations": shown,
            "acceptances": min(accepted, shown),
            "lines_suggested": shown * 2,
            "lines_accepted": min(accepted, shown) * rng.randint(1, 3),
            "chat_requests": requests // 2,
            "agent_requests": requests - requests // 2,
            "features": sorted(["tab", *rng.sample(CURSOR_FEATURES[1:], rng.randint(1, 3))]),
        }
    if tool == CLAUDE_CODE:
        proposed = rng.randint(3, 40)
        accepted = int(proposed * min(0.95, acceptance * 2.2))
        tokens_in = rng.randint(20_000, 400_000)
        return {
            "interactions": rng.randint(2, 30),
            "generations": proposed,
            "acceptances": accepted,
            "lines_accepted": accepted * rng.randint(5, 30),
            "agent_requests": rng.randint(1, 15),
            "input_tokens": tokens_in,
            "output_tokens": tokens_in // rng.randint(8, 20),
            "cost_cents": tokens_in // 2_000,
            "cost_kind": CostKind.BILLED.value,
            "features": sorted(rng.sample(CLAUDE_FEATURES, rng.randint(1, 3))),
        }
    tokens_in = rng.randint(5_000, 200_000)
    return {
        "interactions": rng.randint(5, 120),
        "input_tokens": tokens_in,
        "output_tokens": tokens_in // rng.randint(3, 10),
        "cost_cents": tokens_in // 4_000,
        "cost_kind": CostKind.ESTIMATED.value,
        "features": ["api"],
    }


def day_outcomes(rng: random.Random, tool: str, acceptance: float) -> dict[str, Any]:
    """What one active day of a tool landed, as that tool reports it (None: not reported)."""
    found: dict[str, Any] = dict.fromkeys(OUTCOME_METRICS)
    decided = rng.randint(0, 12)
    accepted = round(decided * min(0.95, 0.45 + acceptance))
    if tool == CLAUDE_CODE:
        found.update(
            commits=rng.choice((0, 0, 1, 1, 2, 3)),
            pull_requests=rng.choice((0, 0, 0, 1)),
            lines_added=accepted * rng.randint(8, 40),
            lines_removed=accepted * rng.randint(1, 12),
            edits_accepted=accepted,
            edits_rejected=decided - accepted,
        )
    elif tool in (COPILOT, CURSOR):
        found.update(
            lines_added=accepted * rng.randint(4, 25),
            lines_removed=accepted * rng.randint(0, 8),
            edits_accepted=accepted,
            edits_rejected=decided - accepted,
        )
    return found
