"""The usage file of `uptake import usage`: its schema (`UsageRecord`), reading and help.

Reading checks each line as it comes: every problem is a line-numbered string, never an
exception. NDJSON lines are parsed and checked by pydantic itself (strict types, bounded
nesting and numbers), CSV rows by the same model from text; shapes are constraints pydantic
checks without calling Python, since an import checks millions of rows. Plain CSV rows are
checked by hand against the same limits first (bot/usage_rows.py), which is several times
faster; the model checks, and words the problems of, every row that is not plain.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from bot.import_files import (
    control_characters,
    csv_value_rows,
    has_control_character,
    numbered_lines,
)
from bot.rejected import FileRejected, field_table, validation_problems
from bot.usage_rows import (
    COUNTERS,
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    FEATURE_MAX_LENGTH,
    IMPORT_SOURCE,
    INT32_MAX,
    INT64_MAX,
    MAX_COST_USD,
    MAX_FEATURES,
    SLACK_USER_ID_MAX_LENGTH,
    SLACK_USER_ID_PATTERN,
    TOOL_PATTERN,
    CheckedRow,
    PlainCsvRows,
    cents_of,
    feature_list,
    storage_values,
)
from storage.models import CostKind

__all__ = ["COUNTERS", "IMPORT_SOURCE", "INT32_MAX", "INT64_MAX", "CheckedRow", "UsageRecord"]

_CONTROL_REFUSED = "a control character is not allowed in text"
_FRIENDLY = {
    "email": "is not an email address",
    "slack_user_id": "is not a Slack user id such as U012AB3CD",
    "tool": "must be a tool slug such as copilot, claude_code, cursor or openai",
}


class ImportRejected(FileRejected):
    """The file has problems; nothing was written."""


def _count(description: str, maximum: int = INT32_MAX) -> Any:
    # Bounded by the column's type. NDJSON is validated strictly (a JSON true or 2.5 is a
    # mistake, not 1 or 2); a CSV cell is text, and must read as a whole number.
    return Field(default=0, ge=0, le=maximum, description=description)


class UsageRecord(BaseModel):
    """One row of a usage file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # Shapes are patterns and limits pydantic checks itself, rather than Python validators:
    # an import checks millions of rows. `_FRIENDLY` words their errors.
    email: Annotated[str, StringConstraints(to_lower=True)] | None = Field(
        default=None,
        max_length=EMAIL_MAX_LENGTH,
        pattern=EMAIL_PATTERN,
        description="who: their Slack account's email (or give slack_user_id)",
    )
    slack_user_id: str | None = Field(
        default=None,
        max_length=SLACK_USER_ID_MAX_LENGTH,
        pattern=SLACK_USER_ID_PATTERN,
        description="who, as a Slack user id like U012AB3CD",
    )
    tool: str = Field(
        pattern=TOOL_PATTERN,
        description="copilot, claude_code, cursor, openai, or your own (a-z, 0-9, _)",
    )
    date: dt.date = Field(description="the day (UTC), not in the future")
    active: bool | None = Field(
        default=None, description="used the tool that day; default: any count above 0"
    )
    interactions: int = _count("sessions, prompts or requests")
    generations: int = _count("suggestions shown")
    acceptances: int = _count("suggestions accepted")
    lines_suggested: int = _count("lines of code suggested")
    lines_accepted: int = _count("lines of code accepted")
    chat_requests: int = _count("chat requests")
    agent_requests: int = _count("agent requests")
    cli_requests: int = _count("command-line requests")
    input_tokens: int = _count("tokens sent", INT64_MAX)
    output_tokens: int = _count("tokens received", INT64_MAX)
    cost_usd: Decimal | None = Field(
        default=None,
        ge=0,
        le=MAX_COST_USD,  # stored as cents in an INTEGER column
        max_digits=14,
        decimal_places=4,
        description="the day's cost in USD",
    )
    cost_kind: CostKind | None = Field(
        default=None, description="default estimated when a cost is given"
    )
    features: list[Annotated[str, StringConstraints(max_length=FEATURE_MAX_LENGTH)]] = Field(
        default_factory=list,
        max_length=MAX_FEATURES,
        description="features used; in CSV separated by ;",
    )

    @model_validator(mode="after")
    def _consistent(self) -> UsageRecord:
        if not self.email and not self.slack_user_id:
            raise ValueError("needs an email or a slack_user_id")
        if self.acceptances > self.generations > 0:
            raise ValueError("acceptances cannot exceed generations")
        return self

    def checked(self) -> CheckedRow:
        """This record as the importer writes it."""
        fields = self.__dict__  # the validated values; faster than an attribute each
        values = storage_values(
            self.tool,
            self.date,
            self.active,
            [fields[name] for name in COUNTERS],
            None if self.cost_usd is None else cents_of(self.cost_usd),
            self.cost_kind.value if self.cost_kind else None,
            feature_list(self.features),
        )
        who = self.email or self.slack_user_id or ""
        return CheckedRow((self.tool, who), self.email, self.slack_user_id, self.date, values)


