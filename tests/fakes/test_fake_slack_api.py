"""Tests for the fake Slack Web API, driven through the real slack_sdk clients."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.fakes.signing import sign_slack_request
from tests.fakes.slack_api import (
    FakeSlackAPI,
    Hang,
    Malformed,
    RateLimited,
    RecordedRequest,
    ServerError,
    SlackError,
    Slow,
)

TOKEN = "xoxb-test"


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as server:
        yield server


def make_client(fake: FakeSlackAPI, **kwargs: Any) -> WebClient:
    kwargs.setdefault("token", TOKEN)
    return WebClient(base_url=fake.url, **kwargs)


def raw_post(
    fake: FakeSlackAPI, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_url_shape_and_auth_test(fake: FakeSlackAPI) -> None:
    assert fake.url == f"http://127.0.0.1:{fake.port}/api/"
    assert fake.response_url("abc") == f"http://127.0.0.1:{fake.port}/response/abc"
    response = make_client(fake).auth_test()
    assert response["ok"] is True
    assert response["team_id"] == "T0TEST"
    assert response["user_id"] == "U0BOT"
    assert response["bot_id"] == "B0BOT"
    assert response["url"] == "https://uptake-test.slack.com/"
    request = fake.calls("auth.test")[0]
    assert request.method == "POST"
    assert request.path == "/api/auth.test"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.token == TOKEN


def test_post_message_records_blocks_and_returns_incrementing_ts(fake: FakeSlackAPI) -> None:
    client = make_client(fake)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}]
    first = client.chat_postMessage(channel="C1", text="hello", blocks=blocks)
    second = client.chat_postMessage(channel="C1", text="again")

    assert first["ok"] is True
    assert first["channel"] == "C1"
    assert first["ts"] == "1700000000.000100"
    assert second["ts"] == "1700000000.000200"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["text"] == "hello"
    assert first["message"]["blocks"] == blocks

    recorded = fake.calls("chat.postMessage")
    assert len(recorded) == 2
    assert recorded[0].body["blocks"] == blocks
    assert recorded[0].body["channel"] == "C1"
    assert recorded[0].api_method == "chat.postMessage"
    assert recorded[0].received_at <= recorded[1].received_at
    assert json.loads(recorded[0].raw_body)["text"] == "hello"


def test_form_encoded_json_values_are_decoded(fake: FakeSlackAPI) -> None:
    client = make_client(fake)
    blocks = [{"type": "divider"}]
    response = client.api_call(
        "chat.postMessage",
        params={"channel": "C9", "text": "form", "blocks": json.dumps(blocks)},
    )
    assert response["ok"] is True
    body = fake.calls("chat.postMessage")[0].body
    assert body["text"] == "form"
    assert body["blocks"] == blocks
    assert "form-urlencoded" in fake.calls("chat.postMessage")[0].headers["content-type"]


def test_history_returns_posted_messages_with_metadata(fake: FakeSlackAPI) -> None:
    client = make_client(fake)
    metadata = {"event_type": "uptake_digest", "event_payload": {"week": "2024-W01"}}
    first = client.chat_postMessage(channel="C1", text="one", metadata=metadata)
    second = client.chat_postMessage(channel="C1", text="two")
    client.chat_postMessage(channel="C2", text="elsewhere")

    history = client.conversations_history(channel="C1", include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["two", "one"]
    assert history["messages"][1]["metadata"] == metadata
    assert history["messages"][1]["ts"] == first["ts"]

    limited = client.conversations_history(channel="C1", limit=1)
    assert [m["ts"] for m in limited["messages"]] == [second["ts"]]
    assert limited["has_more"] is True

    newer = client.conversations_history(channel="C1", oldest=first["ts"])
    assert [m["text"] for m in newer["messages"]] == ["two"]


def test_dm_posts_show_up_in_opened_dm_history(fake: FakeSlackAPI) -> None:
    client = make_client(fake)
    opened = client.conversations_open(users="U123")
    assert opened["channel"]["id"] == "DU123"
    client.chat_postMessage(channel="U123", text="psst")
    history = client.conversations_history(channel=opened["channel"]["id"])
    assert [m["text"] for m in history["messages"]] == ["psst"]


def test_ephemeral_and_views_publish(fake: FakeSlackAPI) -> None:
    client = make_client(fake)
    ephemeral = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert ephemeral["ok"] is True
    assert ephemeral["message_ts"]

    view = {"type": "home", "blocks": [{"type": "divider"}]}
    published = client.views_publish(user_id="U1", view=view)
    assert published["view"]["type"] == "home"
    assert published["view"]["blocks"] == view["blocks"]
    assert fake.published_views["U1"] == view
    assert fake.calls("views.publish")[0].body["view"] == view


def test_rate_limited_without_retry_handlers_raises_429(fake: FakeSlackAPI) -> None:
    client = make_client(fake, retry_handlers=[])
    fake.fail_next("chat.postMessage", RateLimited(retry_after=1))
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="hi")
    response = excinfo.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response["error"] == "ratelimited"
    # The fault is consumed: the next call succeeds.
    assert client.chat_postMessage(channel="C1", text="hi")["ok"] is True


def test_rate_limited_is_retried_by_rate_limit_handler(fake: FakeSlackAPI) -> None:
    client = make_client(fake, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    fake.fail_next("chat.postMessage", RateLimited(retry_after=0))
    response = client.chat_postMessage(channel="C1", text="hi")
    assert response["ok"] is True
    assert response.status_code == 200
    assert len(fake.calls("chat.postMessage")) == 2


def test_faults_are_fifo_per_method(fake: FakeSlackAPI) -> None:
    client = make_client(fake, retry_handlers=[])
    fake.fail_next("users.info", SlackError("user_not_visible"), times=2)
    fake.fail_next("users.info", SlackError("fatal_error"))
    errors = []
    for _ in range(3):
        with pytest.raises(SlackApiError) as excinfo:
            client.users_info(user="U1")
        errors.append(excinfo.value.response["error"])
    assert errors == ["user_not_visible", "user_not_visible", "fatal_error"]
    # Other methods are unaffected.
    assert client.auth_test()["ok"] is True


def test_server_error(fake: FakeSlackAPI) -> None:
    client = make_client(fake, retry_handlers=[])
    fake.fail_next("chat.postMessage", ServerError(status=503))
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="hi")
    assert excinfo.value.response.status_code == 503


def test_slack_error(fake: FakeSlackAPI) -> None:
    fake.fail_next("chat.postMessage", SlackError("channel_not_found"))
    with pytest.raises(SlackApiError) as excinfo:
        make_client(fake).chat_postMessage(channel="C1", text="hi")
    assert excinfo.value.response.status_code == 200
    assert excinfo.value.response["error"] == "channel_not_found"


def test_malformed_body_raises(fake: FakeSlackAPI) -> None:
    fake.fail_next("auth.test", Malformed())
    with pytest.raises(SlackApiError) as excinfo:
        make_client(fake, retry_handlers=[]).auth_test()
    assert excinfo.value.response["ok"] is False
    # With retry handlers installed (the WebClient default) slack_sdk parses eagerly instead.
    fake.fail_next("auth.test", Malformed())
    with pytest.raises(json.JSONDecodeError):
        make_client(fake).auth_test()


def test_slow_then_normal(fake: FakeSlackAPI) -> None:
    fake.fail_next("auth.test", Slow(0.2))
    started = time.monotonic()
    assert make_client(fake).auth_test()["ok"] is True
    assert time.monotonic() - started >= 0.2


def test_hang_times_out_and_stop_releases_it() -> None:
    with FakeSlackAPI() as fake:
        fake.fail_next("auth.test", Hang(), times=2)
        conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=0.3)
        try:
            conn.request("POST", "/api/auth.test", body=b"")
            with pytest.raises(TimeoutError):
                conn.getresponse()
        finally:
            conn.close()

        outcome: list[BaseException | int] = []

        def call() -> None:
            c = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
            try:
                c.request("POST", "/api/auth.test", body=b"")
                outcome.append(c.getresponse().status)
            except (http.client.HTTPException, OSError) as exc:
                outcome.append(exc)
            finally:
                c.close()

        worker = threading.Thread(target=call)
        worker.start()
        fake.wait_for(lambda r: len(fake.calls("auth.test")) == 2)
        started = time.monotonic()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert time.monotonic() - started < 2
    assert len(outcome) == 1
    assert isinstance(outcome[0], http.client.RemoteDisconnected)


def test_not_authed_without_token(fake: FakeSlackAPI) -> None:
    client = WebClient(base_url=fake.url)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="hi")
    assert excinfo.value.response.status_code == 200
    assert excinfo.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as excinfo:
        make_client(fake, token="not-a-token").users_info(user="U1")
    assert excinfo.value.response["error"] == "not_authed"
    # auth.test is not gated.
    assert client.auth_test()["ok"] is True


def test_revoked_token_is_invalid_auth(fake: FakeSlackAPI) -> None:
    fake.revoke_token("xoxb-revoked")
    with pytest.raises(SlackApiError) as excinfo:
        make_client(fake, token="xoxb-revoked").chat_postMessage(channel="C1", text="hi")
    assert excinfo.value.response["error"] == "invalid_auth"
    assert make_client(fake).chat_postMessage(channel="C1", text="hi")["ok"] is True


def test_users_registry(fake: FakeSlackAPI) -> None:
    client = make_client(fake)
    fake.add_user("U1", email="ada@example.com", real_name="Ada Lovelace", tz_offset=3600)
    fake.add_user("U2", email="bob@example.com", real_name="Bob", deleted=True)
    fake.add_user("U3", real_name="Robot", is_bot=True)

    found = client.users_lookupByEmail(email="ADA@example.com")
    assert found["user"]["id"] == "U1"
    assert found["user"]["profile"]["email"] == "ada@example.com"
    assert found["user"]["tz"] == "Europe/London"
    assert found["user"]["tz_offset"] == 3600

    with pytest.raises(SlackApiError) as excinfo:
        client.users_lookupByEmail(email="nobody@example.com")
    assert excinfo.value.response["error"] == "users_not_found"

    info = client.users_info(user="U2")
    assert info["user"]["deleted"] is True
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U404")
    assert excinfo.value.response["error"] == "user_not_found"

    # SlackResponse pagination reuses one object per page, so snapshot each page's data.
    pages = [dict(page.data) for page in client.users_list(limit=2)]
    assert [[m["id"] for m in page["members"]] for page in pages] == [["U1", "U2"], ["U3"]]
    assert pages[0]["response_metadata"]["next_cursor"]
    assert pages[1]["response_metadata"]["next_cursor"] == ""
    assert pages[1]["members"][0]["is_bot"] is True


def test_set_response_overrides_default(fake: FakeSlackAPI) -> None:
    client = make_client(fake)
    fake.set_response("team.info", {"ok": True, "team": {"id": "T0TEST", "name": "Custom"}})
    assert client.team_info()["team"]["name"] == "Custom"
    fake.set_response("auth.test", lambda r: {"ok": True, "user_id": "U0OTHER"})
    assert client.auth_test()["user_id"] == "U0OTHER"
    fake.set_response("auth.test", None)
    assert client.auth_test()["user_id"] == "U0BOT"
    assert client.api_call("bookmarks.list")["ok"] is True


def test_files_upload_v2_end_to_end(fake: FakeSlackAPI) -> None:
    client = make_client(fake)
    content = b"\x89PNG\r\n\x1a\nfake image bytes"
    response = client.files_upload_v2(
        content=content, filename="x.png", channel="C1", initial_comment="chart"
    )
    assert response["ok"] is True
    file_id = response["file"]["id"]
    assert response["files"] == [{"id": file_id, "title": "x.png"}]
    assert fake.uploaded_files[file_id] == content

    get_url = fake.calls("files.getUploadURLExternal")[0]
    assert get_url.body["filename"] == "x.png"
    assert get_url.body["length"] == str(len(content))
    upload = fake.calls(f"/upload/{file_id}")[0]
    assert upload.api_method is None
    assert upload.raw_body == content
    complete = fake.calls("files.completeUploadExternal")[0]
    assert complete.body["channel_id"] == "C1"
    assert complete.body["files"] == [{"id": file_id, "title": "x.png"}]
    assert fake.completed_files[file_id]["channels"] == ["C1"]
    assert client.files_info(file=file_id)["file"]["name"] == "x.png"


def test_upload_fault_by_path_prefix(fake: FakeSlackAPI) -> None:
    fake.fail_next("/upload/*", ServerError(status=500))
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        make_client(fake).files_upload_v2(content=b"data", filename="x.txt", channel="C1")
    assert excinfo.value.code == 500
    excinfo.value.close()
    assert fake.uploaded_files == {}


def test_response_url_post_is_recorded(fake: FakeSlackAPI) -> None:
    webhook = WebhookClient(fake.response_url("abc"))
    response = webhook.send(text="done", response_type="ephemeral", replace_original=True)
    assert response.status_code == 200
    assert response.body == "ok"
    recorded = fake.wait_for("/response/abc")
    assert recorded.api_method is None
    assert recorded.body["text"] == "done"
    assert recorded.body["replace_original"] is True


def test_wait_for_times_out_with_helpful_message(fake: FakeSlackAPI) -> None:
    make_client(fake).auth_test()
    with pytest.raises(AssertionError, match=r"chat\.postMessage[\s\S]*auth\.test"):
        fake.wait_for("chat.postMessage", timeout=0.2)


def test_wait_for_sees_requests_from_other_threads(fake: FakeSlackAPI) -> None:
    client = make_client(fake)
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel="C7", text="later"))
    timer.start()
    try:
        request: RecordedRequest = fake.wait_for(lambda r: r.body.get("channel") == "C7")
    finally:
        timer.join()
    assert request.body["text"] == "later"
    fake.clear()
    assert fake.requests == []


def test_sign_slack_request_matches_slack_sdk_verifier() -> None:
    body = b"token=abc&command=%2Fuptake&text=me"
    now = int(time.time())
    headers = sign_slack_request("s3cret", body, timestamp=now)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["X-Slack-Request-Timestamp"] == str(now)
    assert headers["X-Slack-Signature"].startswith("v0=")
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)


def test_raw_request_to_unknown_path_is_ok(fake: FakeSlackAPI) -> None:
    status, body = raw_post(fake, "/hooks/x?y=1", b'{"a": 1}', {"Content-Type": "application/json"})
    assert (status, body) == (200, b"ok")
    recorded = fake.calls("/hooks/x")[0]
    assert recorded.query == {"y": "1"}
    assert recorded.body == {"a": 1}
