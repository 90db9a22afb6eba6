"""The curated tip library: short, versioned tips for each tool, validated when loaded.

The tips live in `library.yaml`, shipped inside the `bot.tips` package. Loading checks every
tip and reports all problems at once, so a bad edit fails at start-up with a full list rather
than one problem per attempt.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.tools import CLAUDE_CODE, COPILOT, CURSOR, OPENAI

LIBRARY_RESOURCE = "library.yaml"
MIN_TIPS = 40
MAX_TEXT_CHARS = 600

# The feature ids each vendor's usage data reports; a tip's features must come from these.
FEATURES_BY_TOOL: Mapping[str, frozenset[str]] = {
    COPILOT: frozenset(
        {
            "code_completion",
            "chat_panel_ask_mode",
            "chat_panel_agent_mode",
            "chat_inline",
            "agent_edit",
            "copilot_cli",
            "code_review",
        }
    ),
    CURSOR: frozenset({"tab", "composer", "chat", "agent", "cmdk", "bugbot"}),
    CLAUDE_CODE: frozenset(
        {"edit_tool", "multi_edit_tool", "write_tool", "commits", "pull_requests", "sessions"}
    ),
    OPENAI: frozenset({"api"}),
}
TIP_TOOLS = frozenset(FEATURES_BY_TOOL)

# Where each vendor publishes its own documentation; a tip links to one of these.
DOC_HOSTS_BY_TOOL: Mapping[str, frozenset[str]] = {
    COPILOT: frozenset({"github.com", "docs.github.com"}),
    CLAUDE_CODE: frozenset(
        {"docs.anthropic.com", "docs.claude.com", "code.claude.com", "support.anthropic.com"}
    ),
    CURSOR: frozenset({"cursor.com", "docs.cursor.com"}),
    OPENAI: frozenset({"platform.openai.com", "developers.openai.com", "help.openai.com"}),
}
DOC_HOSTS = frozenset[str]().union(*DOC_HOSTS_BY_TOOL.values())

GAPS = frozenset(
    {
        "unused_tool",  # has a seat or account but does not use the tool
        "untried_feature",  # has never used one of the tip's features
        "low_acceptance",  # accepts fewer than about one suggestion in five
        "lapsed_habit",  # was active, then stopped
        "getting_started",  # inactive or light: the basics
    }
)
# The adoption tiers that get nudges (bot.adoption.Tier values); power users are left alone.
SUITS = frozenset({"inactive", "light", "regular"})

_TIP_FIELDS = ("id", "tools", "features", "gaps", "suits", "text", "link")
_TIP_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A link in the text would duplicate the button, and Slack would unfurl it.
_URL_IN_TEXT = re.compile(
    r"(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.|\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|dev|ai|app)\b/)"
)


class TipLibraryError(ValueError):
    """The tip library is unusable; `problems` lists everything wrong with it."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        count = len(self.problems)
        super().__init__(
            f"tip library {source}: {count} problem{'' if count == 1 else 's'}:\n{listing}"
        )


@dataclass(frozen=True, slots=True)
class Tip:
    """One short, actionable tip about a tool, and the vendor page that explains more."""

    id: str
    tools: tuple[str, ...]
    features: tuple[str, ...]
    gaps: tuple[str, ...]
    suits: tuple[str, ...]
    text: str
    link: str


@dataclass(frozen=True, slots=True)
class TipLibrary:
    """Every tip, and the library version recorded with each tip sent."""

    version: str
    tips: tuple[Tip, ...]

    def by_id(self, tip_id: str) -> Tip | None:
        """The tip with this id, if the library has it."""
        return next((tip for tip in self.tips if tip.id == tip_id), None)

    def for_tool(self, tool: str) -> tuple[Tip, ...]:
        """The tips about this tool, including tips shared with other tools."""
        return tuple(tip for tip in self.tips if tool in tip.tools)


def load_library(path: Path | None = None) -> TipLibrary:
    """Load and validate a tip library; by default the one shipped with the package."""
    if path is None:
        source = f"bot.tips/{LIBRARY_RESOURCE}"
        resource = importlib.resources.files("bot.tips").joinpath(LIBRARY_RESOURCE)
        try:
            text = resource.read_text(encoding="utf-8")
        except OSError as exc:
            raise TipLibraryError(source, [f"cannot be read: {exc}"]) from exc
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TipLibraryError(source, [f"cannot be read: {exc}"]) from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TipLibraryError(source, [f"is not valid YAML: {exc}"]) from exc
    return _build_library(document, source)


@functools.cache
def default_library() -> TipLibrary:
    """The packaged tip library, loaded and validated once per process."""
    return load_library()


