"""Weekly digests: who gets which, when (their own Monday 09:00), and what they say.

Every digest goes through the outbox with the key (recipient, team, ISO week), so a restarted
or doubled clock never sends one twice, and a clock that was down on Monday sends that week's
digest when it is back the same week (never last week's, late).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.adoption import TierThresholds
from bot.blocks.common import Block, blocks_to_text
from bot.blocks.digest import (
    digest_blocks,
    digest_title,
    quiet_digest_blocks,
    small_team_digest_blocks,
)
from bot.digests.chart import TrendPoint, trend_chart_png
from bot.digests.narrative import DigestFacts, NarrativeWriter
from bot.local_time import local_week, next_weekly_time, zone
from bot.outbox import enqueue
from bot.teams import TeamFigures, TeamRef, load_teams, team_figures, weekly_active_trend
from bot.tools import COPILOT, tool_label
from storage import queries
from storage.engine import session as open_session

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

    figures: TeamFigures
    blocks: list[Block]
    text: str
    chart: bytes | None
    quiet: bool


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


def suggested_action(figures: TeamFigures) -> str:
    """One thing worth doing, derived from the visible figures only."""
    counts = figures.disclosure.counts
    idle = counts.get("seats_idle")
    if idle:
        return (
            f"{idle} people have a {tool_label(COPILOT)} seat they have not used in 28 days: a "
            "short team demo, or freeing the seats, would help."
        )
    inactive = counts.get("tier:inactive")
    if inactive:
        return (
            f"{inactive} people had no AI tool activity this month: pairing them with a regular "
            "user for an hour is the fastest start. `/aitips on` gives them tips if they want."
        )
    rate = figures.disclosure.medians.get("acceptance_rate")
    if rate is not None and rate < 0.2:
        return "Acceptance rates are low: the tips in `/aitips` cover getting better suggestions."
    return "Ask the team what one thing made their AI tools more useful this week, and share it."


def _facts(figures: TeamFigures) -> DigestFacts:
    counts = figures.disclosure.counts
    active, before = counts.get("active"), figures.previous.counts.get("active")
    return DigestFacts(
        team_size=figures.people,
        active_share=figures.disclosure.share("active"),
        active_share_change_points=None
        if active is None or before is None
        else round((active - before) / figures.people * 100),
        tier_counts={
            key.removeprefix("tier:"): v for key, v in counts.items() if key.startswith("tier:")
        },
        tool_adoption={
            tool_label(key.removeprefix("tool:")): v
            for key, v in counts.items()
            if key.startswith("tool:")
        },
        median_acceptance_rate=figures.disclosure.medians.get("acceptance_rate"),
        unused_seats=counts.get("seats_idle"),
        # The action has its own line in the digest; the prose need not repeat it.
        suggested_action="",
    )


def build_digest(
    engine: Engine,
    teams: Sequence[TeamRef],
    team: TeamRef,
    *,
    tz: str,
    now: dt.datetime,
    k: int,
    thresholds: TierThresholds,
    narrative: NarrativeWriter,
    with_chart: bool = True,
) -> Digest:
    """The digest for the local week before `now` in `tz`."""
    last_day = now.astimezone(zone(tz)).date() - dt.timedelta(days=1)
    figures = team_figures(
        engine, teams, team, window_days=7, today=last_day, now=now, k=k, thresholds=thresholds
    )
    if not figures.disclosure.group_visible:
        blocks = small_team_digest_blocks(figures)
        return Digest(figures, blocks, blocks_to_text(blocks), None, quiet=False)
    active, before = figures.disclosure.counts.get("active"), figures.previous.counts.get("active")
    failing = any(
        s.last_error_at is not None
        and (s.last_success_at is None or s.last_error_at >= s.last_success_at)
        for s in figures.freshness
    )
    quiet = (
        active is not None
        and before is not None
        and abs(active - before) / figures.people * 100 < QUIET_CHANGE_POINTS
        and not failing
    )
    if quiet:
        blocks = quiet_digest_blocks(figures)
        return Digest(figures, blocks, blocks_to_text(blocks), None, quiet=True)
    action = suggested_action(figures)
    blocks = digest_blocks(
        figures, narrative=narrative.narrate(_facts(figures)), action=action, now=now
    )
    chart = None
    if with_chart:
        trend = weekly_active_trend(engine, teams, team, last_day=last_day, weeks=TREND_WEEKS, k=k)
        chart = trend_chart_png(
            [TrendPoint(f"{start:%d %b}", share) for start, share in trend],
            title=f"{team.name}: weekly active share",
        )
    return Digest(figures, blocks, digest_title(figures), chart, quiet=False)


def send_weekly_digests(
    *,
    engine: Engine,
    team_sources: Sequence[str],
    k: int,
    thresholds: TierThresholds,
    narrative: NarrativeWriter,
    now: dt.datetime,
) -> int:
    """Put every digest that is due this local week in the outbox (once per key)."""
    teams = load_teams(engine, team_sources)
    built: dict[tuple[int, dt.date], Digest] = {}
    queued = 0
    for recipient in recipients(engine, teams):
        send_at = send_time_this_week(recipient, now)
        if now < send_at:
            continue
        year, week = local_week(now, recipient.tz)
        key = f"digest:{recipient.recipient}:{recipient.team.id}:{year}-W{week:02d}"
        with open_session(engine) as session:
            if queries.outbox_states([key], session=session):
                continue  # already queued or sent this week
        # Managers of one team in one zone share a digest: build it once.
        week_of = (recipient.team.id, now.astimezone(zone(recipient.tz)).date())
        if week_of not in built:
            try:
                built[week_of] = build_digest(
                    engine,
                    teams,
                    recipient.team,
                    tz=recipient.tz,
                    now=now,
                    k=k,
                    thresholds=thresholds,
                    narrative=narrative,
                )
            except Exception:  # one team's failure must not stop the other digests
                logger.exception("building a digest failed")
                continue
        digest = built[week_of]
        if digest.quiet and recipient.quiet == "none":
            continue
        queued += enqueue(
            engine,
            key=key,
            kind="digest",
            channel=recipient.recipient,
            text=digest.text,
            blocks=digest.blocks,
            now=now,
        )
        if digest.chart is not None:
            enqueue(
                engine,
                key=f"{key}:chart",
                kind="digest_chart",
                channel=recipient.recipient,
                text="",
                now=now,
                file=(
                    digest.chart,
                    f"uptake-{recipient.team.slug.replace(':', '-')}-{year}-W{week:02d}.png",
                    f"{recipient.team.name}: 12-week trend, {year}-W{week:02d}",
                ),
            )
    logger.info("digests: queued %d", queued)
    return queued
