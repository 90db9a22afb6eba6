"""Which sources exist, which are switched on, and building their collectors."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.collectors.base import Collector
from bot.collectors.claude_code import ClaudeCodeCollector
from bot.collectors.copilot import CopilotCollector
from bot.collectors.cursor import CursorCollector
from bot.collectors.openai import OpenAICollector
from bot.settings import Settings


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """A usage source and what switches it on."""

    name: str
    label: str
    needs: str

    def enabled(self, settings: Settings) -> bool:
        """True when the settings hold this source's credentials."""
        return {
            "copilot": settings.github_token is not None,
            "claude_code": settings.anthropic_admin_key is not None,
            "openai": settings.openai_admin_key is not None,
            "cursor": settings.cursor_api_key is not None,
        }[self.name]


SOURCES = (
    SourceInfo("copilot", "GitHub Copilot", "GITHUB_TOKEN and GITHUB_ORG or GITHUB_ENTERPRISE"),
    SourceInfo("claude_code", "Claude Code", "ANTHROPIC_ADMIN_KEY"),
    SourceInfo("openai", "OpenAI", "OPENAI_ADMIN_KEY"),
    SourceInfo("cursor", "Cursor", "CURSOR_API_KEY"),
)
SOURCE_NAMES = tuple(source.name for source in SOURCES)


def build_collectors(
    settings: Settings,
    *,
    only: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Collector]:
    """Collectors for every enabled source (or just `only`)."""
    classes: dict[str, type] = {
        "copilot": CopilotCollector,
        "claude_code": ClaudeCodeCollector,
        "openai": OpenAICollector,
        "cursor": CursorCollector,
    }
    collectors: list[Collector] = []
    for source in SOURCES:
        if (only is None or source.name == only) and source.enabled(settings):
            collectors.append(classes[source.name](settings, sleep=sleep))
    return collectors
