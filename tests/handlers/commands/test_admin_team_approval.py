"""`/uptake-admin teams allow|deny TEAM`: synced groups are teams only once an admin says so."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.jobs import sync_directory
from tests.fakes.slack_api import FakeSlackAPI
from tests.handlers.commands.test_admin import audit, make_team
from tests.handlers.commands.test_linking import ADMIN, answer, app_with_admin
from tests.handlers.conftest import RunningApp
from tests.privacy.conftest import audit_log

__all__ = ["app_with_admin"]  # the fixture, imported for pytest

GUILD = [f"U0GUILD{n}" for n in range(6)]
MEMBER = GUILD[0]
GROUP_SLUG = "slack:platform-guild"


def slack_has_user_group(fake: FakeSlackAPI, handle: str, name: str, members: list[str]) -> None:
    """What Slack reports once someone (anyone) has created the user group."""
    fake.set_response(
        "usergroups.list",
        {"ok": True, "usergroups": [{"id": "S0GUILD", "handle": handle, "name": name}]},
    )
    fake.set_response("usergroups.users.list", {"ok": True, "users": members})


def directory_job(app: RunningApp) -> None:
    client = WebClient(token="xoxb-test-token", base_url=app.fake.url)
    sync_directory(engine=app.engine, client=client, settings=app.settings)


def admin(app: RunningApp, text: str, user_id: str = ADMIN) -> str:
    return answer(app, text, user_id, "/uptake-admin")


def teamusage(app: RunningApp, text: str) -> str:
    return answer(app, text, MEMBER, "/teamusage")


def decisions(app: RunningApp) -> list[tuple[str, str | None, dict[str, object]]]:
    return [
        (action, actor, detail)
        for action, actor, _, detail in audit_log(app.engine)
        if action in {"team.allowed", "team.denied"}
    ]


def test_a_synced_group_waits_for_an_admin_and_each_decision_is_audited(
    app_with_admin: RunningApp,
) -> None:
    app = app_with_admin
    slack_has_user_group(app.fake, "platform-guild", "Platform guild", GUILD)
    directory_job(app)

    listing = admin(app, "teams")
    assert "Teams (0)" in listing
    assert "Waiting for an admin to allow them (1)" in listing
    assert "`slack:platform-guild` — Platform guild (slack, 6 people)" in listing
    assert "`/uptake-admin teams allow TEAM`" in listing
    assert "I can't show you `platform-guild`" in teamusage(app, "platform-guild")

    assert "`slack:platform-guild` is now a team" in admin(app, "teams allow platform-guild")
    assert decisions(app) == [
        ("team.allowed", ADMIN, {"team": GROUP_SLUG, "source": "slack", "changed": True})
    ]
    assert "admin.allow_team" in [action for action, _ in audit(app)]
    listing = admin(app, "teams")
    assert "Teams (1)" in listing and "Waiting for an admin" not in listing
    assert "I can't show you" not in teamusage(app, "platform-guild")
    assert "`slack:platform-guild`" in teamusage(app, "")

    directory_job(app)  # the daily re-sync keeps the admin's decision
    assert "Teams (1)" in admin(app, "teams")
    assert "is already a team; nothing changed" in admin(app, "teams allow platform-guild")

    assert "is no longer a team" in admin(app, "teams deny slack:platform-guild")
    assert "I can't show you" in teamusage(app, "platform-guild")
    assert "is not a team; nothing changed" in admin(app, "teams deny platform-guild")
    assert [(action, detail["changed"]) for action, _, detail in decisions(app)] == [
        ("team.allowed", True),
        ("team.allowed", False),
        ("team.denied", True),
        ("team.denied", False),
    ]


def test_only_an_admin_can_allow_a_group(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    slack_has_user_group(app.fake, "platform-guild", "Platform guild", GUILD)
    directory_job(app)

    assert "Only Uptake admins" in admin(app, "teams allow platform-guild", user_id=MEMBER)

    assert decisions(app) == []
    assert "I can't show you" in teamusage(app, "platform-guild")
    assert "Waiting for an admin to allow them (1)" in admin(app, "teams")


def test_org_file_teams_are_always_teams(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    make_team(app, "payments", [f"U0P{n}" for n in range(6)])

    assert "comes from the org file" in admin(app, "teams deny payments")
    assert "is already a team" in admin(app, "teams allow payments")
    assert "No single team matches `nothing-here`" in admin(app, "teams allow nothing-here")
    assert [action for action, _, _ in decisions(app)] == ["team.allowed"]
    assert "`payments` — Payments (org_file, 6 people)" in admin(app, "teams")


def test_the_help_says_why_groups_need_an_admin(app_with_admin: RunningApp) -> None:
    text = admin(app_with_admin, "help")
    assert "`/uptake-admin teams allow|deny TEAM`" in text
    assert "any employee can create a user group" in text
    assert "differ by one person" in text
