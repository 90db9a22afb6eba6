"""The `/teamusage` service: team aggregates for members and managers, through privacy rules."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from slack_sdk import WebClient

from bot.admin import audit_team_look, is_admin
from bot.blocks.common import Block, code, section
from bot.blocks.digest import digest_preview_blocks
from bot.blocks.teamusage import (
    ambiguous_team_blocks,
    not_allowed_blocks,
    not_released_blocks,
    team_list_blocks,
    teamusage_blocks,
    teamusage_help_blocks,
)
from bot.digests.service import build_digest, digest_week
from bot.figures.periods import parse_period
from bot.figures.releases import read_releases
from bot.parsing import ascii_int, command_words, echo
from bot.people import ensure_person
from bot.services import Services
from bot.teams import TeamRef, access_for, find_team, load_teams
from storage import subscriptions, sync_state
from storage.engine import session as open_session

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TeamUsageRequest:
    """What the caller asked for: their teams, one team's figures, or help."""

    kind: str = "list"  # list | team | help | subscribe | unsubscribe | digest
    team: str = ""
    weekday: int | None = None
    hour: int | None = None
    quiet: str | None = None
    period: str = "4w"  # week | 4w | 13w | 2026-W48 | 4w:2026-W48 (checked by parse_period)
    not_understood: str = ""


#: Every first word `/teamusage` reads as a command rather than a team; the manifest's usage hint
#: must list them all (tests/test_manifest.py checks).
SUBCOMMANDS = ("subscribe", "unsubscribe", "digest", "help")


def parse_teamusage(text: str) -> TeamUsageRequest:
    """Read `/teamusage` arguments."""
    words = command_words(text)
    if words is None:
        return TeamUsageRequest(kind="help", not_understood=echo(text))
    if not words:
        return TeamUsageRequest()
    lowered = [w.lower() for w in words]
    if lowered[0] in SUBCOMMANDS:
        return _parse_subcommand(words, lowered, text)
    period = "4w"
    if len(words) == 2:
        # Any date will do: this only checks the word names a period.
        if not words[1].isascii() or parse_period(words[1], dt.date(2026, 1, 1)) is None:
            return TeamUsageRequest(kind="help", not_understood=echo(text))
        period = words[1].lower()
    if len(words) > 2:
        return TeamUsageRequest(kind="help", not_understood=echo(text))
    return TeamUsageRequest(kind="team", team=words[0], period=period)


