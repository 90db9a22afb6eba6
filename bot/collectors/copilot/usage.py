"""GitHub's Copilot usage reports read into Uptake's columns: per person, and per organisation.

A users-1-day row becomes one person's day (usage counts and outcome signals). Decisions
beyond the vendor's documentation:
- Counts GitHub leaves out read as 0 for the usage counts and as "not reported" (NULL) for the
  outcome signals, so an older report and one missing a field both still parse.
- Agent-mode chat (`chat_panel_agent_mode`) counts as both a chat and an agent request.
- CLI and Copilot app tokens are the only tokens GitHub reports per person; both are kept.
- A day is active when any count is non-zero or any `used_*` flag is set, except passive
  Copilot code review: Copilot reviewing someone's pull request on its own is not that
  person using an AI tool, and counting it would inflate adoption.
- Copilot is seat-licensed, so no cost is recorded; `ai_credits_used` is kept as GitHub's
  signal of consumption, never as a bill.

The organisation report's figures (pull requests created and merged by Copilot, time to merge,
review cycles, per AI adoption phase) are read as (cohort, metric) -> value and never tied to
a person.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.collectors.copilot.fields import Fields
from storage import usage
from storage.outcomes import ALL_COHORT

_COUNTERS = (
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_suggested_to_add_sum",
    "loc_suggested_to_delete_sum",
    "loc_added_sum",
    "loc_deleted_sum",
)
_SESSION_COUNTERS = ("session_count", "request_count", "prompt_count")
_USAGE_FLAGS = (
    "used_agent",
    "used_chat",
    "used_cli",
    "used_copilot_app",
    "used_copilot_cloud_agent",
    # The cloud agent's earlier name; both appear while GitHub renames it.
    "used_copilot_coding_agent",
    "used_copilot_code_review_active",
    "used_copilot_code_review_passive",
)
_AGENT_FEATURES = frozenset({"agent_edit", "chat_panel_agent_mode"})
# Summed when one person's day arrives split over two rows.
_SUMMED = (*usage.USAGE_COUNTERS, "lines_added", "lines_removed", "ai_credits_used")
_ORED = ("used_cloud_agent", "used_copilot_app", "code_review_active", "code_review_passive")
# Breakdowns of lines added kept per person: (detail key, report array, the array's name key).
_LINE_BREAKDOWNS = (
    ("loc_added_by_feature", "totals_by_feature", "feature"),
    ("loc_added_by_ide", "totals_by_ide", "ide"),
    ("loc_added_by_model", "totals_by_model_feature", "model"),
    ("loc_added_by_model", "totals_by_language_model", "model"),
)
# Fields of the organisation report that are identifiers, not figures.
_ORG_IDS = frozenset({"enterprise_id", "organization_id", "entity_id_partition"})
_MAX_METRIC = 96
_PHASE_NUMBER = re.compile(r"(\d+)")


def usage_of(row: Fields, day: dt.date) -> tuple[str, dict[str, Any]]:
    """A users-1-day row as (login, daily usage metrics and outcome signals)."""
    row.check_day(day)
    login = row.login("user_login")
    counts = {key: row.count(key) for key in _COUNTERS}
    features: set[str] = set()
    chat_requests = agent_requests = 0
    for entry in row.objects("totals_by_feature"):
        feature = entry.text("feature")
        interactions = entry.count("user_initiated_interaction_count")
        if any(entry.count(key) for key in _COUNTERS):
            features.add(feature)
        if feature.startswith("chat"):
            chat_requests += interactions
        if feature in _AGENT_FEATURES:
            agent_requests += interactions
    cli = _session_totals(row.obj("totals_by_cli"))
    app = _session_totals(row.obj("totals_by_copilot_app"))
    flags = {key: row.optional_flag(key) for key in _USAGE_FLAGS}
    cloud_agent = _either(flags["used_copilot_cloud_agent"], flags["used_copilot_coding_agent"])
    copilot_app = _either(flags["used_copilot_app"], True if app["activity"] else None)
    if flags["used_cli"]:
        features.add("copilot_cli")
    if flags["used_copilot_code_review_active"]:
        features.add("code_review")
    if cloud_agent:
        features.add("cloud_agent")
    if copilot_app:
        features.add("copilot_app")
    credits = row.amount("ai_credits_used")
    active = (
        any(counts.values())
        or bool(features)
        or cli["activity"] + app["activity"] > 0
        or bool(credits)
        or any(flags[key] for key in _USAGE_FLAGS if key != "used_copilot_code_review_passive")
    )
    return login, {
        "active": active,
        "interactions": counts["user_initiated_interaction_count"],
        "generations": counts["code_generation_activity_count"],
        "acceptances": counts["code_acceptance_activity_count"],
        "lines_suggested": counts["loc_suggested_to_add_sum"],
        "lines_accepted": counts["loc_added_sum"],
        "chat_requests": chat_requests,
        "agent_requests": agent_requests,
        "cli_requests": cli["request_count"],
        "input_tokens": cli["prompt_tokens_sum"] + app["prompt_tokens_sum"],
        "output_tokens": cli["output_tokens_sum"] + app["output_tokens_sum"],
        "cost_cents": None,
        "cost_kind": None,
        "features": sorted(features),
        "lines_added": row.optional_count("loc_added_sum"),
        "lines_removed": row.optional_count("loc_deleted_sum"),
        "ai_credits_used": credits,
        "adoption_phase": _adoption_phase(row),
        "used_cloud_agent": cloud_agent,
        "used_copilot_app": copilot_app,
        "code_review_active": flags["used_copilot_code_review_active"],
        "code_review_passive": flags["used_copilot_code_review_passive"],
        "outcome_detail": _detail(row, app),
    }


def merge(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """One user's metrics from two rows of the same day (split report files): summed."""
    merged = dict(first)
    for key in _SUMMED:
        a, b = first[key], second[key]
        merged[key] = a if b is None else b if a is None else a + b
    for key in _ORED:
        a, b = first[key], second[key]
        merged[key] = a if b is None else b if a is None else a or b
    phases = [p for p in (first["adoption_phase"], second["adoption_phase"]) if p is not None]
    merged["adoption_phase"] = max(phases) if phases else None
    merged["active"] = first["active"] or second["active"]
    merged["features"] = sorted(set(first["features"]) | set(second["features"]))
    merged["outcome_detail"] = _merge_detail(first["outcome_detail"], second["outcome_detail"])
    return merged