def read_records(path: Path, max_bytes: int) -> Iterator[tuple[int, CheckedRow | list[str]]]:
    """(line number, checked row or its problems) for every data line, a line at a time."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".ndjson", ".jsonl"}:
        raise ImportRejected([(0, "the file must end in .csv, .ndjson or .jsonl")])
    lines = numbered_lines(path, max_bytes=max_bytes)
    try:
        if suffix == ".csv":
            header, rows = csv_value_rows(lines)
            plain = PlainCsvRows.for_header(header, list(UsageRecord.model_fields))
            for number, values in rows:
                if isinstance(values, str):
                    yield number, [values]
                    continue
                if has_control_character("".join(values)):
                    named = control_characters(dict(zip(header, values, strict=False)))
                    if named:
                        yield number, [f"{', '.join(named)}: {_CONTROL_REFUSED}"]
                        continue
                checked = plain.check(values) if plain is not None else None
                yield number, checked or csv_record(dict(zip(header, values, strict=False)))
        else:
            for number, line in lines:
                if line.strip():
                    yield number, _json_record(number, line)
    except FileRejected as exc:  # unreadable from here on: the problem ends the file
        for number, problem in exc.problems:
            yield number, [problem]


def csv_record(row: dict[str, str]) -> CheckedRow | list[str]:
    """A CSV row ({column: text}) checked by `UsageRecord`, or its problems."""
    # An empty cell means "not given", so defaults apply.
    values: dict[str, Any] = {name: value for name, value in row.items() if value}
    if "features" in values:
        values["features"] = [f.strip() for f in values["features"].split(";") if f.strip()]
    try:
        return UsageRecord.model_validate(values).checked()
    except ValidationError as exc:
        return _problems(exc)


def _problems(error: ValidationError) -> list[str]:
    """The record's problems, with the shapes of who and tool said in words."""
    problems = []
    for _, said in validation_problems(error, 0):
        name, _, message = said.partition(": ")
        friendly = name in _FRIENDLY and message.startswith("String should match pattern")
        problems.append(f"{name}: {_FRIENDLY[name]}" if friendly else said)
    return problems


# A JSON string escape that may stand for a control character; checked exactly when present.
_JSON_CONTROL = re.compile(r"\\(?:u00[01][0-9a-fA-F]|u007[fF]|[bfnrt])")


def _json_record(number: int, line: str) -> CheckedRow | list[str]:
    if _JSON_CONTROL.search(line):
        try:
            value = json.loads(line)
        except (RecursionError, ValueError):
            value = None
        if isinstance(value, dict) and control_characters(value):
            return [f"{', '.join(control_characters(value))}: {_CONTROL_REFUSED}"]
    try:
        # pydantic's own JSON parser: bounded nesting and numbers, strict types.
        return UsageRecord.model_validate_json(line, strict=True).checked()
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            if error["type"] == "json_invalid":
                return [f"not valid JSON ({error['msg'].removeprefix('Invalid JSON: ')})"]
            if error["type"] == "model_type" and not error["loc"]:
                return ["not a JSON object"]
        return _problems(exc)


#: A row every import accepts; the help shows it as CSV and as NDJSON.
EXAMPLE_RECORD: dict[str, Any] = {
    "email": "ada@example.com",
    "tool": "gateway",
    "date": "2026-11-02",
    "interactions": 14,
    "cost_usd": "0.42",
    "features": ["chat", "agent"],
}


def usage_file_help() -> str:
    """The file schema and an example row in each format, from `UsageRecord` itself."""
    csv_row = io.StringIO()
    writer = csv.writer(csv_row, lineterminator="\n")
    writer.writerow(EXAMPLE_RECORD)
    writer.writerow(
        ";".join(value) if isinstance(value, list) else value for value in EXAMPLE_RECORD.values()
    )
    csv_lines = "".join(f"  {line}\n" for line in csv_row.getvalue().splitlines())
    return (
        "file: CSV with a header row (.csv) or one JSON object a line (.ndjson, .jsonl);\n"
        "one row per person, tool and day. Columns (CSV header names, or JSON keys):\n"
        f"{field_table(UsageRecord)}\n\n"
        "Unknown columns are refused. Every row is checked first: if any is wrong, nothing\n"
        "is written and each problem is printed as FILE:LINE: problem. Importing a day again\n"
        "replaces it.\n\n"
        f"example CSV:\n{csv_lines}\n"
        f"example NDJSON line:\n  {json.dumps(EXAMPLE_RECORD)}"
    )
