"""What each surface would send to Slack for one person or team, built by the surfaces' own
services and builders, so a preview shows exactly what Slack would get.

Charts are drawn locally instead of uploaded: their image blocks name a stand-in file id, and
`Preview.images` holds the PNG for it. No Slack call and no model call is made (tips keep the
library's wording, the digest uses its template prose). Looking at one person's surfaces is
written to the audit log that person reads, as every operator's look is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.blocks.common import Block
from bot.blocks.home import home_blocks
from bot.blocks.myusage import ChartImage
from bot.blocks.tips import tip_message_blocks
from bot.charts import chart_alt_text, trend_chart_png
from bot.digests.service import build_digest, digest_week
from bot.home import home_state
from bot.myusage import DEFAULT_WINDOW, summary_with_chart
from bot.people import PersonRef, find_person
from bot.personal.privacy import COMMAND_LINE_ACTOR, record_look
from bot.preview.html import Frame
from bot.services import Services
from bot.slack_files import image_block
from bot.teams import TeamRef, find_team, load_teams
from bot.teamusage import team_figures
from bot.tips.library import default_library
from bot.tips.service import preview_tip
from bot.tools import tool_label
from storage import queries
from storage.engine import session as open_session

PERSON_SURFACES = ("myusage", "home", "tip")
TEAM_SURFACES = ("teamusage", "digest")
SURFACES = ("myusage", "home", "teamusage", "digest", "tip")
#: The stand-in id of a chart drawn for a preview (a real one is a Slack file id, F…).
PREVIEW_FILE = "F0PREVIEW"


class PreviewError(Exception):
    """Nothing to preview: no such person or team, or nothing the surface would send."""


@dataclass(frozen=True)
class Preview:
    """One surface as Slack would get it, for one person or team."""

    surface: str
    subject: str  # the person's Slack user id or the team's slug
    payload: dict[str, Any]  # the message or the view, as sent
    frame: Frame
    images: dict[str, bytes] = field(default_factory=dict)  # stand-in file id -> PNG

    @property
    def blocks(self) -> list[Block]:
        """The payload's blocks."""
        blocks: list[Block] = self.payload["blocks"]
        return blocks


def preview_surface(
    services: Services, surface: str, *, user: str | None = None, team: str | None = None
) -> Preview:
    """`surface` for the person with Slack id `user`, or for `team` (a slug or name; with a
    person's id instead, the first team they manage)."""
    if surface in PERSON_SURFACES:
        if not user:
            raise PreviewError(f"{surface} is about one person: give --user")
        person = find_person(services.engine, slack_user_id=user)
        if person is None:
            raise PreviewError(f"no person with Slack id {user}")
        record_look(
            services.engine,
            person.id,
            actor=COMMAND_LINE_ACTOR,
            what=f"{surface} preview",
            via="command line",
            now=services.clock(),
        )
        if surface == "myusage":
            return _myusage(services, person)
        if surface == "home":
            return _home(services, person)
        return _tip(services, person)
    if surface in TEAM_SURFACES:
        ref, tz = _team(services, user=user, team=team, led_only=surface == "digest")
        if surface == "teamusage":
            return _teamusage(services, ref)
        return _digest(services, ref, tz)
    raise PreviewError(f"unknown surface {surface!r}: one of {', '.join(SURFACES)}")


def _myusage(services: Services, person: PersonRef) -> Preview:
    answer = summary_with_chart(services, person, DEFAULT_WINDOW)
    blocks, images = answer.blocks, {}
    if answer.chart is not None and answer.with_chart is not None:
        chart = answer.chart
        images[PREVIEW_FILE] = trend_chart_png(list(chart.points), title=chart.title)
        blocks = answer.with_chart(ChartImage(file_id=PREVIEW_FILE, alt_text=chart.alt_text))
    return Preview(
        "myusage",
        person.slack_user_id,
        {"response_type": "ephemeral", "text": answer.text, "blocks": blocks},
        Frame("/myusage", ephemeral=True),
        images,
    )


def _home(services: Services, person: PersonRef) -> Preview:
    blocks, metadata = home_blocks(home_state(services, person, DEFAULT_WINDOW))
    view = {"type": "home", "blocks": blocks, "private_metadata": metadata}
    return Preview("home", person.slack_user_id, view, Frame("App Home", kind="home"))


def _tip(services: Services, person: PersonRef) -> Preview:
    library = default_library()
    choice = preview_tip(
        services.engine,
        person_id=person.id,
        slack_user_id=person.slack_user_id,
        tz=person.tz,
        library=library,
        thresholds=services.thresholds,
        now=services.clock(),
    )
    if choice is None:
        raise PreviewError(f"no tip suits {person.slack_user_id} now")
    label = " and ".join(tool_label(tool) for tool in choice.tip.tools)
    blocks = tip_message_blocks(choice.tip.text, choice.tip.link, label, 0, library.version)
    message = {"channel": person.slack_user_id, "text": f"A tip for {label}", "blocks": blocks}
    return Preview("tip", person.slack_user_id, message, Frame("Tip (DM)"))


def _team(
    services: Services, *, user: str | None, team: str | None, led_only: bool
) -> tuple[TeamRef, str]:
    """The team to show, and the time zone its digest week is read in: the named team, or the
    person's first team they lead (else, unless `led_only`, the first they belong to)."""
    teams = load_teams(services.engine, services.settings.team_sources)
    if team:
        matches = find_team(teams, team)
        if len(matches) != 1:
            raise PreviewError(
                f"no team {team!r}" if not matches else f"{team!r} matches several teams"
            )
        return matches[0], "UTC"
    if not user:
        raise PreviewError("give --team, or --user with a manager's Slack id")
    person = find_person(services.engine, slack_user_id=user)
    if person is None:
        raise PreviewError(f"no person with Slack id {user}")
    by_id = {ref.id: ref for ref in teams}
    with open_session(services.engine) as session:
        roles = [
            (role, by_id[team_id])
            for team_id, role in queries.direct_team_roles(session, person.id)
            if team_id in by_id
        ]
    led = [ref for role, ref in roles if role == "manager"]
    candidates = led if led or led_only else [ref for _, ref in roles]
    if not candidates:
        raise PreviewError(f"{user} {'manages' if led_only else 'is in'} no team")
    return min(candidates, key=lambda ref: ref.slug), person.tz


def _teamusage(services: Services, team: TeamRef) -> Preview:
    blocks, text = team_figures(services, team, "4w", services.clock())
    message = {"response_type": "ephemeral", "text": text, "blocks": blocks}
    return Preview("teamusage", team.slug, message, Frame("/teamusage", ephemeral=True))


def _digest(services: Services, team: TeamRef, tz: str) -> Preview:
    now = services.clock()
    digest = build_digest(
        services.engine,
        team,
        week=digest_week(now, tz),
        now=now,
        narrative=services.narrative_writer,
    )
    if digest is None:
        raise PreviewError(f"{team.slug} has no release for last week yet")
    blocks, images = list(digest.blocks), {}
    if digest.chart is not None:
        # Where the sender puts it: right after the headline.
        images[PREVIEW_FILE] = digest.chart
        alt = chart_alt_text(digest.trend, title=f"{team.name}: weekly active share (~)")
        at = next((i + 1 for i, b in enumerate(blocks) if b["type"] == "header"), len(blocks))
        blocks[at:at] = [image_block(PREVIEW_FILE, alt_text=alt)]
    message = {"text": digest.text, "blocks": blocks}
    return Preview("digest", team.slug, message, Frame("Weekly digest (DM)"), images)
