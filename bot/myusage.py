"""The `/myusage` service: understand the request and build the person's own answer."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient

from bot.adoption import WINDOWS, Tier, UsageSummary, summarize_in, summarize_usage
from bot.blocks.common import Block, code
from bot.blocks.links import claim_result_blocks, links_blocks, unlink_blocks
from bot.blocks.myusage import (
    ChartImage,
    fallback_text,
    help_blocks,
    myusage_blocks,
    no_identity_blocks,
)
from bot.blocks.privacy import export_sent_blocks, forget_confirm_blocks, privacy_blocks
from bot.blocks.tips import get_tips_button
from bot.blocks.tool_detail import tool_detail_blocks
from bot.claims import tell_admins_of_claim
from bot.linking import CLAIMABLE_TOOLS, claim_github_login, links_of, tool_from_word, unlink
from bot.parsing import command_words, day_count, echo
from bot.people import PersonRef, ensure_person, find_person
from bot.personal.chart import CHART_WEEKS, PersonalChart, personal_chart
from bot.personal.export import as_json, personal_data
from bot.personal.forget import forget_person
from bot.personal.privacy import COMMAND_LINE_ACTOR, privacy_summary, record_look
from bot.services import Services
from bot.tools import is_valid_tool, tool_label
from storage import audit, tips
from storage.engine import session as open_session

logger = logging.getLogger(__name__)

DEFAULT_WINDOW = 28
#: Every first word `/myusage` understands besides a window (7d, 28d, 90d); the parser refuses any
#: other, and the manifest's usage hint must list them all (tests/test_manifest.py checks).
SUBCOMMANDS = ("links", "link", "unlink", "privacy", "export", "forget", "help")


@dataclass(frozen=True, slots=True)
class MyUsageAnswer:
    """What `/myusage` answers, and the chart to add once it is drawn (None: nothing to add)."""

    blocks: list[Block]
    text: str
    chart: PersonalChart | None = None
    #: The same answer with a chart in it.
    with_chart: Callable[[ChartImage], list[Block]] | None = None
    #: The figures behind a summary answer (the Home tab shows them around its own sections).
    summary: UsageSummary | None = None


@dataclass(frozen=True, slots=True)
class MyUsageRequest:
    """What the caller asked for."""

    kind: str = "summary"  # summary | help | links | link | unlink | privacy | export | forget
    window_days: int = DEFAULT_WINDOW
    tool: str = ""
    login: str = ""
    not_understood: str = ""

    @property
    def wants_help(self) -> bool:
        """True when the answer is the help text."""
        return self.kind == "help"


def parse_myusage(text: str) -> MyUsageRequest:
    """Read `/myusage` arguments; anything not understood asks for help."""
    raw = echo(text)
    words = command_words(text)
    if words is None:
        return MyUsageRequest(kind="help", not_understood=raw)
    lowered = [word.lower() for word in words]
    if not words:
        return MyUsageRequest()
    days = day_count(words[0], WINDOWS) if len(words) == 1 else None
    if days is not None:
        return MyUsageRequest(window_days=days)
    if lowered[0] not in SUBCOMMANDS:
        return MyUsageRequest(kind="help", not_understood=raw)
    if lowered == ["help"]:
        return MyUsageRequest(kind="help")
    if lowered in (["links"], ["privacy"], ["export"], ["forget"]):
        return MyUsageRequest(kind=lowered[0])
    if len(words) == 3 and lowered[0] == "link" and lowered[1] in CLAIMABLE_TOOLS:
        return MyUsageRequest(kind="link", tool=CLAIMABLE_TOOLS[lowered[1]], login=words[2])
    if len(words) == 2 and lowered[0] == "unlink" and tool_from_word(lowered[1]):
        return MyUsageRequest(kind="unlink", tool=tool_from_word(lowered[1]) or "")
    return MyUsageRequest(kind="help", not_understood=raw)


def local_today(tz_name: str, now: dt.datetime) -> dt.date:
    """The person's calendar date now, in their Slack time zone (UTC if unknown)."""
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def help_answer(services: Services, request: MyUsageRequest) -> tuple[list[Block], str]:
    """The help text, led by what was not understood."""
    note = (
        f"Sorry, I didn't understand {code(request.not_understood)}."
        if request.not_understood
        else ""
    )
    blocks = help_blocks(services.thresholds, services.settings.min_group_size, note=note)
    return blocks, "How to use /myusage"


def summary_answer(
    services: Services, person: PersonRef, window_days: int
) -> tuple[list[Block], str]:
    """The person's own figures over the window (with their chart if it is already drawn)."""
    answer = summary_with_chart(services, person, window_days)
    return answer.blocks, answer.text


def summary_with_chart(services: Services, person: PersonRef, window_days: int) -> MyUsageAnswer:
    """The person's own figures, and their 12-week chart: in the answer if this process has
    uploaded exactly that chart before, else to be drawn after the answer."""
    now = services.clock()
    with open_session(services.engine) as session:  # one session: /myusage's hot path
        summary = summarize_in(
            session,
            person.id,
            window_days=window_days,
            today=local_today(person.tz, now),
            thresholds=services.thresholds,
            trend_weeks=CHART_WEEKS,
        )
        offer_tips = (
            summary.has_identities
            and summary.tier in (Tier.INACTIVE, Tier.LIGHT)
            and not tips.tips_enabled(session.connection(), person.id)
        )
    chart = (
        personal_chart(person.id, summary.weekly_active_days, summary.end)
        if summary.has_identities
        else None
    )

    def render(image: ChartImage | None) -> list[Block]:
        blocks = myusage_blocks(summary, now=now, chart=image)
        # Offer tips to those they would suit; never send them unasked.
        return [*blocks, get_tips_button()] if offer_tips else blocks

    image = services.charts.image_for(chart) if chart is not None else None
    missing = chart if image is None else None
    return MyUsageAnswer(render(image), fallback_text(summary), missing, render, summary)


