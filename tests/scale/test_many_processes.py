"""Many processes, one database: web processes and outbox senders side by side.

Two real `uptake serve` processes answer signed commands at once on one PostgreSQL, and two
outbox senders (each with its own engine, as two clock processes would have) deliver at
once; nothing is answered twice and nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy as sa
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.outbox import DeliveryReport, deliver_due, enqueue
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.conftest import _postgres_database
from tests.fakes.signing import sign_slack_request
from tests.fakes.slack_api import FakeSlackAPI, Slow
from tests.handlers.conftest import slash_command_fields
from tests.scale.web_process import WebProcess

SECRET = "many-processes-secret"
NOW = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated PostgreSQL database."""
    url = _postgres_database(request)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def test_two_web_processes_answer_every_command_once(postgres_url: str) -> None:
    with FakeSlackAPI() as fake:
        people = [f"U0MANY{n:02d}" for n in range(10)]
        for user_id in people:
            fake.add_user(user_id, email=f"{user_id.lower()}@example.com")
        settings = {
            "DATABASE_URL": postgres_url,
            "SLACK_BOT_TOKEN": "xoxb-many-processes",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "WORK_THREADS": "4",
        }
        with ExitStack() as stack, ThreadPoolExecutor(max_workers=2) as starting:
            first, second = (
                stack.enter_context(web)
                for web in starting.map(lambda _: WebProcess(settings), range(2))
            )
            # Everyone is new, and each person's four commands go to both processes at once:
            # both register the same person at the same moment.
            jobs = [
                (web.base_url, user_id, uuid.uuid4().hex)
                for user_id in people
                for web in (first, second, first, second)
            ]

            def send(job: tuple[str, str, str]) -> int:
                base_url, user_id, name = job
                body = urlencode(
                    slash_command_fields(
                        command="/myusage",
                        text="",
                        user_id=user_id,
                        team_id="T0TEST",
                        response_url=fake.response_url(name),
                    )
                ).encode()
                headers = sign_slack_request(SECRET, body)
                response = httpx.post(
                    f"{base_url}/slack/events", content=body, headers=headers, timeout=10
                )
                assert response.text == "", response.text  # acked, not busy
                return response.status_code

            with ThreadPoolExecutor(max_workers=len(jobs)) as senders:
                assert set(senders.map(send, jobs)) == {200}
            for _, _, name in jobs:
                fake.wait_for(f"/response/{name}", timeout=20)
            logs = first.log() + second.log()

        answered = Counter(
            call.path for call in fake.requests if call.path.startswith("/response/")
        )
        assert sorted(answered) == sorted(f"/response/{name}" for _, _, name in jobs)
        assert set(answered.values()) == {1}, "a command was answered twice"
        texts = [
            str(call.body.get("text", ""))
            for call in fake.requests
            if call.path.startswith("/response/")
        ]
        assert not [text for text in texts if "went wrong" in text], logs
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            registered = connection.execute(
                sa.text("SELECT slack_user_id, COUNT(*) FROM person GROUP BY slack_user_id")
            ).all()
    finally:
        engine.dispose()
    assert sorted(registered) == [(user_id, 1) for user_id in people]


def test_two_outbox_senders_with_their_own_engines_send_each_message_once(
    engine: Engine, database_url: str
) -> None:
    with FakeSlackAPI() as fake:
        count = 40
        for n in range(count):
            enqueue(
                engine, key=f"many{n}", kind="test", now=NOW, channel=f"U0M{n:03d}", text=f"m{n}"
            )
        # Slow posts keep both senders mid-delivery at the same time.
        fake.fail_next("chat.postMessage", Slow(0.05), times=count)
        reports: dict[int, list[DeliveryReport]] = {0: [], 1: []}
        start = threading.Barrier(2)

        def sender(index: int) -> None:
            own_engine = make_engine(database_url)
            client = WebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])
            with own_engine.connect():
                start.wait(timeout=30)  # both connected: they start together
            try:
                while True:
                    report = deliver_due(own_engine, client, now=NOW, limit=5)
                    reports[index].append(report)
                    if report == DeliveryReport():
                        return
            finally:
                own_engine.dispose()

        senders = [threading.Thread(target=sender, args=(index,)) for index in range(2)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(timeout=60)
        posted = Counter(str(call.body["text"]) for call in fake.calls("chat.postMessage"))
    sent = [sum(report.sent for report in reports[index]) for index in range(2)]
    assert sum(sent) == count
    assert posted == Counter(f"m{n}" for n in range(count)), "lost or sent twice"
    # Both took part: a claim never takes more than its limit, so neither can take them all.
    assert all(sent), f"one sender claimed everything: {sent}"
