"""The tip library: what ships with the bot, and every rule that rejects a bad library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.adoption import Tier
from bot.tips.library import (
    DOC_HOSTS_BY_TOOL,
    FEATURES_BY_TOOL,
    GAPS,
    MAX_TEXT_CHARS,
    MIN_TIPS,
    SUITS,
    TIP_TOOLS,
    Tip,
    TipLibrary,
    TipLibraryError,
    default_library,
    load_library,
)
from bot.tools import KNOWN_TOOLS

SHIPPED_VERSION = "2026.11.1"
GOOD_LINK = "https://docs.github.com/en/copilot/get-started/best-practices"


def good_tip(tip_id: str, **changes: Any) -> dict[str, Any]:
    """A tip that passes every rule, with `changes` applied."""
    tip: dict[str, Any] = {
        "id": tip_id,
        "tools": ["copilot"],
        "features": ["code_completion"],
        "gaps": ["untried_feature"],
        "suits": ["light"],
        "text": "*Try a suggestion:* press `Tab` to accept it or `Esc` to dismiss it.",
        "link": GOOD_LINK,
    }
    tip.update(changes)
    return tip


def library_document(*tips: dict[str, Any], version: Any = "2026.1.0") -> dict[str, Any]:
    """A library holding `tips`, topped up with good tips to the minimum size."""
    fillers = [good_tip(f"filler-tip-{n}") for n in range(MIN_TIPS - len(tips))]
    return {"version": version, "tips": [*tips, *fillers]}


def write_library(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "library.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def problems_for(tmp_path: Path, document: object) -> tuple[str, ...]:
    """Load a library that must fail, and return the problems it reported."""
    with pytest.raises(TipLibraryError) as caught:
        load_library(write_library(tmp_path, document))
    assert caught.value.problems, "a TipLibraryError must list its problems"
    for line, problem in caught.value.problems:
        assert f":{line}: {problem}" in str(caught.value)
    return tuple(problem for _, problem in caught.value.problems)


def assert_reported(problems: tuple[str, ...], *fragments: str) -> None:
    """Some single problem mentions every fragment (the tip, the field, the reason)."""
    assert any(all(fragment in problem for fragment in fragments) for problem in problems), (
        f"no problem mentions all of {fragments}; got {problems}"
    )


# --- the library that ships -------------------------------------------------------------------


def test_shipped_library_loads_with_its_version() -> None:
    library = load_library()

    assert library.version == SHIPPED_VERSION
    assert len(library.tips) >= MIN_TIPS
    assert all(isinstance(tip, Tip) for tip in library.tips)


def test_default_library_is_loaded_once_and_matches_the_package_file() -> None:
    assert default_library() is default_library()
    assert default_library() == load_library()


def test_shipped_ids_are_unique() -> None:
    ids = [tip.id for tip in load_library().tips]

    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("tool", sorted(TIP_TOOLS))
def test_every_tool_has_at_least_ten_tips(tool: str) -> None:
    assert len(load_library().for_tool(tool)) >= 10


@pytest.mark.parametrize("tool", sorted(TIP_TOOLS))
def test_every_tier_and_gap_is_covered_for_every_tool(tool: str) -> None:
    tips = load_library().for_tool(tool)

    assert {tier for tip in tips for tier in tip.suits} == SUITS
    assert {gap for tip in tips for gap in tip.gaps} == GAPS


@pytest.mark.parametrize("tool", sorted(TIP_TOOLS))
def test_every_feature_of_a_tool_has_a_tip(tool: str) -> None:
    covered = {feature for tip in load_library().for_tool(tool) for feature in tip.features}

    assert FEATURES_BY_TOOL[tool] <= covered


def test_some_tips_span_several_tools() -> None:
    assert any(len(tip.tools) > 1 for tip in load_library().tips)


def test_shipped_links_point_at_the_tools_own_docs() -> None:
    for tip in load_library().tips:
        host = tip.link.split("/")[2]
        assert tip.link.startswith("https://"), tip.id
        assert any(host in DOC_HOSTS_BY_TOOL[tool] for tool in tip.tools), tip.id
        assert "://" not in tip.text, tip.id
        assert 0 < len(tip.text) < MAX_TEXT_CHARS, tip.id


def test_tip_vocabulary_matches_the_rest_of_the_bot() -> None:
    assert set(KNOWN_TOOLS) == TIP_TOOLS
    assert {tier.value for tier in Tier if tier is not Tier.POWER} == SUITS


def test_by_id_and_for_tool() -> None:
    library = load_library()

    tip = library.by_id("copilot-first-completion")
    assert tip is not None
    assert tip.tools == ("copilot",)
    assert library.by_id("no-such-tip") is None
    cursor_tips = library.for_tool("cursor")
    assert cursor_tips
    assert all("cursor" in tip.tools for tip in cursor_tips)
    assert len(cursor_tips) == sum("cursor" in tip.tools for tip in library.tips)


def test_a_valid_library_file_loads_from_a_path(tmp_path: Path) -> None:
    path = write_library(tmp_path, library_document(good_tip("first-tip"), version="2027.1.0"))

    library = load_library(path)

    assert isinstance(library, TipLibrary)
    assert library.version == "2027.1.0"
    assert len(library.tips) == MIN_TIPS
    assert library.by_id("first-tip") == Tip(
        id="first-tip",
        tools=("copilot",),
        features=("code_completion",),
        gaps=("untried_feature",),
        suits=("light",),
        text="*Try a suggestion:* press `Tab` to accept it or `Esc` to dismiss it.",
        link=GOOD_LINK,
    )


def test_text_just_under_the_limit_is_accepted(tmp_path: Path) -> None:
    path = write_library(
        tmp_path, library_document(good_tip("long-tip", text="x" * (MAX_TEXT_CHARS - 1)))
    )

    assert load_library(path).by_id("long-tip") is not None


# --- each rule rejects a crafted bad library, naming the tip and the field ----------------------


@pytest.mark.parametrize(
    ("bad_tip", "fragments"),
    [
        pytest.param(
            good_tip("bad-tip", tools=["windsurf"]),
            ("tip 'bad-tip'", "tools", "windsurf"),
            id="unknown-tool",
        ),
        pytest.param(good_tip("bad-tip", tools=[]), ("tip 'bad-tip'", "tools"), id="no-tools"),
        pytest.param(
            good_tip("bad-tip", gaps=["bored"]),
            ("tip 'bad-tip'", "gaps", "bored"),
            id="unknown-gap",
        ),
        pytest.param(
            good_tip("bad-tip", suits=["power"]),
            ("tip 'bad-tip'", "suits", "power"),
            id="unknown-tier",
        ),
        pytest.param(
            good_tip("bad-tip", features=["hyperdrive"]),
            ("tip 'bad-tip'", "features", "hyperdrive"),
            id="unknown-feature",
        ),
        pytest.param(
            good_tip("bad-tip", features=["tab"]),
            ("tip 'bad-tip'", "features", "tab"),
            id="feature-of-another-tool",
        ),
        pytest.param(
            good_tip("bad-tip", features=[]),
            ("tip 'bad-tip'", "features", "untried_feature"),
            id="untried-feature-without-features",
        ),
        pytest.param(
            good_tip("bad-tip", text=""), ("tip 'bad-tip'", "text", "empty"), id="empty-text"
        ),
        pytest.param(
            good_tip("bad-tip", text="   \n "), ("tip 'bad-tip'", "text", "empty"), id="blank-text"
        ),
        pytest.param(
            good_tip("bad-tip", text="x" * MAX_TEXT_CHARS),
            ("tip 'bad-tip'", "text", str(MAX_TEXT_CHARS)),
            id="text-at-limit",
        ),
        pytest.param(
            good_tip("bad-tip", text=f"Read more at {GOOD_LINK} today."),
            ("tip 'bad-tip'", "text", "link"),
            id="text-contains-link",
        ),
        pytest.param(
            good_tip("bad-tip", text="See <https://example.com/guide|the guide> first."),
            ("tip 'bad-tip'", "text", "URL"),
            id="text-contains-slack-link",
        ),
        pytest.param(
            good_tip("bad-tip", text="See www.example.com for more."),
            ("tip 'bad-tip'", "text", "URL"),
            id="text-contains-bare-url",
        ),
        pytest.param(
            good_tip("bad-tip", text="Details live at docs.github.com/en/copilot as well."),
            ("tip 'bad-tip'", "text", "URL"),
            id="text-contains-schemeless-url",
        ),
        pytest.param(
            good_tip("bad-tip", link="http://docs.github.com/en/copilot"),
            ("tip 'bad-tip'", "link", "https"),
            id="link-not-https",
        ),
        pytest.param(
            good_tip("bad-tip", link="https://example.com/copilot-tips"),
            ("tip 'bad-tip'", "link", "example.com"),
            id="link-not-vendor-docs",
        ),
        pytest.param(
            good_tip("bad-tip", link="https://docs.github.com.evil.example/en/copilot"),
            ("tip 'bad-tip'", "link"),
            id="link-lookalike-host",
        ),
        pytest.param(
            good_tip("bad-tip", link="https://cursor.com/docs/tab"),
            ("tip 'bad-tip'", "link", "cursor.com"),
            id="link-to-another-vendor",
        ),
        pytest.param(
            {k: v for k, v in good_tip("bad-tip").items() if k != "link"},
            ("tip 'bad-tip'", "link", "missing"),
            id="missing-link",
        ),
        pytest.param(
            good_tip("bad-tip", gaps="low_acceptance"),
            ("tip 'bad-tip'", "gaps", "list"),
            id="field-not-a-list",
        ),
        pytest.param(
            good_tip("bad-tip", summary="extra"),
            ("tip 'bad-tip'", "summary"),
            id="unknown-field",
        ),
        pytest.param(good_tip("Bad_Tip"), ("tip #1", "id", "Bad_Tip"), id="id-not-kebab-case"),
    ],
)
def test_a_bad_tip_is_rejected_with_its_id_and_field(
    tmp_path: Path, bad_tip: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    problems = problems_for(tmp_path, library_document(bad_tip))

    assert_reported(problems, *fragments)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    document = library_document(good_tip("same-tip"), good_tip("same-tip", suits=["regular"]))

    problems = problems_for(tmp_path, document)

    assert_reported(problems, "tip 'same-tip'", "id", "duplicate")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    document = library_document(
        good_tip("first-bad", tools=["windsurf"]),
        good_tip("second-bad", link="https://example.com/"),
        good_tip("third-bad", text="y" * 700, suits=["power"]),
        version=None,
    )

    problems = problems_for(tmp_path, document)

    assert_reported(problems, "tip 'first-bad'", "tools")
    assert_reported(problems, "tip 'second-bad'", "link")
    assert_reported(problems, "tip 'third-bad'", "text")
    assert_reported(problems, "tip 'third-bad'", "suits")
    assert_reported(problems, "version", "missing")


def test_missing_version_is_rejected(tmp_path: Path) -> None:
    document = library_document()
    del document["version"]

    assert_reported(problems_for(tmp_path, document), "version", "missing")


@pytest.mark.parametrize("version", ["", 2026, 2026.11])
def test_a_version_that_is_not_a_string_is_rejected(tmp_path: Path, version: Any) -> None:
    assert_reported(problems_for(tmp_path, library_document(version=version)), "version")


def test_too_few_tips_is_rejected(tmp_path: Path) -> None:
    document = {"version": "2026.1.0", "tips": [good_tip(f"tip-{n}") for n in range(MIN_TIPS - 1)]}

    assert_reported(problems_for(tmp_path, document), "tips", str(MIN_TIPS - 1), str(MIN_TIPS))


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(["not", "a", "mapping"], id="top-level-list"),
        pytest.param({"version": "2026.1.0"}, id="no-tips"),
        pytest.param({"version": "2026.1.0", "tips": "none"}, id="tips-not-a-list"),
    ],
)
def test_a_malformed_library_is_rejected(tmp_path: Path, document: object) -> None:
    problems_for(tmp_path, document)


def test_a_tip_that_is_not_a_mapping_is_named_by_position(tmp_path: Path) -> None:
    document = library_document()
    document["tips"][2] = "just a sentence"

    assert_reported(problems_for(tmp_path, document), "tip #3")


def test_invalid_yaml_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "library.yaml"
    path.write_text("version: '2026.1.0'\ntips: [\n", encoding="utf-8")

    with pytest.raises(TipLibraryError, match="not valid YAML") as caught:
        load_library(path)
    assert caught.value.problems[0][0] == 3


# --- problems name the line they are on -------------------------------------------------------


def test_a_bad_field_is_reported_on_its_own_line(tmp_path: Path) -> None:
    # Written by hand, comments and folded text included, as people edit the real file.
    tips = "".join(
        f"  - id: filler-tip-{n}\n"
        "    tools: [copilot]\n"
        "    features: [code_completion]\n"
        "    gaps: [untried_feature]\n"
        "    suits: [light]\n"
        "    text: >-\n"
        "      *Try a suggestion:* press `Tab` to accept it.\n"
        f"    link: {GOOD_LINK}\n\n"
        for n in range(MIN_TIPS)
    )
    bad = tips.replace(
        "  - id: filler-tip-3\n    tools: [copilot]\n",
        "  - id: filler-tip-3\n    # an unreleased tool\n    tools: [windsurf]\n",
    ).replace(
        f"{GOOD_LINK}\n\n  - id: filler-tip-6", "http://docs.github.com\n\n  - id: filler-tip-6"
    )
    text = f"# Uptake's tips\nversion: '2026.1.0'\n\ntips:\n{bad}"
    lines = text.splitlines()
    path = tmp_path / "library.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(TipLibraryError) as caught:
        load_library(path)

    tools_line = lines.index("    tools: [windsurf]") + 1
    link_line = lines.index("    link: http://docs.github.com") + 1
    assert [line for line, _ in caught.value.problems] == [tools_line, link_line]
    assert caught.value.problems[0][1].startswith("tip 'filler-tip-3': tools: unknown tool")
    assert caught.value.problems[1][1].startswith("tip 'filler-tip-5': link: must be an https")
    assert f"{path}:{tools_line}: tip 'filler-tip-3'" in str(caught.value)


def test_a_missing_field_is_reported_on_its_tip_line(tmp_path: Path) -> None:
    document = library_document()
    del document["tips"][1]["link"]
    path = write_library(tmp_path, document)
    tip_line = path.read_text().splitlines().index("- id: filler-tip-1") + 1

    with pytest.raises(TipLibraryError) as caught:
        load_library(path)

    assert caught.value.problems == ((tip_line, "tip 'filler-tip-1': link: missing"),)


def test_aliases_and_repeated_keys_are_refused_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "library.yaml"
    path.write_text("version: '1'\ntips:\n  - &tip {id: a}\n  - *tip\n", encoding="utf-8")
    with pytest.raises(TipLibraryError, match="anchors and aliases") as caught:
        load_library(path)
    assert caught.value.problems[0][0] == 3

    path.write_text("version: '1'\ntips: []\nversion: '2'\n", encoding="utf-8")
    with pytest.raises(TipLibraryError) as caught:
        load_library(path)
    assert caught.value.problems == ((3, "version appears twice in the same mapping"),)


def test_a_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(TipLibraryError, match="cannot be read"):
        load_library(tmp_path / "absent.yaml")