def parse_detail_choice(value: str) -> tuple[str, int] | None:
    """A details menu choice (`copilot:28`): the tool and window, or None if malformed."""
    tool, _, days = value.partition(":")
    if not is_valid_tool(tool) or not days.isascii() or not days.isdigit():
        return None
    window = int(days)
    return (tool, window) if window in WINDOWS else None


def tool_details(
    services: Services, client: WebClient, user_id: str, team_id: str | None, value: str
) -> tuple[list[Block], str]:
    """One tool's full figures for the person who asked (only ever their own)."""
    choice = parse_detail_choice(value)
    if choice is None:
        return help_answer(services, MyUsageRequest(kind="help"))
    tool, window_days = choice
    person = ensure_person(services.engine, client, user_id, team_id)
    summary = summarize_usage(
        services.engine,
        person.id,
        window_days=window_days,
        today=local_today(person.tz, services.clock()),
        thresholds=services.thresholds,
    )
    if not summary.has_identities:
        return no_identity_blocks(summary.pending_identities), "No linked accounts yet"
    return tool_detail_blocks(summary, tool), f"Your {tool_label(tool)} figures"


def summary_for_operator(
    services: Services, slack_user_id: str | None, email: str | None, window_days: int
) -> tuple[list[Block], str] | None:
    """Someone's `/myusage` summary for an operator at the command line, written to the audit
    log that person reads; None when there is no such person."""
    person = find_person(services.engine, slack_user_id=slack_user_id, email=email)
    if person is None:
        return None
    answer = summary_answer(services, person, window_days)
    record_look(
        services.engine,
        person.id,
        actor=COMMAND_LINE_ACTOR,
        what=f"/myusage summary, {window_days} days",
        via="command line",
        now=services.clock(),
    )
    return answer


def answer_myusage(
    services: Services,
    client: WebClient,
    user_id: str,
    team_id: str | None,
    request: MyUsageRequest,
) -> tuple[list[Block], str]:
    """Everything `/myusage` can be asked, answered for the caller only."""
    answer = answer_command(services, client, user_id, team_id, request)
    return answer.blocks, answer.text


def answer_command(
    services: Services,
    client: WebClient,
    user_id: str,
    team_id: str | None,
    request: MyUsageRequest,
) -> MyUsageAnswer:
    """`answer_myusage`, with the person's chart to add after answering where there is one."""
    if request.wants_help:
        return MyUsageAnswer(*help_answer(services, request))
    person = ensure_person(services.engine, client, user_id, team_id)
    if request.kind == "summary":
        return summary_with_chart(services, person, request.window_days)
    return MyUsageAnswer(*_about_data_and_links(services, client, person, user_id, request))


def _about_data_and_links(
    services: Services, client: WebClient, person: PersonRef, user_id: str, request: MyUsageRequest
) -> tuple[list[Block], str]:
    """Privacy, export, forget, links, link and unlink."""
    if request.kind == "privacy":
        summary = privacy_summary(
            services.engine,
            person.id,
            min_group_size=services.settings.min_group_size,
            retention_days=services.settings.retention_days,
        )
        return privacy_blocks(summary), "Your privacy"
    if request.kind == "export":
        export_to_dm(services, client, person.id, user_id)
        return export_sent_blocks(), "Your data is in our DM"
    if request.kind == "forget":
        return forget_confirm_blocks(), "Delete your data?"
    if request.kind == "links":
        return links_blocks(links_of(services.engine, person.id)), "Your linked accounts"
    if request.kind == "unlink":
        removed = unlink(services.engine, person.id, request.tool, user_id)
        return unlink_blocks(request.tool, removed), "Unlinked"
    if request.kind == "link":
        outcome = claim_github_login(services.engine, person.id, user_id, request.login)
        tell_admins_of_claim(services, client, person.id, user_id, outcome)
        return claim_result_blocks(outcome), "Your GitHub login claim"
    return summary_answer(services, person, request.window_days)


def export_to_dm(services: Services, client: WebClient, person_id: int, user_id: str) -> None:
    """Upload everything stored about the person, as JSON, to their DM with Uptake."""
    now = services.clock()
    document = as_json(personal_data(services.engine, person_id), generated_at=now)
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        content=document.encode(),
        filename=f"uptake-data-{now:%Y%m%d}.json",
        title="Everything Uptake stores about you",
        initial_comment="Here is everything Uptake stores about you. Only you can see this.",
    )
    with open_session(services.engine) as session:
        audit.audit(session, "person.exported", actor=user_id, subject_person_id=person_id, at=now)
        session.commit()


def forget_me(services: Services, user_id: str) -> int:
    """Delete everything stored about the caller; the number of rows deleted."""
    person = find_person(services.engine, slack_user_id=user_id)
    if person is None:
        return 0
    services.charts.forget(person.id)
    return forget_person(services.engine, person.id, actor=user_id, now=services.clock()).total
