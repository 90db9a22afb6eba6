"""Cell-key noise: the same set of people always gets the same noise, a new set a fresh draw.

Each person has a secret random *record key* (64 bits, stored, never shown or exported). A
figure's *cell key* is the sum of its contributors' record keys modulo 2**64, so it depends only
on *which people* the figure counts, not on which team, tool or period it was asked about:
asking again, or re-slicing so the same people are counted, gives the same noise and so gains
nothing. A set that differs by even one person gets an unrelated key and an independent draw.

The noise is two-sided geometric (discrete Laplace) with P(z) ∝ exp(-ε|z|): unbounded, so no
observation, nor any difference of observations, ever pins a count exactly; and a released count
changes its likelihood by at most a factor exp(ε) when one person is added or removed. Bounded
perturbation tables (as in the ABS TableBuilder) can be differenced exactly at their extremes;
this is why Uptake uses unbounded noise with the cell-key idea.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable

KEY_MODULUS = 2**64
# Distinct noise streams for the same set of people: counts and sums have different scales.
COUNT_STREAM = b"count"
SUM_STREAM = b"sum"


def new_record_key() -> int:
    """A fresh secret record key for a person."""
    return secrets.randbits(63)  # fits a signed 64-bit column on every database


def cell_key(record_keys: Iterable[int]) -> int:
    """The cell key of a set of contributors: their record keys summed modulo 2**64."""
    return sum(record_keys) % KEY_MODULUS


def uniform(key: int, stream: bytes) -> float:
    """A number in (0, 1) determined by the cell key and the stream, uniform over keys."""
    digest = hashlib.blake2b(key.to_bytes(8, "big") + stream, digest_size=8).digest()
    return (int.from_bytes(digest, "big") + 0.5) / KEY_MODULUS


def discrete_laplace(u: float, epsilon: float) -> int:
    """The two-sided geometric variate at quantile `u`: P(z) = (1-p)/(1+p) · p^|z|, p = e^-ε."""
    p = math.exp(-epsilon)
    zero = (1 - p) / (1 + p)
    if u < zero:
        return 0
    # The rest is split evenly between the signs, each a geometric number of steps from 0.
    rest = (u - zero) / (1 - zero)
    sign = -1 if rest < 0.5 else 1
    tail = (rest * 2) % 1.0  # uniform in [0, 1) within the chosen sign
    steps = 1 + int(math.log1p(-tail) / math.log(p))
    return sign * steps


def laplace(u: float, scale: float) -> float:
    """The Laplace variate at quantile `u` with the given scale."""
    if u < 0.5:
        return scale * math.log(2 * u)
    return -scale * math.log(2 * (1 - u))


def count_noise(key: int, epsilon: float) -> int:
    """The noise for a count over the people whose cell key is `key`."""
    return discrete_laplace(uniform(key, COUNT_STREAM), epsilon)


def sum_noise(key: int, stream: str, bound: float, epsilon: float) -> float:
    """The noise for a sum of per-person values in [0, bound] over the people of `key`."""
    return laplace(uniform(key, SUM_STREAM + stream.encode()), bound / epsilon)


def count_likelihood(released: int, true_count: int, epsilon: float, *, ceiling: int) -> float:
    """P(released | true count) for a count clamped to [0, ceiling] after noise.

    Used by the privacy tests (and `docs/privacy.md`) to show that every released value is
    possible under every true count: the clamp folds the tails into 0 and `ceiling`.
    """
    p = math.exp(-epsilon)
    norm = (1 - p) / (1 + p)
    if 0 < released < ceiling:
        return norm * p ** abs(released - true_count)
    # Tail mass: P(z <= -true) at 0, P(z >= ceiling - true) at the ceiling.
    distance = true_count if released == 0 else ceiling - true_count
    return norm * p**distance / (1 - p)
