"""The Home tab and its modals as data: every surface inside Slack's limits, whatever it holds."""

from __future__ import annotations

from bot.adoption import Tier, UsageSummary
from bot.blocks.common import blocks_to_text
from bot.blocks.home import home_blocks
from bot.blocks.home_modals import forget_modal, link_modal, loading_modal, result_modal
from bot.blocks.home_teams import TeamCard, schedule_modal, team_blocks
from bot.blocks.ids import HOME_LINK, HOME_WINDOW_PREFIX
from bot.blocks.myusage import myusage_blocks, no_identity_blocks
from bot.figures.periods import Period
from bot.figures.releases import Release
from bot.home import HomeState
from bot.linking import LinkView
from bot.teams import TeamRef
from bot.tips.service import TipSettings
from tests.blocks.limits import assert_view_within_slack_limits
from tests.blocks.test_myusage_blocks import NOW, summary, tool

TIPS_OFF = TipSettings(
    enabled=False, frequency="weekly", snoozed_until=None, paused=False, any_tier=False
)


def unlinked() -> UsageSummary:
    return summary((), has_identities=False, tier=Tier.INACTIVE, active_days=0)


def release(team: TeamRef, *, active: int, people: int = 12, visible: bool = True) -> Release:
    return Release(
        team=team,
        period=Period(2026, 48),
        people=people,
        visible=visible,
        k=5,
        counts={"active": active},
        tools=("copilot",),
    )


def card(n: int, *, visible: bool = True, released: bool = True) -> TeamCard:
    team = TeamRef(n, f"slack:team-{n}-" + "x" * 60, f"Team {n} " + "N" * 140, None, "slack")
    return TeamCard(
        team=team,
        release=release(team, active=9, visible=visible) if released else None,
        previous=release(team, active=6) if released else None,
        subscribed=n % 2 == 0,
        weekday=n % 7,
        hour=n % 24,
        quiet="none" if n % 3 else "short",
    )


def state(usage: UsageSummary, **overrides: object) -> HomeState:
    values: dict[str, object] = {
        "window_days": usage.window_days,
        "summary": usage,
        "summary_blocks": tuple(myusage_blocks(usage, now=NOW)),
        "links": (),
        "tips": TIPS_OFF,
        "teams": (),
        "more_teams": 0,
        "min_group_size": 5,
        "now": NOW,
    }
    values.update(overrides)
    return HomeState(**values)  # type: ignore[arg-type]


def home(view_state: HomeState) -> tuple[dict[str, object], str]:
    blocks, metadata = home_blocks(view_state)
    view = {"type": "home", "blocks": blocks, "private_metadata": metadata}
    assert_view_within_slack_limits(view)
    return view, blocks_to_text(blocks)


def test_a_first_visit_welcomes_and_offers_linking_without_a_tier() -> None:
    view, text = home(state(unlinked()))
    assert "Welcome to Uptake" in text
    assert "Nobody is ranked" in text and "at least 5 people" in text
    assert "GitHub Copilot*: not linked yet" in text
    assert "tier" not in text.lower() and "inactive" not in text
    assert "ask your uptake admin" not in text.lower()
    buttons = [
        e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]  # type: ignore[index,union-attr]
    assert HOME_LINK in buttons
    assert not any(b.startswith(HOME_WINDOW_PREFIX) for b in buttons)


def test_a_pending_claim_shows_its_state_and_still_no_figures() -> None:
    links = (LinkView("copilot", "octo-cat", False, "claim"),)
    _view, text = home(state(unlinked(), links=links))
    assert "`octo-cat` waiting for an admin to verify it" in text
    assert "Active days" not in text


def test_a_linked_person_gets_window_buttons_figures_what_landed_and_data_buttons() -> None:
    outcomes = {
        "claude_code": {
            "commits": 4,
            "pull_requests": 2,
            "lines_added": 120,
            "lines_removed": 30,
            "edits_accepted": 9,
            "edits_rejected": 1,
        }
    }
    usage = summary((tool("copilot"), tool("claude_code")), window_days=90, outcomes=outcomes)
    links = (LinkView("copilot", "octo-cat", True, "admin"),)
    view, text = home(state(usage, links=links))
    assert view["private_metadata"] == "90d"
    window = next(b for b in view["blocks"] if b.get("block_id") == "home-window")  # type: ignore[union-attr]
    styles = {e["value"]: e.get("style") for e in window["elements"]}  # type: ignore[index]
    assert styles == {"7d": None, "28d": None, "90d": "primary"}
    assert view["blocks"][1] == window  # under the headline
    # what landed: the same words as `/myusage`, summed over the tools that report it
    assert "*What landed:* 4 commits and 2 pull requests made with AI" in text
    assert "9 of 10 agent edits accepted" in text
    assert "`octo-cat` linked" in text
    assert "Tips are *off*" in text
    assert "What is stored" in str(view) and "Delete my data" in str(view)


def test_the_home_tab_stays_inside_100_blocks_with_many_tools_and_teams() -> None:
    usage = summary(tuple(tool(f"tool_{n:02d}") for n in range(45)))
    cards = tuple(card(n) for n in range(8))
    links = tuple(LinkView(f"tool_{n:02d}", f"acct-{n}", True, "admin") for n in range(45))
    _view, text = home(state(usage, teams=cards, more_teams=3, links=links))
    assert "3 more teams" in text


def test_a_managers_team_shows_only_the_released_headline() -> None:
    blocks = team_blocks((card(2), card(3, visible=False), card(4, released=False)))
    text = blocks_to_text(blocks)
    assert "Week 48: ~9 of 12 people used AI tools (75%), +25 points on the week before" in text
    assert "fewer than 5 people" in text
    assert "No weekly figures released yet" in text
    assert "You don't get this team's weekly digest" in text  # card 3 is unsubscribed


def test_every_modal_is_inside_slacks_limits() -> None:
    for view in (
        link_modal(),
        forget_modal(),
        loading_modal("A title longer than twenty-four characters"),
        result_modal("Digest preview", [{"type": "divider"}] * 150),
        schedule_modal(card(5)),
    ):
        assert_view_within_slack_limits(view)


def test_the_digest_form_starts_from_the_current_settings() -> None:
    form = schedule_modal(card(10))  # Thursday (10 % 7 = 3), 10:00, quiet weeks: no digest
    chosen = [
        b["element"]["initial_option"]["value"] for b in form["blocks"] if b["type"] == "input"
    ]
    assert chosen == ["thu", "10", "none"]


def test_someone_with_nothing_linked_learns_how_to_claim_a_login_in_myusage_too() -> None:
    text = blocks_to_text(no_identity_blocks(0))
    assert "`/myusage link github YOUR-LOGIN`" in text and "Link an account" in text
    assert "Ask your Uptake admin if an account you use is missing" not in text
