"""What the Home tab's buttons and forms do. Each goes through the service its typed command uses
(`/myusage link|privacy|export|forget`, `/teamusage digest|subscribe|unsubscribe`), so the
checks, the audit and the admins' review are the same whichever way a person asks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.blocks.common import Block, section
from bot.blocks.home_modals import link_errors, result_modal
from bot.blocks.home_teams import DAY_WORDS, QUIET_CHOICES, schedule_modal
from bot.blocks.ids import (
    DIGEST_DAY,
    DIGEST_DAY_BLOCK,
    DIGEST_HOUR,
    DIGEST_HOUR_BLOCK,
    DIGEST_QUIET,
    DIGEST_QUIET_BLOCK,
    LINK_ACCOUNT,
    LINK_ACCOUNT_BLOCK,
    LINK_TOOL,
    LINK_TOOL_BLOCK,
)
from bot.blocks.links import claim_result_blocks
from bot.claims import tell_admins_of_claim
from bot.home import team_cards
from bot.linking import ClaimOutcome, ClaimStatus, claim_github_login
from bot.myusage import MyUsageRequest, answer_myusage
from bot.parsing import ascii_int
from bot.people import ensure_person
from bot.services import Services
from bot.teamusage import TeamUsageRequest, answer_teamusage
from bot.tools import COPILOT

#: The longest login or email read from the link form (its input allows 100).
MAX_ACCOUNT_CHARS = 100


@dataclass(frozen=True, slots=True)
class LinkSubmission:
    """A link form's result: what the form's ack says, and the claim to tell the admins of."""

    ack: dict[str, Any]
    person_id: int | None = None
    outcome: ClaimOutcome | None = None


def _state(view: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    found = (values.get(block_id) or {}).get(action_id)
    return found if isinstance(found, dict) else {}


def _selected(view: dict[str, Any], block_id: str, action_id: str) -> str:
    option = _state(view, block_id, action_id).get("selected_option") or {}
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else ""


def submit_link(
    services: Services, client: WebClient, user_id: str, team_id: str | None, view: dict[str, Any]
) -> LinkSubmission:
    """Claim the account typed in the link form, as `/myusage link github LOGIN` does."""
    tool = _selected(view, LINK_TOOL_BLOCK, LINK_TOOL)
    typed = _state(view, LINK_ACCOUNT_BLOCK, LINK_ACCOUNT).get("value")
    account = typed[:MAX_ACCOUNT_CHARS] if isinstance(typed, str) else ""
    errors = link_errors(tool, "")
    if errors is not None or tool != COPILOT:
        return LinkSubmission(_errors(errors or {LINK_TOOL_BLOCK: "Choose a tool."}))
    person = ensure_person(services.engine, client, user_id, team_id)
    outcome = claim_github_login(services.engine, person.id, user_id, account)
    errors = link_errors(tool, outcome.status.value)
    if errors is not None:
        return LinkSubmission(_errors(errors), person.id, outcome)
    answer = result_modal("Link an account", claim_result_blocks(outcome))
    return LinkSubmission({"response_action": "update", "view": answer}, person.id, outcome)


def _errors(errors: dict[str, str]) -> dict[str, Any]:
    return {"response_action": "errors", "errors": errors}


def after_link(
    services: Services, client: WebClient, user_id: str, submission: LinkSubmission
) -> None:
    """Once the form is answered: ask the admins to review the claim (or warn of a conflict)."""
    if submission.outcome is None or submission.person_id is None:
        return
    if submission.outcome.status in (ClaimStatus.PENDING, ClaimStatus.CONFLICT):
        tell_admins_of_claim(services, client, submission.person_id, user_id, submission.outcome)


def my_data_answer(
    services: Services, client: WebClient, user_id: str, team_id: str | None, kind: str
) -> tuple[str, list[Block]]:
    """`privacy` or `export` from the Home tab, answered by the `/myusage` service."""
    blocks, _text = answer_myusage(services, client, user_id, team_id, MyUsageRequest(kind=kind))
    return ("Your privacy" if kind == "privacy" else "Your data"), blocks


def digest_preview(
    services: Services, client: WebClient, user_id: str, team_id: str | None, slug: str
) -> tuple[str, list[Block]]:
    """This week's digest for a team the clicker may see, as `/teamusage digest TEAM` shows it."""
    request = TeamUsageRequest(kind="digest", team=slug[:80])
    blocks, _text = answer_teamusage(services, client, user_id, team_id, request)
    return "Digest preview", blocks


def change_subscription(
    services: Services,
    client: WebClient,
    user_id: str,
    team_id: str | None,
    slug: str,
    *,
    subscribe: bool,
) -> None:
    """Subscribe to, or stop, a team's digest, as `/teamusage subscribe|unsubscribe TEAM` does."""
    kind = "subscribe" if subscribe else "unsubscribe"
    answer_teamusage(services, client, user_id, team_id, TeamUsageRequest(kind=kind, team=slug))


def schedule_form(
    services: Services, client: WebClient, user_id: str, team_id: str | None, slug: str
) -> dict[str, Any]:
    """The digest day-and-hour form for a team the clicker leads, filled with their settings."""
    person = ensure_person(services.engine, client, user_id, team_id)
    for card in team_cards(services, person, services.clock()):
        if card.team.slug == slug:
            return schedule_modal(card)
    return result_modal("Weekly digest", [section("That is not a team you lead.")])


def read_schedule(view: dict[str, Any]) -> TeamUsageRequest | None:
    """The digest form's choices as a `/teamusage subscribe` request; None if any is not ours."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    slug = metadata.get("team") if isinstance(metadata, dict) else None
    day = _selected(view, DIGEST_DAY_BLOCK, DIGEST_DAY)
    hour = ascii_int(_selected(view, DIGEST_HOUR_BLOCK, DIGEST_HOUR), low=0, high=23)
    quiet = _selected(view, DIGEST_QUIET_BLOCK, DIGEST_QUIET)
    if not isinstance(slug, str) or not slug or day not in DAY_WORDS or hour is None:
        return None
    if quiet not in QUIET_CHOICES:
        return None
    return TeamUsageRequest(
        kind="subscribe", team=slug[:80], weekday=DAY_WORDS.index(day), hour=hour, quiet=quiet
    )


def save_schedule(
    services: Services,
    client: WebClient,
    user_id: str,
    team_id: str | None,
    request: TeamUsageRequest,
) -> None:
    """Save the digest form, through the same service as `/teamusage subscribe TEAM DAY HH`."""
    answer_teamusage(services, client, user_id, team_id, request)
