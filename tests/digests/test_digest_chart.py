"""The digest's chart: queued as data, drawn when sent, inside the one digest message."""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.charts import TrendPoint, chart_alt_text
from bot.digests.service import chart_title, digest_week, trend_history
from bot.figures.releases import read_releases
from bot.outbox import CHART_ATTEMPTS, CHART_READY_WAIT, deliver_due
from bot.slack_files import upload_private_image
from bot.teams import load_teams
from storage import queries
from storage.engine import session as open_session
from storage.models import OutboxMessage, OutboxState
from storage.outbox import replace_payload
from tests.digests.test_digests import MONDAY_0900_LONDON, run_digests, team_with
from tests.fakes.slack_api import DropAfterRecording, FakeSlackAPI, Hang

NOW = MONDAY_0900_LONDON
# The database matters for the claims (both run the crash tests); the rest is SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
DM = "DU0BOSS"  # the boss's DM, as the fake opens it


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as server:
        yield server


def client(fake: FakeSlackAPI, timeout: float = 30) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url, timeout=timeout, retry_handlers=[])


def digest_rows(engine: Engine) -> list[OutboxMessage]:
    with open_session(engine) as session:
        return queries.outbox_messages(session)


def images(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in message.get("blocks") or [] if block.get("type") == "image"]


def expected_alt_text(engine: Engine) -> str:
    """The alt text worked out from the stored releases the digest quotes."""
    [team] = load_teams(engine)
    week = digest_week(NOW, "Europe/London")
    releases = read_releases(engine, team, trend_history(week))
    points = [
        TrendPoint(f"{period.start:%d %b}", shown.share("active") if shown else None)
        for period in reversed(trend_history(week))
        for shown in [releases.get(period.name)]
    ]
    return chart_alt_text(points, title=chart_title(team))


