"""The Home tab over HTTP: a first visit, a linked person's dashboard, and a manager's teams."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.blocks.common import blocks_to_text
from bot.blocks.home_teams import schedule_metadata
from bot.blocks.ids import (
    DIGEST_DAY,
    DIGEST_DAY_BLOCK,
    DIGEST_HOUR,
    DIGEST_HOUR_BLOCK,
    DIGEST_MODAL,
    DIGEST_QUIET,
    DIGEST_QUIET_BLOCK,
    FORGET_MODAL,
    HOME_DIGEST_PREVIEW,
    HOME_DIGEST_SCHEDULE,
    HOME_DIGEST_SUBSCRIBE,
    HOME_DIGEST_UNSUBSCRIBE,
    HOME_EXPORT,
    HOME_FORGET,
    HOME_PRIVACY,
    HOME_TIPS_ON,
    HOME_WINDOW_PREFIX,
)
from bot.personal.chart_lane import PersonalCharts
from storage import queries
from storage.engine import session as open_session
from tests.blocks.limits import assert_view_within_slack_limits
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.fakes.slack_api import FakeSlackAPI, RecordedRequest
from tests.handlers.conftest import RunningApp
from tests.handlers.home.slack_home import (
    click,
    filled_modal,
    home_app,
    open_home,
    option,
    published,
    submit,
)
from tests.releases import release_now

#: Layout, access and the services' wiring: one database is enough (the queries behind them are
#: tested on both elsewhere), which keeps the suite inside its time budget.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


#: A Wednesday: ISO week 48 (23–29 Nov 2026) is the last complete week.
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
MANAGER = "U0MANAGER"
OUTSIDER = "U0OUTSIDER"


@pytest.fixture
def app(fake_slack: FakeSlackAPI, engine: Engine, database_url: str) -> Iterator[RunningApp]:
    yield from home_app(fake_slack, engine, database_url, clock=lambda: NOW)


@pytest.fixture
def charts() -> PersonalCharts:
    """The chart lane, quick to decide that nothing else waits to be answered."""
    return PersonalCharts(quiet_seconds=0.2, max_wait_seconds=2)


@pytest.fixture
def charted(
    fake_slack: FakeSlackAPI, engine: Engine, database_url: str, charts: PersonalCharts
) -> Iterator[RunningApp]:
    yield from home_app(fake_slack, engine, database_url, clock=lambda: NOW, charts=charts)


def image_blocks(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in view["blocks"] if block["type"] == "image"]


def with_chart(request: RecordedRequest) -> bool:
    """A Home tab published with a chart in it."""
    view = request.body.get("view") if request.api_method == "views.publish" else None
    return isinstance(view, dict) and bool(image_blocks(view))


def linked(app: RunningApp, slack_id: str, days: list[int]) -> int:
    """Someone with a linked Copilot account, active `days` days before NOW."""
    person = make_person(app.engine, slack_user_id=slack_id, name=f"Secret {slack_id}")
    identity = make_identity(
        app.engine, tool="copilot", external_id=f"gh-{slack_id.lower()}", person_id=person
    )
    add_usage(
        app.engine,
        [
            usage_row(identity, "copilot", NOW.date() - dt.timedelta(days=d), generations=10)
            for d in days
        ],
    )
    return person


def payments_team(app: RunningApp) -> list[str]:
    """Payments: six members active in week 48 and a manager; its releases made at NOW."""
    members = [f"U0PAY{n:02d}" for n in range(6)]
    ids = [linked(app, slack_id, [3, 4] if n < 4 else [20]) for n, slack_id in enumerate(members)]
    manager = make_person(app.engine, slack_user_id=MANAGER)
    make_person(app.engine, slack_user_id=OUTSIDER)
    with open_session(app.engine) as session:
        team = queries.upsert_teams(
            session,
            [{"slug": "payments", "name": "Payments", "parent_id": None, "source": "org_file"}],
        )["payments"]
        queries.add_memberships(
            session,
            [{"team_id": team, "person_id": p, "role": "member"} for p in ids]
            + [{"team_id": team, "person_id": manager, "role": "manager"}],
        )
        session.commit()
    release_now(app.engine, NOW)
    return members


def test_a_first_visit_is_a_welcome_with_a_link_button(app: RunningApp) -> None:
    app.fake.add_user("U0NEW", email="new@example.com")
    view, text = open_home(app, "U0NEW")
    assert "Welcome to Uptake" in text
    assert "Nobody is ranked" in text
    assert "GitHub Copilot*: not linked yet" in text
    assert "Claude Code*: not linked yet; links by itself" in text
    assert "tier" not in text.lower()  # no "Your tier: inactive" before anything is linked
    assert "Link an account" in str(view["blocks"]) and "Delete my data" in str(view["blocks"])
    assert "Teams you lead" not in text


def test_a_linked_person_switches_the_window_and_it_sticks(app: RunningApp) -> None:
    linked(app, "U0ALICE", [1, 2, 10, 40])
    view, text = open_home(app, "U0ALICE")
    assert view["private_metadata"] == "28d"
    assert "last 28 days" in text and "Welcome" not in text
    assert "`gh-u0alice` linked" in text

    since = click(app, f"{HOME_WINDOW_PREFIX}7", "7d", user_id="U0ALICE")
    view, text = published(app, "U0ALICE", since)
    assert view["private_metadata"] == "7d" and "last 7 days" in text

    since = click(app, HOME_TIPS_ON, "on", user_id="U0ALICE", window="7d")
    view, text = published(app, "U0ALICE", since)
    assert "Tips are *on*" in text and view["private_metadata"] == "7d"

    since = click(app, f"{HOME_WINDOW_PREFIX}90", "<!channel>", user_id="U0ALICE")
    view, _text = published(app, "U0ALICE", since)
    assert view["private_metadata"] == "28d"  # a value that is no window falls back to 28 days


def test_a_manager_sees_the_released_headline_and_no_one_by_name(app: RunningApp) -> None:
    members = payments_team(app)
    _view, text = open_home(app, MANAGER)
    assert "Teams you lead" in text and "*Payments*" in text
    assert "Week 48: ~4 of 6 people used AI tools (67%)" in text
    assert "Digest: Mondays at 09:00 your time" in text
    for slack_id in members:
        assert slack_id not in text and slack_id.lower() not in text
    assert "Secret" not in text

    _view, member_text = open_home(app, members[0])
    assert "Teams you lead" not in member_text


def test_a_manager_previews_the_digest_in_a_modal(app: RunningApp) -> None:
    payments_team(app)
    since = click(app, HOME_DIGEST_PREVIEW, "payments", user_id=MANAGER)
    text = blocks_to_text(filled_modal(app, since)["blocks"])
    assert "Preview" in text and "Payments" in text

    # someone who neither leads nor belongs to the team learns nothing, not even that it exists
    since = click(app, HOME_DIGEST_PREVIEW, "payments", user_id=OUTSIDER)
    text = blocks_to_text(filled_modal(app, since)["blocks"])
    assert "not a team you belong to or manage" in text and "~" not in text


def test_a_manager_stops_and_restarts_the_digest_and_picks_its_day(app: RunningApp) -> None:
    payments_team(app)
    since = click(app, HOME_DIGEST_UNSUBSCRIBE, "payments", user_id=MANAGER)
    _view, text = published(app, MANAGER, since)
    assert "You don't get this team's weekly digest" in text
    since = click(app, HOME_DIGEST_SUBSCRIBE, "payments", user_id=MANAGER)
    _view, text = published(app, MANAGER, since)
    assert "Digest: Mondays at 09:00" in text

    since = click(app, HOME_DIGEST_SCHEDULE, "payments", user_id=MANAGER)
    form = filled_modal(app, since)
    assert form["callback_id"] == DIGEST_MODAL
    values = {
        DIGEST_DAY_BLOCK: {DIGEST_DAY: {"type": "static_select", "selected_option": option("tue")}},
        DIGEST_HOUR_BLOCK: {
            DIGEST_HOUR: {"type": "static_select", "selected_option": option("08")}
        },
        DIGEST_QUIET_BLOCK: {
            DIGEST_QUIET: {"type": "radio_buttons", "selected_option": option("none")}
        },
    }
    answer, since = submit(
        app, DIGEST_MODAL, values, user_id=MANAGER, private_metadata=form["private_metadata"]
    )
    assert answer == {}
    _view, text = published(app, MANAGER, since)
    assert "Digest: Tuesdays at 08:00 your time; in a quiet week, no digest." in text

    # a forged form for a team the sender may not see changes nothing
    answer, since = submit(
        app, DIGEST_MODAL, values, user_id=OUTSIDER, private_metadata=schedule_metadata("payments")
    )
    published(app, OUTSIDER, since)  # the form was handled
    with open_session(app.engine) as session:
        recipients = {row.recipient for row in queries.digest_subscriptions(session)}
    assert recipients == {MANAGER}


def test_privacy_export_and_forget_from_the_home_tab(app: RunningApp) -> None:
    person = linked(app, "U0ALICE", [1])
    since = click(app, HOME_PRIVACY, "privacy", user_id="U0ALICE")
    text = blocks_to_text(filled_modal(app, since)["blocks"])
    assert "What Uptake stores about you" in text and "1 linked tool account" in text

    since = click(app, HOME_EXPORT, "export", user_id="U0ALICE")
    text = blocks_to_text(filled_modal(app, since)["blocks"])
    assert "sent everything Uptake stores about you" in text
    upload = app.fake.wait_for("files.completeUploadExternal").body
    assert upload["channel_id"] == "DU0ALICE"  # the person's own DM, nowhere else

    since = click(app, HOME_FORGET, "forget", user_id="U0ALICE")
    assert filled_modal(app, since)["callback_id"] == FORGET_MODAL
    answer, since = submit(app, FORGET_MODAL, {}, user_id="U0ALICE")
    assert answer["response_action"] == "update"
    assert "Uptake deleted everything" in blocks_to_text(answer["view"]["blocks"])
    with open_session(app.engine) as session:
        assert queries.person(session, person) is None
        assert queries.person_by_slack_id(session, "U0ALICE") is None
    _view, text = published(app, "U0ALICE", since)
    assert "Welcome to Uptake" in text
    with open_session(app.engine) as session:  # the Home tab did not register them again
        assert queries.person_by_slack_id(session, "U0ALICE") is None


def test_the_persons_own_chart_follows_on_the_home_tab(
    charted: RunningApp, charts: PersonalCharts
) -> None:
    app = charted
    linked(app, "U0ALICE", [1, 2, 10, 40])
    view, _text = open_home(app, "U0ALICE")
    assert image_blocks(view) == []  # the figures do not wait for the chart
    view = app.fake.wait_for(with_chart, timeout=10).body["view"]
    assert_view_within_slack_limits(view)
    [chart] = image_blocks(view)
    uploaded = app.fake.completed_files[chart["slack_file"]["id"]]
    assert uploaded["channels"] == []  # private to Uptake: shared in no channel
    assert "12 weeks" in chart["alt_text"]
    assert view["private_metadata"] == "28d"

    # the same chart is not drawn again: the next Home tab shows it at once
    view, _text = open_home(app, "U0ALICE")
    assert image_blocks(view) == [chart]
    assert len(app.fake.calls("files.getUploadURLExternal")) == 1


def test_a_chart_drawn_late_never_replaces_a_newer_home_tab(
    charted: RunningApp, charts: PersonalCharts
) -> None:
    app = charted
    linked(app, "U0ALICE", [1, 2, 10, 40])
    open_home(app, "U0ALICE")
    click(app, f"{HOME_WINDOW_PREFIX}7", "7d", user_id="U0ALICE")
    app.fake.wait_for(with_chart, timeout=10)
    assert charts.idle(timeout=10)
    view = app.fake.published_views["U0ALICE"]
    assert view["private_metadata"] == "7d"  # the click's window, not the first tab's
    assert len(image_blocks(view)) == 1


def test_the_tip_buttons_work_under_aitips_too(app: RunningApp) -> None:
    linked(app, "U0ALICE", [1])
    status = app.fake.wait_for(app.command("status", user_id="U0ALICE", command="/aitips")).body
    buttons = [
        e["action_id"] for b in status["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == [HOME_TIPS_ON]
    answer = app.fake.wait_for(app.click(HOME_TIPS_ON, "on", user_id="U0ALICE")).body
    assert answer["replace_original"] is True
    assert "Tips are *on*, weekly" in blocks_to_text(answer["blocks"])
    assert app.fake.calls("views.publish") == []  # answered where it was clicked


def test_forged_team_buttons_change_and_show_nothing_to_an_outsider(app: RunningApp) -> None:
    payments_team(app)
    since = click(app, HOME_DIGEST_SUBSCRIBE, "payments", user_id=OUTSIDER)
    published(app, OUTSIDER, since)
    since = click(app, HOME_DIGEST_UNSUBSCRIBE, "payments", user_id=OUTSIDER)
    published(app, OUTSIDER, since)
    with open_session(app.engine) as session:
        assert queries.digest_subscriptions(session) == []
    since = click(app, HOME_DIGEST_SCHEDULE, "payments", user_id=OUTSIDER)
    text = blocks_to_text(filled_modal(app, since)["blocks"])
    assert text == "That is not a team you lead."
