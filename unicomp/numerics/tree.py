r"""Tree recombination, batched over independent cells (the one implementation of the tree).

Each cell :math:`j` holds :math:`a_j` items and must keep exactly :math:`t_j \ge N_{m,k}` of them with
its moments of degree :math:`\le k` unchanged.  A *level* splits every working cell's items into groups,
replaces each group by its barycentre in feature space (:math:`\sum_{i\in g} c_i\Phi_i / c(g)`) and mass
:math:`c(g)`, removes a prescribed number of groups per cell by Caratheodory elimination on the batch of
barycentre matrices (:func:`~unicomp.numerics.kernel.eliminate`), and shares each surviving group's new
mass among its items in proportion to their old weights.  Levels of :math:`2N_{m,k}` groups that keep
:math:`N_{m,k}` of them halve large cells (Litterer & Lyons 2012, Tchernychova 2016, Maalouf et al. 2019);
the last level uses single items and removes exactly :math:`a_j - t_j`.  A level costs
:math:`O(\sum_j a_j N_{m,k})` for the sums and :math:`O(C\, N_{m,k}^3)` for the eliminations, so a cell of
:math:`a` items is reduced in :math:`O(a N_{m,k} + N_{m,k}^3 \log(a/N_{m,k}))`.

Items are given by a callable ``features_of(rows)`` returning the feature vectors of the requested items
as a working array, so the caller decides whether features are stored (a matrix), recomputed from
coordinates (memory :math:`O(\text{batch})`), or are barycentres of an earlier stage.  Weights are kept on
the host (:meth:`Backend.to_host`: float64, or object arrays of arbitrary-precision numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from unicomp.numerics.backends import Array, Backend
from unicomp.numerics.kernel import eliminate

__all__ = ["BATCH_NUMBERS", "Cells", "reduce_cells"]

#: Working-set bound, in numbers, for one batch of feature rows or of QR factors (about 32 MB).
BATCH_NUMBERS = 1 << 22

FeaturesOf = Callable[[NDArray[np.int64]], Array]


@dataclass
class Cells:
    """Active items grouped by cell: ``rows`` index the caller's items, cell-ordered."""

    rows: NDArray[np.int64]
    weights: NDArray[Any]
    counts: NDArray[np.int64]
    targets: NDArray[np.int64]
    levels: int = 0

    @property
    def starts(self) -> NDArray[np.int64]:
        """First position of each cell in ``rows``."""
        return np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)


def _host_sums(values: NDArray[Any], segments: NDArray[np.int64], count: int) -> NDArray[Any]:
    """Sums of host ``values`` by segment (``bincount`` for floats, ``add.at`` for exact numbers)."""
    if values.dtype != object:
        return np.bincount(segments, weights=values, minlength=count)
    out = np.zeros(count, dtype=object)
    np.add.at(out, segments, values)
    return out


def _level_masses(backend: Backend, features_of: FeaturesOf, cells: Cells, gid: NDArray[np.int64],
                  sel: NDArray[np.int64], work: NDArray[np.int64], g_max: int,
                  removals: NDArray[np.int64]) -> NDArray[Any]:
    """New group masses of one level: barycentres per batch of cells, then :func:`eliminate`."""
    total = work.shape[0] * g_max
    masses = _host_sums(cells.weights[sel], gid[sel], total)
    new_masses = masses.copy()
    positive = np.asarray(masses > 0, dtype=bool)
    per_batch = max(1, BATCH_NUMBERS // (g_max * g_max + 1))
    chunk_rows = max(1, BATCH_NUMBERS // max(1, g_max))
    for b0 in range(0, work.shape[0], per_batch):
        b1 = min(work.shape[0], b0 + per_batch)
        lo, hi = b0 * g_max, b1 * g_max
        members = sel[(gid[sel] >= lo) & (gid[sel] < hi)]
        sums = None
        for r0 in range(0, members.shape[0], chunk_rows):
            part = members[r0 : r0 + chunk_rows]
            feats = features_of(cells.rows[part]) * backend.asarray(cells.weights[part])[:, None]
            block = backend.segment_sum(feats, gid[part] - lo, hi - lo)
            sums = block if sums is None else sums + block
        if sums is None:  # pragma: no cover - every working cell has members
            continue
        mass = masses[lo:hi]
        safe = np.where(positive[lo:hi], mass, 1.0)
        bary = (sums / backend.asarray(safe)[:, None]).reshape(b1 - b0, g_max, -1)
        out = eliminate(backend, bary, backend.asarray(mass.reshape(b1 - b0, g_max)), removals[work[b0:b1]])
        new_masses[lo:hi] = backend.to_host(out).reshape(-1)
    return new_masses / np.where(positive, masses, 1.0)


def run_level(backend: Backend, features_of: FeaturesOf, cells: Cells, groups: NDArray[np.int64],
              removals: NDArray[np.int64]) -> Cells:
    """One batched level: cell ``j`` splits into ``groups[j]`` groups and loses ``removals[j]`` of them."""
    work = np.flatnonzero(removals > 0)
    starts = cells.starts
    cell_of = np.repeat(np.arange(cells.counts.shape[0]), cells.counts)
    position = np.arange(cells.rows.shape[0]) - starts[cell_of]
    slot_of_cell = np.full(cells.counts.shape[0], -1)
    slot_of_cell[work] = np.arange(work.shape[0])
    g_max = int(groups[work].max())
    # Group of each active item: contiguous near-equal runs inside its cell.
    local = position * groups[cell_of] // cells.counts[cell_of]
    gid = slot_of_cell[cell_of] * g_max + local
    sel = np.flatnonzero(removals[cell_of] > 0)
    ratio = _level_masses(backend, features_of, cells, gid, sel, work, g_max, removals)
    factor = np.ones(cells.rows.shape[0], dtype=ratio.dtype)
    factor[sel] = ratio[gid[sel]]
    keep = np.asarray(factor > 0, dtype=bool)
    return Cells(
        rows=cells.rows[keep],
        weights=(cells.weights * factor)[keep],
        counts=np.bincount(cell_of[keep], minlength=cells.counts.shape[0]).astype(np.int64),
        targets=cells.targets,
        levels=cells.levels + 1,
    )


def reduce_cells(backend: Backend, features_of: FeaturesOf, cells: Cells, n: int, *, leaf: int | None = None) -> Cells:
    """Reduce every cell to its target by tree levels of ``2 n`` groups, then one level of single items.

    ``n`` is the number of features :math:`N_{m,k}`; every target must be at least ``n``.  Cells of more
    than ``leaf`` items (default ``4 n - 1``) go through tree levels while a level can still keep their
    target; the rest lose their surplus in one level of single items (whose elimination costs
    :math:`O(a^3)`, hence the bound).
    """
    tree_groups = 2 * n
    leaf = 2 * tree_groups - 1 if leaf is None else leaf
    while True:
        # A tree level keeps n of 2n groups of >= floor(a/2n) items each: safe while that stays >= t.
        tree = (cells.counts > max(leaf, tree_groups)) & (n * (cells.counts // tree_groups) >= cells.targets)
        if not np.any(tree):
            break
        groups = np.full_like(cells.counts, tree_groups)
        cells = run_level(backend, features_of, cells, groups, np.where(tree, n, 0))
    removals = np.maximum(cells.counts - cells.targets, 0)
    if np.any(removals > 0):
        cells = run_level(backend, features_of, cells, cells.counts.copy(), removals)
    return cells
