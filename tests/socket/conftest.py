"""`uptake` run as a real process beside the fake Slack Web API and Socket Mode servers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot.settings import Settings
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.socket_mode import FakeSocketMode

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "slack" / "payloads"
BOT_TOKEN = "xoxb-1111-2222-socketbotsecret"
APP_TOKEN = "xapp-1-A0UPTAKE-3333-socketappsecret"
#: How long a process may take to start on a busy two-core machine.
START_SECONDS = 60


def uptake_env(**settings: str) -> dict[str, str]:
    """The environment of an `uptake` process: this one's, less any Uptake setting, plus these."""
    names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key not in names}
    env.update({"LOG_FORMAT": "text", **settings})
    return env


def uptake(
    args: Sequence[str], env: Mapping[str, str], cwd: Path, **popen: Any
) -> subprocess.Popen[str]:
    """Start `uptake ARGS` (this checkout, this interpreter) in `cwd`, which holds no .env."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        env=dict(env),
        cwd=cwd,
        text=True,
        **popen,
    )


@dataclass
class Worker:
    """A running `uptake socket` process and the fakes it talks to."""

    process: subprocess.Popen[str]
    api: FakeSlackAPI
    slack: FakeSocketMode
    log: Path

    def stderr(self) -> str:
        return self.log.read_text()

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, as a platform stops a process; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def start_worker(
    database_url: str, folder: Path, api: FakeSlackAPI, slack: FakeSocketMode
) -> Worker:
    """`uptake socket` against the fakes, once it has opened its first connection."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"socket-{uuid.uuid4().hex[:8]}.log"
    env = uptake_env(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=api.url,
    )
    opened = len(slack.connections)
    with log.open("w") as stderr:
        process = uptake(["socket"], env, folder, stderr=stderr, stdout=subprocess.DEVNULL)
    worker = Worker(process, api, slack, log)
    deadline = time.monotonic() + START_SECONDS
    while len(slack.connections) == opened:
        if process.poll() is not None or time.monotonic() > deadline:
            worker.stop()
            pytest.fail(f"uptake socket did not connect:\n{worker.stderr()}", pytrace=False)
        time.sleep(0.05)
    return worker


@pytest.fixture(scope="module")
def slack_fakes() -> Iterator[tuple[FakeSlackAPI, FakeSocketMode]]:
    """The fake Web API, whose apps.connections.open hands out the fake Socket Mode's URLs."""
    with FakeSlackAPI() as api, FakeSocketMode(api) as slack:
        api.add_user("U0ALICE", email="alice@example.com", real_name="Alice", tz="Europe/London")
        yield api, slack


@pytest.fixture(scope="module")
def worker(
    database_url: str,
    slack_fakes: tuple[FakeSlackAPI, FakeSocketMode],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Worker]:
    """One `uptake socket` process for the module's tests, on each database."""
    api, slack = slack_fakes
    running = start_worker(database_url, tmp_path_factory.mktemp("socket"), api, slack)
    yield running
    status = running.stop()
    assert status == 0, running.stderr()


def slash_command(response_url: str, text: str = "", **fields: str) -> dict[str, str]:
    """A /myusage slash command's fields (Slack's own example), as Socket Mode sends them."""
    source = PAYLOADS / "slash_command.bolt-python-test.form.txt"
    payload = dict(parse_qsl(source.read_text().strip()))
    payload.update(
        command="/myusage",
        text=text,
        user_id="U0ALICE",
        team_id="T0TEST",
        api_app_id="A0UPTAKE",
        response_url=response_url,
        **fields,
    )
    return payload


def button_click(response_url: str, action_id: str, value: str, user_id: str) -> dict[str, Any]:
    """A block_actions payload (Slack's own example) for one button."""
    payload: dict[str, Any] = json.loads(
        (PAYLOADS / "block_actions.bolt-python-test.json").read_text()
    )
    payload["user"] = {"id": user_id, "username": "alice", "name": "alice", "team_id": "T0TEST"}
    payload["team"] = {"id": "T0TEST", "domain": "uptake-test"}
    payload["api_app_id"] = "A0UPTAKE"
    payload["response_url"] = response_url
    payload["actions"] = [
        {
            "action_id": action_id,
            "block_id": "b",
            "value": value,
            "type": "button",
            "text": {"type": "plain_text", "text": "Button"},
            "action_ts": f"{time.time():.6f}",
        }
    ]
    return payload
