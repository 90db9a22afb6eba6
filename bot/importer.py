"""`uptake import usage FILE`: daily usage from CSV or NDJSON, for any tool.

The file schema is `UsageRecord` (bot/usage_file.py). The file is read a line at a time and
written in chunks inside one transaction, so a file of millions of rows needs little memory;
one bad row rejects the whole file (the transaction is rolled back), and each problem is
reported with its line number. Each identity is created and linked once, however many rows it
has. Re-importing a day replaces it. On PostgreSQL a chunk is written on a thread of its own
while the next one is read (`_Chunks`), in the same session and transaction.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.import_files import DEFAULT_MAX_BYTES
from bot.usage_file import (
    COUNTERS,
    EXAMPLE_RECORD,
    IMPORT_SOURCE,
    CheckedRow,
    ImportRejected,
    UsageRecord,
    read_records,
    usage_file_help,
)
from bot.usage_rows import ROW_COLUMNS
from storage import queries, rollup, usage_import
from storage.engine import session as open_session
from storage.models import LinkMethod, utcnow

__all__ = [
    "COUNTERS",
    "EXAMPLE_RECORD",
    "ImportRejected",
    "ImportResult",
    "UsageRecord",
    "import_usage",
    "usage_file_help",
]

#: Rows checked and written at a time; memory stays bounded by this, not by the file.
CHUNK_ROWS = 25_000
#: Problems listed before the rest are only counted.
MAX_PROBLEMS = 1_000
_COLUMNS = ("identity_id", *ROW_COLUMNS)  # of each row written
# A CheckedRow's fields as a plain tuple while it waits in a chunk: the collector stops
# tracking a plain tuple of plain values, but never a NamedTuple, and a chunk holds many.
_Checked = tuple[tuple[str, str], str | None, str | None, dt.date, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import wrote, or in a dry run would have written."""

    rows: int
    replaced_rows: int  # rows for days already stored, which the file replaces
    identities: int
    unlinked_identities: int
    written: bool


@dataclass
class _Problems:
    """The first MAX_PROBLEMS problems, and how many more there were."""

    listed: list[tuple[int, str]] = field(default_factory=list)
    more: int = 0

    def add(self, problems: list[tuple[int, str]]) -> None:
        room = MAX_PROBLEMS - len(self.listed)
        self.listed += problems[: max(room, 0)]
        self.more += max(len(problems) - max(room, 0), 0)

    def __bool__(self) -> bool:
        return bool(self.listed)

    def rejection(self) -> ImportRejected:
        more = [(0, f"and {self.more:,} more problem(s) not listed")] if self.more else []
        return ImportRejected(self.listed + more)


@dataclass
class _UsageWriter:
    """Writes checked rows a chunk at a time, creating and linking each identity once."""

    session: Session
    identity_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    unlinked: int = 0
    rows: int = 0
    replaced: int = 0
    # (identity id, Monday) of every week written: the rollup is refreshed once, at the end.
    weeks: set[tuple[int, dt.date]] = field(default_factory=set)

    # The Monday of each date seen: a file has few distinct dates and many rows.
    mondays: dict[dt.date, dt.date] = field(default_factory=dict)

    def write(self, chunk: list[_Checked]) -> None:
        """Write checked rows; their storage rows get their identity ids here."""
        ids = self.identity_ids
        new: dict[tuple[str, str], CheckedRow] = {}
        for checked in chunk:
            if checked[0] not in ids:
                new.setdefault(checked[0], CheckedRow._make(checked))
        if new:
            self._link(new)
        rows = []
        weeks, mondays = self.weeks, self.mondays
        for key, _, _, day, values in chunk:
            identity_id = ids[key]
            monday = mondays.get(day)
            if monday is None:
                monday = mondays[day] = rollup.week_of(day)
            weeks.add((identity_id, monday))
            rows.append((identity_id, *values))
        self.replaced += usage_import.write_rows(
            self.session, _COLUMNS, rows, probably_new=not self.replaced
        )
        self.rows += len(rows)

    def finish(self) -> None:
        """Bring the weekly rollup in step with every row written."""
        rollup.refresh(self.session, self.weeks)

    def _link(self, new: dict[tuple[str, str], CheckedRow]) -> None:
        ids = usage_import.ensure_identities(self.session, new)
        self.identity_ids.update(ids)
        slack_ids = sorted({r.slack_user_id for r in new.values() if r.slack_user_id})
        people = queries.upsert_people(self.session, [{"slack_user_id": s} for s in slack_ids])
        by_email = queries.people_by_emails(
            self.session, {r.email for r in new.values() if r.email and not r.slack_user_id}
        )
        named: dict[int, int] = {}
        by_address: dict[int, int] = {}
        for key, record in new.items():
            if record.slack_user_id:
                named[ids[key]] = people[record.slack_user_id]
            elif record.email and record.email in by_email:
                by_address[ids[key]] = by_email[record.email]
            else:
                self.unlinked += 1
        usage_import.link_identities(self.session, named, LinkMethod.IMPORT)
        usage_import.link_identities(self.session, by_address, LinkMethod.EMAIL)


