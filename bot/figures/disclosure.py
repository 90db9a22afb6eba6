"""The disclosure layer: the only place a figure about a group of people is made.

Rules (from the product brief and `docs/privacy.md`):

1. Nothing about a group of fewer than `k` people: a team smaller than `k` gets no figures, and a
   mean is shown only when the (perturbed) number of people it is over is at least `k`.
2. Every count is perturbed with cell-key noise (`bot.figures.noise`): the same set of people
   always gets the same noise, any other set an independent draw. No count is exact, a shown 0
   may be a few people, and no combination of released counts pins anyone's value exactly.
3. Means are a perturbed sum of per-person values, each clamped to a known bound, divided by the
   perturbed number of people: never a median, which moves by one person's exact value.
4. Counts are clamped to [0, group size] after the noise (post-processing, which costs nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.figures.noise import cell_key, count_noise, sum_noise

#: ε for each released count: noise of standard deviation about 1.4 people.
DEFAULT_EPSILON = 1.0
#: A mean's perturbed sum uses twice the counts' ε: a rate over 10 people is then within about
#: 5 points; the decision to show it still rests on a count perturbed at ε.
MEAN_EPSILON_FACTOR = 2.0


@dataclass(frozen=True, slots=True)
class Rules:
    """The disclosure parameters in force."""

    k: int
    epsilon: float = DEFAULT_EPSILON


@dataclass(slots=True)
class Cell:
    """People counted by one figure, accumulated one person at a time."""

    count: int = 0
    key_sum: int = 0
    value_sum: float = 0.0

    def add(self, record_key: int, value: float = 0.0) -> None:
        """Count one person (with their value, for a sum)."""
        self.count += 1
        self.key_sum += record_key
        self.value_sum += value


def released_count(cell: Cell, *, ceiling: int, rules: Rules) -> int:
    """The count as released: true count plus the cell's noise, clamped to [0, ceiling]."""
    noisy = cell.count + count_noise(cell_key([cell.key_sum]), rules.epsilon)
    return max(0, min(ceiling, noisy))


def released_mean(cell: Cell, *, stream: str, bound: float, rules: Rules) -> float | None:
    """The mean of values in [0, bound] as released, or None when it is over fewer than k.

    Whether it is shown depends on the *perturbed* number of people (an exact "fewer than k"
    would tell, between two teams that differ by one person, whether that person has the
    figure). The sum carries Laplace noise of scale bound / (MEAN_EPSILON_FACTOR · ε) and is
    divided by the true number of people, which is never shown.
    """
    key = cell_key([cell.key_sum])
    if cell.count == 0 or cell.count + count_noise(key, rules.epsilon) < rules.k:
        return None
    epsilon = MEAN_EPSILON_FACTOR * rules.epsilon
    total = cell.value_sum + sum_noise(key, stream, bound, epsilon)
    return max(0.0, min(bound, total / cell.count))


def count_of(
    members: Iterable[int], record_keys: Mapping[int, int], *, ceiling: int, rules: Rules
) -> int:
    """Release the size of a set of people (one-off figures such as tip feedback)."""
    cell = Cell()
    for person in members:
        cell.add(record_keys[person])
    return released_count(cell, ceiling=ceiling, rules=rules)


def group_counts(
    group: Iterable[int],
    subsets: Mapping[str, Iterable[int]],
    record_keys: Mapping[int, int],
    rules: Rules,
) -> dict[str, int] | None:
    """Released sizes of named subsets of a group, or None when the group is smaller than k."""
    people = frozenset(group)
    if len(people) < rules.k:
        return None
    return {
        name: count_of(frozenset(members) & people, record_keys, ceiling=len(people), rules=rules)
        for name, members in subsets.items()
    }


def partition_to_total(released: Mapping[str, int], total: int) -> dict[str, int]:
    """Released counts of a partition (each person in exactly one part), made to add up.

    The parts are scaled to `total` (the group's size, which is public) by largest remainder.
    This only uses released values and the public total, so it reveals nothing new; it keeps
    a tier mix from reading "3 + 4 + 9 + 1 of 13".
    """
    noisy_total = sum(released.values())
    if noisy_total <= 0:
        share = {name: total / len(released) for name in released} if released else {}
    else:
        share = {name: value * total / noisy_total for name, value in released.items()}
    floors = {name: int(value) for name, value in share.items()}
    left = total - sum(floors.values())
    for name in sorted(share, key=lambda n: (floors[n] - share[n], n))[:left]:
        floors[name] += 1
    return floors
