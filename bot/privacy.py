"""The one place group figures are made: minimum group size and complementary suppression.

Every surface that shows anything about more than one person (`/teamusage`, digests, exports,
admin views, logs) gets its figures from `disclose`. The rules, from the product brief:

1. A figure about a group is shown only when the group has at least `k` people
   (MIN_GROUP_SIZE). A count of a subgroup ("Cursor users in team X", "light users") is a
   figure about that subgroup, so it needs `k` too.
2. A hidden figure must not be recoverable from the visible ones of the same answer. Counts
   add up, so after the first pass we check, with exact linear algebra over the people,
   whether any hidden group (or any finest cell the visible groups carve out, if it is smaller
   than `k`) is a combination of visible groups and the whole group; while one is, we hide
   the smallest visible subgroup and check again.
3. Medians are shown only over at least `k` people with a value. They are not additive, so
   subtraction cannot recover anything from them.

An empty subgroup ("0 people are inactive") is shown: it holds nobody's data. The price is
that "everyone in the team was active" can be said of a team of `k` or more, which is a
statement about the group, never about fewer than `k` people.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class CountRequest:
    """A subgroup whose size the answer would like to show."""

    key: str
    members: frozenset[int]


@dataclass(frozen=True, slots=True)
class MedianRequest:
    """A median of per-person values over the people that have one."""

    key: str
    values: Mapping[int, float]


@dataclass(frozen=True)
class Disclosure:
    """What may be shown about one group, and what was hidden and why."""

    group_size: int
    k: int
    counts: dict[str, int | None] = field(default_factory=dict)
    medians: dict[str, float | None] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)

    @property
    def group_visible(self) -> bool:
        """False when the whole group is smaller than k: nothing about it is shown."""
        return self.group_size >= self.k

    def share(self, key: str) -> float | None:
        """A visible count as a share of the group."""
        count = self.counts.get(key)
        if count is None or not self.group_size:
            return None
        return count / self.group_size


def disclose(
    group: Iterable[int],
    *,
    k: int,
    counts: Sequence[CountRequest] = (),
    medians: Sequence[MedianRequest] = (),
) -> Disclosure:
    """Decide which of the requested figures about `group` may be shown."""
    people = frozenset(group)
    result = Disclosure(group_size=len(people), k=k)
    if len(people) < k:
        for request in counts:
            result.counts[request.key] = None
            result.hidden[request.key] = f"the group has fewer than {k} people"
        for median in medians:
            result.medians[median.key] = None
            result.hidden[median.key] = f"the group has fewer than {k} people"
        return result

    subgroups = {request.key: request.members & people for request in counts}
    visible = {key for key, members in subgroups.items() if not 0 < len(members) < k}
    for key in subgroups.keys() - visible:
        result.hidden[key] = f"fewer than {k} people"

    while True:
        leak = _first_recoverable(people, subgroups, visible, k)
        if leak is None:
            break
        victim = _victim(people, subgroups, visible, k, leak)
        if victim is None:  # pragma: no cover - only whole-group counts left; nothing leaks
            break
        visible.discard(victim)
        result.hidden[victim] = "hidden so that a smaller group cannot be worked out"

    for request in counts:
        result.counts[request.key] = len(subgroups[request.key]) if request.key in visible else None
    for median in medians:
        values = [value for person, value in median.values.items() if person in people]
        if len(values) < k:
            result.medians[median.key] = None
            result.hidden[median.key] = f"fewer than {k} people have this figure"
        else:
            result.medians[median.key] = statistics.median(values)
    return result


def _victim(
    people: frozenset[int],
    subgroups: Mapping[str, frozenset[int]],
    visible: set[str],
    k: int,
    leak: str,
) -> str | None:
    """The visible subgroup to hide next: the smallest whose hiding stops this leak.

    Empty subgroups and the whole group never help (their figures are 0 and the group size),
    so they stay visible. If no single subgroup stops the leak, hide the smallest one and let
    the loop look again.
    """
    candidates = sorted(
        (key for key in visible if subgroups[key] and subgroups[key] != people),
        key=lambda key: (len(subgroups[key]), key),
    )
    for key in candidates:
        if _first_recoverable(people, subgroups, visible - {key}, k) != leak:
            return key
    return candidates[0] if candidates else None


def _first_recoverable(
    people: frozenset[int],
    subgroups: Mapping[str, frozenset[int]],
    visible: set[str],
    k: int,
) -> str | None:
    """A hidden subgroup (or small cell) that the visible counts would give away, if any."""
    cells = _cells(people, subgroups.values())
    index = {person: n for n, cell in enumerate(cells) for person in cell}

    def vector(members: frozenset[int]) -> list[Fraction]:
        row = [Fraction(0)] * len(cells)
        for person in members:
            row[index[person]] = Fraction(1)
        return row

    basis = _Basis(len(cells))
    basis.add([Fraction(1)] * len(cells))  # the group's size is always known
    for key in sorted(visible):
        basis.add(vector(subgroups[key]))

    for key in sorted(subgroups.keys() - visible):
        members = subgroups[key]
        if members and basis.contains(vector(members)):
            return key
    for n, cell in enumerate(cells):
        if 0 < len(cell) < k:
            unit = [Fraction(0)] * len(cells)
            unit[n] = Fraction(1)
            if basis.contains(unit):
                return f"cell:{n}"
    return None


def _cells(people: frozenset[int], groups: Iterable[frozenset[int]]) -> list[frozenset[int]]:
    """The finest partition of `people` that every group is a union of."""
    signature: dict[int, tuple[bool, ...]] = {person: () for person in people}
    for members in groups:
        for person in people:
            signature[person] = (*signature[person], person in members)
    by_signature: dict[tuple[bool, ...], set[int]] = {}
    for person, key in signature.items():
        by_signature.setdefault(key, set()).add(person)
    return [frozenset(cell) for _, cell in sorted(by_signature.items())]


class _Basis:
    """Row-echelon basis over the rationals, for exact 'is this a combination' checks."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: list[tuple[int, list[Fraction]]] = []  # (pivot column, row)

    def _reduce(self, row: list[Fraction]) -> list[Fraction]:
        row = list(row)
        for pivot, basis_row in self.rows:
            if row[pivot]:
                factor = row[pivot] / basis_row[pivot]
                row = [a - factor * b for a, b in zip(row, basis_row, strict=True)]
        return row

    def add(self, row: list[Fraction]) -> None:
        reduced = self._reduce(row)
        pivot = next((n for n, value in enumerate(reduced) if value), None)
        if pivot is not None:
            self.rows.append((pivot, reduced))

    def contains(self, row: list[Fraction]) -> bool:
        return not any(self._reduce(row))


def count_requests(
    people: Iterable[int], classify: Callable[[int], Iterable[str]]
) -> list[CountRequest]:
    """Count requests from a classifier giving each person the keys they belong to."""
    members: dict[str, set[int]] = {}
    for person in people:
        for key in classify(person):
            members.setdefault(key, set()).add(person)
    return [CountRequest(key, frozenset(found)) for key, found in sorted(members.items())]