@dataclass
class _Chunks:
    """Hands full chunks to the writer; with a thread, reading goes on while one is written.

    Writing a chunk mostly waits on PostgreSQL (key and foreign key checks, the COPY's end,
    identity statements), and the thread waits without holding the interpreter, so the next
    chunk is read and checked meanwhile. One chunk at a time: the session is the writer's
    until `wait` returns, and a write's error is raised by the next `write` or `wait`.
    """

    writer: _UsageWriter
    pool: ThreadPoolExecutor | None
    pending: Future[None] | None = None

    def write(self, chunk: list[_Checked]) -> None:
        self.wait()
        if self.pool is None:
            self.writer.write(chunk)
        else:
            self.pending = self.pool.submit(self.writer.write, chunk)

    def wait(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()


def import_usage(
    engine: Engine,
    path: Path,
    *,
    dry_run: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportResult:
    """Check and write the file a chunk at a time in one transaction, kept only if all is well.

    A dry run, or any problem, rolls the transaction back; problems raise `ImportRejected`.
    """
    problems = _Problems()
    today = utcnow().date()
    # (identity index * 4,000,000 + day ordinal) -> line: one small int per row, to find repeats.
    who: dict[tuple[str, str], int] = {}
    seen: dict[int, int] = {}
    with (
        open_session(engine) as session,
        ThreadPoolExecutor(1, thread_name_prefix="import-usage") as pool,
    ):
        writer = _UsageWriter(session)
        chunks = _Chunks(writer, pool if engine.dialect.name == "postgresql" else None)
        chunk: list[_Checked] = []
        for number, record in read_records(path, max_bytes):
            if isinstance(record, list):
                problems.add([(number, problem) for problem in record])
                continue
            if record.date > today:
                problems.add([(number, f"date: {record.date} is in the future")])
                continue
            key = (
                who.setdefault(record.identity_key, len(who)) * 4_000_000 + record.date.toordinal()
            )
            first = seen.setdefault(key, number)
            if first != number:
                problems.add([(number, f"duplicates line {first} (same person, tool and date)")])
                continue
            if problems:
                continue  # still checking, to list every problem; nothing more is written
            chunk.append(
                (
                    record.identity_key,
                    record.email,
                    record.slack_user_id,
                    record.date,
                    record.values,
                )
            )
            if len(chunk) >= chunk_rows:
                chunks.write(chunk)
                chunk = []
        chunks.wait()
        if problems:
            session.rollback()
            raise problems.rejection()
        if chunk:
            writer.write(chunk)
        if not writer.rows:
            raise ImportRejected([(0, "the file has no rows")])
        writer.finish()
        queries.record_sync_success(session, IMPORT_SOURCE, at=utcnow(), complete_through=None)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return ImportResult(
        rows=writer.rows,
        replaced_rows=writer.replaced,
        identities=len(writer.identity_ids),
        unlinked_identities=writer.unlinked,
        written=not dry_run,
    )
