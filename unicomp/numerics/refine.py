r"""Per-cell helpers shared by the coarse and the fine phase: cell boxes, features, weight refinement.

With a working precision finer than the engine's (``precision=`` digits, or torch float32 features), the
kept weights of each reduced cell are re-solved against the cell's moment equations by mixed-precision
iterative refinement (:func:`refine_cells`): residuals in the working precision, corrections from a float64
pseudo-inverse.  A cell whose features are too ill-conditioned for float64 (measured: m = 2, k = 33, a fine
cluster of 669 points with condition number 4e14) may have no positive weights on the objects float64
kept; such a cell is reduced again from its input weights by the tree in the working precision, which keeps
its moments and its count.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from unicomp.numerics.backends import Array, Backend
from unicomp.numerics.basis import ChebyshevBasis
from unicomp.numerics.diagnostics import State
from unicomp.numerics.tree import Cells, reduce_cells

__all__ = ["cell_boxes", "refine_cells", "unit_features"]


def cell_boxes(points: NDArray[np.float64], offsets: NDArray[np.int64]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Centre and half-widths (flat sides get 1) of each cell's bounding box, shapes (C, m)."""
    lo = np.minimum.reduceat(points, offsets[:-1], axis=0)
    hi = np.maximum.reduceat(points, offsets[:-1], axis=0)
    half = (hi - lo) / 2
    return (lo + hi) / 2, np.where(half > 0, half, 1.0)


def unit_features(engine: Backend, u: NDArray[np.float64], degree: int) -> Array:
    """Chebyshev features of box-scaled coordinates ``u`` (shape (P, m)) as an engine array."""
    m = u.shape[1]
    return engine.features(ChebyshevBasis(degree, np.zeros(m), np.ones(m)), engine.asarray(u))


def _refine_one(state: State, backend: Backend, member_feats: Array, kept_in_cell: NDArray[np.int64],
                weights: NDArray[Any], approx: NDArray[np.float64]) -> NDArray[Any]:
    """Iterative refinement of one cell's kept weights (see :func:`refine_cells`): ``member_feats`` are the
    features of the cell's objects, ``weights`` their input weights, ``approx`` their engine weights and
    ``kept_in_cell`` the positions of the kept ones."""
    target = backend.column_sums(weights[:, None] * member_feats)
    cell_mass = backend.column_sums(weights[:, None])[0]
    feats = member_feats[kept_in_cell]
    pinv = np.linalg.pinv(backend.to_float(feats).T)
    x = backend.asarray(approx[kept_in_cell])
    previous = None
    for _ in range(state.settings.refine_sweeps):
        current = backend.column_sums(x[:, None] * feats)
        gap = np.array([a - b for a, b in zip(target, current, strict=True)], dtype=x.dtype)
        size_gap = float(np.max(np.abs(backend.to_float(gap)))) / float(cell_mass)
        # Stop a thousand times below the tolerance, or when a sweep no longer halves the gap.
        if size_gap <= backend.tolerance * 1e-3 or (previous is not None and size_gap > previous / 2):
            break
        previous = size_gap
        x = x + backend.asarray(pinv @ backend.to_float(gap))
    return x


def _reduce_again(state: State, backend: Backend, member_feats: Array, count: int,
                  weights: NDArray[Any]) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """One cell reduced from its input weights to at most ``count`` objects by the tree in the backend's
    precision: the positions of the kept objects in the cell and their weights."""
    size = member_feats.shape[0]
    cells = Cells(rows=np.arange(size), weights=backend.to_host(weights), counts=np.array([size]),
                  targets=np.array([count]))
    cells = reduce_cells(backend, lambda rows: member_feats[rows], cells, state.n)
    return cells.rows, backend.asarray(cells.weights)


def refine_cells(state: State, active: NDArray[np.int64], order: NDArray[np.int64], offsets: NDArray[np.int64],
                 centre: NDArray[np.float64], half: NDArray[np.float64], approx: NDArray[np.float64],
                 backend: Backend) -> NDArray[Any]:
    r"""Re-solve each cell's moment equations for its kept weights in the backend's precision.

    Iterative refinement: :math:`x \leftarrow x + (A^\top)^+ (b - A^\top x)` with the residual in the
    working precision and the pseudo-inverse in float64; each sweep gains about
    :math:`16 - \log_{10}\kappa(A)` digits.  A cell whose refined weights are not all positive
    (:math:`\kappa(A)` beyond float64) is reduced again in the backend's precision
    (:func:`~unicomp.numerics.tree.reduce_cells`, at most the same count kept);
    ``state.info.cells_reduced_again`` counts such cells.
    """
    out = backend.asarray(np.zeros(active.shape[0]))
    w_in = state.weights[active]
    points = state.points[active]
    kept_mask = approx > 0
    for j in range(offsets.shape[0] - 1):
        members = order[offsets[j] : offsets[j + 1]]
        kept = members[kept_mask[members]]
        if kept.shape[0] == members.shape[0]:  # a cell the round left alone keeps its exact weights
            out[members] = w_in[members]
            continue
        basis = ChebyshevBasis(state.degree, backend.asarray(centre[j]), backend.asarray(half[j]))
        member_feats = backend.features(basis, backend.asarray(points[members]))
        kept_in_cell = np.flatnonzero(kept_mask[members])
        x = _refine_one(state, backend, member_feats, kept_in_cell, w_in[members], approx[members])
        if not np.all(state.positive(x)):
            kept_in_cell, x = _reduce_again(state, backend, member_feats, kept.shape[0], w_in[members])
            state.info.cells_reduced_again = (state.info.cells_reduced_again or 0) + 1
        out[members[kept_in_cell]] = x
    return out
