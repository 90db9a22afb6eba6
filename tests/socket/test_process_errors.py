"""Every process command, run as a real process, stops on an operator's problem with one line.

Unreachable database, bad SQLite path, port in use, unreachable or refusing Slack: a line
naming the setting (the database's adds a line saying what to check), no traceback, and a
non-zero exit. The processes run side by side to keep this quick.
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from storage.engine import make_engine
from storage.migrate import upgrade
from tests.fakes.slack_api import FakeSlackAPI
from tests.socket.conftest import APP_TOKEN, BOT_TOKEN, uptake, uptake_env

UNREACHABLE_DB = "postgresql://nobody:hunter2@127.0.0.1:1/uptake"
BAD_SQLITE = "sqlite:////nonexistent/folder/uptake.db"
# What slack_sdk's log lines carry, after their level.
SLACK = " slack_sdk."
# A log line: "2026-11-30 06:28:13,444 INFO uptake.bolt …".
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?P<level>[A-Z]+) ")


@dataclass(frozen=True)
class Case:
    command: str
    problem: str
    status: int
    expected: str  # what the line says, with {port}/{slack} filled in


CASES = [
    *(
        Case(
            command,
            "unreachable database",
            1,
            f"uptake {command}: cannot connect to the database at "
            "postgresql+psycopg://***@127.0.0.1:1/uptake: connection failed: ",
        )
        for command in ("serve", "socket", "clock", "sources")
    ),
    *(
        Case(
            command,
            "bad SQLite path",
            2,
            f"uptake {command}: cannot open the SQLite database {BAD_SQLITE} (unable to open "
            "database file): its folder must exist and be writable; check DATABASE_URL",
        )
        for command in ("serve", "socket", "clock", "sources")
    ),
    Case(
        "serve",
        "port in use",
        1,
        "uptake serve: port {port} is already in use: stop what listens there or set PORT",
    ),
    Case(
        "clock",
        "port in use",
        1,
        "uptake clock: port {port} is already in use: stop what listens there or set "
        "METRICS_PORT (0 turns metrics off)",
    ),
    *(
        Case(
            command,
            "unreachable Slack",
            1,
            f"uptake {command}: cannot reach Slack at {{slack}} ([Errno 111] Connection refused):"
            " check SLACK_API_URL and this machine's network",
        )
        for command in ("serve", "socket")
    ),
    Case(
        "socket",
        "refused app token",
        2,
        "uptake socket: Slack refused SLACK_APP_TOKEN (invalid_auth): use an app-level token "
        "(xapp-) with connections:write, from the app's settings under App-Level Tokens",
    ),
]


@dataclass(frozen=True)
class Outcome:
    status: int
    stderr: str
    expected: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Case, Outcome]]:
    """Run every case, four at a time, and collect what each printed."""
    folder = tmp_path_factory.mktemp("process-errors")
    migrated = f"sqlite:///{folder / 'uptake.db'}"
    engine = make_engine(migrated)
    upgrade(engine)
    engine.dispose()
    closed_port = free_port()  # nothing listens there
    unreachable_slack = f"http://127.0.0.1:{closed_port}/api/"
    with FakeSlackAPI() as api, socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))  # where waitress and the metrics server bind
        taken.listen()
        port = int(taken.getsockname()[1])
        api.revoke_token(APP_TOKEN)

        def run(case: Case) -> Outcome:
            settings = {
                "DATABASE_URL": migrated,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": "signing-secret",
                "SLACK_APP_TOKEN": APP_TOKEN,
                "SLACK_API_URL": api.url,
                "PORT": str(free_port()),
                "METRICS_PORT": "0",
            }
            if case.problem == "unreachable database":
                settings["DATABASE_URL"] = UNREACHABLE_DB
            elif case.problem == "bad SQLite path":
                settings["DATABASE_URL"] = BAD_SQLITE
            elif case.problem == "port in use":
                settings["METRICS_PORT" if case.command == "clock" else "PORT"] = str(port)
            elif case.problem == "unreachable Slack":
                settings["SLACK_API_URL"] = unreachable_slack
            process = uptake(
                [case.command],
                uptake_env(**settings),
                folder,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            try:
                _, stderr = process.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                _, stderr = process.communicate()
                stderr += "\n(still running after 120 s: killed)"
            expected = case.expected.format(port=port, slack=unreachable_slack)
            return Outcome(process.returncode, stderr, expected)

        with ThreadPoolExecutor(max_workers=4) as pool:
            yield dict(zip(CASES, pool.map(run, CASES), strict=True))


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.command}-{case.problem}")
def test_stops_with_one_line_naming_the_setting(outcomes: dict[Case, Outcome], case: Case) -> None:
    outcome = outcomes[case]
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert outcome.status == case.status, outcome.stderr
    lines = outcome.stderr.strip().splitlines()
    said = [line for line in lines if not LOG_LINE.match(line)]
    # Anything else on standard error is the process's ordinary log, with no error in it, and
    # nothing of slack_sdk's attempts to reach Slack (it retries twice, logging each at DEBUG).
    errors = [
        line
        for line in lines
        if (m := LOG_LINE.match(line)) and (m["level"] not in ("INFO", "DEBUG") or SLACK in line)
    ]
    assert errors == [], outcome.stderr
    if case.problem == "unreachable database":
        assert said[0].startswith(outcome.expected), outcome.stderr
        assert said[1:] == [
            "Check DATABASE_URL and that the database server is running and reachable."
        ]
    else:
        assert said == [outcome.expected], outcome.stderr
    for secret in ("hunter2", "nobody", "socketappsecret", "socketbotsecret", "signing-secret"):
        assert secret not in outcome.stderr
