"""Validate the Slack app manifest (``manifest.json``) against Slack's published schema.

The schema is Slack's own, copied into ``tests/fixtures/slack/app-manifest/`` (see the
``SOURCES.md`` beside it), so the tests need nothing outside the repository.

Schema quirks handled here:

* ``manifest.schema.json`` (draft-07) dispatches on ``_metadata.major_version`` with ``oneOf`` and
  ``$ref``s the per-version schemas by absolute ``raw.githubusercontent.com`` URLs. The per-version
  files have no ``$id``, so a ``referencing.Registry`` maps each of those URLs to the local copy
  (no network access, and no deprecated ``RefResolver``, which would warn under
  ``filterwarnings = error``).
* ``display_information.background_color`` is constrained with a non-standard ``regex`` keyword,
  which JSON Schema ignores, so the colour format is checked explicitly below.
* ``long_description`` has ``minLength: 175``; ``display_information.name`` has ``maxLength: 35``.

Bot scopes, and why each is needed (``ALLOWED_BOT_SCOPES`` must change consciously with them):

* ``commands``: the ``/myusage`` slash command (and later ``/teamusage``, ``/aitips``).
* ``chat:write``: ephemeral ``/myusage`` answers, opted-in tip DMs and manager digests.
* ``im:write``: open the DM conversation with a person before sending a tip or a digest.
* ``im:history``: before re-sending a DM whose first attempt had an unknown outcome, the
  outbox looks for its idempotency key in the conversation's recent messages.
* ``channels:history`` / ``groups:history``: the same check for weekly digests posted to
  a (public or private) channel an admin chose.
* ``users:read``: a person's timezone, so nudges and digests arrive at a sane local time.
* ``users:read.email``: link vendor identities (GitHub, OpenAI, ...) to Slack users by
  verified email.
* ``files:write``: (future) upload the trend chart attached to weekly digests.
* ``usergroups:read``: (future) map Slack user groups to teams for aggregates.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REPO_ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = REPO_ROOT / "manifest.json"
SPEC_DIR = REPO_ROOT / "tests" / "fixtures" / "slack" / "app-manifest"
TOP_SCHEMA_PATH = SPEC_DIR / "manifest.schema.json"
EXAMPLE_PATH = SPEC_DIR / "example.manifest.v1.valid.json"

# The one path our web server serves for Slack (events, commands and interactivity).
SLACK_PATH = "/slack/events"

ALLOWED_BOT_SCOPES = frozenset(
    {
        "commands",
        "chat:write",
        "im:write",
        "im:history",
        "channels:history",
        "groups:history",
        "users:read",
        "users:read.email",
        "files:write",
        "usergroups:read",
    }
)

Manifest = dict[str, Any]


def _load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _iter_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _iter_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _iter_refs(item)


@functools.cache
def _build_validator() -> Draft7Validator:
    top = _load_json(TOP_SCHEMA_PATH)
    assert top.get("$schema") == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(top)

    # Map every absolute $ref (e.g. https://raw.githubusercontent.com/.../manifest.schema.1.0.0.json)
    # to the local file of the same name.
    resources: list[tuple[str, Resource[Any]]] = []
    for url in sorted({ref for ref in _iter_refs(top) if not ref.startswith("#")}):
        local = SPEC_DIR / url.rsplit("/", 1)[-1]
        assert local.is_file(), f"schema $ref {url} has no local copy at {local}"
        contents = _load_json(local)
        Draft7Validator.check_schema(contents)
        resources.append((url, Resource.from_contents(contents, default_specification=DRAFT7)))
    assert resources, "expected manifest.schema.json to $ref the per-version schemas"

    registry: Registry[Any] = Registry().with_resources(resources)
    return Draft7Validator(top, registry=registry)


@pytest.fixture
def manifest() -> Manifest:
    return _load_json(MANIFEST_PATH)


def test_manifest_matches_slack_schema(manifest: Manifest) -> None:
    validator = _build_validator()
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    validator.validate(manifest)


def test_slack_example_manifest_is_valid() -> None:
    # Positive control: proves the $ref registry resolves the per-version schema.
    _build_validator().validate(_load_json(EXAMPLE_PATH))


def _drop_command(m: Manifest) -> None:
    del m["features"]["slash_commands"][0]["command"]


def _long_name(m: Manifest) -> None:
    m["display_information"]["name"] = "U" * 36


def _short_long_description(m: Manifest) -> None:
    m["display_information"]["long_description"] = "Too short."


def _unknown_top_level_key(m: Manifest) -> None:
    m["not_a_manifest_key"] = True


def _command_without_slash(m: Manifest) -> None:
    m["features"]["slash_commands"][0]["command"] = "myusage"


def _unknown_major_version(m: Manifest) -> None:
    m["_metadata"]["major_version"] = 3


def _leaf_errors(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    # manifest.schema.json wraps everything in oneOf, so the real causes sit in error.context.
    for error in errors:
        if error.context:
            yield from _leaf_errors(error.context)
        else:
            yield error


@pytest.mark.parametrize(
    ("breaker", "path", "keyword"),
    [
        (_drop_command, ["features", "slash_commands", 0], "required"),
        (_long_name, ["display_information", "name"], "maxLength"),
        (_short_long_description, ["display_information", "long_description"], "minLength"),
        (_unknown_top_level_key, [], "additionalProperties"),
        (_command_without_slash, ["features", "slash_commands", 0, "command"], "pattern"),
        (_unknown_major_version, ["_metadata", "major_version"], "const"),
    ],
)
def test_schema_rejects_broken_manifest(
    manifest: Manifest, breaker: Callable[[Manifest], None], path: list[Any], keyword: str
) -> None:
    validator = _build_validator()
    broken = copy.deepcopy(manifest)
    breaker(broken)
    assert broken != manifest
    with pytest.raises(ValidationError):
        validator.validate(broken)
    # ...and it fails for the intended reason, not an unrelated one.
    causes = [
        (list(e.absolute_path), e.validator) for e in _leaf_errors(validator.iter_errors(broken))
    ]
    assert (path, keyword) in causes, causes


def test_background_color_is_hex(manifest: Manifest) -> None:
    # The schema's "regex" keyword is non-standard and therefore not enforced; check it here.
    color = manifest["display_information"]["background_color"]
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", color), color


def test_all_request_urls_use_slack_events_path(manifest: Manifest) -> None:
    commands = manifest["features"]["slash_commands"]
    assert commands, "expected at least one slash command"
    urls = [c["url"] for c in commands]
    urls.append(manifest["settings"]["event_subscriptions"]["request_url"])
    urls.append(manifest["settings"]["interactivity"]["request_url"])
    for url in urls:
        assert url.startswith("https://"), url
        assert url.endswith(SLACK_PATH), f"{url} must end with {SLACK_PATH}"


def test_bot_scopes_are_allow_listed(manifest: Manifest) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes)), "duplicate bot scopes"
    unexpected = set(scopes) - ALLOWED_BOT_SCOPES
    assert not unexpected, (
        f"bot scopes {sorted(unexpected)} are not allow-listed; justify them in this file's "
        "docstring and add them to ALLOWED_BOT_SCOPES"
    )
    assert set(manifest["oauth_config"]["scopes"]) == {"bot"}, "only bot scopes are expected"


def test_slash_commands_are_the_ones_the_app_registers(manifest: Manifest) -> None:
    from handlers.commands.admin import ADMIN_COMMAND
    from handlers.commands.aitips import AITIPS_COMMAND
    from handlers.commands.myusage import MYUSAGE_COMMAND
    from handlers.commands.teamusage import TEAMUSAGE_COMMAND

    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {MYUSAGE_COMMAND, ADMIN_COMMAND, TEAMUSAGE_COMMAND, AITIPS_COMMAND}
    assert commands[MYUSAGE_COMMAND]["should_escape"] is False
    # mentions must arrive as <@U…> so the admin command can resolve them
    assert commands[ADMIN_COMMAND]["should_escape"] is True


# Sample values for the placeholders a usage hint shows (upper-case words, @person, #channel).
HINT_PLACEHOLDERS = {
    "TEAM": "payments",
    "LOGIN": "octocat",
    "TOOL": "cursor",
    "ID": "octocat",
    "DAY": "mon",
    "HH:00": "09:00",
    "YYYY-Www": "2026-W48",
    "@person": "<@U012AB3CD>",
    "#channel": "<#C012AB3CD>",
}


def _split_choices(text: str) -> list[str]:
    """`a|b [c|d]|e` -> `a`, `b [c|d]`, `e`: split on `|` outside brackets."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char in "[(") - (char in "])")
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _hint_alternatives(hint: str) -> list[list[str]]:
    """The hint's alternatives, each a list of words (`[a|b]`: optional, `(a|b)`: one of)."""
    assert hint.startswith("[") and hint.endswith("]"), hint
    return [alternative.split() for alternative in _split_choices(hint[1:-1])]


