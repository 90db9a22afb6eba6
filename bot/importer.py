"""`uptake import usage FILE`: daily usage from CSV or NDJSON, for any tool.

The file schema is `UsageRecord`; `usage_file_help` writes it out for `--help`. Every row is
checked before anything is written: one bad row rejects the whole file, and each problem is
reported with its line number. Re-importing a day replaces it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import Engine

from bot.rejected import FileRejected, field_table, validation_problems
from bot.tools import is_valid_tool
from storage import imports, queries
from storage.engine import session as open_session
from storage.models import CostKind, LinkMethod, utcnow

IMPORT_SOURCE = "import"
COUNTERS = (
    "interactions",
    "generations",
    "acceptances",
    "lines_suggested",
    "lines_accepted",
    "chat_requests",
    "agent_requests",
    "cli_requests",
    "input_tokens",
    "output_tokens",
)


class ImportRejected(FileRejected):
    """The file has problems; nothing was written."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import wrote, or in a dry run would have written."""

    rows: int
    replaced_rows: int  # rows for days already stored, which the file replaces
    identities: int
    unlinked_identities: int
    written: bool


class UsageRecord(BaseModel):
    """One row of a usage file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str | None = Field(
        default=None,
        max_length=320,
        description="who: their Slack account's email (or give slack_user_id)",
    )
    slack_user_id: str | None = Field(
        default=None, max_length=32, description="who, as a Slack user id like U012AB3CD"
    )
    tool: str = Field(description="copilot, claude_code, cursor, openai, or your own (a-z, 0-9, _)")
    date: dt.date = Field(description="the day (UTC), not in the future")
    active: bool | None = Field(
        default=None, description="used the tool that day; default: any count above 0"
    )
    interactions: int = Field(default=0, ge=0, description="sessions, prompts or requests")
    generations: int = Field(default=0, ge=0, description="suggestions shown")
    acceptances: int = Field(default=0, ge=0, description="suggestions accepted")
    lines_suggested: int = Field(default=0, ge=0, description="lines of code suggested")
    lines_accepted: int = Field(default=0, ge=0, description="lines of code accepted")
    chat_requests: int = Field(default=0, ge=0, description="chat requests")
    agent_requests: int = Field(default=0, ge=0, description="agent requests")
    cli_requests: int = Field(default=0, ge=0, description="command-line requests")
    input_tokens: int = Field(default=0, ge=0, description="tokens sent")
    output_tokens: int = Field(default=0, ge=0, description="tokens received")
    cost_usd: Decimal | None = Field(
        default=None, ge=0, max_digits=14, decimal_places=4, description="the day's cost in USD"
    )
    cost_kind: CostKind | None = Field(
        default=None, description="default estimated when a cost is given"
    )
    features: list[str] = Field(
        default_factory=list, description="features used; in CSV separated by ;"
    )

    @field_validator("email", "slack_user_id", "cost_kind", "active", mode="before")
    @classmethod
    def _empty_is_missing(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or " " in value):
            raise ValueError("is not an email address")
        return value.lower() if value else value

    @field_validator("slack_user_id")
    @classmethod
    def _slack_id_shape(cls, value: str | None) -> str | None:
        if value is not None and (value[:1] not in {"U", "W"} or not value.isalnum()):
            raise ValueError("is not a Slack user id such as U012AB3CD")
        return value

    @field_validator("tool")
    @classmethod
    def _tool_shape(cls, value: str) -> str:
        if not is_valid_tool(value):
            raise ValueError("must be a tool slug such as copilot, claude_code, cursor or openai")
        return value

    @field_validator("features", mode="before")
    @classmethod
    def _split_features(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(";") if part.strip()]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> UsageRecord:
        if not self.email and not self.slack_user_id:
            raise ValueError("needs an email or a slack_user_id")
        if self.acceptances > self.generations > 0:
            raise ValueError("acceptances cannot exceed generations")
        return self

    def to_row(self) -> dict[str, Any]:
        """Storage columns for this record (without identity)."""
        counts = {name: getattr(self, name) for name in COUNTERS}
        cost_cents = None if self.cost_usd is None else int((self.cost_usd * 100).to_integral())
        return {
            "day": self.date,
            "tool": self.tool,
            "source": IMPORT_SOURCE,
            "active": self.active if self.active is not None else any(counts.values()),
            **counts,
            "cost_cents": cost_cents,
            "cost_kind": (self.cost_kind or CostKind.ESTIMATED).value
            if cost_cents is not None
            else None,
            "features": sorted(set(self.features)),
        }


def _records(path: Path) -> list[tuple[int, dict[str, Any] | str]]:
    """(line number, raw record or a parse error) for every data line of the file."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in {".ndjson", ".jsonl"}:
        out: list[tuple[int, dict[str, Any] | str]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                out.append((number, f"not valid JSON ({exc.msg})"))
                continue
            out.append((number, value if isinstance(value, dict) else "not a JSON object"))
        return out
    if path.suffix.lower() != ".csv":
        raise ImportRejected([(0, "the file must end in .csv, .ndjson or .jsonl")])
    reader = csv.DictReader(io.StringIO(text))
    rows: list[tuple[int, dict[str, Any] | str]] = []
    for record in reader:
        if None in record:
            rows.append((reader.line_num, "has more values than the header has columns"))
        else:
            # An empty cell means "not given", so defaults apply.
            rows.append((reader.line_num, {k: v for k, v in record.items() if v not in (None, "")}))
    return rows


def parse_usage_file(path: Path) -> list[UsageRecord]:
    """Read and check every row; raise `ImportRejected` listing every problem."""
    problems: list[tuple[int, str]] = []
    records: list[UsageRecord] = []
    seen: dict[tuple[str, str, dt.date], int] = {}
    today = utcnow().date()
    for number, raw in _records(path):
        if isinstance(raw, str):
            problems.append((number, raw))
            continue
        try:
            record = UsageRecord.model_validate(raw)
        except ValidationError as exc:
            problems += validation_problems(exc, number)
            continue
        if record.date > today:
            problems.append((number, f"date: {record.date} is in the future"))
            continue
        key = (record.tool, record.email or record.slack_user_id or "", record.date)
        if key in seen:
            problems.append((number, f"duplicates line {seen[key]} (same person, tool and date)"))
            continue
        seen[key] = number
        records.append(record)
    if problems:
        raise ImportRejected(problems)
    if not records:
        raise ImportRejected([(0, "the file has no rows")])
    return records


def import_usage(engine: Engine, path: Path, *, dry_run: bool = False) -> ImportResult:
    """Check the whole file, then write it in one transaction (rolled back in a dry run)."""
    records = parse_usage_file(path)
    with open_session(engine) as session:
        slack_ids = sorted({r.slack_user_id for r in records if r.slack_user_id})
        people = queries.upsert_people(session, [{"slack_user_id": s} for s in slack_ids])
        by_email = queries.people_by_emails(session, {r.email for r in records if r.email})

        def identity_key(record: UsageRecord) -> tuple[str, str]:
            return (record.tool, record.email or record.slack_user_id or "")

        identity_ids = queries.ensure_identities(session, (identity_key(r) for r in records))
        unlinked = set()
        for record in records:
            identity_id = identity_ids[identity_key(record)]
            if record.slack_user_id:
                queries.link_identity(
                    session,
                    identity_id,
                    people[record.slack_user_id],
                    LinkMethod.IMPORT,
                    verified=True,
                )
            elif record.email and record.email in by_email:
                queries.link_identity(
                    session, identity_id, by_email[record.email], LinkMethod.EMAIL, verified=True
                )
            else:
                unlinked.add(identity_id)
        rows = [{"identity_id": identity_ids[identity_key(r)], **r.to_row()} for r in records]
        replaced = imports.count_stored_days(session, [(r["identity_id"], r["day"]) for r in rows])
        written = queries.upsert_daily_usage(session, rows)
        queries.record_sync_success(session, IMPORT_SOURCE, at=utcnow(), complete_through=None)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return ImportResult(
        rows=written,
        replaced_rows=replaced,
        identities=len(identity_ids),
        unlinked_identities=len(unlinked),
        written=not dry_run,
    )


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
