"""The one entry point: size=None recombines, a size compresses (Algorithm 1), the rest is passed through."""

from __future__ import annotations

import numpy as np
import pytest

import unicomp
from unicomp import InputError, compress, recombine, reduce


def test_exported_at_top_level() -> None:
    assert unicomp.reduce is reduce and "reduce" in unicomp.__all__


def test_no_size_is_recombination() -> None:
    pts = np.random.default_rng(0).uniform(-1, 1, size=(500, 2))
    got, ref = reduce(pts, degree=3), recombine(pts, degree=3)
    assert got.method == "recombine"
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_array_equal(got.weights, ref.weights)


@pytest.mark.parametrize("method", ["partition", "greedy"])
def test_size_is_algorithm_1(method: str) -> None:
    pts = np.random.default_rng(1).uniform(-1, 1, size=(300, 2))
    w = np.random.default_rng(2).uniform(0.5, 2, size=300)
    got = reduce(pts, w, degree=2, size=40, method=method, seed=3)
    ref = compress(pts, w, degree=2, size=40, method=method, seed=3)
    assert got.method == method and got.size == 40
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_array_equal(got.weights, ref.weights)


def test_precision_and_backend_are_passed_on() -> None:
    pts = np.random.default_rng(4).uniform(-1, 1, size=(60, 1))
    assert reduce(pts, degree=3, precision=30).precision == 30
    assert reduce(pts, degree=3, size=10, precision=30).precision == 30
    with pytest.raises(InputError, match="one of"):
        reduce(pts, degree=3, backend="quad")


def test_bad_size() -> None:
    pts = np.random.default_rng(5).uniform(-1, 1, size=(60, 2))
    with pytest.raises(InputError, match="size must be a positive integer"):
        reduce(pts, degree=2, size=0)
    with pytest.raises(InputError, match="at least N_"):
        reduce(pts, degree=2, size=5)


def test_reduce_follows_the_size_rule_of_compress() -> None:
    """issue 12: one rule, N_mk <= size <= N, with the largest feasible degree named below N_mk."""
    pts = np.random.default_rng(0).uniform(-1, 1, (100, 2))
    with pytest.raises(InputError, match="size must be at most the number of objects, 100, got 101"):
        reduce(pts, degree=2, size=101)
    with pytest.raises(InputError, match="the largest feasible degree is 1"):
        reduce(pts, degree=2, size=4)
    gen = reduce(pts, degree=2, size=20, seed=np.random.default_rng(3))
    assert gen.size == 20 and np.array_equal(gen.indices, reduce(pts, degree=2, size=20, seed=3).indices)
