"""The App Home tab: the person's own dashboard, and their managed teams' released figures.

Everything on it is about the person who opened it (their Slack user id comes from Slack's
signed request), except a manager's team sections, which show only the teams' stored releases.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.adoption import WINDOWS, UsageSummary
from bot.blocks.common import Block
from bot.blocks.home import home_blocks, welcome_home_blocks
from bot.blocks.home_teams import TeamCard
from bot.blocks.myusage import ChartImage
from bot.blocks.tips import get_tips_button
from bot.figures.periods import last_complete
from bot.figures.releases import Release, read_releases
from bot.linking import LinkView, links_of
from bot.myusage import DEFAULT_WINDOW, summary_with_chart
from bot.parsing import day_count
from bot.people import PersonRef, ensure_person, find_person
from bot.personal.chart import PersonalChart
from bot.services import Services
from bot.teams import TeamRef, load_teams
from bot.tips.service import TipSettings, tip_settings
from storage import memberships, people
from storage.engine import session as open_session
from storage.personal import digest_subscriptions_of

logger = logging.getLogger(__name__)

#: The block `/myusage` offers tips in; the Home tab leaves it out (it has the tip settings).
TIPS_OFFER = get_tips_button()["block_id"]
#: A manager's teams shown on Home; `/teamusage` lists them all.
MAX_TEAM_CARDS = 8
#: How far back to look for a team's latest weekly release (a week's is made once its data is in).
RELEASE_LOOKBACK_WEEKS = 3


@dataclass(frozen=True, slots=True)
class HomeState:
    """What the person's Home tab shows."""

    window_days: int
    summary: UsageSummary
    #: `/myusage`'s own blocks for the summary (with the chart if it is drawn already).
    summary_blocks: tuple[Block, ...]
    links: tuple[LinkView, ...]
    tips: TipSettings
    teams: tuple[TeamCard, ...]
    more_teams: int
    min_group_size: int
    now: dt.datetime
    #: The person's chart when it is still to be drawn, and the summary blocks with it.
    chart: PersonalChart | None = None
    with_chart: Callable[[ChartImage], list[Block]] | None = None

    @property
    def first_visit(self) -> bool:
        """No verified account yet: the welcome and the link states are shown, no figures."""
        return not self.summary.has_identities


def window_from(value: str | None) -> int:
    """A window carried in a button or the view (`7d`, `28d`, `90d`); the default otherwise."""
    return day_count(value or "", WINDOWS) or DEFAULT_WINDOW


def home_state(services: Services, person: PersonRef, window_days: int) -> HomeState:
    """Gather the person's Home tab: the same summary and chart `/myusage` shows (from its own
    service), their links, tips and the teams they lead."""
    now = services.clock()
    answer = summary_with_chart(services, person, window_days)
    assert answer.summary is not None  # a summary answer carries its figures
    cards = team_cards(services, person, now)
    return HomeState(
        window_days=window_days,
        summary=answer.summary,
        summary_blocks=home_summary(answer.blocks),
        links=tuple(links_of(services.engine, person.id)),
        tips=tip_settings(services.engine, person.id),
        teams=tuple(cards[:MAX_TEAM_CARDS]),
        more_teams=max(0, len(cards) - MAX_TEAM_CARDS),
        min_group_size=services.settings.min_group_size,
        now=now,
        chart=answer.chart,
        with_chart=answer.with_chart,
    )


def home_summary(blocks: list[Block]) -> tuple[Block, ...]:
    """`/myusage`'s blocks without its "Get tips" button: the Home tab has its tip settings."""
    return tuple(block for block in blocks if block.get("block_id") != TIPS_OFFER)


def team_cards(services: Services, person: PersonRef, now: dt.datetime) -> list[TeamCard]:
    """The teams the person leads (directly), each with its latest stored weekly release."""
    teams = {team.id: team for team in load_teams(services.engine, services.settings.team_sources)}
    with open_session(services.engine) as session:
        led = sorted(
            {
                team_id
                for team_id, role in memberships.direct_team_roles(session, person.id)
                if role == "manager" and team_id in teams
            },
            key=lambda team_id: teams[team_id].name.lower(),
        )
        row = people.person(session, person.id)
        subscriptions = (
            {sub.team_id: sub for sub, _team in digest_subscriptions_of(session, row)}
            if row is not None
            else {}
        )
    cards: list[TeamCard] = []
    for team_id in led:
        sub = subscriptions.get(team_id)
        shown = len(cards) < MAX_TEAM_CARDS  # the rest are only counted: read no release
        release, previous = (
            _latest_release(services, teams[team_id], now) if shown else (None, None)
        )
        cards.append(
            TeamCard(
                team=teams[team_id],
                release=release,
                previous=previous,
                subscribed=sub is None or sub.active,
                weekday=sub.weekday if sub is not None else 0,
                hour=sub.hour if sub is not None else 9,
                quiet=sub.quiet if sub is not None else "short",
            )
        )
    return cards


def _latest_release(
    services: Services, team: TeamRef, now: dt.datetime
) -> tuple[Release | None, Release | None]:
    """The team's newest stored weekly release and the one before it (never computed here)."""
    weeks = [last_complete(now.date())]
    for _ in range(RELEASE_LOOKBACK_WEEKS):
        weeks.append(weeks[-1].previous())
    stored = read_releases(services.engine, team, weeks)
    for week in weeks[:-1]:
        if week.name in stored:
            return stored[week.name], stored.get(week.previous().name)
    return None, None


def publish_home(
    services: Services,
    client: WebClient,
    user_id: str,
    team_id: str | None,
    *,
    window: str | None = None,
    register: bool = True,
) -> None:
    """Publish the Home tab for one person, over the window they chose (28 days unless told).

    With `register` False (just after they were forgotten) someone Uptake does not know gets
    the welcome, and is not registered again.
    """
    person = (
        ensure_person(services.engine, client, user_id, team_id)
        if register
        else find_person(services.engine, slack_user_id=user_id)
    )
    if person is None:
        view = home_view(welcome_home_blocks(services.settings.min_group_size), "")
        client.views_publish(user_id=user_id, view=view)
        return
    state = home_state(services, person, window_from(window))
    view = home_view(*home_blocks(state))
    published = client.views_publish(user_id=user_id, view=view)
    if state.chart is not None and state.with_chart is not None:
        # The figures are up; the chart follows, unless the tab has changed since.
        with_chart = state.with_chart
        services.charts.follow_up_view(
            state.chart,
            client=client,
            render=lambda image: home_blocks(
                replace(state, summary_blocks=home_summary(with_chart(image)))
            )[0],
            deliver=lambda blocks: publish_unless_changed(
                client, user_id, home_view(blocks, view["private_metadata"]), published
            ),
        )


def home_view(blocks: list[Block], metadata: str) -> dict[str, Any]:
    """A Home tab view: its blocks, and the window it shows in its metadata."""
    return {"type": "home", "blocks": blocks, "private_metadata": metadata}


def publish_unless_changed(
    client: WebClient, user_id: str, view: dict[str, Any], published: SlackResponse
) -> None:
    """Publish `view` only over the view `published` (Slack's hash): a Home tab published since,
    after another click, is newer and stays."""
    try:
        client.views_publish(user_id=user_id, view=view, hash=published["view"]["hash"])
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        logger.debug("the Home tab changed while its chart was drawn; it stays as it is")