@SQLITE_ONLY
def test_the_weekly_job_queues_the_chart_as_data_and_draws_nothing(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team_with(engine, "payments", 10, this_week=8, last_week=3)

    assert run_digests(engine, NOW) == 1

    [row] = digest_rows(engine)  # one message: no separate chart message any more
    assert row.kind == "digest"
    chart = row.payload["chart"]
    assert len(chart["points"]) == 12
    assert "file_id" not in chart and not row.payload.get("file")
    assert len(str(chart)) < 2000  # a dozen points and a sentence, not an image
    assert fake.requests == []  # nothing drawn, nothing uploaded


@SQLITE_ONLY
def test_a_digest_arrives_as_one_message_with_its_chart_inside(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team_with(engine, "payments", 10, this_week=8, last_week=3)
    run_digests(engine, NOW)

    assert deliver_due(engine, client(fake), now=NOW).sent == 1

    [message] = fake.channel_messages(DM)
    assert len(fake.calls("chat.postMessage")) == 1
    [image] = images(message)
    file_id = image["slack_file"]["id"]
    [complete] = fake.calls("files.completeUploadExternal")
    assert not complete.params.get("channel_id") and not complete.params.get("channels")
    assert fake.completed_files[file_id]["channels"] == []  # shared nowhere but in the digest
    png = fake.uploaded_files[file_id]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1200, 600)
    assert message["blocks"][0]["type"] == "header"
    assert message["blocks"][1] == image  # right after the headline
    [row] = digest_rows(engine)
    assert row.state == OutboxState.SENT and row.payload["chart"]["file_id"] == file_id


@SQLITE_ONLY
def test_the_alt_text_states_the_figures_the_digest_quotes(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team_with(engine, "payments", 10, this_week=8, last_week=3)
    run_digests(engine, NOW)
    deliver_due(engine, client(fake), now=NOW)

    [message] = fake.channel_messages(DM)
    [image] = images(message)
    alt = image["alt_text"]
    assert alt == expected_alt_text(engine)
    assert alt.endswith("80 %.")  # 8 of 10 active in the week the digest is about
    assert "30 %" in alt  # 3 of 10 the week before
    assert alt.count(" %") == 12  # every week's figure, none hidden


@pytest.mark.parametrize("fault", [Hang(), DropAfterRecording()], ids=["hang", "dropped"])
def test_a_post_lost_after_the_upload_is_neither_posted_nor_uploaded_twice(
    engine: Engine, fake: FakeSlackAPI, fault: Hang | DropAfterRecording
) -> None:
    team_with(engine, "payments", 10, this_week=8, last_week=3)
    run_digests(engine, NOW)
    fake.fail_next("chat.postMessage", fault)

    first = deliver_due(engine, client(fake, timeout=0.5), now=NOW)
    later = deliver_due(engine, client(fake), now=NOW + dt.timedelta(hours=1))

    assert first.retrying == 1
    assert later.sent + later.already_sent == 1
    assert len(fake.channel_messages(DM)) == 1
    assert len(fake.calls("files.getUploadURLExternal")) == 1  # the retry reused the upload
    [message] = fake.channel_messages(DM)
    [image] = images(message)
    [row] = digest_rows(engine)
    assert row.state == OutboxState.SENT
    assert image["slack_file"]["id"] == row.payload["chart"]["file_id"]


def test_a_sender_that_died_after_recording_its_upload_is_followed_by_one_post(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team_with(engine, "payments", 10, this_week=8, last_week=3)
    run_digests(engine, NOW)
    with open_session(engine) as session:  # a sender claims the digest, uploads, records, dies
        [claimed] = queries.claim_due_messages(
            session, now=NOW, lease=dt.timedelta(minutes=5), token="dead", limit=10
        )
    assert claimed.id is not None
    file_id = upload_private_image(
        client(fake), b"\x89PNG\r\n\x1a\n", filename="c.png", title="c", alt_text="c"
    )
    with open_session(engine) as session:
        payload = {**claimed.payload, "chart": {**claimed.payload["chart"], "file_id": file_id}}
        assert replace_payload(
            session, claimed.id, "dead", payload, now=NOW, lease=dt.timedelta(minutes=5)
        )

    assert deliver_due(engine, client(fake), now=NOW + dt.timedelta(minutes=1)).sent == 0
    assert deliver_due(engine, client(fake), now=NOW + dt.timedelta(minutes=6)).sent == 1

    [message] = fake.channel_messages(DM)
    assert images(message)[0]["slack_file"]["id"] == file_id
    assert len(fake.calls("files.getUploadURLExternal")) == 1  # only the dead sender's


@SQLITE_ONLY
def test_a_chart_slack_cannot_show_yet_is_tried_again_shortly(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team_with(engine, "payments", 10, this_week=8, last_week=3)
    run_digests(engine, NOW)
    fake.unready_file_posts = 1

    first = deliver_due(engine, client(fake), now=NOW)
    early = deliver_due(engine, client(fake), now=NOW + dt.timedelta(seconds=CHART_READY_WAIT - 1))
    # (the first run's clock moved on while it drew the chart: a minute covers that)
    second = deliver_due(engine, client(fake), now=NOW + dt.timedelta(minutes=1))

    assert (first.retrying, early.sent, second.sent) == (1, 0, 1)
    [message] = fake.channel_messages(DM)
    assert len(images(message)) == 1
    assert len(fake.calls("files.getUploadURLExternal")) == 1


@SQLITE_ONLY
def test_a_chart_slack_keeps_refusing_is_left_out_not_the_digest(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team_with(engine, "payments", 10, this_week=8, last_week=3)
    run_digests(engine, NOW)
    fake.unready_file_posts = CHART_ATTEMPTS

    moment = NOW
    for _ in range(CHART_ATTEMPTS):
        deliver_due(engine, client(fake), now=moment)
        moment += dt.timedelta(minutes=1)  # well past CHART_READY_WAIT, well before a backoff

    [message] = fake.channel_messages(DM)
    assert images(message) == []
    assert message["blocks"][0]["type"] == "header"
    [row] = digest_rows(engine)
    assert row.state == OutboxState.SENT


@SQLITE_ONLY
def test_an_upload_that_names_no_file_leaves_the_chart_out_not_the_digest(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team_with(engine, "payments", 10, this_week=8, last_week=3)
    run_digests(engine, NOW)
    fake.set_response("files.completeUploadExternal", {"ok": True, "files": []})

    assert deliver_due(engine, client(fake), now=NOW).sent == 1

    [message] = fake.channel_messages(DM)
    assert images(message) == [] and message["blocks"][0]["type"] == "header"
    [row] = digest_rows(engine)
    assert row.state == OutboxState.SENT
