"""`uptake import usage FILE`: daily usage from CSV or NDJSON, for any tool.

File schema (CSV header names, or NDJSON keys), one row per person, tool and day:

| column | required | meaning |
|---|---|---|
| `email` or `slack_user_id` | one of them | who; an email links to the Slack user with that email |
| `tool` | yes | `copilot`, `claude_code`, `cursor`, `openai`, or another tool's slug (`[a-z][a-z0-9_]{1,31}`) |
| `date` | yes | the day, `YYYY-MM-DD` |
| `active` | no | `true`/`false`; default: true when any count is above zero |
| `interactions`, `generations`, `acceptances`, `lines_suggested`, `lines_accepted`, `chat_requests`, `agent_requests`, `cli_requests`, `input_tokens`, `output_tokens` | no | whole numbers ≥ 0, default 0 |
| `cost_usd` | no | the day's cost in dollars |
| `cost_kind` | no | `billed` or `estimated` (default `estimated` when a cost is given) |
| `features` | no | features used: a list in NDJSON, `;`-separated in CSV |

Every row is checked before anything is written: one bad row rejects the whole file, and
each problem is reported with its line number. Re-importing a day replaces it.
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

from bot.rejected import FileRejected
from bot.tools import is_valid_tool
from storage import queries
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
    """What an import wrote."""

    rows: int
    identities: int
    unlinked_identities: int


class UsageRecord(BaseModel):
    """One row of a usage file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str | None = Field(default=None, max_length=320)
    slack_user_id: str | None = Field(default=None, max_length=32)
    tool: str
    date: dt.date
    active: bool | None = None
    interactions: int = Field(default=0, ge=0)
    generations: int = Field(default=0, ge=0)
    acceptances: int = Field(default=0, ge=0)
    lines_suggested: int = Field(default=0, ge=0)
    lines_accepted: int = Field(default=0, ge=0)
    chat_requests: int = Field(default=0, ge=0)
    agent_requests: int = Field(default=0, ge=0)
    cli_requests: int = Field(default=0, ge=0)
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cost_usd: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    cost_kind: CostKind | None = None
    features: list[str] = Field(default_factory=list)

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
            for error in exc.errors(include_url=False, include_input=False):
                where = ".".join(str(part) for part in error["loc"])
                message = error["msg"].removeprefix("Value error, ")
                problems.append((number, f"{where}: {message}" if where else message))
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


def import_usage(engine: Engine, path: Path) -> ImportResult:
    """Check the whole file, then write it in one transaction."""
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
        written = queries.upsert_daily_usage(
            session,
            [{"identity_id": identity_ids[identity_key(r)], **r.to_row()} for r in records],
        )
        queries.record_sync_success(session, IMPORT_SOURCE, at=utcnow(), complete_through=None)
        session.commit()
    return ImportResult(
        rows=written, identities=len(identity_ids), unlinked_identities=len(unlinked)
    )
