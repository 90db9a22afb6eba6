"""Plain CSV rows checked by hand give exactly what the schema gives, and only rows it accepts."""

from __future__ import annotations

import gc
import random

import pytest

from bot.usage_file import UsageRecord, csv_record
from bot.usage_rows import COUNTERS, CheckedRow, PlainCsvRows

HEADER = ["email", "slack_user_id", "tool", "date", "active", *COUNTERS]
HEADER += ["cost_usd", "cost_kind", "features"]
PLAIN = {
    "email": "ada@example.com",
    "slack_user_id": "",
    "tool": "cursor",
    "date": "2026-11-02",
    "active": "",
    "interactions": "14",
    "generations": "20",
    "acceptances": "7",
    "lines_suggested": "",
    "lines_accepted": "3",
    "chat_requests": "0",
    "agent_requests": "",
    "cli_requests": "",
    "input_tokens": "1200",
    "output_tokens": "800",
    "cost_usd": "0.42",
    "cost_kind": "",
    "features": "chat;agent",
}
COUNT = ["0", "7", "007", "+5", "-0", "-1", " 5", "5 ", "5.0", "5_000", "\u00b2", "\u0661", "x"]
BIG = ["2147483647", "2147483648", "999999999", "9223372036854775807", "9223372036854775808"]
# Each column's plain and not-so-plain spellings, both ways of being right and of being wrong.
SPELLINGS = {
    "email": ["", "ADA@Example.COM", " ada@x.io", "a b@x.io", "ada", "j\u00f6@x.io", "@", "a@b@c"],
    "slack_user_id": ["", "U012AB3CD", "W1", "u012", "U01 ", "U" + "A" * 31, "U" + "A" * 32],
    "tool": ["cursor", "claude_code", "Cursor", " cursor", "c", "a" * 32, "tool-x", ""],
    "date": ["2026-11-02", "2026-02-30", "2026-11-2", "20261102", "2026-11-02T00:00", ""],
    "active": ["", "true", "false", "TRUE", "Yes", "0", "1", "on", "n", "2", "maybe"],
    "interactions": COUNT + BIG,
    "generations": COUNT + BIG,
    "acceptances": [*COUNT, "25"],
    "input_tokens": COUNT + BIG,
    "cost_usd": [
        *("", "0.42", "0", "1.", ".5", "00.5", "0.125", "0.135", "1e2", "-1", "0.12345"),
        *("21474836.47", "21474836.48", "99999999.9999", "0.0050", "1.2345"),
    ],
    "cost_kind": ["", "billed", "estimated", "Billed", "guess"],
    "features": [
        *("", "chat", "agent;chat;chat", " chat ; ;agent", ";;", "x" * 65, "caf\u00e9"),
        *(";".join(f"f{n}" for n in range(count)) for count in (100, 101)),
    ],
}


def checker(header: list[str]) -> PlainCsvRows:
    plain = PlainCsvRows.for_header(header, list(UsageRecord.model_fields))
    assert plain is not None
    return plain


def both(plain: PlainCsvRows, values: list[str]) -> tuple[CheckedRow | None, object]:
    """The hand check's verdict and the schema's, on the same cells."""
    return plain.check(values), csv_record(dict(zip(plain.header, values, strict=False)))


def test_a_plain_row_is_checked_by_hand_to_the_schemas_result() -> None:
    plain = checker(HEADER)
    fast, schema = both(plain, list(PLAIN.values()))
    assert fast is not None
    assert fast == schema
    assert fast.row["features"] == ["agent", "chat"] and fast.row["cost_cents"] == 42


@pytest.mark.parametrize("column", sorted(SPELLINGS))
def test_every_spelling_gets_the_schemas_result_or_goes_to_the_schema(column: str) -> None:
    plain = checker(HEADER)
    accepted = 0
    for spelling in SPELLINGS[column]:
        values = list({**PLAIN, column: spelling}.values())
        fast, schema = both(plain, values)
        if fast is not None:
            accepted += 1
            assert fast == schema, (column, spelling)
    assert accepted >= 1  # the plain spelling of every column is taken by hand


def test_random_rows_agree_with_the_schema() -> None:
    rng = random.Random(11)
    plain = checker(HEADER)
    fast_count = 0
    for _ in range(3000):
        row = dict(PLAIN)
        for column in rng.sample(sorted(SPELLINGS), 3):
            row[column] = rng.choice(SPELLINGS[column])
        fast, schema = both(plain, list(row.values()))
        if fast is not None:
            fast_count += 1
            assert fast == schema, row
    assert fast_count > 150  # a good share of the mixes are plain


def test_short_rows_and_unnamed_columns_agree_with_the_schema() -> None:
    header = ["email", "tool", "date", "interactions", "", "features"]
    plain = checker(header)
    for values in (
        ["ada@x.io", "cursor", "2026-11-02"],  # the rest not given
        ["ada@x.io", "cursor", "2026-11-02", "3", "", "chat"],
        ["ada@x.io", "cursor", "2026-11-02", "3", "stray", "chat"],  # a value under no name
    ):
        fast, schema = both(plain, values)
        assert fast is None or fast == schema, values
    assert plain.check(["ada@x.io", "cursor", "2026-11-02"]) is not None


def test_a_header_the_schema_must_word_has_no_hand_check() -> None:
    known = list(UsageRecord.model_fields)
    assert PlainCsvRows.for_header(["email", "tool", "date", "colour"], known) is None
    assert PlainCsvRows.for_header(["email", "tool", "date", "tool"], known) is None


def test_a_checked_rows_values_leave_nothing_for_the_collector_to_track() -> None:
    """An import holds a chunk of many rows: plain tuples of plain values, which gc untracks."""
    plain = checker(HEADER)
    fast = plain.check(list(PLAIN.values()))
    assert fast is not None
    schema = csv_record(dict(zip(HEADER, PLAIN.values(), strict=True)))
    assert isinstance(schema, CheckedRow)
    held = [
        (row.identity_key, row.email, row.slack_user_id, row.date, row.values)
        for row in (fast, schema)
    ]
    for _ in range(3):  # a tuple is untracked once what it holds is: one level a collection
        gc.collect()
    assert not any(gc.is_tracked(item) for item in held)