def _build_library(document: object, source: str) -> TipLibrary:
    problems: list[str] = []
    if not isinstance(document, dict):
        raise TipLibraryError(source, ["the top level must be a mapping with version and tips"])

    version = document.get("version")
    if version is None:
        problems.append("library: version: missing")
    elif not isinstance(version, str) or not version.strip():
        problems.append("library: version: must be a non-empty string (quote it in YAML)")
        version = None
    unknown_keys = sorted(str(key) for key in document if key not in ("version", "tips"))
    if unknown_keys:
        problems.append(f"library: unknown top-level keys {unknown_keys}")

    entries = document.get("tips")
    if not isinstance(entries, list):
        problems.append("library: tips: missing, or not a list")
        entries = []
    elif len(entries) < MIN_TIPS:
        problems.append(f"library: tips: has {len(entries)} tips, at least {MIN_TIPS} are needed")

    tips: list[Tip] = []
    for position, entry in enumerate(entries, start=1):
        tip = _check_tip(entry, position, problems)
        if tip is not None:
            tips.append(tip)

    counts = Counter(
        entry["id"]
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("id"), str)
    )
    problems.extend(
        f"tip {tip_id!r}: id: duplicate id, used by {count} tips"
        for tip_id, count in counts.items()
        if count > 1
    )

    if problems or not isinstance(version, str):
        raise TipLibraryError(source, problems)
    return TipLibrary(version=version, tips=tuple(tips))


def _check_tip(entry: object, position: int, problems: list[str]) -> Tip | None:
    """A Tip from one YAML entry, or None after recording why it cannot be one."""
    if not isinstance(entry, dict):
        problems.append(f"tip #{position}: must be a mapping of {', '.join(_TIP_FIELDS)}")
        return None
    raw_id = entry.get("id")
    tip_id = raw_id if isinstance(raw_id, str) and _TIP_ID.match(raw_id) else None
    label = f"tip {tip_id!r}" if tip_id else f"tip #{position}"
    start = len(problems)
    if tip_id is None:
        problems.append(f"{label}: id: must be a kebab-case string, got {raw_id!r}")

    unknown = sorted(str(key) for key in entry if key not in _TIP_FIELDS)
    if unknown:
        problems.append(f"{label}: unknown fields {unknown}")

    tools = _string_list(entry, "tools", label, problems, allow_empty=False)
    features = _string_list(entry, "features", label, problems, allow_empty=True)
    gaps = _string_list(entry, "gaps", label, problems, allow_empty=False)
    suits = _string_list(entry, "suits", label, problems, allow_empty=False)
    text = _string(entry, "text", label, problems)
    link = _string(entry, "link", label, problems)

    problems.extend(
        f"{label}: tools: unknown tool {tool!r} (known: {sorted(TIP_TOOLS)})"
        for tool in tools
        if tool not in TIP_TOOLS
    )
    known_tools = [tool for tool in tools if tool in TIP_TOOLS]
    offered = frozenset[str]().union(*(FEATURES_BY_TOOL[tool] for tool in known_tools))
    if known_tools:
        problems.extend(
            f"{label}: features: unknown feature {feature!r} for {', '.join(known_tools)}"
            for feature in features
            if feature not in offered
        )
    problems.extend(
        f"{label}: gaps: unknown gap {gap!r} (known: {sorted(GAPS)})"
        for gap in gaps
        if gap not in GAPS
    )
    if "untried_feature" in gaps and not features:
        problems.append(f"{label}: features: an untried_feature tip must name its features")
    problems.extend(
        f"{label}: suits: unknown tier {tier!r} (known: {sorted(SUITS)})"
        for tier in suits
        if tier not in SUITS
    )
    if text is not None:
        _check_text(text, link, label, problems)
    if link is not None:
        _check_link(link, known_tools, label, problems)

    if len(problems) > start or tip_id is None or text is None or link is None:
        return None
    return Tip(
        id=tip_id,
        tools=tuple(tools),
        features=tuple(features),
        gaps=tuple(gaps),
        suits=tuple(suits),
        text=text,
        link=link,
    )


def _string_list(
    entry: Mapping[str, Any], field: str, label: str, problems: list[str], *, allow_empty: bool
) -> list[str]:
    value = entry.get(field)
    if value is None:
        problems.append(f"{label}: {field}: missing (use [] for none)")
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append(f"{label}: {field}: must be a list of strings")
        return []
    if not value and not allow_empty:
        problems.append(f"{label}: {field}: must name at least one")
    repeated = sorted(item for item, count in Counter(value).items() if count > 1)
    if repeated:
        problems.append(f"{label}: {field}: repeats {repeated}")
    return value


def _string(entry: Mapping[str, Any], field: str, label: str, problems: list[str]) -> str | None:
    value = entry.get(field)
    if value is None:
        problems.append(f"{label}: {field}: missing")
        return None
    if not isinstance(value, str):
        problems.append(f"{label}: {field}: must be a string")
        return None
    return value


def _check_text(text: str, link: str | None, label: str, problems: list[str]) -> None:
    if not text.strip():
        problems.append(f"{label}: text: empty")
    elif len(text) >= MAX_TEXT_CHARS:
        problems.append(f"{label}: text: {len(text)} characters, must be under {MAX_TEXT_CHARS}")
    if link and link in text:
        problems.append(f"{label}: text: contains the link; the link belongs in the button")
    elif _URL_IN_TEXT.search(text):
        problems.append(f"{label}: text: contains a URL; put the one link in the link field")


def _check_link(link: str, tools: Sequence[str], label: str, problems: list[str]) -> None:
    parts = urlsplit(link)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        problems.append(f"{label}: link: must be an https URL, got {link!r}")
    elif host not in DOC_HOSTS:
        problems.append(f"{label}: link: {host!r} is not an allowed vendor documentation host")
    elif tools and not any(host in DOC_HOSTS_BY_TOOL[tool] for tool in tools):
        problems.append(f"{label}: link: {host!r} is not documentation for {', '.join(tools)}")
