"""Weekly digests: who gets which, when (their own Monday 09:00), and what they say.

Every digest goes through the outbox with the key (recipient, team, ISO week), so a restarted
or doubled clock never sends one twice, and a clock that was down on Monday sends that week's
digest when it is back the same week (never last week's, late).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.blocks.common import Block, blocks_to_text
from bot.blocks.digest import (
    digest_blocks,
    digest_title,
    quiet_digest_blocks,
    small_team_digest_blocks,
)
from bot.blocks.teamusage import change_points
from bot.charts import TrendPoint, trend_chart_png
from bot.charts.spec import trend_spec
from bot.digests.audience import may_receive_digests
from bot.digests.narrative import NarrativeWriter, digest_facts
from bot.figures.periods import Period, last_complete
from bot.figures.releases import ACCEPTANCE, Release, read_releases, read_team_releases
from bot.local_time import local_week, next_weekly_time, zone
from bot.outbox import OutgoingMessage, enqueue_many
from bot.teams import TeamRef, load_teams
from bot.tools import COPILOT, tool_label
from storage import queries
from storage.engine import session as open_session
from storage.models import SyncState

logger = logging.getLogger(__name__)

TREND_WEEKS = 12
QUIET_CHANGE_POINTS = 2
DEFAULT_WEEKDAY = 0
DEFAULT_HOUR = 9


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who gets a team's digest, in which time zone, on which day and hour."""

    recipient: str  # a Slack user id (DM) or a channel id
    tz: str
    team: TeamRef
    weekday: int = DEFAULT_WEEKDAY
    hour: int = DEFAULT_HOUR
    quiet: str = "short"


@dataclass(frozen=True)
class Digest:
    """One digest, ready to send or preview."""

    release: Release
    blocks: list[Block]
    text: str
    chart: bytes | None
    quiet: bool
    trend: tuple[TrendPoint, ...] = ()


def recipients(engine: Engine, teams: Sequence[TeamRef]) -> list[Recipient]:
    """Managers of each team (unless they opted out) and the subscriptions admins set up."""
    by_id = {team.id: team for team in teams}
    with open_session(engine) as session:
        managers = queries.managers_of_teams(session)
        rows = queries.digest_subscriptions(session)
        zones = queries.time_zones(session, [row.recipient for row in rows])
    opted_out = {(row.team_id, row.recipient) for row in rows if not row.active}
    found: dict[tuple[int, str], Recipient] = {}
    for team_id, slack_id, tz in managers:
        if team_id in by_id and (team_id, slack_id) not in opted_out:
            found[(team_id, slack_id)] = Recipient(slack_id, tz, by_id[team_id])
    for row in rows:
        if row.active and row.team_id in by_id:
            found[(row.team_id, row.recipient)] = Recipient(
                row.recipient,
                zones.get(row.recipient, "UTC"),  # channels have no zone: UTC
                by_id[row.team_id],
                row.weekday,
                row.hour,
                row.quiet,
            )
    return sorted(found.values(), key=lambda r: (r.team.slug, r.recipient))


def send_time_this_week(recipient: Recipient, now: dt.datetime) -> dt.datetime:
    """When this local week's digest is due for the recipient (their day and hour)."""
    local = now.astimezone(zone(recipient.tz))
    sunday = local.date() - dt.timedelta(days=local.weekday() + 1)
    # Sunday noon before this local week exists in every zone (clock changes are at night).
    anchor = dt.datetime.combine(sunday, dt.time(12, 0), tzinfo=zone(recipient.tz))
    return next_weekly_time(
        recipient.weekday, dt.time(recipient.hour, 0), recipient.tz, after=anchor
    )


def suggested_action(release: Release) -> str:
    """One thing worth doing, derived from the released figures only."""
    idle = release.count("seats_idle")
    if idle:
        return (
            f"About {idle} people have a {tool_label(COPILOT)} seat they have not used in 28 "
            "days: a short team demo, or freeing the seats, would help."
        )
    inactive = release.count("tier:inactive")
    if inactive:
        return (
            f"About {inactive} people had no AI tool activity this month: pairing them with a "
            "regular user for an hour is the fastest start. `/aitips on` gives them tips if they "
            "want."
        )
    rate = release.means.get(ACCEPTANCE) if release.visible else None
    if rate is not None and rate < 0.2:
        return "Acceptance rates are low: the tips in `/aitips` cover getting better suggestions."
    return "Ask the team what one thing made their AI tools more useful this week, and share it."


def digest_week(now: dt.datetime, tz: str) -> Period:
    """The week a digest sent at `now` in `tz` is about: the last complete ISO week there."""
    return last_complete(now.astimezone(zone(tz)).date())


def trend_history(week: Period) -> list[Period]:
    """The TREND_WEEKS weeks a digest about `week` draws, newest first."""
    history = [week]
    for _ in range(TREND_WEEKS - 1):
        history.append(history[-1].previous())
    return history


def build_digest(
    engine: Engine,
    team: TeamRef,
    *,
    week: Period,
    now: dt.datetime,
    narrative: NarrativeWriter,
    with_chart: bool = True,
) -> Digest | None:
    """The digest of `team` for `week`, from its stored releases; None until they are made."""
    releases = read_releases(engine, team, trend_history(week))
    with open_session(engine) as session:
        freshness = tuple(queries.sync_states(session))
    digest = digest_from(releases, week=week, freshness=freshness, now=now, narrative=narrative)
    if digest is not None and with_chart and digest.trend:
        png = trend_chart_png(list(digest.trend), title=chart_title(team))
        digest = dataclasses.replace(digest, chart=png)
    return digest


