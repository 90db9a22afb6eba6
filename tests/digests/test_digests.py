"""Weekly digests: content, local-time scheduling, exactly once, catch-up."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.blocks.common import blocks_to_text
from bot.digests.narrative import TemplateNarrative
from bot.digests.service import build_digest, digest_week, send_weekly_digests
from bot.outbox import deliver_due
from bot.teams import load_teams
from storage import queries
from storage.engine import session as open_session
from storage.models import SyncState
from tests.blocks.limits import assert_within_slack_limits
from tests.factories import add_usage, make_identity, make_person, set_sync_state, usage_row
from tests.fakes.slack_api import FakeSlackAPI, RateLimited
from tests.releases import release_now

K = 5
# Monday 30 November 2026, 09:00 in London is 09:00 UTC (GMT).
MONDAY_0900_LONDON = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as server:
        yield server


def client(fake: FakeSlackAPI) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])


def team_with(
    engine: Engine,
    slug: str,
    size: int,
    *,
    this_week: int,
    last_week: int,
    managers: tuple[tuple[str, str], ...] = (("U0BOSS", "Europe/London"),),
    end: dt.date = dt.date(2026, 11, 29),
) -> int:
    """A team of `size`; `this_week` people active in the 7 days to `end`, `last_week` before."""
    with open_session(engine) as session:
        team_id = queries.upsert_teams(
            session, [{"slug": slug, "name": slug.title(), "parent_id": None, "source": "org_file"}]
        )[slug]
        session.commit()
    memberships = []
    for n in range(size):
        person = make_person(engine, slack_user_id=f"U{slug[:3].upper()}{n:03d}")
        memberships.append({"team_id": team_id, "person_id": person, "role": "member"})
        identity = make_identity(
            engine, tool="copilot", external_id=f"{slug}-{n}", person_id=person
        )
        rows = []
        if n < this_week:
            rows.append(
                usage_row(
                    identity, "copilot", end - dt.timedelta(days=1), generations=20, acceptances=6
                )
            )
        if n < last_week:
            rows.append(
                usage_row(
                    identity, "copilot", end - dt.timedelta(days=8), generations=20, acceptances=6
                )
            )
        add_usage(engine, rows)
    for slack_id, tz in managers:
        manager = make_person(engine, slack_user_id=slack_id, tz=tz)
        memberships.append({"team_id": team_id, "person_id": manager, "role": "manager"})
    with open_session(engine) as session:
        queries.add_memberships(session, memberships)
        session.commit()
    return team_id


def digest_text(engine: Engine, slug: str, now: dt.datetime = MONDAY_0900_LONDON) -> str:
    release_now(engine, now, k=K)
    team = next(t for t in load_teams(engine) if t.slug == slug)
    digest = build_digest(
        engine,
        team,
        week=digest_week(now, "Europe/London"),
        now=now,
        narrative=TemplateNarrative(),
    )
    assert digest is not None
    assert_within_slack_limits(digest.blocks)
    return blocks_to_text(digest.blocks)


def run_digests(engine: Engine, now: dt.datetime) -> int:
    """What the clock does: make the due releases, then queue the due digests."""
    release_now(engine, now, k=K)
    return send_weekly_digests(
        engine=engine,
        team_sources=["org_file"],
        narrative=TemplateNarrative(),
        now=now,
    )


def digests_sent(fake: FakeSlackAPI) -> list[tuple[str, str]]:
    return [(r.body["channel"], r.body["text"]) for r in fake.calls("chat.postMessage")]


def test_growth_shows_the_change_and_one_action(engine: Engine) -> None:
    team_with(engine, "payments", 15, this_week=10, last_week=5)
    text = digest_text(engine, "payments")
    assert "Payments: ~10 of 15 used AI tools this week (67%), up 33 points" in text
    assert "One thing worth doing" in text
    assert "U0BOSS" not in text and "UPAY" not in text


def test_decline_is_reported_honestly(engine: Engine) -> None:
    team_with(engine, "risk", 15, this_week=5, last_week=10)
    assert "~5 of 15 used AI tools this week (33%), down 33 points" in digest_text(engine, "risk")


def test_a_tiny_team_gets_a_digest_saying_so_and_nothing_else(engine: Engine) -> None:
    team_with(engine, "tiny", 3, this_week=3, last_week=1)
    text = digest_text(engine, "tiny")
    assert "fewer than 5 people" in text
    assert "Active" not in text and "3" not in text.split("\n", 2)[-1]


def test_no_data_hides_nothing_it_should_not_and_says_so(engine: Engine) -> None:
    team_with(engine, "quiet", 8, this_week=0, last_week=0)
    text = digest_text(engine, "quiet")
    assert "a quiet week" in text  # nothing changed: the one-line digest


def test_a_failing_source_is_flagged_and_never_quiet(engine: Engine) -> None:
    team_with(engine, "ops", 8, this_week=4, last_week=4)
    failed = MONDAY_0900_LONDON - dt.timedelta(hours=3)
    set_sync_state(
        engine,
        SyncState(
            source="copilot",
            last_success_at=failed,
            last_error_at=failed,
            last_error="copilot: HTTP 500",
        ),
    )
    text = digest_text(engine, "ops")
    assert "failing" in text and "quiet week" not in text


def test_each_recipient_gets_it_at_their_local_monday_0900(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team_with(
        engine,
        "payments",
        10,
        this_week=8,
        last_week=3,
        managers=(
            ("U0LON", "Europe/London"),
            ("U0NYC", "America/New_York"),
            ("U0TYO", "Asia/Tokyo"),
        ),
    )
    # Monday 00:00 UTC is 09:00 in Tokyo; London at 09:00 UTC; New York at 14:00 UTC.
    moments = [
        dt.datetime(2026, 11, 30, h, m, tzinfo=dt.UTC)
        for h, m in [(0, 0), (8, 45), (9, 0), (13, 45), (14, 0), (20, 0)]
    ]
    got = {}
    for moment in moments:
        run_digests(engine, moment)
        deliver_due(engine, client(fake), now=moment)
        with open_session(engine) as session:
            got[moment.hour, moment.minute] = {
                message.channel
                for message in queries.outbox_messages(session, kind="digest")
                if message.idempotency_key.endswith("2026-W49") and message.state == "sent"
            }
    assert got[0, 0] == {"U0TYO"}
    assert got[8, 45] == {"U0TYO"}
    assert got[9, 0] == {"U0TYO", "U0LON"}
    assert got[13, 45] == {"U0TYO", "U0LON"}
    assert got[14, 0] == {"U0TYO", "U0LON", "U0NYC"}
    # New York's clock was still in last week at 00:00 UTC: it caught up on that week once.
    assert sorted(channel for channel, _ in digests_sent(fake)) == [
        "U0LON",
        "U0NYC",
        "U0NYC",
        "U0TYO",
    ]


def test_daylight_saving_change_keeps_0900_local(engine: Engine, fake: FakeSlackAPI) -> None:
    # London leaves summer time on Sunday 25 October 2026.
    team_with(engine, "payments", 10, this_week=8, last_week=3, end=dt.date(2026, 10, 25))
    before = dt.datetime(2026, 10, 26, 8, 30, tzinfo=dt.UTC)  # 08:30 GMT: not yet
    run_digests(engine, before)
    assert deliver_due(engine, client(fake), now=before).sent == 0
    at = dt.datetime(2026, 10, 26, 9, 0, tzinfo=dt.UTC)  # 09:00 GMT
    run_digests(engine, at)
    assert deliver_due(engine, client(fake), now=at).sent >= 1
    # the week before, in summer time, 09:00 local was 08:00 UTC
    summer = dt.datetime(2026, 10, 19, 8, 0, tzinfo=dt.UTC)
    assert run_digests(engine, summer) == 1


def test_two_clocks_at_once_send_each_digest_once(engine: Engine, fake: FakeSlackAPI) -> None:
    team_with(
        engine,
        "payments",
        10,
        this_week=8,
        last_week=3,
        managers=(("U0ONE", "UTC"), ("U0TWO", "UTC")),
    )
    now = MONDAY_0900_LONDON + dt.timedelta(minutes=5)

    def clock() -> None:
        run_digests(engine, now)
        deliver_due(engine, client(fake), now=now)

    threads = [threading.Thread(target=clock) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    clock()  # and a restarted clock afterwards
    assert sorted(channel for channel, _ in digests_sent(fake)) == ["U0ONE", "U0TWO"]


def test_a_clock_killed_mid_send_and_a_429_storm_still_send_once(
    engine: Engine, fake: FakeSlackAPI
) -> None:
    team_with(engine, "payments", 10, this_week=8, last_week=3)
    now = MONDAY_0900_LONDON
    run_digests(engine, now)
    with open_session(engine) as session:  # a sender claims everything, then dies
        queries.claim_due_messages(
            session, now=now, lease=dt.timedelta(minutes=5), token="dead", limit=50
        )
    fake.fail_next("chat.postMessage", RateLimited(retry_after=30), times=3)
    moment = now
    for _ in range(12):
        moment += dt.timedelta(minutes=5)
        run_digests(engine, moment)
        deliver_due(engine, client(fake), now=moment)
    assert [channel for channel, _ in digests_sent(fake) if channel].count("U0BOSS") == 4
    assert len(fake.channel_messages("U0BOSS")) == 1  # three 429s, then one real message


def test_catch_up_this_week_but_never_last_weeks_late(engine: Engine, fake: FakeSlackAPI) -> None:
    team_with(engine, "payments", 10, this_week=8, last_week=3)
    wednesday = MONDAY_0900_LONDON + dt.timedelta(days=2)  # the clock was down on Monday
    assert run_digests(engine, wednesday) == 1
    deliver_due(engine, client(fake), now=wednesday)
    next_monday_early = MONDAY_0900_LONDON + dt.timedelta(days=7, hours=-2)
    assert run_digests(engine, next_monday_early) == 0  # not yet this week's; last week's is done
    assert len(fake.channel_messages("U0BOSS")) == 1


def test_a_quiet_week_sends_nothing_to_who_chose_that(engine: Engine, fake: FakeSlackAPI) -> None:
    team_id = team_with(
        engine,
        "steady",
        10,
        this_week=5,
        last_week=5,
        managers=(("U0QUIET", "UTC"), ("U0SHORT", "UTC")),
    )
    with open_session(engine) as session:
        row = queries.set_digest_subscription(session, team_id, "U0QUIET", active=True)
        row.quiet = "none"
        session.commit()
    run_digests(engine, MONDAY_0900_LONDON)
    deliver_due(engine, client(fake), now=MONDAY_0900_LONDON)
    sent = digests_sent(fake)
    assert [channel for channel, _ in sent] == ["U0SHORT"]
    assert "a quiet week" in sent[0][1]


def test_a_chosen_day_and_hour_are_honoured(engine: Engine, fake: FakeSlackAPI) -> None:
    team_id = team_with(engine, "payments", 15, this_week=10, last_week=5, managers=())
    subscriber = make_person(engine, slack_user_id="U0TUE", tz="Europe/London")
    with open_session(engine) as session:  # a member of the team may subscribe to its digest
        queries.add_memberships(
            session, [{"team_id": team_id, "person_id": subscriber, "role": "member"}]
        )
        row = queries.set_digest_subscription(session, team_id, "U0TUE", active=True)
        row.weekday, row.hour = 1, 8
        session.commit()
    assert run_digests(engine, MONDAY_0900_LONDON) == 0
    assert run_digests(engine, MONDAY_0900_LONDON + dt.timedelta(hours=22, minutes=59)) == 0
    assert run_digests(engine, MONDAY_0900_LONDON + dt.timedelta(hours=23)) == 1
