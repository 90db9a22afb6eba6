"""What people type and click is read as ASCII digits and bounded words, and echoed inert."""

from __future__ import annotations

import logging

import pytest

from bot.admin import parse_admin
from bot.aitips import parse_aitips
from bot.blocks.ids import APPROVE_CLAIM, TIP_HELPFUL
from bot.myusage import parse_myusage
from bot.teamusage import parse_teamusage
from tests.handlers.conftest import RunningApp
from tests.security.conftest import ADMIN
from tests.security.markup import assert_nothing_live


@pytest.mark.parametrize("text", ["²d", "٣d", "²", "7d ²", "1_0d"])
def test_myusage_reads_unicode_digits_as_not_understood(text: str) -> None:
    request = parse_myusage(text)
    assert request.kind == "help" and request.not_understood == text


@pytest.mark.parametrize(
    "text",
    ["subscribe TEAM tue ²", "subscribe TEAM ²:00", "subscribe TEAM ٣", "team ²d", "t ٢٠٢٦-W48"],
)
def test_teamusage_reads_unicode_digits_as_not_understood(text: str) -> None:
    assert parse_teamusage(text).kind == "help"


@pytest.mark.parametrize("parse", [parse_myusage, parse_teamusage, parse_aitips, parse_admin])
def test_long_input_gets_help(parse) -> None:  # type: ignore[no-untyped-def]
    request = parse("help " + "x " * 5000)
    assert request.kind == "help"
    assert len(request.not_understood) <= 100


def answer_to(app: RunningApp, text: str, user_id: str, command: str) -> dict:  # type: ignore[type-arg]
    return app.fake.wait_for(app.command(text, user_id=user_id, command=command)).body


ECHOES = [
    ("/myusage", "`<!here>` *bold* ~strike~ <@U0EVE|eve> <!channel>"),
    ("/myusage", "link copilot <!here>"),
    ("/teamusage", "<!everyone>`*x*"),
    ("/teamusage", "subscribe <!here> tue"),
    ("/aitips", "snooze `<!subteam^S1>` *now*"),
    ("/uptake-admin", "map copilot <@U0EVE|x> <@U0ALICE>"),
    ("/uptake-admin", "map cursor <!here>*b* <@U0ALICE>"),
    ("/uptake-admin", "teams allow <!here>"),
    ("/uptake-admin", "`*x*` <https://evil.example|click>"),
]


def test_typed_input_is_echoed_inert(web: RunningApp) -> None:
    for command, text in ECHOES:
        answer = answer_to(web, text, ADMIN, command)
        assert_nothing_live(answer, text.split(), users={ADMIN, "U0ALICE"})


def test_button_values_are_read_safely(web: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    web.fake.add_user("U0ALICE", email="alice@example.com")
    for value in ["²", "٣", "99999999999999999999", "-1", "1_0", "", "x" * 3000]:
        tip = web.fake.wait_for(web.click(TIP_HELPFUL, value, user_id="U0ALICE")).body
        assert "not valid any more" in str(tip), value
        claim = web.fake.wait_for(web.click(APPROVE_CLAIM, value, user_id=ADMIN)).body
        assert "not valid any more" in str(claim), value
    assert [r.getMessage() for r in caplog.records] == []
