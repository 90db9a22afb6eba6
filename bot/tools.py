"""The AI coding tools Uptake knows by name, and how to show them."""

from __future__ import annotations

import re

COPILOT = "copilot"
CLAUDE_CODE = "claude_code"
CURSOR = "cursor"
OPENAI = "openai"

KNOWN_TOOLS: dict[str, str] = {
    COPILOT: "GitHub Copilot",
    CLAUDE_CODE: "Claude Code",
    CURSOR: "Cursor",
    OPENAI: "OpenAI",
}

# Tools whose vendor reports people by email, so identities link by verified Slack email.
EMAIL_KEYED_TOOLS = frozenset({CLAUDE_CODE, CURSOR, OPENAI})

_TOOL_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def is_valid_tool(tool: str) -> bool:
    """A known tool, or a slug naming another one (an in-house LLM gateway, say)."""
    return bool(_TOOL_SLUG.match(tool))


# Sources that are not tools, named where freshness is shown (the OTLP intake's sync state).
SOURCE_LABELS: dict[str, str] = {"otlp": "OpenTelemetry"}


def tool_label(tool: str) -> str:
    """The name people know a tool (or a source that is not one tool) by."""
    return KNOWN_TOOLS.get(tool) or SOURCE_LABELS.get(tool) or tool.replace("_", " ").title()