def org_figures_of(row: Fields, day: dt.date) -> dict[tuple[str, str], float]:
    """An organisation (or enterprise) 1-day report row as (cohort, metric) -> value.

    Every plain number GitHub reports is kept under its own name, so figures GitHub adds are
    kept too: top-level counts, `pull_requests.*`, and each adoption phase's figures.
    """
    row.check_day(day)
    figures: dict[tuple[str, str], float] = {}
    for key, value in row.numbers().items():
        if key not in _ORG_IDS:
            figures[(ALL_COHORT, key)] = value
    pulls = row.obj("pull_requests")
    if pulls is not None:
        for key, value in pulls.numbers().items():
            figures[(ALL_COHORT, f"pull_requests.{key}")] = value
    for entry in row.objects("totals_by_ai_adoption_phase"):
        phase = _adoption_phase_of(entry)
        if phase is None:
            continue
        for key, value in entry.numbers().items():
            if key != "phase_number":
                figures[(f"phase {phase}", key)] = value
    return {key: value for key, value in figures.items() if len(key[1]) <= _MAX_METRIC}


def _session_totals(totals: Fields | None) -> dict[str, int]:
    """Requests, tokens and overall activity of a `totals_by_cli`-shaped object (0 when absent)."""
    found = dict.fromkeys(
        ("request_count", "prompt_tokens_sum", "output_tokens_sum", "activity"), 0
    )
    if totals is None:
        return found
    found["request_count"] = totals.count("request_count")
    found["activity"] = sum(totals.count(key) for key in _SESSION_COUNTERS)
    tokens = totals.obj("token_usage")
    if tokens is not None:
        found["prompt_tokens_sum"] = tokens.count("prompt_tokens_sum")
        found["output_tokens_sum"] = tokens.count("output_tokens_sum")
    found["activity"] += found["prompt_tokens_sum"] + found["output_tokens_sum"]
    return found


def _either(first: bool | None, second: bool | None) -> bool | None:
    """True if either says so; None only when neither is reported."""
    if first is None and second is None:
        return None
    return bool(first) or bool(second)


def _adoption_phase(row: Fields) -> int | None:
    """GitHub's AI adoption phase of the person (an object, or a bare number in some exports)."""
    if not row.has("ai_adoption_phase"):
        return None
    phase = row.obj_or_count("ai_adoption_phase")
    return phase if isinstance(phase, int) else _adoption_phase_of(phase)


def _adoption_phase_of(entry: Fields) -> int | None:
    """`phase_number`, else the number in `phase` ("Phase 2"); None when neither says."""
    if entry.has("phase_number"):
        return entry.count("phase_number")
    label = entry.optional_text("phase") or ""
    found = _PHASE_NUMBER.search(label)
    return int(found.group(1)) if found else None


def _detail(row: Fields, app: dict[str, int]) -> dict[str, Any] | None:
    """The person's breakdowns of lines added (per feature, IDE and model) and agent use."""
    detail: dict[str, Any] = {}
    for key, array, name_key in _LINE_BREAKDOWNS:
        if key in detail:
            continue  # the model breakdown comes from the first array that has one
        lines: dict[str, int] = {}
        for entry in row.objects(array):
            name = entry.optional_text(name_key)
            added = entry.count("loc_added_sum")
            if name and added:
                lines[name] = lines.get(name, 0) + added
        if lines:
            detail[key] = lines
    if app["request_count"]:
        detail["copilot_app_requests"] = app["request_count"]
    agents: dict[str, int] = {}
    for entry in row.objects("totals_by_3rd_party_agent"):
        name = entry.optional_text("agent_name")
        count = entry.count("user_initiated_interaction_count")
        if name and count:
            agents[name] = agents.get(name, 0) + count
    if agents:
        detail["third_party_agent_interactions"] = agents
    return detail or None


def _merge_detail(first: dict[str, Any] | None, second: dict[str, Any] | None) -> Any:
    """Two breakdowns of the same day added together."""
    if first is None or second is None:
        return first if second is None else second
    merged = dict(first)
    for key, value in second.items():
        if key not in merged:
            merged[key] = value
        elif isinstance(value, dict):
            merged[key] = {
                name: merged[key].get(name, 0) + value.get(name, 0)
                for name in {*merged[key], *value}
            }
        else:
            merged[key] = merged[key] + value
    return merged
