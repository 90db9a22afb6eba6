"""The bound `docs/privacy.md` states, checked over random organisations.

The strongest viewer knows every other person's figures exactly and sees a team's release with
and without the target (two teams that differ by one person, a parent and its children, a
roster before and after a change). For every released count, each value they can see is
possible whether or not the target has the attribute, and its likelihood changes by at most a
factor e^ε: no combination of releases is an exact recovery.
"""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adoption import TierThresholds
from bot.figures import outcomes
from bot.figures.disclosure import Cell, Rules, released_count
from bot.figures.noise import count_likelihood, new_record_key
from bot.figures.releases import PersonFacts, release_figures

RULES = Rules(k=5, epsilon=1.0)
TOOLS = ("copilot", "cursor")


@st.composite
def organisations(draw: st.DrawFn) -> tuple[list[PersonFacts], PersonFacts]:
    """A team of k..25 people with random usage, and a target person."""
    size = draw(st.integers(min_value=RULES.k, max_value=25))

    def facts() -> PersonFacts:
        tools = draw(st.sets(st.sampled_from(TOOLS)))
        fact = PersonFacts(active=bool(tools), tools=set(tools))
        if tools and draw(st.booleans()):  # their tools report outcomes
            commits = draw(st.integers(min_value=0, max_value=50))
            fact.add_outcomes([commits, 0, commits * 20, commits, 1])
        return fact

    return [facts() for _ in range(size)], facts()


@settings(max_examples=60, deadline=None)
@given(organisations(), st.randoms(use_true_random=False))
def test_every_release_is_possible_with_and_without_the_target(
    org: tuple[list[PersonFacts], PersonFacts], rng: random.Random
) -> None:
    others, target = org
    members = frozenset(range(len(others)))
    facts = dict(enumerate(others))
    keys = {person: rng.getrandbits(63) for person in members}
    target_id = len(others)
    with_target = members | {target_id}
    facts[target_id] = target
    keys[target_id] = rng.getrandbits(63)

    def release(team: frozenset[int]) -> dict[str, int]:
        figures = release_figures(
            team,
            facts=facts,
            keys=keys,
            holders=set(),
            idle=set(),
            tools=TOOLS,
            rules=RULES,
            thresholds=TierThresholds(),
        )
        return figures["counts"]

    seen = release(with_target)
    bound = math.exp(RULES.epsilon) * (1 + 1e-9)
    ceiling = len(with_target)
    for key, has_it in [
        ("active", lambda f: f.active),
        (outcomes.REPORTING, lambda f: f.commits is not None),
        (outcomes.LANDED, lambda f: bool(f.commits)),
    ] + [(f"tool:{tool}", lambda f, tool=tool: tool in f.tools) for tool in TOOLS]:
        known = sum(has_it(facts[p]) for p in members)  # the viewer knows everyone else
        r = seen[key]
        has = count_likelihood(r, known + 1, RULES.epsilon, ceiling=ceiling)
        has_not = count_likelihood(r, known, RULES.epsilon, ceiling=ceiling)
        assert has > 0 and has_not > 0
        assert 1 / bound <= has / has_not <= bound


def test_a_shown_zero_may_be_a_few_people() -> None:
    """Over many draws of record keys, a group of two sometimes shows 0 and sometimes 2."""
    shown = set()
    for _ in range(2_000):
        cell = Cell()
        for _person in range(2):
            cell.add(new_record_key())
        shown.add(released_count(cell, ceiling=12, rules=RULES))
    assert 0 in shown and 2 in shown and 3 in shown


def test_the_same_people_always_get_the_same_noise() -> None:
    """Asking again, or re-slicing so the same people are counted, gains nothing."""
    keys = [new_record_key() for _ in range(7)]
    first, again = Cell(), Cell()
    for key in keys:
        first.add(key)
    for key in reversed(keys):  # another team, another tool: the same seven people
        again.add(key)
    assert released_count(first, ceiling=30, rules=RULES) == released_count(
        again, ceiling=30, rules=RULES
    )


def test_the_likelihood_matches_the_noise_actually_drawn() -> None:
    """count_likelihood (used above) is the distribution of released_count, not an assumption."""
    draws = 20_000
    observed: dict[int, int] = {}
    for _ in range(draws):
        cell = Cell()
        for _person in range(4):
            cell.add(new_record_key())
        value = released_count(cell, ceiling=10, rules=RULES)
        observed[value] = observed.get(value, 0) + 1
    for value in (0, 2, 4, 6, 10):
        expected = count_likelihood(value, 4, RULES.epsilon, ceiling=10)
        assert abs(observed.get(value, 0) / draws - expected) < 0.015, value
