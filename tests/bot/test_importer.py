"""`import usage`: checked whole, written whole, reported by line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.importer import ImportRejected, import_usage
from storage.models import DailyUsage, Identity, Person, SyncState
from tests.factories import make_person

HEADER = (
    "email,slack_user_id,tool,date,interactions,generations,acceptances,lines_accepted,"
    "cost_usd,cost_kind,features\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def usage(engine: Engine) -> list[tuple[str, dt.date, int, int | None, str | None, list[str]]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                Identity.external_id,
                DailyUsage.day,
                DailyUsage.interactions,
                DailyUsage.cost_cents,
                DailyUsage.cost_kind,
                DailyUsage.features,
            )
            .join(Identity, Identity.id == DailyUsage.identity_id)
            .order_by(Identity.external_id, DailyUsage.day)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_csv_import_writes_rows_and_links_known_people(engine: Engine, tmp_path: Path) -> None:
    ada = make_person(engine, email="ada@example.com")
    path = write(
        tmp_path,
        "usage.csv",
        HEADER
        + "Ada@Example.com,,gateway,2026-11-01,12,10,4,30,1.25,billed,chat;agent\n"
        + ",U0GRACE,gateway,2026-11-01,3,,,,,,\n"
        + "stranger@example.com,,gateway,2026-11-02,0,0,0,0,,,\n",
    )
    result = import_usage(engine, path)

    assert (result.rows, result.identities, result.unlinked_identities) == (3, 3, 1)
    assert usage(engine) == [
        ("U0GRACE", dt.date(2026, 11, 1), 3, None, None, []),
        ("ada@example.com", dt.date(2026, 11, 1), 12, 125, "billed", ["agent", "chat"]),
        ("stranger@example.com", dt.date(2026, 11, 2), 0, None, None, []),
    ]
    with engine.connect() as connection:
        owners = dict(connection.execute(sa.select(Identity.external_id, Identity.person_id)).all())
        active = dict(
            connection.execute(
                sa.select(Identity.external_id, DailyUsage.active).join(
                    Identity, Identity.id == DailyUsage.identity_id
                )
            ).all()
        )
        state = connection.execute(sa.select(SyncState.source)).scalars().all()
    assert owners["ada@example.com"] == ada
    assert owners["stranger@example.com"] is None
    assert owners["U0GRACE"] is not None
    assert active == {"ada@example.com": True, "U0GRACE": True, "stranger@example.com": False}
    assert state == ["import"]


def test_reimporting_replaces_the_same_days(engine: Engine, tmp_path: Path) -> None:
    first = write(tmp_path, "a.csv", HEADER + "a@x.io,,cursor,2026-11-01,5,,,,,,\n")
    second = write(tmp_path, "b.csv", HEADER + "a@x.io,,cursor,2026-11-01,8,,,,2,,\n")
    import_usage(engine, first)
    import_usage(engine, second)
    assert usage(engine) == [("a@x.io", dt.date(2026, 11, 1), 8, 200, "estimated", [])]


def test_ndjson_import(engine: Engine, tmp_path: Path) -> None:
    lines = [
        {
            "email": "n@x.io",
            "tool": "openai",
            "date": "2026-10-30",
            "interactions": 4,
            "input_tokens": 1000,
            "features": ["api"],
        },
        {"slack_user_id": "U0N", "tool": "copilot", "date": "2026-10-30", "active": False},
    ]
    path = write(tmp_path, "u.ndjson", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    assert import_usage(engine, path).rows == 2


def test_bad_rows_are_reported_by_line_and_nothing_is_written(
    engine: Engine, tmp_path: Path
) -> None:
    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)).isoformat()
    path = write(
        tmp_path,
        "bad.csv",
        HEADER
        + "ok@x.io,,cursor,2026-11-01,1,,,,,,\n"  # line 2: fine
        + ",,cursor,2026-11-01,1,,,,,,\n"  # line 3: nobody
        + "x@x.io,,Bad Tool,2026-11-01,1,,,,,,\n"  # line 4: tool
        + "x@x.io,,cursor,2026-13-01,1,,,,,,\n"  # line 5: date
        + "x@x.io,,cursor,2026-11-01,-4,,,,,,\n"  # line 6: negative
        + f"x@x.io,,cursor,{future},1,,,,,,\n"  # line 7: future
        + "ok@x.io,,cursor,2026-11-01,2,,,,,,\n"  # line 8: duplicate of line 2
        + "x@x.io,,cursor,2026-11-01,1,5,9,,,,\n"  # line 9: accepted more than shown
        + "x@x.io,U1,cursor,2026-11-02,1,,,,,,,extra\n",  # line 10: too many values
    )
    with pytest.raises(ImportRejected) as caught:
        import_usage(engine, path)
    lines = sorted({line for line, _ in caught.value.problems})
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10]
    messages = dict(caught.value.problems)
    assert "needs an email or a slack_user_id" in messages[3]
    assert "tool" in messages[4]
    assert "duplicates line 2" in messages[8]
    assert usage(engine) == []


def test_unknown_columns_and_bad_json_are_rejected(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.ndjson",
        '{"email": "a@x.io", "tool": "cursor", "date": "2026-11-01", "prompt": "secret"}\n'
        "{not json\n"
        "[1, 2]\n",
    )
    with pytest.raises(ImportRejected) as caught:
        import_usage(engine, path)
    problems = dict(caught.value.problems)
    assert "prompt" in problems[1]  # content fields are never accepted
    assert "not valid JSON" in problems[2]
    assert "not a JSON object" in problems[3]


def test_empty_and_unknown_files_are_rejected(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ImportRejected, match="problem"):
        import_usage(engine, write(tmp_path, "empty.csv", HEADER))
    with pytest.raises(ImportRejected):
        import_usage(engine, write(tmp_path, "usage.xlsx", "whatever"))


def test_a_dry_run_reports_what_it_would_write_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    make_person(engine, email="ada@example.com")
    path = write(
        tmp_path,
        "usage.csv",
        HEADER
        + "ada@example.com,,cursor,2026-11-01,4,,,,,,\n"
        + ",U0GRACE,cursor,2026-11-01,3,,,,,,\n"
        + "stranger@example.com,,cursor,2026-11-02,1,,,,,,\n",
    )

    planned = import_usage(engine, path, dry_run=True)

    assert (planned.rows, planned.replaced_rows, planned.identities) == (3, 0, 3)
    assert (planned.unlinked_identities, planned.written) == (1, False)
    assert usage(engine) == []
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(Identity)).scalar() == 0
        assert connection.execute(sa.select(sa.func.count()).select_from(Person)).scalar() == 1
        assert connection.execute(sa.select(SyncState.source)).all() == []

    done = import_usage(engine, path)
    assert (done.rows, done.replaced_rows, done.written) == (3, 0, True)
    again = import_usage(engine, path, dry_run=True)
    assert (again.rows, again.replaced_rows) == (3, 3)
