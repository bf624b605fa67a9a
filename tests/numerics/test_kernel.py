"""The one elimination kernel and the batched tree, on every backend (tests/numerics/conftest.py fixture)."""

from __future__ import annotations

import numpy as np
import pytest

from unicomp.numerics.backends import Backend, Float64Backend
from unicomp.numerics.basis import ChebyshevBasis
from unicomp.numerics.kernel import _pivot, _sweep, caratheodory, eliminate
from unicomp.numerics.tree import Cells, reduce_cells


def _problems(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Four Chebyshev feature matrices (m=2, k=2: n=6) of 24, 24, 16, 10 points, padded to 24 rows."""
    rows = np.zeros((4, 24, 6))
    weights = np.zeros((4, 24))
    for b, count in enumerate([24, 24, 16, 10]):
        pts = rng.uniform(-1, 1, size=(count, 2))
        rows[b, :count] = ChebyshevBasis.fit(pts, 2)(pts)
        weights[b, :count] = rng.uniform(0.5, 2.0, size=count)
    return rows, weights, np.array([18, 5, 10, 0])


def test_eliminate_removes_exact_counts_and_keeps_moments(backend: Backend) -> None:
    rows, weights, removals = _problems(np.random.default_rng(0))
    out = backend.to_float(eliminate(backend, backend.asarray(rows), backend.asarray(weights), removals))
    assert np.all(out >= 0)
    np.testing.assert_array_equal(out[:, 16:][2], 0.0)  # padding stays zero
    assert ((out > 0).sum(axis=1) == (weights > 0).sum(axis=1) - removals).all()
    # Moments are sums of <= 24 terms of size <= 2: float64 rounding ~1e-14 per elimination step, and 18 steps
    # of rank-one updates; 1e-11 is ~100x that (for mpmath/flint the check is at the float64 rounding of out).
    np.testing.assert_allclose(np.einsum("bmn,bm->bn", rows, out), np.einsum("bmn,bm->bn", rows, weights),
                               rtol=0, atol=1e-11)


def test_caratheodory_reaches_the_rank(backend: Backend) -> None:
    rng = np.random.default_rng(1)
    # points on the diagonal at multiples of 1/8 (both ends present, so the box is [-1, 1]^2): the features
    # are exact in float64 and, on the line, the 6 features of degree 2 have rank exactly 3 in any precision
    x = np.concatenate([[-1.0, 1.0], rng.integers(-8, 9, size=28) / 8])
    pts = np.column_stack([x, x])
    feats = ChebyshevBasis.fit(pts, 2)(pts)
    w = rng.uniform(0.5, 2.0, size=30)
    out = backend.to_float(caratheodory(backend.asarray(feats), backend.asarray(w), backend))
    assert np.all(out >= 0) and np.count_nonzero(out) <= 3
    np.testing.assert_allclose(feats.T @ out, feats.T @ w, rtol=0, atol=1e-11)  # as above


def test_pivot_rule_ignores_round_off_and_flips() -> None:
    backend = Float64Backend()
    c = np.array([1.0, 1e-20, 2.0, 3.0])
    # entry 1 is positive but 1e-15 of the largest (round-off): its ratio 1e-5 would win without the cut
    v = np.array([1.0, 1e-15, -0.5, 0.5])
    signed, ratios, pick = _pivot(backend, c, v)
    assert int(pick) == 0 and ratios[1] == np.inf and np.array_equal(signed, v)
    # no entry above the cut: the vector is flipped and the smallest ratio of the flipped one wins
    signed, _, pick = _pivot(backend, c, -np.abs(v))
    assert np.array_equal(signed, np.abs(v)) and int(pick) == 0


def test_a_vector_that_is_no_longer_null_stops_the_sweep() -> None:
    backend = Float64Backend()
    rows, weights, _ = _problems(np.random.default_rng(2))
    null = backend.null_vectors(rows[:1], 6)
    null[0, :, 3] += 1e-3  # vector 3 is not in the kernel any more: the sweep must stop before using it
    out, stale = _sweep(backend, rows[:1], weights[:1], null, np.array([6]), check=True)
    assert stale.tolist() == [True]
    assert np.count_nonzero(out[0]) == 24 - 3  # three removals, then the refactorisation is the caller's
    np.testing.assert_allclose(rows[0].T @ out[0], rows[0].T @ weights[0], rtol=0, atol=1e-12)


def test_tree_reduces_every_cell_to_its_target(backend: Backend) -> None:
    rng = np.random.default_rng(3)
    sizes, targets = np.array([200, 40, 13, 6]), np.array([20, 12, 6, 6])
    pts = rng.uniform(-1, 1, size=(int(sizes.sum()), 2))
    feats = ChebyshevBasis.fit(pts, 2)(pts)
    w = rng.uniform(0.5, 2.0, size=pts.shape[0])
    working = backend.asarray(feats)
    cells = Cells(rows=np.arange(pts.shape[0]), weights=backend.to_host(backend.asarray(w)),
                  counts=sizes.copy(), targets=targets)
    out = reduce_cells(backend, lambda rows: working[rows], cells, 6)
    assert out.counts.tolist() == targets.tolist() and out.levels >= 2  # tree levels on the 200-cell, then one
    kept_w = np.asarray(out.weights, dtype=np.float64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    kept_starts = np.concatenate([[0], np.cumsum(out.counts)])
    for j in range(4):
        cell = slice(starts[j], starts[j + 1])
        mine = out.rows[kept_starts[j] : kept_starts[j + 1]]
        assert np.all((mine >= starts[j]) & (mine < starts[j + 1]))
        # each cell keeps its own moments: sums of <= 200 unit-bounded terms, rounding ~1e-13; 1e-10 is slack
        np.testing.assert_allclose(feats[mine].T @ kept_w[kept_starts[j] : kept_starts[j + 1]],
                                   feats[cell].T @ w[cell], rtol=0, atol=1e-10)


@pytest.mark.parametrize("leaf", [None, 12])
def test_tree_leaf_bounds_the_last_level(leaf: int | None) -> None:
    backend = Float64Backend()
    pts = np.random.default_rng(4).uniform(-1, 1, size=(30, 2))
    feats = ChebyshevBasis.fit(pts, 2)(pts)
    cells = Cells(rows=np.arange(30), weights=np.ones(30), counts=np.array([30]), targets=np.array([6]))
    out = reduce_cells(backend, lambda rows: feats[rows], cells, 6, leaf=leaf)
    # default leaf 4n - 1 = 23 < 30: a tree level (12 groups) then single items; leaf=12: the same here,
    # 30 > 12 -> tree level to ~15 items, > 12 -> another level is impossible (15 // 12 = 1 keeps 6 >= 6)
    assert out.counts.tolist() == [6] and out.levels >= 2


def test_more_steps_than_a_block_keep_moments(backend: Backend) -> None:
    # 54 and 40 removals in one batch: more than BLOCK (24) steps, so the later vectors are updated in
    # blocks (the BLAS-3 path), which the smaller problems above never reach
    rng = np.random.default_rng(5)
    rows = np.zeros((2, 60, 6))
    weights = np.zeros((2, 60))
    for b, count in enumerate([60, 46]):
        pts = rng.uniform(-1, 1, size=(count, 2))
        rows[b, :count] = ChebyshevBasis.fit(pts, 2)(pts)
        weights[b, :count] = rng.uniform(0.5, 2.0, size=count)
    removals = np.array([54, 40])
    out = backend.to_float(eliminate(backend, backend.asarray(rows), backend.asarray(weights), removals))
    assert (out > 0).sum(axis=1).tolist() == [6, 6]
    # 54 steps of rank-one updates on sums of <= 60 terms of size <= 2: float64 rounding ~1e-13; 1e-10 is
    # ~1000x that, and a skipped block update leaves errors of order one (the vectors leave the kernel)
    np.testing.assert_allclose(np.einsum("bmn,bm->bn", rows, out), np.einsum("bmn,bm->bn", rows, weights),
                               rtol=0, atol=1e-10)
