"""Attacks on the outcome figures, played by a viewer who knows everyone but the target.

Outcome means are per-person values (commits, lines) that differ a lot between people, so the
classic attack is differencing: two releases over n and n + 1 people (a team before and after
the target joined, or a parent and its child) give the target's value as
mean' · (n + 1) − mean · n. With exact means that recovers it every time. With a perturbed sum
of clamped values it must not: the tests assert the figures are shown and the inference is
wrong in some draws, and never exact over a bound's worth of people.
"""

from __future__ import annotations

import random

from bot.adoption import TierThresholds
from bot.figures import outcomes
from bot.figures.disclosure import Rules
from bot.figures.releases import PersonFacts, release_figures

RULES = Rules(k=5, epsilon=1.0)
DRAWS = 24


def reporting(commits: int) -> PersonFacts:
    fact = PersonFacts(active=True, tools={"claude_code"})
    fact.add_outcomes([commits, 0, commits * 30, commits, 0])
    return fact


def means(team: dict[int, PersonFacts], keys: dict[int, int]) -> dict[str, float | None]:
    figures = release_figures(
        frozenset(team),
        facts=team,
        keys=keys,
        holders=set(),
        idle=set(),
        tools=("claude_code",),
        rules=RULES,
        thresholds=TierThresholds(),
    )
    return figures["means"]


def test_differencing_two_releases_does_not_recover_the_targets_commits() -> None:
    rng = random.Random(11)
    others = {n: reporting(rng.randint(1, 10)) for n in range(1, 13)}
    target_id, target_commits = 99, 17
    recovered_exactly = shown = 0
    for _ in range(DRAWS):
        keys = {person: rng.getrandbits(63) for person in [*others, target_id]}
        before = means(others, keys)[outcomes.COMMITS]
        after = means(others | {target_id: reporting(target_commits)}, keys)[outcomes.COMMITS]
        if before is None or after is None:
            continue
        shown += 1
        guess = after * (len(others) + 1) - before * len(others)
        recovered_exactly += round(guess) == target_commits
    assert shown == DRAWS  # the figures are there: twelve reporting people is plenty
    assert recovered_exactly < DRAWS // 2


def test_one_runaway_value_moves_a_mean_by_at_most_its_bound_over_n() -> None:
    rng = random.Random(5)
    team = {n: reporting(3) for n in range(1, 11)}
    keys = {person: rng.getrandbits(63) for person in [*team, 0]}
    plain = means(team, keys)[outcomes.COMMITS]
    runaway = means(team | {0: reporting(1_000_000)}, keys)[outcomes.COMMITS]
    assert plain is not None and runaway is not None
    # the script's million commits count as 40; the noise (sum scale 20) is the rest
    assert runaway - plain < outcomes.WEEKLY_BOUNDS[outcomes.COMMITS] / 11 + 10
