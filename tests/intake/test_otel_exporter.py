"""The real OpenTelemetry SDK and OTLP/HTTP exporter, pointed at the running web app."""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import Session, select

from bot.adoption import TierThresholds, summarize_usage
from bot.blocks.myusage import myusage_blocks
from bot.blocks.tool_detail import tool_detail_blocks
from storage.models import Identity
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.intake.conftest import TOKEN, Intake
from tests.intake.otel import ClaudeCodeLike, CopilotChatLike, database_text, day_row

EMAIL = "ada@example.com"
WHO = {"user.email": EMAIL, "session.id": "a3c5e1f0-session", "organization.id": "org-77"}


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def test_cumulative_exports_count_each_increment_once(intake: Intake) -> None:
    person = make_person(intake.engine, email=EMAIL)
    tool = ClaudeCodeLike(intake.url, TOKEN)
    try:
        tool.add("session.count", 1, WHO)
        tool.add("commit.count", 1, WHO)
        tool.add("lines_of_code.count", 100, {**WHO, "type": "added"})
        tool.add("lines_of_code.count", 20, {**WHO, "type": "removed"})
        tool.add("code_edit_tool.decision", 4, {**WHO, "decision": "accept", "tool_name": "Edit"})
        tool.add("token.usage", 1200, {**WHO, "type": "input", "model": "claude-sonnet-4-5"})
        tool.add("cost.usage", 0.126, {**WHO, "model": "claude-sonnet-4-5"})
        tool.export()
        tool.export()  # nothing new: the same running totals again
        tool.add("commit.count", 2, WHO)
        tool.add("pull_request.count", 1, WHO)
        tool.add("lines_of_code.count", 320, {**WHO, "type": "added"})
        tool.add("lines_of_code.count", 60, {**WHO, "type": "removed"})
        tool.add("code_edit_tool.decision", 1, {**WHO, "decision": "reject", "tool_name": "Write"})
        tool.add("cost.usage", 0.2, {**WHO, "model": "claude-sonnet-4-5"})
        tool.export()
    finally:
        tool.close()

    row = day_row(intake.engine, f"otel:{EMAIL}", _today())
    assert row is not None
    assert (row["commits"], row["pull_requests"]) == (3, 1)
    assert (row["lines_added"], row["lines_removed"]) == (420, 80)
    assert (row["edits_accepted"], row["edits_rejected"]) == (4, 1)
    assert (row["interactions"], row["input_tokens"], row["lines_accepted"]) == (1, 1200, 420)
    assert (row["generations"], row["acceptances"]) == (5, 4)
    assert (row["cost_cents"], row["cost_kind"]) == (32, "estimated")
    assert row["active"] is True and row["source"] == "otlp"
    with Session(intake.engine) as session:
        identity = session.exec(
            select(Identity).where(Identity.external_id == f"otel:{EMAIL}")
        ).one()
    assert (identity.person_id, identity.verified) == (person, True)


def test_delta_exports_add(intake: Intake) -> None:
    make_person(intake.engine, email=EMAIL)
    tool = ClaudeCodeLike(intake.url, TOKEN, delta=True)
    try:
        tool.add("commit.count", 2, WHO)
        tool.export()
        tool.export()  # an empty interval adds nothing
        tool.add("commit.count", 3, WHO)
        tool.add("lines_of_code.count", 7, {**WHO, "type": "added"})
        tool.export()
    finally:
        tool.close()
    row = day_row(intake.engine, f"otel:{EMAIL}", _today())
    assert row is not None
    assert (row["commits"], row["lines_added"], row["lines_removed"]) == (5, 7, None)


def test_an_exporter_restarted_mid_day_neither_double_counts_nor_loses(intake: Intake) -> None:
    make_person(intake.engine, email=EMAIL)
    tool = ClaudeCodeLike(intake.url, TOKEN)
    try:
        tool.add("commit.count", 4, WHO)
        tool.export()
        tool.add("commit.count", 1, WHO)  # sent by the final export at shutdown
        tool.restart()  # a new process: new start time, its counter from zero
        tool.add("commit.count", 6, WHO)  # above the old run's total: not a mere increase
        tool.export()
        tool.export()
    finally:
        tool.close()
    row = day_row(intake.engine, f"otel:{EMAIL}", _today())
    assert row is not None and row["commits"] == 11


def test_gzip_compressed_exports_are_read(intake: Intake) -> None:
    make_person(intake.engine, email=EMAIL)
    tool = ClaudeCodeLike(intake.url, TOKEN, gzip=True)
    try:
        tool.add("pull_request.count", 2, WHO)
        tool.export()
    finally:
        tool.close()
    row = day_row(intake.engine, f"otel:{EMAIL}", _today())
    assert row is not None and row["pull_requests"] == 2


def test_no_attribute_value_but_the_known_ones_is_stored(intake: Intake) -> None:
    secrets = {
        "session.id": "sess-7f3a-UNIQUE-SESSION",
        "organization.id": "org-UNIQUE-ORG",
        "terminal.type": "UNIQUE-TERMINAL",
        "prompt": "please refactor the UNIQUE-PROMPT module",
        "model": "UNIQUE-MODEL-NAME",
    }
    tool = ClaudeCodeLike(
        intake.url,
        TOKEN,
        resource={"service.name": "claude-code", "host.name": "UNIQUE-HOST"},
    )
    try:
        tool.add("commit.count", 1, {"user.email": EMAIL, **secrets})
        tool.add("cost.usage", 0.5, {"user.email": EMAIL, **secrets})
        tool.export()
    finally:
        tool.close()
    stored = database_text(intake.engine)
    assert "otel:ada@example.com" in stored  # the rows are there
    for value in (*secrets.values(), "UNIQUE-HOST"):
        assert value not in stored