def _expand(words: list[str]) -> Iterator[str]:
    """Every command text an alternative stands for, placeholders filled in."""
    choices: list[list[str]] = []
    for word in words:
        options = _split_choices(word[1:-1]) if word[0] in "[(" else [word]
        options = [HINT_PLACEHOLDERS.get(option, option) for option in options]
        choices.append(["", *options] if word[0] == "[" else options)
    for combination in itertools.product(*choices):
        yield " ".join(part for part in combination if part)


def _hint_contract() -> dict[str, tuple[Callable[[str], Any], tuple[str, ...], set[str]]]:
    """Per command: its parser, its subcommands, and other words its hint must offer."""
    from bot import admin, aitips, myusage, teamusage
    from bot.adoption import WINDOWS
    from bot.figures.periods import LENGTHS
    from bot.tips.service import FREQUENCY_DAYS
    from handlers.commands.admin import ADMIN_COMMAND
    from handlers.commands.aitips import AITIPS_COMMAND
    from handlers.commands.myusage import MYUSAGE_COMMAND
    from handlers.commands.teamusage import TEAMUSAGE_COMMAND

    return {
        MYUSAGE_COMMAND: (
            myusage.parse_myusage,
            myusage.SUBCOMMANDS,
            {f"{days}d" for days in WINDOWS},
        ),
        TEAMUSAGE_COMMAND: (teamusage.parse_teamusage, teamusage.SUBCOMMANDS, set(LENGTHS)),
        AITIPS_COMMAND: (
            aitips.parse_aitips,
            aitips.SUBCOMMANDS,
            set(aitips.WEEKS) | set(FREQUENCY_DAYS),
        ),
        ADMIN_COMMAND: (admin.parse_admin, admin.SUBCOMMANDS, set()),
    }


@pytest.mark.parametrize("command", ["/myusage", "/teamusage", "/aitips", "/uptake-admin"])
def test_usage_hint_lists_exactly_what_the_parser_understands(
    manifest: Manifest, command: str
) -> None:
    parse, subcommands, other_words = _hint_contract()[command]
    hint = {c["command"]: c for c in manifest["features"]["slash_commands"]}[command]["usage_hint"]
    alternatives = _hint_alternatives(hint)

    # Everything the hint offers, the parser understands...
    for alternative in alternatives:
        for text in _expand(alternative):
            request = parse(text)
            assert request.not_understood == "", f"{command} {text}: not understood"
            assert (request.kind == "help") == (text == "help"), f"{command} {text}: {request}"

    # ...and every subcommand the parser knows (and the words it takes) is in the hint.
    first_words = {words[0] for words in alternatives if words[0] not in HINT_PLACEHOLDERS}
    assert first_words - other_words == set(subcommands), hint
    offered = {text for words in alternatives for text in _expand(words)}
    assert other_words <= {word for text in offered for word in text.split()}, hint
