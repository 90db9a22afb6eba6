"""Publishing a Home tab over the one it was drawn for, and never over a newer one."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.home import home_view, publish_unless_changed
from tests.fakes.slack_api import FakeSlackAPI


def test_a_view_drawn_for_an_older_home_tab_is_not_published_over_a_newer_one(
    fake_slack: FakeSlackAPI,
) -> None:
    client = WebClient(token="xoxb-test-token", base_url=fake_slack.url)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "figures"}}
    older = client.views_publish(user_id="U0ALICE", view=home_view([section], "28d"))
    publish_unless_changed(client, "U0ALICE", home_view([section, section], "28d"), older)
    assert len(fake_slack.published_views["U0ALICE"]["blocks"]) == 2  # nothing newer: published

    newer = client.views_publish(user_id="U0ALICE", view=home_view([section], "7d"))
    publish_unless_changed(client, "U0ALICE", home_view([section] * 3, "28d"), older)
    assert fake_slack.published_views["U0ALICE"]["private_metadata"] == "7d"
    publish_unless_changed(client, "U0ALICE", home_view([section] * 3, "7d"), newer)
    assert len(fake_slack.published_views["U0ALICE"]["blocks"]) == 3
