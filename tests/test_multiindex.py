"""Multi-indices: count, order and content against a brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from unicomp.errors import InputError
from unicomp.multiindex import multi_indices, num_moments


@pytest.mark.parametrize(("m", "k"), [(1, 0), (1, 7), (2, 10), (3, 5), (4, 5), (8, 3)])
def test_multi_indices_are_every_exponent_once_in_graded_order(m: int, k: int) -> None:
    exps = multi_indices(m, k)
    brute = {e for e in itertools.product(range(k + 1), repeat=m) if sum(e) <= k}
    rows = [tuple(r) for r in exps.tolist()]
    assert len(rows) == len(set(rows)) == len(brute) == num_moments(m, k)
    assert set(rows) == brute
    degrees = exps.sum(axis=1)
    assert np.all(np.diff(degrees) >= 0), "graded: total degree never decreases"
    for j in range(k + 1):
        block = [r for r in rows if sum(r) == j]
        assert block == sorted(block, reverse=True), "descending lexicographic within a degree"
    assert rows[0] == (0,) * m
    if k >= 1:
        assert rows[1 : m + 1] == [tuple(int(a == b) for a in range(m)) for b in range(m)], "then the means"


def test_num_moments_values() -> None:
    # C(m + k, k), counted by hand: 66 for Fig. 2's (2, 10), 126 for Fig. 4's (4, 5).
    assert [num_moments(2, 10), num_moments(4, 5), num_moments(1, 0), num_moments(3, 1)] == [66, 126, 1, 4]


def test_multi_indices_read_only_and_accept_numpy_integers() -> None:
    exps = multi_indices(np.int64(2), np.int32(3))  # type: ignore[arg-type]
    assert exps.shape == (10, 2)
    with pytest.raises(ValueError, match="read-only"):
        exps[0, 0] = 1


@pytest.mark.parametrize("bad", [-1, 2.5, True, "3", None])
def test_num_moments_rejects_bad_degree(bad: object) -> None:
    with pytest.raises(InputError, match="k must be a non-negative integer"):
        num_moments(2, bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="k must be a non-negative integer"):
        multi_indices(2, bad)  # type: ignore[arg-type]


def test_num_moments_rejects_zero_dimension() -> None:
    with pytest.raises(InputError, match="m must be at least 1"):
        num_moments(0, 3)
