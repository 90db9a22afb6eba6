"""Signed requests with arbitrary values in every field, through the real HTTP stack.

Every surface Slack can reach (the four slash commands, every button, a view submission)
answers 200 (or a refusal) in time, logs no error, echoes nothing live, keeps Slack's limits.
Run with `--hypothesis-show-statistics` to see how many inputs each surface tried.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.admin import SUBCOMMANDS as ADMIN_WORDS
from bot.aitips import SUBCOMMANDS as AITIPS_WORDS
from bot.blocks import ids
from bot.myusage import SUBCOMMANDS as MYUSAGE_WORDS
from bot.teamusage import SUBCOMMANDS as TEAMUSAGE_WORDS
from tests.blocks.limits import assert_within_slack_limits
from tests.fakes.slack_api import RecordedRequest
from tests.handlers.commands.test_myusage import seed_alice
from tests.handlers.conftest import PAYLOADS, RunningApp, slash_command_fields
from tests.security.conftest import ADMIN
from tests.security.markup import assert_nothing_live

EXAMPLES = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,  # the same inputs every run: a failure here is never a flake
    # One server serves every example: the fixtures are meant to outlive them.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Slack's limit on acknowledging, and here on answering too.
ANSWER_SECONDS = 3.0
USERS = (ADMIN, "U0ALICE")

HOSTILE = [
    "<!here>",
    "<!channel>",
    "<!everyone>",
    "<!subteam^S0ENG|@eng>",
    "<@U0EVE>",
    "<@U0EVE|eve>",
    "<#C0GEN|general>",
    "<https://evil.example/x?a=1|click me>",
    "`",
    "```",
    "*bold*",
    "_italic_",
    "~strike~",
    "&lt;!here&gt;",
    "&amp;",
    "²",
    "²d",
    "٣",
    "١٢d",
    "1_0",
    "99999999999999999999",
    "payload",
    "payload=",
    "payload={}",
    "%zz",
    "+",
    ";",
    "&",
    "=",
    "\n",
    "\x00",
    "\u202e",
    "🎉",
]
WORDS = sorted(
    {*MYUSAGE_WORDS, *TEAMUSAGE_WORDS, *AITIPS_WORDS, *ADMIN_WORDS}
    | {"7d", "28d", "90d", "copilot", "github", "cursor", "claude_code", "openai", "tue", "9"}
    | {"9:00", "quiet-short", "2w", "weekly", "allow", "deny", "add", "remove", "4w", "2026-W48"}
)
word = st.one_of(st.sampled_from(WORDS), st.sampled_from(HOSTILE), st.text(max_size=12))
typed_text = st.one_of(
    st.lists(word, max_size=6).map(" ".join),
    st.text(max_size=300),
    st.text(min_size=3000, max_size=6000),
)
field_value = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.just("x" * 3000))


@pytest.fixture
def fuzzed(web: RunningApp, caplog: pytest.LogCaptureFixture) -> RunningApp:
    """The web app with two known people, its errors captured."""
    caplog.set_level(logging.WARNING)
    seed_alice(web.engine)
    for user in USERS:
        web.fake.add_user(user, email=f"{user.lower()}@example.com")
    return web


def sent_since(app: RunningApp, start: int) -> list[RecordedRequest]:
    return list(app.fake.requests[start:])


def check_round(
    app: RunningApp,
    *,
    caplog: pytest.LogCaptureFixture,
    started: float,
    status: int,
    answer_path: str | None,
    since: int,
    typed: list[str],
) -> None:
    """The checks every fuzzed request must pass."""
    assert status == 200, status
    assert time.monotonic() - started < ANSWER_SECONDS, "acked too late"
    if answer_path is not None:
        app.fake.wait_for(
            answer_path, timeout=max(0.1, started + ANSWER_SECONDS - time.monotonic())
        )
    time.sleep(0.05)  # let follow-up posts (DMs, views) land before they are checked
    for request in sent_since(app, since):
        body: dict[str, Any] = request.body if isinstance(request.body, dict) else {}
        message = body.get("view") or body
        if isinstance(message, str):
            message = json.loads(message)
        assert "something went wrong" not in str(message.get("text", ""))
        assert_nothing_live(message, typed, set(USERS))
        blocks = message.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if blocks:
            assert_within_slack_limits(blocks)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == []


def test_fuzz_slash_commands(fuzzed: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    @EXAMPLES
    @given(
        command=st.sampled_from(["/myusage", "/teamusage", "/aitips", "/uptake-admin"]),
        user=st.sampled_from(USERS),
        text=typed_text,
        channel_name=field_value,
        user_name=field_value,
        team_domain=field_value,
    )
    def one(
        *, command: str, user: str, text: str, channel_name: str, user_name: str, team_domain: str
    ) -> None:
        name = uuid.uuid4().hex
        fields = slash_command_fields(
            command=command,
            text=text,
            user_id=user,
            team_id="T0TEST",
            channel_name=channel_name,
            user_name=user_name,
            team_domain=team_domain,
            response_url=fuzzed.fake.response_url(name),
        )
        since, started = len(fuzzed.fake.requests), time.monotonic()
        response = fuzzed.post_signed(urlencode(fields).encode())
        check_round(
            fuzzed,
            caplog=caplog,
            started=started,
            status=response.status_code,
            answer_path=f"/response/{name}",
            since=since,
            typed=text.split(),
        )

    one()


BUTTONS = [
    ids.APPROVE_CLAIM,
    ids.DENY_CLAIM,
    ids.FORGET_CANCEL,
    ids.TIP_HELPFUL,
    ids.TIP_NOT_FOR_ME,
    ids.TIP_SNOOZE,
    ids.TIP_STOP,
    ids.TIPS_KEEP,
    ids.GET_TIPS,
]
HOME_BUTTONS = [ids.HOME_TIPS_ON, ids.HOME_TIPS_OFF, ids.HOME_TIPS_SNOOZE, ids.HOME_TIPS_FREQUENCY]


def interaction_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def click_payload(
    action_id: str, value: str, user: str, *, user_name: str, team_domain: str, response_url: str
) -> dict[str, Any]:
    """A real block_actions payload (Slack's example) with the fuzzed values put in."""
    payload: dict[str, Any] = json.loads(
        (PAYLOADS / "block_actions.bolt-python-test.json").read_text()
    )
    payload["user"] = {"id": user, "username": user_name, "name": user_name, "team_id": "T0TEST"}
    payload["team"] = {"id": "T0TEST", "domain": team_domain}
    payload["response_url"] = response_url
    payload["actions"] = [
        {
            "action_id": action_id,
            "block_id": "b",
            "value": value,
            "type": "button",
            "text": {"type": "plain_text", "text": "Button"},
            "action_ts": "1700000000.1",
        }
    ]
    if action_id in HOME_BUTTONS:
        payload["container"] = {"type": "view", "view_id": "V0HOME"}
        payload["view"] = {"id": "V0HOME", "type": "home", "blocks": []}
        if action_id == ids.HOME_TIPS_FREQUENCY:
            payload["actions"][0]["selected_option"] = {
                "text": {"type": "plain_text", "text": "x"},
                "value": value,
            }
    return payload


def test_fuzz_buttons(fuzzed: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    @EXAMPLES
    @example(action_id=ids.TIP_HELPFUL, user="U0ALICE", value="²", user_name="a", team_domain="b")
    @example(action_id=ids.APPROVE_CLAIM, user=ADMIN, value="٣", user_name="a", team_domain="b")
    @example(
        action_id=ids.TIP_NOT_FOR_ME, user="U0ALICE", value="9" * 20, user_name="a", team_domain="b"
    )
    @example(
        action_id=ids.HOME_TIPS_FREQUENCY,
        user=ADMIN,
        value="<!here>",
        user_name="a",
        team_domain="b",
    )
    @given(
        action_id=st.sampled_from(BUTTONS + HOME_BUTTONS),
        user=st.sampled_from(USERS),
        value=st.one_of(word, field_value),
        user_name=field_value,
        team_domain=field_value,
    )
    def one(*, action_id: str, user: str, value: str, user_name: str, team_domain: str) -> None:
        name = uuid.uuid4().hex
        payload = click_payload(
            action_id,
            value,
            user,
            user_name=user_name,
            team_domain=team_domain,
            response_url=fuzzed.fake.response_url(name),
        )
        since, started = len(fuzzed.fake.requests), time.monotonic()
        response = fuzzed.post_signed(interaction_body(payload))
        home = action_id in HOME_BUTTONS
        answer = "views.publish" if home else f"/response/{name}"
        if home:  # the Home tab is republished rather than answered
            assert response.status_code == 200
            fuzzed.fake.wait_for(
                lambda r: (
                    r.api_method == "views.publish" and fuzzed.fake.requests.index(r) >= since
                ),
                timeout=ANSWER_SECONDS,
            )
            answer = None  # type: ignore[assignment]
        check_round(
            fuzzed,
            caplog=caplog,
            started=started,
            status=response.status_code,
            answer_path=answer,
            since=since,
            typed=value.split(),
        )

    one()


def test_fuzz_view_submissions(fuzzed: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    """A submission of a modal Uptake did not open is refused as unhandled, and nothing else."""

    @EXAMPLES
    @given(
        user=st.sampled_from(USERS),
        value=typed_text,
        user_name=field_value,
        team_domain=field_value,
        callback_id=field_value,
    )
    def one(*, user: str, value: str, user_name: str, team_domain: str, callback_id: str) -> None:
        payload = {
            "type": "view_submission",
            "team": {"id": "T0TEST", "domain": team_domain},
            "user": {"id": user, "username": user_name, "name": user_name, "team_id": "T0TEST"},
            "api_app_id": "A0UPTAKE",
            "token": "x",
            "trigger_id": uuid.uuid4().hex,  # unique, as Slack's are: not a replay
            "view": {
                "id": "V0FUZZ",
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": value,
                "blocks": [],
                "state": {"values": {"b": {"a": {"type": "plain_text_input", "value": value}}}},
            },
        }
        since, started = len(fuzzed.fake.requests), time.monotonic()
        response = fuzzed.post_signed(interaction_body(payload))
        assert response.status_code in {200, 404}
        check_round(
            fuzzed,
            caplog=caplog,
            started=started,
            status=200,
            answer_path=None,
            since=since,
            typed=value.split(),
        )
        assert sent_since(fuzzed, since) == []

    one()
