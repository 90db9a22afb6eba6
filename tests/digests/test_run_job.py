"""In the demo organisation, `uptake run-job digests --now` queues every manager's digest."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.cli import main
from storage import queries
from storage.engine import session as open_session


def test_run_job_digests_queues_one_digest_per_manager_and_team(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "This week's digest for the manager of" in out
    assert (tmp_path / "digest-preview.txt").read_text().strip()
    assert (tmp_path / "digest-preview.png").read_bytes()[:4] == b"\x89PNG"

    # Monday 23:00 UTC: every demo manager's own Monday 09:00 has passed this week.
    assert main(["run-job", "digests", "--now", "2026-11-30T23:00"]) == 0
    assert main(["run-job", "digests", "--now", "2026-11-30T23:15"]) == 0  # a second run: no-op
    with open_session(engine) as session:
        managers = {(team, slack_id) for team, slack_id, _ in queries.managers_of_teams(session)}
        digests = queries.outbox_messages(session, kind="digest")
    assert len(managers) == 30  # 24 squads and 6 departments
    assert {(m.channel, m.idempotency_key.split(":")[2]) for m in digests} == {
        (slack_id, str(team)) for team, slack_id in managers
    }
    assert len(digests) == len(managers)
    assert all("This team has fewer than" not in str(m.payload) for m in digests)
