"""Private image uploads and image blocks, against the fake Slack Web API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_files import image_block, refers_to_unready_file, upload_private_image
from tests.fakes.slack_api import FakeSlackAPI

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlackAPI) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url, timeout=2, retry_handlers=[])


def test_an_image_is_uploaded_into_no_conversation(client: WebClient, fake: FakeSlackAPI) -> None:
    file_id = upload_private_image(
        client, PNG, filename="trend.png", title="Trend", alt_text="W1 40 %"
    )

    assert file_id.startswith("F")
    assert fake.uploaded_files[file_id] == PNG
    [complete] = fake.calls("files.completeUploadExternal")
    assert not complete.params.get("channel_id") and not complete.params.get("channels")
    assert fake.completed_files[file_id]["channels"] == []
    assert fake.calls("chat.postMessage") == []


def test_a_message_shows_the_uploaded_image_in_one_post(
    client: WebClient, fake: FakeSlackAPI
) -> None:
    file_id = upload_private_image(client, PNG, filename="t.png", title="T", alt_text="W1 40 %")

    client.chat_postMessage(
        channel="C0TEAM",
        text="digest",
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}},
            image_block(file_id, alt_text="W1 40 %"),
        ],
    )

    [message] = fake.channel_messages("C0TEAM")
    assert message["blocks"][1]["slack_file"] == {"id": file_id}
    assert message["blocks"][1]["alt_text"] == "W1 40 %"


@pytest.mark.parametrize(
    "block",
    [
        image_block("F0NOSUCHFILE", alt_text="chart"),
        {"type": "image", "slack_file": {"id": "F1", "url": "u"}, "alt_text": "chart"},
        {"type": "image", "slack_file": {"id": "F1"}, "alt_text": ""},
    ],
)
def test_an_image_block_slack_would_refuse_is_refused(
    client: WebClient, fake: FakeSlackAPI, block: dict[str, object]
) -> None:
    upload_private_image(client, PNG, filename="t.png", title="T", alt_text="x")  # F1

    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0TEAM", text="digest", blocks=[block])

    assert refused.value.response["error"] == "invalid_blocks"
    assert fake.channel_messages("C0TEAM") == []


def test_an_unknown_file_is_told_apart_from_other_block_errors(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as unready:
        client.chat_postMessage(
            channel="C0TEAM", text="d", blocks=[image_block("F0LATE", alt_text="chart")]
        )
    with pytest.raises(SlackApiError) as other:
        client.chat_postMessage(
            channel="C0TEAM",
            text="d",
            blocks=[{"type": "image", "image_url": "https://x/y.png", "alt_text": ""}],
        )

    assert refers_to_unready_file(unready.value)
    assert not refers_to_unready_file(other.value)
