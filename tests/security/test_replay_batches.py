"""Replay checks are recorded in batches (bot/gateway/replay.py): a burst of requests costs a
few statements, and a copy of a request inside the same batch is still refused."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.gateway.replay import Refusal, ReplayChecks


def _inserts(engine: Engine) -> list[int]:
    counted = [0]

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO SLACK_REQUEST_SEEN"):
            counted[0] += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    return counted


def _burst(checks: ReplayChecks, signatures: list[str]) -> list[Refusal | None]:
    """Every check queued from its own thread at the same moment, as request threads do."""
    gate = threading.Event()
    verdicts: list[Future[Refusal | None] | None] = [None] * len(signatures)

    def one(index: int) -> None:
        gate.wait()
        verdicts[index] = checks.check(signatures[index], int(time.time()))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(signatures))]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    return [verdict.result(timeout=30) for verdict in verdicts if verdict is not None]


def test_a_burst_is_recorded_in_fewer_statements_than_requests(engine: Engine) -> None:
    inserts = _inserts(engine)
    checks = ReplayChecks(engine)
    try:
        signatures = [f"v0={n:064x}" for n in range(120)]
        assert _burst(checks, signatures) == [None] * 120
        assert 1 <= inserts[0] < 60, inserts[0]
        again = _burst(checks, signatures)  # every one a replay now
        assert all(v is not None and v.status == 401 for v in again), again
    finally:
        checks.close()


def test_two_copies_in_one_batch_accept_exactly_one(engine: Engine) -> None:
    checks = ReplayChecks(engine)
    try:
        copies = ["v0=" + "a" * 64] * 8 + ["v0=" + "b" * 64] * 3
        verdicts = _burst(checks, copies)
        accepted = [sig for sig, verdict in zip(copies, verdicts, strict=True) if verdict is None]
        assert sorted(accepted) == ["v0=" + "a" * 64, "v0=" + "b" * 64]
        assert all(v is None or v.status == 401 for v in verdicts)
    finally:
        checks.close()


def test_closing_decides_every_check_already_queued(engine: Engine) -> None:
    checks = ReplayChecks(engine)
    verdicts = [checks.check(f"v0={n:064x}", int(time.time())) for n in range(30)]
    checks.close()
    assert [v.result(timeout=0) for v in verdicts] == [None] * 30
    late = checks.check("v0=" + "c" * 64, int(time.time()))
    assert late.result(timeout=0) == Refusal(503, "shutting down")


def test_an_unreachable_database_refuses_the_batch_with_503(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    broken = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    checks = ReplayChecks(broken)
    try:
        verdict = checks.check("v0=" + "d" * 64, int(time.time())).result(timeout=30)
    finally:
        checks.close()
        broken.dispose()
    assert verdict == Refusal(503, "database unavailable")
    assert "could not check Slack requests for replay (OperationalError)" in caplog.text


def test_any_failure_refuses_its_batch_and_later_checks_still_get_answers(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure that is not the database's must not end the thread: every later check
    would wait for a verdict that never comes (it failed on the first version)."""

    def refuse() -> Any:
        raise RuntimeError("no connection for you")

    broken = sa.create_engine("sqlite://", creator=refuse)
    checks = ReplayChecks(broken)
    try:
        first = checks.check("v0=" + "e" * 64, int(time.time())).result(timeout=30)
        second = checks.check("v0=" + "f" * 64, int(time.time())).result(timeout=30)
    finally:
        checks.close()
        broken.dispose()
    assert first == second == Refusal(503, "database unavailable")
    assert "(RuntimeError)" in caplog.text
    assert "no connection for you" not in caplog.text
