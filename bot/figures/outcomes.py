"""Team outcome figures: what landed, in aggregate, through the same disclosure method.

Counting active days says how often a team uses AI; these figures say what came of it, as far
as its tools report outcomes (Claude Code and Gemini CLI through OpenTelemetry, the vendors'
admin APIs where they publish them). A person counts here only if one of their tools reported
an outcome in the period: the others are not zeros, they are unknown, and the figures say how
many people they are over.

Released, for a team of at least k people:
- counts: people whose tools report outcomes (`outcome:reporting`), and people with at least one
  commit or pull request made with AI (`outcome:landed`);
- means per reporting person and week, each person's value clamped to a published bound so that
  one person moves a mean by at most bound / n: commits, pull requests and lines added with AI;
- the share of agent edits accepted, over people who decided on any edit.
Every mean is withheld when its perturbed number of people is under k (`released_mean`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.figures.disclosure import Cell, Rules, released_count, released_mean

REPORTING = "outcome:reporting"
LANDED = "outcome:landed"
COMMITS = "outcome:commits"
PULL_REQUESTS = "outcome:pull_requests"
LINES_ADDED = "outcome:lines_added"
EDIT_ACCEPTANCE = "outcome:edit_acceptance"

#: Per person and week, the most one person adds to a mean (their value is clamped to it).
#: Set above what an engineer lands in a normal week, so that clamping rarely bites.
WEEKLY_BOUNDS = {COMMITS: 40.0, PULL_REQUESTS: 15.0, LINES_ADDED: 4000.0}

COUNTS = (REPORTING, LANDED)
MEANS = (COMMITS, PULL_REQUESTS, LINES_ADDED, EDIT_ACCEPTANCE)


class OutcomeFacts(Protocol):
    """One person's outcome totals over a period (None: no source reported that outcome)."""

    commits: int | None
    pull_requests: int | None
    lines_added: int | None
    edits_accepted: int | None
    edits_rejected: int | None


def reports_outcomes(fact: OutcomeFacts) -> bool:
    """True when any of the person's tools reported an outcome in the period."""
    return any(
        value is not None
        for value in (
            fact.commits,
            fact.pull_requests,
            fact.lines_added,
            fact.edits_accepted,
            fact.edits_rejected,
        )
    )


class OutcomeCells:
    """The cells of one team's outcome figures, filled one person at a time."""

    def __init__(self) -> None:
        self.cells = {name: Cell() for name in (*COUNTS, *MEANS)}

    def add(self, key: int, fact: OutcomeFacts, *, weeks: int) -> None:
        """Count one member (with their record key) if their tools reported outcomes."""
        if not reports_outcomes(fact):
            return
        cells = self.cells
        cells[REPORTING].add(key)
        if (fact.commits or 0) + (fact.pull_requests or 0) > 0:
            cells[LANDED].add(key)
        for name, value in (
            (COMMITS, fact.commits),
            (PULL_REQUESTS, fact.pull_requests),
            (LINES_ADDED, fact.lines_added),
        ):
            if value is not None:
                cells[name].add(key, min(WEEKLY_BOUNDS[name], value / weeks))
        decided = (fact.edits_accepted or 0) + (fact.edits_rejected or 0)
        if decided:
            cells[EDIT_ACCEPTANCE].add(key, (fact.edits_accepted or 0) / decided)

    def release(self, *, size: int, rules: Rules) -> tuple[dict[str, int], dict[str, float | None]]:
        """(counts, means) as released for a team of `size` people."""
        counts = {
            name: released_count(self.cells[name], ceiling=size, rules=rules) for name in COUNTS
        }
        means = {
            name: released_mean(
                self.cells[name],
                stream=name,
                bound=WEEKLY_BOUNDS.get(name, 1.0),
                rules=rules,
            )
            for name in MEANS
        }
        return counts, means


@dataclass(frozen=True, slots=True)
class TeamOutcomes:
    """A release's outcome figures, as surfaces show them (None: withheld or not reported)."""

    reporting: int
    landed: int
    commits: float | None
    pull_requests: float | None
    lines_added: float | None
    edit_acceptance: float | None

    @property
    def any_mean(self) -> bool:
        """True when at least one per-person figure is shown."""
        return any(
            value is not None
            for value in (self.commits, self.pull_requests, self.lines_added, self.edit_acceptance)
        )


class ReleaseLike(Protocol):
    """What `team_outcomes` reads of a stored release."""

    @property
    def visible(self) -> bool: ...

    @property
    def counts(self) -> Mapping[str, int]: ...

    @property
    def means(self) -> Mapping[str, float | None]: ...


def team_outcomes(release: ReleaseLike) -> TeamOutcomes | None:
    """The outcome figures of a stored release, or None when it has none to show.

    None when the team is too small, when the release predates outcome figures, or when no
    member's tools report outcomes (a released count of 0 reporting people).
    """
    if not release.visible or REPORTING not in release.counts:
        return None
    reporting = release.counts[REPORTING]
    if reporting <= 0:
        return None
    means: Mapping[str, Any] = release.means
    return TeamOutcomes(
        reporting=reporting,
        landed=release.counts.get(LANDED, 0),
        commits=means.get(COMMITS),
        pull_requests=means.get(PULL_REQUESTS),
        lines_added=means.get(LINES_ADDED),
        edit_acceptance=means.get(EDIT_ACCEPTANCE),
    )
