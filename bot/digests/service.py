"""Weekly digests: who gets which, when (their own Monday 09:00), and what they say.

Every digest goes through the outbox with the key (recipient, team, ISO week), so a restarted
or doubled clock never sends one twice, and a clock that was down on Monday sends that week's
digest when it is back the same week (never last week's, late).
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
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
from bot.digests.audience import may_receive_digest
from bot.digests.narrative import NarrativeWriter, digest_facts
from bot.figures.periods import Period, last_complete
from bot.figures.releases import ACCEPTANCE, Release, read_releases
from bot.local_time import local_week, next_weekly_time, zone
from bot.outbox import enqueue
from bot.teams import TeamRef, load_teams
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
    history = [week]
    for _ in range(TREND_WEEKS - 1):
        history.append(history[-1].previous())
    releases = read_releases(engine, team, history)
    release = releases.get(week.name)
    if release is None:
        return None
    previous = releases.get(week.previous().name)
    with open_session(engine) as session:
        freshness = tuple(queries.sync_states(session))
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
        for period in reversed(history)
        for shown in [releases.get(period.name)]
    )
    chart = (
        trend_chart_png(list(trend), title=f"{team.name}: weekly active share (~)")
        if with_chart
        else None
    )
    return Digest(release, blocks, digest_title(release), chart, quiet=False, trend=trend)


CHART_WORKERS = 2  # chart processes: matplotlib draws under one lock per process
_POOL_MIN_CHARTS = 4  # fewer charts than this are drawn inline (no process start-up)
_IN_FLIGHT = 2  # charts waiting in the pool per worker: bounded memory


@dataclass(slots=True)
class _Chart:
    """A team's trend chart to draw once, and the digests (outbox keys) it goes with."""

    team: TeamRef
    about: Period
    trend: tuple[TrendPoint, ...]
    recipients: list[tuple[str, str]]  # (outbox key of the digest, recipient)


def send_weekly_digests(
    *,
    engine: Engine,
    team_sources: Sequence[str],
    narrative: NarrativeWriter,
    now: dt.datetime,
    chart_workers: int = CHART_WORKERS,
) -> int:
    """Put every digest that is due this local week in the outbox (once per key).

    A digest whose week has no release yet (its data is still coming in) is left for a later
    run in the same week; the outbox key makes every run after the first a no-op. Each digest
    is queued as soon as it is built and then dropped; only its chart's dozen trend points are
    kept, and the charts (one per team, however many recipients) are drawn afterwards in a
    small process pool and queued as each is ready. A crash between the two loses a chart,
    never a digest: the next run sees the digest queued and sends nothing twice.
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
    charts: dict[tuple[int, str], _Chart] = {}
    queued = 0
    # Recipients are sorted by team: only the current team's digest is held, and everyone who
    # gets one team's digest for one week gets the same one.
    current: tuple[int, str] | None = None
    digest: Digest | None = None
    for recipient, key, about in due:
        if key in queued_before:
            continue  # already queued or sent this week
        if not may_receive_digest(engine, recipient.team.id, recipient.recipient):
            continue  # left the team (or unsubscribed) since subscribing: see audience.py
        if current != (recipient.team.id, about.name):
            current, digest = (recipient.team.id, about.name), None
            try:
                digest = build_digest(
                    engine,
                    recipient.team,
                    week=about,
                    now=now,
                    narrative=narrative,
                    with_chart=False,
                )
            except Exception:  # one team's failure must not stop the other digests
                logger.exception("building a digest failed")
                continue
        if digest is None or (digest.quiet and recipient.quiet == "none"):
            continue
        added = enqueue(
            engine,
            key=key,
            kind="digest",
            channel=recipient.recipient,
            team_id=recipient.team.id,
            text=digest.text,
            blocks=digest.blocks,
            now=now,
        )
        queued += int(added)
        if added and digest.trend:
            chart = charts.setdefault(current, _Chart(recipient.team, about, digest.trend, []))
            chart.recipients.append((key, recipient.recipient))
    logger.info("digests: queued %d", queued)
    _queue_charts(engine, list(charts.values()), workers=chart_workers, now=now)
    return queued


def _queue_charts(engine: Engine, charts: list[_Chart], *, workers: int, now: dt.datetime) -> None:
    """Draw each team's chart (in a process pool when there are many) and queue it."""
    if workers <= 1 or len(charts) < _POOL_MIN_CHARTS:
        for chart in charts:
            _queue_chart(engine, chart, _drawn(chart), now=now)
        return
    context = multiprocessing.get_context("spawn")  # no copy of this process's connections
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        waiting: collections.deque[tuple[_Chart, Future[bytes]]] = collections.deque()
        for chart in charts:
            waiting.append(
                (chart, pool.submit(trend_chart_png, list(chart.trend), title=_title(chart)))
            )
            while len(waiting) > _IN_FLIGHT * workers:
                _queue_chart(engine, *_result(*waiting.popleft()), now=now)
        while waiting:
            _queue_chart(engine, *_result(*waiting.popleft()), now=now)


def _title(chart: _Chart) -> str:
    return f"{chart.team.name}: weekly active share (~)"


def _drawn(chart: _Chart) -> bytes | None:
    try:
        return trend_chart_png(list(chart.trend), title=_title(chart))
    except Exception:  # a chart that cannot be drawn must not stop the others
        logger.exception("drawing a digest chart failed")
        return None


def _result(chart: _Chart, future: Future[bytes]) -> tuple[_Chart, bytes | None]:
    try:
        return chart, future.result()
    except Exception:
        logger.exception("drawing a digest chart failed")
        return chart, None


def _queue_chart(engine: Engine, chart: _Chart, png: bytes | None, *, now: dt.datetime) -> None:
    if png is None:
        return
    team, week = chart.team, chart.about.iso_week
    for key, recipient in chart.recipients:
        enqueue(
            engine,
            key=f"{key}:chart",
            kind="digest_chart",
            channel=recipient,
            team_id=team.id,
            text="",
            now=now,
            file=(
                png,
                f"uptake-{team.slug.replace(':', '-')}-{week}.png",
                f"{team.name}: 12-week trend to {week}",
            ),
        )
