"""GitHub's organisation-level Copilot outcomes, as GitHub reports them, for admins.

GitHub reports pull requests created and merged by Copilot, time to merge and review figures
only for a whole organisation (and per AI adoption phase), never per person. Uptake keeps them
apart from people's rows (`org_outcome_day`) and shows them here, summed over a window where
they are counts and as GitHub's latest daily median where they are medians. A figure about
fewer than `MIN_GROUP_SIZE` people is not shown: the organisation when fewer than k people used
Copilot on any day reported (or a day does not say how many), and an adoption phase with
fewer than k engaged users
(GitHub's `total_engaged_users` for that phase).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.tools import COPILOT
from storage import outcomes as store
from storage.engine import session as open_session

WINDOW_DAYS = 28
#: GitHub's counts of pull requests (summed over the window), in the order shown.
PULL_REQUEST_COUNTS = (
    ("pull_requests.total_created", "created"),
    ("pull_requests.total_created_by_copilot", "created by Copilot"),
    ("pull_requests.total_merged", "merged"),
    ("pull_requests.total_merged_created_by_copilot", "merged, created by Copilot"),
    ("pull_requests.total_reviewed_by_copilot", "reviewed by Copilot"),
)
#: GitHub's daily medians (the latest day's is shown: medians do not add up).
MEDIANS = (
    ("pull_requests.median_minutes_to_merge", "all pull requests"),
    ("pull_requests.median_minutes_to_merge_copilot_authored", "created by Copilot"),
)
PEOPLE = "daily_active_users"
ENGAGED = "total_engaged_users"


@dataclass(frozen=True, slots=True)
class OrgOutcomes:
    """What admins see: GitHub's own organisation figures over the window."""

    since: dt.date
    until: dt.date
    days: int  # days GitHub reported in the window
    counts: tuple[tuple[str, float], ...]  # (label, sum) of the pull request counts
    medians: tuple[tuple[str, float], ...]  # (label, minutes) on the latest day
    phases: tuple[tuple[str, float], ...]  # (phase, engaged users) shown (k or more)
    withheld_phases: int
    too_few_people: bool


def org_outcomes(engine: Engine, *, today: dt.date, k: int) -> OrgOutcomes:
    """GitHub's organisation figures over the last WINDOW_DAYS complete days."""
    until = today - dt.timedelta(days=1)
    since = until - dt.timedelta(days=WINDOW_DAYS - 1)
    with open_session(engine) as session:
        days = store.org_outcomes(session, COPILOT, since, until)
    latest = days[max(days)] if days else {}
    # Fewest people on any day reported: the counts are summed over the days, and a day
    # whose number of people GitHub did not report cannot be vouched for.
    people = [day.get((store.ALL_COHORT, PEOPLE)) for day in days.values()]
    too_few = bool(days) and any(count is None or count < k for count in people)
    counts: tuple[tuple[str, float], ...] = ()
    medians: tuple[tuple[str, float], ...] = ()
    phases: list[tuple[str, float]] = []
    withheld = 0
    if days and not too_few:
        counts = tuple(
            (label, sum(day.get((store.ALL_COHORT, metric), 0.0) for day in days.values()))
            for metric, label in PULL_REQUEST_COUNTS
            if any((store.ALL_COHORT, metric) in day for day in days.values())
        )
        medians = tuple(
            (label, latest[(store.ALL_COHORT, metric)])
            for metric, label in MEDIANS
            if (store.ALL_COHORT, metric) in latest
        )
        for (cohort, metric), value in sorted(latest.items()):
            if cohort == store.ALL_COHORT or metric != ENGAGED:
                continue
            if value >= k:
                phases.append((cohort, value))
            else:
                withheld += 1
    return OrgOutcomes(since, until, len(days), counts, medians, tuple(phases), withheld, too_few)
