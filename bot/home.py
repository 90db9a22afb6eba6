"""The App Home tab: the person's own dashboard, and their managed teams' released figures.

Everything on it is about the person who opened it (their Slack user id comes from Slack's
signed request), except a manager's team sections, which show only the teams' stored releases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.adoption import WINDOWS, UsageSummary, summarize_usage
from bot.blocks.home import home_blocks, welcome_home_blocks
from bot.blocks.home_teams import TeamCard
from bot.figures.periods import last_complete
from bot.figures.releases import Release, read_releases
from bot.linking import LinkView, links_of
from bot.myusage import DEFAULT_WINDOW, local_today
from bot.parsing import day_count
from bot.people import PersonRef, ensure_person, find_person
from bot.services import Services
from bot.teams import TeamRef, load_teams
from bot.tips.service import TipSettings, tip_settings
from storage import queries
from storage.engine import session as open_session
from storage.personal import digest_subscriptions_of

#: A manager's teams shown on Home; `/teamusage` lists them all.
MAX_TEAM_CARDS = 8
#: How far back to look for a team's latest weekly release (a week's is made once its data is in).
RELEASE_LOOKBACK_WEEKS = 3


@dataclass(frozen=True, slots=True)
class HomeState:
    """What the person's Home tab shows."""

    window_days: int
    summary: UsageSummary
    links: tuple[LinkView, ...]
    tips: TipSettings
    teams: tuple[TeamCard, ...]
    more_teams: int
    min_group_size: int
    now: dt.datetime

    @property
    def first_visit(self) -> bool:
        """No verified account yet: the welcome and the link states are shown, no figures."""
        return not self.summary.has_identities


def window_from(value: str | None) -> int:
    """A window carried in a button or the view (`7d`, `28d`, `90d`); the default otherwise."""
    return day_count(value or "", WINDOWS) or DEFAULT_WINDOW


def home_state(services: Services, person: PersonRef, window_days: int) -> HomeState:
    """Gather the person's Home tab: the same summary `/myusage` shows, links, tips, teams."""
    now = services.clock()
    summary = summarize_usage(
        services.engine,
        person.id,
        window_days=window_days,
        today=local_today(person.tz, now),
        thresholds=services.thresholds,
    )
    cards = team_cards(services, person, now)
    return HomeState(
        window_days=window_days,
        summary=summary,
        links=tuple(links_of(services.engine, person.id)),
        tips=tip_settings(services.engine, person.id),
        teams=tuple(cards[:MAX_TEAM_CARDS]),
        more_teams=max(0, len(cards) - MAX_TEAM_CARDS),
        min_group_size=services.settings.min_group_size,
        now=now,
    )


def team_cards(services: Services, person: PersonRef, now: dt.datetime) -> list[TeamCard]:
    """The teams the person leads (directly), each with its latest stored weekly release."""
    teams = {team.id: team for team in load_teams(services.engine, services.settings.team_sources)}
    with open_session(services.engine) as session:
        led = sorted(
            {
                team_id
                for team_id, role in queries.direct_team_roles(session, person.id)
                if role == "manager" and team_id in teams
            },
            key=lambda team_id: teams[team_id].name.lower(),
        )
        row = queries.person(session, person.id)
        subscriptions = (
            {sub.team_id: sub for sub, _team in digest_subscriptions_of(session, row)}
            if row is not None
            else {}
        )
    cards = []
    for team_id in led:
        sub = subscriptions.get(team_id)
        release, previous = _latest_release(services, teams[team_id], now)
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
        blocks, metadata = welcome_home_blocks(services.settings.min_group_size), ""
    else:
        blocks, metadata = home_blocks(home_state(services, person, window_from(window)))
    client.views_publish(
        user_id=user_id, view={"type": "home", "blocks": blocks, "private_metadata": metadata}
    )
