"""The privacy aggregation: minimum group size and no recovery by subtraction.

The property tests build random organisations and random sets of requested groups, and
check the answer with an independent exact rank computation (not the module's own).
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.privacy import CountRequest, MedianRequest, disclose

K = 5


def group(*members: int) -> frozenset[int]:
    return frozenset(members)


def test_a_group_smaller_than_k_shows_nothing() -> None:
    result = disclose(
        range(4),
        k=K,
        counts=[CountRequest("a", group(0, 1))],
        medians=[MedianRequest("m", {0: 1.0, 1: 2.0})],
    )
    assert not result.group_visible
    assert result.counts == {"a": None} and result.medians == {"m": None}


def test_the_issue_example_six_of_seven_does_not_reveal_the_seventh() -> None:
    """A team of 7 where 6 use Copilot must not reveal the one who does not."""
    team = range(7)
    result = disclose(team, k=K, counts=[CountRequest("copilot", group(0, 1, 2, 3, 4, 5))])
    assert result.counts["copilot"] is None
    assert "copilot" in result.hidden


def test_complementary_suppression_in_a_partition() -> None:
    # 20 people: inactive 5, light 2, regular 6, power 7 -> light hidden; hiding light alone
    # would be recoverable (20 - 5 - 6 - 7), so a second cell must go too.
    tiers = {
        "inactive": range(0, 5),
        "light": range(5, 7),
        "regular": range(7, 13),
        "power": range(13, 20),
    }
    result = disclose(
        range(20), k=K, counts=[CountRequest(name, frozenset(ids)) for name, ids in tiers.items()]
    )
    hidden = [name for name, value in result.counts.items() if value is None]
    assert "light" in hidden and len(hidden) >= 2


def test_cross_partition_subtraction_is_blocked() -> None:
    # Tier cells hide {light, inactive}; showing inactive through another partition
    # (active/inactive) would give light away.
    counts = [
        CountRequest("tier:inactive", frozenset(range(0, 5))),
        CountRequest("tier:light", frozenset(range(5, 7))),
        CountRequest("tier:regular", frozenset(range(7, 13))),
        CountRequest("tier:power", frozenset(range(13, 20))),
        CountRequest("inactive", frozenset(range(0, 5))),
        CountRequest("active", frozenset(range(5, 20))),
    ]
    result = disclose(range(20), k=K, counts=counts)
    assert result.counts["tier:light"] is None
    assert not _recoverable(range(20), counts, result.counts)


def test_empty_groups_are_shown_and_everyone_active_is_allowed() -> None:
    result = disclose(
        range(8),
        k=K,
        counts=[CountRequest("active", frozenset(range(8))), CountRequest("inactive", frozenset())],
    )
    assert result.counts == {"active": 8, "inactive": 0}
    assert result.share("active") == 1.0


def test_medians_need_k_people_with_a_value() -> None:
    result = disclose(
        range(10),
        k=K,
        medians=[
            MedianRequest("few", {0: 0.1, 1: 0.9, 2: 0.5, 3: 0.7}),
            MedianRequest("enough", {n: n / 10 for n in range(6)}),
        ],
    )
    assert result.medians["few"] is None
    assert result.medians["enough"] == 0.25


def _rank(rows: list[list[Fraction]]) -> int:
    """Rank by Gaussian elimination (independent of the module under test)."""
    matrix = [list(row) for row in rows]
    rank, width = 0, len(matrix[0]) if matrix else 0
    for column in range(width):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][column]), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(len(matrix)):
            if r != rank and matrix[r][column]:
                factor = matrix[r][column] / matrix[rank][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return rank


def _recoverable(people, requests, counts) -> list[str]:  # type: ignore[no-untyped-def]
    """Hidden requested groups whose size follows from the visible counts and the total."""
    order = sorted(set(people))

    def vector(members: frozenset[int]) -> list[Fraction]:
        return [Fraction(int(p in members)) for p in order]

    visible = [vector(frozenset(order))] + [
        vector(r.members) for r in requests if counts[r.key] is not None
    ]
    base = _rank(visible)
    leaks = []
    for request in requests:
        members = request.members & frozenset(order)
        if counts[request.key] is None and members and _rank([*visible, vector(members)]) == base:
            leaks.append(request.key)
    return leaks


organisations = st.integers(min_value=0, max_value=24).flatmap(
    lambda size: st.tuples(
        st.just(size),
        st.lists(
            st.frozensets(st.integers(min_value=0, max_value=max(size - 1, 0)), max_size=size),
            min_size=0,
            max_size=7,
        ),
    )
)


@settings(max_examples=300, deadline=None)
@given(organisations, st.integers(min_value=2, max_value=6))
def test_no_visible_figure_is_about_fewer_than_k_people(org, k) -> None:  # type: ignore[no-untyped-def]
    size, groups = org
    requests = [CountRequest(f"g{n}", members) for n, members in enumerate(groups)]
    result = disclose(range(size), k=k, counts=requests)
    for request in requests:
        shown = result.counts[request.key]
        if shown is not None:
            assert size >= k
            assert shown == 0 or shown >= k
            assert shown == len(request.members)


@settings(max_examples=300, deadline=None)
@given(organisations, st.integers(min_value=2, max_value=6))
def test_no_hidden_figure_can_be_recovered_by_subtraction(org, k) -> None:  # type: ignore[no-untyped-def]
    size, groups = org
    requests = [CountRequest(f"g{n}", members) for n, members in enumerate(groups)]
    result = disclose(range(size), k=k, counts=requests)
    if result.group_visible:
        assert _recoverable(range(size), requests, result.counts) == []