def chart_title(team: TeamRef) -> str:
    """The title of a team's trend chart."""
    return f"{team.name}: weekly active share (~)"


def digest_from(
    releases: Mapping[str, Release],
    *,
    week: Period,
    freshness: Sequence[SyncState],
    now: dt.datetime,
    narrative: NarrativeWriter,
) -> Digest | None:
    """The digest for `week` from a team's stored releases of its trend weeks (by period name),
    with its trend but no chart drawn; None until the week's release is made."""
    release = releases.get(week.name)
    if release is None:
        return None
    previous = releases.get(week.previous().name)
    if not release.visible:
        blocks = small_team_digest_blocks(release)
        return Digest(release, blocks, blocks_to_text(blocks), None, quiet=False)
    change = change_points(release, previous)
    failing = any(
        s.last_error_at is not None
        and (s.last_success_at is None or s.last_error_at >= s.last_success_at)
        for s in freshness
    )
    if change is not None and abs(change) < QUIET_CHANGE_POINTS and not failing:
        blocks = quiet_digest_blocks(release)
        return Digest(release, blocks, blocks_to_text(blocks), None, quiet=True)
    blocks = digest_blocks(
        release,
        previous,
        narrative=narrative.narrate(digest_facts(release)),
        action=suggested_action(release),
        freshness=freshness,
        now=now,
    )
    # The chart plots the same stored releases the text quotes: it cannot show more.
    trend = tuple(
        TrendPoint(f"{period.start:%d %b}", shown.share("active") if shown else None)
        for period in reversed(trend_history(week))
        for shown in [releases.get(period.name)]
    )
    return Digest(release, blocks, digest_title(release), None, quiet=False, trend=trend)


TEAMS_PER_READ = 250  # teams whose trend releases are read (and digests queued) at once


def send_weekly_digests(
    *,
    engine: Engine,
    team_sources: Sequence[str],
    narrative: NarrativeWriter,
    now: dt.datetime,
) -> int:
    """Put every digest that is due this local week in the outbox (once per key).

    A digest whose week has no release yet (its data is still coming in) is left for a later
    run in the same week; the outbox key makes every run after the first a no-op. Recipients
    are checked, and releases read, for many at a time; a digest is built once per team and
    week and queued for each of its recipients. Its chart goes with it as a spec (the trend's
    dozen points): the outbox's sender draws it when it sends the digest, so this job draws
    nothing.
    """
    teams = load_teams(engine, team_sources)
    due: list[tuple[Recipient, str, Period]] = []
    for recipient in recipients(engine, teams):
        send_at = send_time_this_week(recipient, now)
        if now < send_at:
            continue
        year, week = local_week(now, recipient.tz)
        key = f"digest:{recipient.recipient}:{recipient.team.id}:{year}-W{week:02d}"
        due.append((recipient, key, digest_week(now, recipient.tz)))
    with open_session(engine) as session:
        queued_before = queries.outbox_states([key for _, key, _ in due], session=session)
        freshness = tuple(queries.sync_states(session))
    waiting = [item for item in due if item[1] not in queued_before]  # not queued or sent yet
    # Left the team (or unsubscribed) since subscribing: see audience.py.
    allowed = may_receive_digests(engine, [(r.team.id, r.recipient) for r, _, _ in waiting])
    by_team: dict[tuple[int, str], list[tuple[Recipient, str, Period]]] = {}
    for recipient, key, about in waiting:
        if (recipient.team.id, recipient.recipient) in allowed:
            by_team.setdefault((recipient.team.id, about.name), []).append((recipient, key, about))
    groups = list(by_team.values())
    queued = 0
    for start in range(0, len(groups), TEAMS_PER_READ):
        part = groups[start : start + TEAMS_PER_READ]
        periods = {
            period.name: period
            for _, _, about in (g[0] for g in part)
            for period in trend_history(about)
        }
        stored = read_team_releases(engine, [g[0][0].team for g in part], list(periods.values()))
        outgoing: list[OutgoingMessage] = []
        for group in part:
            outgoing += _digest_messages(group, stored, freshness, now=now, narrative=narrative)
        queued += enqueue_many(engine, outgoing, now=now)
    logger.info("digests: queued %d", queued)
    return queued


def _digest_messages(
    group: list[tuple[Recipient, str, Period]],
    stored: Mapping[int, Mapping[str, Release]],
    freshness: Sequence[SyncState],
    *,
    now: dt.datetime,
    narrative: NarrativeWriter,
) -> list[OutgoingMessage]:
    """One team's digest for one week, as an outbox message for each of its recipients."""
    team, about = group[0][0].team, group[0][2]
    try:
        digest = digest_from(
            stored.get(team.id, {}), week=about, freshness=freshness, now=now, narrative=narrative
        )
    except Exception:  # one team's failure must not stop the other digests
        logger.exception("building a digest failed")
        return []
    if digest is None:
        return []
    chart = (
        trend_spec(
            digest.trend,
            title=chart_title(team),
            filename=f"uptake-{team.slug.replace(':', '-')}-{about.iso_week}.png",
        )
        if digest.trend
        else None
    )
    return [
        OutgoingMessage(
            key=key,
            kind="digest",
            channel=recipient.recipient,
            text=digest.text,
            blocks=digest.blocks,
            team_id=team.id,
            chart=chart,
        )
        for recipient, key, _ in group
        if not (digest.quiet and recipient.quiet == "none")
    ]