DAYS = {name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
QUIET = {"quiet-short": "short", "quiet-none": "none"}


def _parse_subcommand(words: list[str], lowered: list[str], text: str) -> TeamUsageRequest:
    """`help`, `subscribe TEAM [options]`, or `subscribe|unsubscribe|digest [TEAM]`."""
    if lowered == ["help"]:
        return TeamUsageRequest(kind="help")
    if lowered[0] == "subscribe" and len(words) > 2:
        return _parse_subscribe(words[1], lowered[2:], text)
    if lowered[0] != "help" and len(words) <= 2:
        return TeamUsageRequest(kind=lowered[0], team=words[1] if len(words) == 2 else "")
    return TeamUsageRequest(kind="help", not_understood=echo(text))


def _parse_subscribe(team: str, options: list[str], text: str) -> TeamUsageRequest:
    """`subscribe TEAM [mon..sun] [HH or HH:00] [quiet-short|quiet-none]`."""
    weekday = hour = None
    quiet = None
    for option in options:
        if option[:3] in DAYS and option.isalpha():
            weekday = DAYS[option[:3]]
        elif (typed_hour := ascii_int(option.removesuffix(":00"), low=0, high=23)) is not None:
            hour = typed_hour
        elif option in QUIET:
            quiet = QUIET[option]
        else:
            return TeamUsageRequest(kind="help", not_understood=echo(text))
    return TeamUsageRequest(kind="subscribe", team=team, weekday=weekday, hour=hour, quiet=quiet)


def answer_teamusage(
    services: Services,
    client: WebClient,
    user_id: str,
    team_id: str | None,
    request: TeamUsageRequest,
) -> tuple[list[Block], str]:
    """Answer `/teamusage` for the caller, showing only teams they may see."""
    settings = services.settings
    k = settings.min_group_size
    if request.kind == "help":
        note = (
            f"Sorry, I didn't understand {code(request.not_understood)}."
            if request.not_understood
            else ""
        )
        return teamusage_help_blocks(services.thresholds, k, note=note), "How to use /teamusage"
    person = ensure_person(services.engine, client, user_id, team_id)
    teams = load_teams(services.engine, settings.team_sources)
    access = access_for(services.engine, person.id, teams, is_admin=is_admin(services, user_id))
    if request.kind == "list":
        by_id = {team.id: team for team in teams}
        return (
            team_list_blocks(
                [by_id[i] for i in sorted(access.member_of, key=lambda i: by_id[i].name)],
                [by_id[i] for i in sorted(access.manages, key=lambda i: by_id[i].name)],
                is_admin=access.is_admin,
            ),
            "Your teams",
        )
    if request.kind in {"subscribe", "unsubscribe", "digest"} and not request.team:
        managed = sorted(access.manages)
        if len(managed) != 1:
            return (
                teamusage_help_blocks(
                    services.thresholds, k, note=f"Which team? `/teamusage {request.kind} TEAM`"
                ),
                "Which team?",
            )
        request = replace(request, team=next(t.slug for t in teams if t.id == managed[0]))
    # Names resolve among the caller's own teams only: no answer depends on hidden teams.
    matches = find_team([team for team in teams if access.may_see(team.id)], request.team)
    if not matches:
        return not_allowed_blocks(request.team[:80]), "Team not available"
    if len(matches) > 1:
        return ambiguous_team_blocks(request.team[:80], matches), "Several teams match"
    now = services.clock()
    if request.kind in {"subscribe", "unsubscribe"}:
        return digest_subscription(services, user_id, matches[0], request)
    # -- audit: an admin looking at a team they see only as an admin (privacy rule 4) --
    audit_team_look(services, user_id, access, matches[0], request.kind)
    if request.kind == "digest":
        week = digest_week(now, person.tz)
        digest = build_digest(
            services.engine,
            matches[0],
            week=week,
            now=now,
            narrative=services.narrative_writer,
            with_chart=False,
        )
        if digest is None:
            return not_released_blocks(matches[0], week.label()), "Not released yet"
        return digest_preview_blocks(digest.blocks), digest.text
    return team_figures(services, matches[0], request.period, now)


def team_figures(
    services: Services, team: TeamRef, period_word: str, now: dt.datetime
) -> tuple[list[Block], str]:
    """A team's released figures for a period (`week`, `4w`, `2026-W48`…), with the change."""
    period = parse_period(period_word, now.date())
    assert period is not None  # parse_teamusage accepted it
    releases = read_releases(services.engine, team, [period, period.previous()])
    release = releases.get(period.name)
    if release is None:
        return not_released_blocks(team, period.label()), "Not released yet"
    with open_session(services.engine) as session:
        freshness = tuple(sync_state.sync_states(session))
    blocks = teamusage_blocks(
        release, releases.get(period.previous().name), freshness=freshness, now=now
    )
    return blocks, f"{team.name}: team AI tool usage"


def digest_subscription(
    services: Services, user_id: str, team: TeamRef, request: TeamUsageRequest
) -> tuple[list[Block], str]:
    """Subscribe the caller to a team's weekly digest (day, hour, quiet weeks), or opt out."""
    subscribe = request.kind == "subscribe"
    with open_session(services.engine) as session:
        row = subscriptions.set_digest_subscription(session, team.id, user_id, active=subscribe)
        if request.weekday is not None:
            row.weekday = request.weekday
        if request.hour is not None:
            row.hour = request.hour
        if request.quiet is not None:
            row.quiet = request.quiet
        session.add(row)
        session.commit()
        day, hour, quiet = row.weekday, row.hour, row.quiet
    if not subscribe:
        text = f"You won't get the weekly digest for {team.name} any more."
    else:
        day_name = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[
            day
        ]
        quiet_text = "no digest" if quiet == "none" else "a one-line digest"
        text = (
            f"You'll get the weekly digest for {team.name} on {day_name}s at {hour:02d}:00 your "
            f"time; in a quiet week, {quiet_text}."
        )
    return [section(text)], text