def test_an_anonymous_device_is_kept_unlinked_and_never_shown(intake: Intake) -> None:
    person = make_person(intake.engine, email=EMAIL)
    tool = ClaudeCodeLike(intake.url, TOKEN)
    try:
        tool.add("commit.count", 9, {"user.id": "device-5b1e", "session.id": "s-1"})
        tool.export()
    finally:
        tool.close()
    with Session(intake.engine) as session:
        device = session.exec(
            select(Identity).where(Identity.external_id == "otel-device:device-5b1e")
        ).one()
    assert device.person_id is None and device.verified is False
    summary = summarize_usage(
        intake.engine, person, window_days=7, today=_today(), thresholds=TierThresholds()
    )
    assert not summary.has_identities and summary.tools == ()


def test_myusage_shows_outcomes_where_reported_and_says_not_reported_elsewhere(
    intake: Intake,
) -> None:
    person = make_person(intake.engine, email=EMAIL)
    copilot = make_identity(intake.engine, tool="copilot", external_id="ada-gh", person_id=person)
    add_usage(intake.engine, [usage_row(copilot, "copilot", _today(), interactions=5)])
    tool = ClaudeCodeLike(intake.url, TOKEN, delta=True)
    try:
        tool.add("commit.count", 3, WHO)
        tool.add("pull_request.count", 1, WHO)
        tool.add("lines_of_code.count", 420, {**WHO, "type": "added"})
        tool.add("lines_of_code.count", 80, {**WHO, "type": "removed"})
        tool.add("code_edit_tool.decision", 45, {**WHO, "decision": "accept"})
        tool.add("code_edit_tool.decision", 7, {**WHO, "decision": "reject"})
        tool.export()
    finally:
        tool.close()
    summary = summarize_usage(
        intake.engine, person, window_days=7, today=_today(), thresholds=TierThresholds()
    )
    headline = myusage_blocks(summary, now=dt.datetime.now(dt.UTC))[0]["text"]["text"]
    assert "3 commits and 1 pull request made with AI" in headline
    assert "45 of 52 agent edits accepted (87%)" in headline
    assert "_GitHub Copilot does not report outcomes._" in headline
    claude = json.dumps(tool_detail_blocks(summary, "claude_code"), ensure_ascii=False)
    github = json.dumps(tool_detail_blocks(summary, "copilot"), ensure_ascii=False)
    assert "commits with AI 3 · PRs 1 · lines +420/−80 · edits accepted 45 of 52" in claude
    assert "*Outcomes*\\nnot reported" in github


def test_copilot_chat_metrics_are_kept_for_the_person_the_organisation_names(
    intake: Intake,
) -> None:
    person = make_person(intake.engine, email=EMAIL)
    window = {"user.email": EMAIL, "session.id": "vscode-window-1"}
    tool = CopilotChatLike(
        intake.url,
        TOKEN,
        resource={"service.name": "copilot-chat", "service.version": "0.40.0", **window},
    )
    edit = {"copilot_chat.language_id": "python"}
    try:
        tool.add("session.count", 2, {})
        tool.add("lines_of_code.count", 75, {"type": "added", **edit})
        tool.add("lines_of_code.count", 5, {"type": "removed", **edit})
        decision = "copilot_chat.edit.outcome"
        source = "copilot_chat.edit.source"
        tool.add("edit.acceptance.count", 3, {decision: "accepted", source: "chat_editing", **edit})
        tool.add("edit.acceptance.count", 1, {decision: "rejected", source: "inline_chat", **edit})
        # the hunks of an edit already decided as a whole are not counted a second time
        tool.add(
            "edit.acceptance.count", 6, {decision: "accepted", source: "chat_editing_hunk", **edit}
        )
        tool.add("pull_request.count", 1, {})
        tool.add("tool.call.count", 9, {"gen_ai.tool.name": "readFile", "success": "true"})
        tool.export()
    finally:
        tool.close()

    row = day_row(intake.engine, f"otel:{EMAIL}", _today())
    assert row is not None and row["tool"] == "copilot"
    assert (row["interactions"], row["agent_requests"], row["pull_requests"]) == (2, 9, 1)
    assert (row["lines_added"], row["lines_removed"], row["lines_accepted"]) == (75, 5, 75)
    assert (row["edits_accepted"], row["edits_rejected"]) == (3, 1)
    assert (row["generations"], row["acceptances"]) == (4, 3)
    assert row["commits"] is None  # Copilot does not report commits: unknown, not 0
    with Session(intake.engine) as session:
        identity = session.exec(
            select(Identity).where(
                Identity.tool == "copilot", Identity.external_id == f"otel:{EMAIL}"
            )
        ).one()
    assert (identity.person_id, identity.verified) == (person, True)
    stored = database_text(intake.engine)
    assert "vscode-window-1" not in stored and "readFile" not in stored and "python" not in stored


def test_a_copilot_window_without_a_named_person_stays_anonymous(intake: Intake) -> None:
    tool = CopilotChatLike(
        intake.url, TOKEN, resource={"service.name": "copilot-chat", "session.id": "window-9"}
    )
    try:
        tool.add("session.count", 1, {})
        tool.export()
    finally:
        tool.close()

    with Session(intake.engine) as session:
        [identity] = session.exec(select(Identity).where(Identity.tool == "copilot")).all()
    assert identity.person_id is None and identity.external_id.startswith("otel-device:")
