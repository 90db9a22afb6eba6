"""Checking a file before anything from it is written, and saying which line is wrong.

Every file import (usage, identity maps, the org file) and the tip library share this:
`FileRejected` carries (line, problem) pairs; `load_yaml` reads YAML while keeping the line of
every value, and refuses anchors and aliases; `validation_problems` turns a pydantic
`ValidationError` into problems on the lines the bad values came from; `field_table` writes a
model's fields as help text, so a file's documented schema is the one it is checked against.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

#: Where a value sits in a parsed document: mapping keys and list positions.
Location = tuple[str | int, ...]

# Pydantic's wording for the errors a person editing a file makes most.
_MESSAGES = {"missing": "missing", "extra_forbidden": "unknown field"}


class FileRejected(Exception):
    """A file has problems, each with its line number; nothing from it was written."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported")


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """A parsed YAML document and the line (1-based) each of its values starts on."""

    data: object
    lines: Mapping[Location, int]

    def line(self, location: Sequence[str | int]) -> int:
        """The line of the value at `location`, or of the nearest enclosing value given."""
        path = tuple(location)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


class _AnchorRefused(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _NoAliasLoader(yaml.SafeLoader):
    """A SafeLoader that refuses anchors and aliases.

    A few nested aliases expand into billions of values (an "alias bomb"), and no file Uptake
    reads needs them, so the first anchor or alias stops the load before anything expands.
    """

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            # An AliasEvent's anchor is the name it refers to: refused as well.
            raise _AnchorRefused(event.start_mark.line + 1 if event.start_mark else 1)
        return super().compose_node(parent, index)


def load_yaml(text: str) -> YamlDocument:
    """Parse one YAML document, keeping line numbers; raise `FileRejected` if it is unusable."""
    loader = _NoAliasLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _AnchorRefused as exc:
        raise FileRejected(
            [(exc.line, "YAML anchors and aliases (&name, *name) are not allowed; write it out")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable"
        raise FileRejected([(mark.line + 1 if mark else 1, f"not valid YAML: {problem}")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. a control
        line = text.count("\n", 0, exc.position) + 1
        raise FileRejected([(line, f"not valid YAML: {exc.reason}")]) from None
    except yaml.YAMLError as exc:
        raise FileRejected([(1, f"not valid YAML: {exc}")]) from None
    except RecursionError:
        line = loader.get_mark().line + 1
        raise FileRejected([(line, "nested too deeply")]) from None
    finally:
        loader.dispose()
    lines: dict[Location, int] = {}
    problems: list[tuple[int, str]] = []
    if node is not None:
        try:
            _record_lines(node, (), lines, problems)
        except RecursionError:
            raise FileRejected([(node.start_mark.line + 1, "nested too deeply")]) from None
    if problems:
        raise FileRejected(problems)
    return YamlDocument(data, lines)


def _record_lines(
    node: Node, path: Location, lines: dict[Location, int], problems: list[tuple[int, str]]
) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines, problems)
    elif isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else str(key.start_mark)
            if name in seen:
                # YAML would silently keep the last one; the first was probably meant too.
                problems.append(
                    (key.start_mark.line + 1, f"{name} appears twice in the same mapping")
                )
            seen.add(name)
            _record_lines(value, (*path, name), lines, problems)
            # A key's own line, so a problem with a block value (`text: >-`) points at its key.
            lines[(*path, name)] = key.start_mark.line + 1


def dotted(location: Sequence[str | int]) -> str:
    """`members.2` for ("members", 2): where a problem is, within a line's record."""
    return ".".join(str(part) for part in location)


def validation_problems(
    error: ValidationError,
    line: int | Callable[[Location], int],
    where: Callable[[Location], str] = dotted,
) -> list[tuple[int, str]]:
    """Every error pydantic found, as (line, "where: problem").

    `line` is the record's line, or finds the line of each value (`YamlDocument.line`).
    """
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        location = tuple(detail["loc"])
        message = _MESSAGES.get(detail["type"], detail["msg"].removeprefix("Value error, "))
        place = where(location)
        number = line if isinstance(line, int) else line(location)
        problems.append((number, f"{place}: {message}" if place else message))
    return problems


def field_table(model: type[BaseModel], indent: str = "  ") -> str:
    """One line per field of `model`: its name, type (and if it is required) and description."""
    rows = []
    for name, field in model.model_fields.items():
        kind = _kind(field.annotation)
        if any(getattr(rule, "ge", None) == 0 for rule in field.metadata):
            kind += " >= 0"
        rows.append(
            (name, f"{kind}, required" if field.is_required() else kind, field.description or "")
        )
    name_width = max(len(name) for name, _, _ in rows)
    kind_width = max(len(kind) for _, kind, _ in rows)
    return "\n".join(
        f"{indent}{name:<{name_width}}  {kind:<{kind_width}}  {text}".rstrip()
        for name, kind, text in rows
    )


def _kind(annotation: Any) -> str:
    """A type as a person editing a file thinks of it."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kind(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(
            _kind(arg) for arg in typing.get_args(annotation) if arg is not type(None)
        )
    if origin is list:
        return "list"
    if origin is typing.Literal:
        return "|".join(str(arg) for arg in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "|".join(str(member.value) for member in annotation)
    names = {
        "str": "text",
        "int": "integer",
        "bool": "true/false",
        "date": "YYYY-MM-DD",
        "Decimal": "decimal",
    }
    return names.get(getattr(annotation, "__name__", ""), str(annotation))
