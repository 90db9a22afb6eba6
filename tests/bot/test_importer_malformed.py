"""Malformed and hostile import files: each is a line-numbered rejection, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.importer import ImportRejected, import_usage
from bot.linking import MappingRejected, import_identity_map
from bot.orgfile import OrgRejected, plan_org
from storage.models import DailyUsage, Identity, Person
from tests.factories import make_person

HEADER = "email,tool,date,interactions,input_tokens,cost_usd,features\n"
GOOD = "ada@x.io,cursor,2026-11-01,3,10,,chat\n"


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def rejected_lines(engine: Engine, path: Path, **kwargs: int) -> dict[int, str]:
    """Import `path`, expecting a rejection: its problems by line; and check nothing was written."""
    with pytest.raises(ImportRejected) as caught:
        import_usage(engine, path, **kwargs)
    with engine.connect() as connection:
        for table in (DailyUsage, Identity, Person):
            assert connection.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
    return dict(caught.value.problems)


def ndjson(*records: dict[str, object]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def record(**changes: object) -> dict[str, object]:
    return {"email": "ada@x.io", "tool": "cursor", "date": "2026-11-01", **changes}


def test_a_latin_1_file_is_refused_at_its_line(engine: Engine, tmp_path: Path) -> None:
    data = (HEADER + GOOD + "jos\u00e9@x.io,cursor,2026-11-02,1,,,\n").encode("latin-1")
    problems = rejected_lines(engine, write(tmp_path, "u.csv", data))
    assert list(problems) == [3]
    assert "not UTF-8" in problems[3] and "0xe9" in problems[3]


def test_a_utf_16_file_with_its_byte_order_mark_imports(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "u.csv", (HEADER + GOOD).encode("utf-16"))
    assert import_usage(engine, path).rows == 1


def test_a_utf_16_file_without_a_byte_order_mark_is_refused(engine: Engine, tmp_path: Path) -> None:
    problems = rejected_lines(engine, write(tmp_path, "u.csv", (HEADER + GOOD).encode("utf-16-le")))
    assert list(problems) == [1]
    assert "NUL" in problems[1] or "UTF-8" in problems[1]


def test_a_field_over_the_csv_limit_is_refused(engine: Engine, tmp_path: Path) -> None:
    huge = "x" * 131_073
    problems = rejected_lines(
        engine, write(tmp_path, "u.csv", HEADER + GOOD + f"ada@x.io,cursor,2026-11-02,1,,,{huge}\n")
    )
    assert list(problems) == [3]
    # A field spread over many short lines inside quotes hits the CSV module's own limit.
    quoted = '"' + "x\n" * 70_000 + '"'
    problems = rejected_lines(
        engine,
        write(tmp_path, "q.csv", HEADER + GOOD + f"ada@x.io,cursor,2026-11-02,1,,,{quoted}\n"),
    )
    assert len(problems) == 1 and "CSV" in next(iter(problems.values()))


def test_deeply_nested_ndjson_is_refused(engine: Engine, tmp_path: Path) -> None:
    nested = '{"email": "a@x.io", "features": ' + "[" * 50_000 + "]" * 50_000 + "}\n"
    problems = rejected_lines(engine, write(tmp_path, "u.ndjson", ndjson(record()) + nested))
    assert list(problems) == [2]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("interactions", 2**31),  # an INTEGER column on PostgreSQL
        ("lines_accepted", 2**40),
        ("input_tokens", 2**63),  # a BIGINT column; past SQLite's 64-bit integers too
        ("cost_usd", 10**9),  # cents in an INTEGER column
    ],
)
def test_counts_beyond_their_column_are_refused(
    engine: Engine, tmp_path: Path, field: str, value: int
) -> None:
    path = write(
        tmp_path, "u.ndjson", ndjson(record(), record(date="2026-11-02", **{field: value}))
    )
    problems = rejected_lines(engine, path)
    assert list(problems) == [2] and field in problems[2]


def test_the_largest_counts_each_column_holds_are_stored(engine: Engine, tmp_path: Path) -> None:
    top = record(interactions=2**31 - 1, input_tokens=2**63 - 1, cost_usd="21474836.47")
    assert import_usage(engine, write(tmp_path, "u.ndjson", ndjson(top))).rows == 1


def test_a_huge_json_number_is_refused(engine: Engine, tmp_path: Path) -> None:
    line = '{"email": "a@x.io", "tool": "cursor", "date": "2026-11-01", "interactions": '
    path = write(tmp_path, "u.ndjson", line + "9" * 5000 + "}\n")
    assert list(rejected_lines(engine, path)) == [1]


def test_a_nul_byte_is_refused(engine: Engine, tmp_path: Path) -> None:
    problems = rejected_lines(
        engine, write(tmp_path, "u.csv", HEADER + GOOD + "a@x.io,cursor,2026-11-02,1,,,ch\x00at\n")
    )
    assert list(problems) == [3] and "NUL" in problems[3]


def test_control_characters_in_text_are_refused(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "u.ndjson",
        ndjson(record(), record(date="2026-11-02", features=["chat\u001b[31m"]))
        + ndjson(record(date="2026-11-03", email="a\u0007@x.io")),
    )
    problems = rejected_lines(engine, path)
    assert list(problems) == [2, 3]
    assert "features" in problems[2] and "control character" in problems[2]


@pytest.mark.parametrize("value", [True, False, 1.0, 2.5, "1.0", "\u00b2", "true"])
def test_counts_must_be_whole_numbers_not_booleans(
    engine: Engine, tmp_path: Path, value: object
) -> None:
    path = write(
        tmp_path, "u.ndjson", ndjson(record(), record(date="2026-11-02", interactions=value))
    )
    problems = rejected_lines(engine, path)
    assert list(problems) == [2] and "interactions" in problems[2]


def test_counts_in_csv_are_plain_digits(engine: Engine, tmp_path: Path) -> None:
    problems = rejected_lines(
        engine, write(tmp_path, "u.csv", HEADER + GOOD + "a@x.io,cursor,2026-11-02,true,,,\n")
    )
    assert list(problems) == [3]


def test_an_oversize_file_is_refused_before_it_is_read(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "u.csv", HEADER + GOOD * 200)
    problems = rejected_lines(engine, path, max_bytes=1024)
    assert "IMPORT_MAX_BYTES" in problems[0]


def test_an_over_long_ndjson_line_is_refused(engine: Engine, tmp_path: Path) -> None:
    long_line = json.dumps(record(features=["x" * 200_000])) + "\n"
    problems = rejected_lines(engine, write(tmp_path, "u.ndjson", ndjson(record()) + long_line))
    assert list(problems) == [2]


def test_problems_are_capped_and_counted(engine: Engine, tmp_path: Path) -> None:
    bad = "".join(f"a@x.io,Bad Tool,2026-11-01,{n},,,\n" for n in range(3000))
    with pytest.raises(ImportRejected) as caught:
        import_usage(engine, write(tmp_path, "u.csv", HEADER + bad))
    assert len(caught.value.problems) <= 1001
    assert "more" in caught.value.problems[-1][1]


# The org file and the identity map read through the same checks.


def test_org_files_refuse_bad_text_with_their_line(engine: Engine, tmp_path: Path) -> None:
    latin = write(tmp_path, "org.csv", "team,person\npayments,jos\u00e9@x.io\n".encode("latin-1"))
    nul = write(tmp_path, "org.yaml", "teams:\n  - team: pay\x00ments\n")
    nested = write(tmp_path, "deep.yaml", "teams:\n  - team: " + "[" * 20_000 + "]" * 20_000 + "\n")
    control = write(tmp_path, "ctl.yaml", 'teams:\n  - team: ok\n  - team: "pay\\u0007ments"\n')
    for path, line in ((latin, 2), (nul, 2), (nested, 2), (control, 3)):
        with pytest.raises(OrgRejected) as caught:
            plan_org(engine, path)
        assert [number for number, _ in caught.value.problems] == [line], path.name


def test_an_org_file_over_the_cap_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "org.yaml", "teams:\n" + "  - team: t\n" * 200)
    with pytest.raises(OrgRejected, match="problem"):
        plan_org(engine, path, max_bytes=1024)


def test_identity_maps_refuse_bad_text_with_their_line(engine: Engine, tmp_path: Path) -> None:
    make_person(engine, slack_user_id="U0ADA", email="ada@x.io")
    head = "tool,external_id,slack_user_id\n"
    cases = [
        (head + "github,ada,U0ADA\ngithub,jos\u00e9,U0ADA\n").encode("latin-1"),
        head + "github,ada,U0ADA\ngithub," + "x" * 140_000 + ",U0ADA\n",
        head + "github,ada,U0ADA\ncursor,b\u0007@x.io,U0ADA\n",
    ]
    for number, data in enumerate(cases):
        with pytest.raises(MappingRejected) as caught:
            import_identity_map(engine, write(tmp_path, f"map{number}.csv", data))
        assert [line for line, _ in caught.value.problems] == [3], number
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(Identity)).scalar() == 0
