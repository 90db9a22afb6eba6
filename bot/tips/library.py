"""The curated tip library: short, versioned tips for each tool, validated when loaded.

The tips live in `library.yaml`, shipped inside the `bot.tips` package. Loading checks every
tip against `TipEntry` and reports all problems at once, each with its line in the file, so a
bad edit fails at start-up with a full list rather than one problem per attempt.
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

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from bot.rejected import FileRejected, Location, YamlDocument, dotted, load_yaml
from bot.rejected import validation_problems as problems_in
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

_TIP_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A link in the text would duplicate the button, and Slack would unfurl it.
_URL_IN_TEXT = re.compile(
    r"(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.|\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|dev|ai|app)\b/)"
)


class TipLibraryError(ValueError):
    """The tip library is unusable; `problems` lists everything wrong with it, by line."""

    def __init__(self, source: str, problems: Sequence[tuple[int, str]]) -> None:
        self.source = source
        self.problems = tuple(sorted(problems))
        listing = "\n".join(
            f"  {source}:{line}: {problem}" if line else f"  {source}: {problem}"
            for line, problem in self.problems
        )
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
    source = str(path) if path else f"bot.tips/{LIBRARY_RESOURCE}"
    file = path or importlib.resources.files("bot.tips").joinpath(LIBRARY_RESOURCE)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise TipLibraryError(source, [(0, f"cannot be read: {exc}")]) from exc
    try:
        document = load_yaml(text)
    except FileRejected as exc:
        raise TipLibraryError(source, exc.problems) from None
    return _build_library(document, source)


@functools.cache
def default_library() -> TipLibrary:
    """The packaged tip library, loaded and validated once per process."""
    return load_library()


class TipEntry(BaseModel):
    """One tip as written in the library file."""

    model_config = ConfigDict(extra="forbid")

    id: str
    tools: list[str]
    features: list[str]
    gaps: list[str]
    suits: list[str]
    text: str
    link: str

    @field_validator("id")
    @classmethod
    def _kebab_case(cls, value: str) -> str:
        if not _TIP_ID.match(value):
            raise ValueError(f"must be a kebab-case string, got {value!r}")
        return value

    @field_validator("tools")
    @classmethod
    def _known_tools(cls, value: list[str]) -> list[str]:
        _named(value, "tool", TIP_TOOLS, allow_empty=False)
        return value

    @field_validator("features")
    @classmethod
    def _features_of_the_tools(cls, value: list[str], info: ValidationInfo) -> list[str]:
        _named(value, "feature", None, allow_empty=True)
        tools = info.data.get("tools") or []
        offered = frozenset[str]().union(*(FEATURES_BY_TOOL[tool] for tool in tools))
        unknown = [feature for feature in value if feature not in offered]
        if tools and unknown:
            raise ValueError(f"unknown feature(s) {unknown} for {', '.join(tools)}")
        return value

    @field_validator("gaps")
    @classmethod
    def _known_gaps(cls, value: list[str], info: ValidationInfo) -> list[str]:
        _named(value, "gap", GAPS, allow_empty=False)
        if "untried_feature" in value and info.data.get("features") == []:
            raise ValueError("an untried_feature tip must name its features")
        return value

    @field_validator("suits")
    @classmethod
    def _known_tiers(cls, value: list[str]) -> list[str]:
        _named(value, "tier", SUITS, allow_empty=False)
        return value

    @field_validator("text")
    @classmethod
    def _short_plain_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty")
        if len(value) >= MAX_TEXT_CHARS:
            raise ValueError(f"{len(value)} characters, must be under {MAX_TEXT_CHARS}")
        if _URL_IN_TEXT.search(value):
            raise ValueError("contains a URL; put the one link in the link field")
        return value

    @field_validator("link")
    @classmethod
    def _vendor_docs(cls, value: str, info: ValidationInfo) -> str:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        tools = info.data.get("tools") or []
        if parts.scheme != "https" or not host:
            raise ValueError(f"must be an https URL, got {value!r}")
        if host not in DOC_HOSTS:
            raise ValueError(f"{host!r} is not an allowed vendor documentation host")
        if tools and not any(host in DOC_HOSTS_BY_TOOL[tool] for tool in tools):
            raise ValueError(f"{host!r} is not documentation for {', '.join(tools)}")
        return value


class LibraryFile(BaseModel):
    """The whole library file: its version and its tips."""

    model_config = ConfigDict(extra="forbid")

    version: str
    tips: list[TipEntry]

    @field_validator("version", mode="before")
    @classmethod
    def _quoted(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("missing")
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string (quote it in YAML)")
        return value


def _named(
    values: list[str], kind: str, known: frozenset[str] | None, *, allow_empty: bool
) -> None:
    """Raise unless `values` name at least one thing (when needed), each once, all known."""
    if not values and not allow_empty:
        raise ValueError("must name at least one")
    repeated = sorted(value for value, count in Counter(values).items() if count > 1)
    if repeated:
        raise ValueError(f"repeats {repeated}")
    unknown = [value for value in values if known is not None and value not in known]
    if unknown and known is not None:
        raise ValueError(f"unknown {kind}(s) {unknown} (known: {sorted(known)})")


def _build_library(document: YamlDocument, source: str) -> TipLibrary:
    data = document.data
    if not isinstance(data, dict):
        raise TipLibraryError(
            source, [(1, "the top level must be a mapping with version and tips")]
        )
    raw_tips = data.get("tips")
    entries: list[Any] = raw_tips if isinstance(raw_tips, list) else []

    def where(location: Location) -> str:
        if location[:1] != ("tips",) or len(location) < 2:
            return f"library: {dotted(location)}"
        position = int(location[1])
        entry = entries[position] if position < len(entries) else None
        raw_id = entry.get("id") if isinstance(entry, dict) else None
        label = (
            f"tip {raw_id!r}"
            if isinstance(raw_id, str) and _TIP_ID.match(raw_id)
            else f"tip #{position + 1}"
        )
        rest = dotted(location[2:])
        return f"{label}: {rest}" if rest else label

    problems: list[tuple[int, str]] = []
    parsed: LibraryFile | None = None
    try:
        parsed = LibraryFile.model_validate(data)
    except ValidationError as exc:
        problems += problems_in(exc, document.line, where)
    if 0 < len(entries) < MIN_TIPS:
        problems.append(
            (
                document.line(("tips",)),
                f"library: tips: has {len(entries)} tips, at least {MIN_TIPS} are needed",
            )
        )
    first_line: dict[str, int] = {}
    for position, entry in enumerate(entries):
        tip_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(tip_id, str):
            continue
        line = document.line(("tips", position, "id"))
        if tip_id in first_line:
            problems.append(
                (line, f"tip {tip_id!r}: id: duplicate id, first used on line {first_line[tip_id]}")
            )
        first_line.setdefault(tip_id, line)
    if problems or parsed is None:
        raise TipLibraryError(source, problems)
    return TipLibrary(
        version=parsed.version,
        tips=tuple(
            Tip(
                id=entry.id,
                tools=tuple(entry.tools),
                features=tuple(entry.features),
                gaps=tuple(entry.gaps),
                suits=tuple(entry.suits),
                text=entry.text,
                link=entry.link,
            )
            for entry in parsed.tips
        ),
    )
