r"""Algorithm 1 at scale: compress a weighted point set to any target size, moments kept.

Problem
-------
Given :math:`d` objects :math:`w_i \in \mathbb{R}^m` with weights :math:`c_i \ge 0` and a target
:math:`d' \ge N_{m,k} = \binom{m+k}{k}`, find :math:`d'` of them with new weights :math:`c'_j \ge 0` so
that every symmetric function of the deep-set form :math:`h(\sum_i c_i g(w_i))` changes little.  Algorithm 1
of the paper: while more than :math:`d'` objects are active, take a cluster :math:`S` of more than
:math:`N_{m,k}` active objects with small diameter :math:`r` and re-weight it to fewer objects keeping its
moments of order :math:`\le k` (Caratheodory, Thm 2).  By Thm 3 one such step changes
:math:`\sum_i c_i g(w_i)` by at most

.. math:: \sum_{i \in S} |c_i - c'_i| \, \sup_{w \in S} |g(w) - T_k g(w)|
          \le 2\, c(S) \, \frac{\|D^{k+1} g\|}{(k+1)!} \, r^{k+1},

:math:`T_k g` the degree-:math:`k` Taylor polynomial about any point of :math:`S`, :math:`c(S)` the cluster's
mass.  Each cluster is expanded about its own bounding box in the tensor-Chebyshev basis
(:class:`~unicomp.numerics.basis.ChebyshevBasis`), which keeps the small linear systems well conditioned.

Methods
-------
``"partition"`` (default, fast)
    Coarse rounds, each halving the number of active objects: a balanced k-d tree splits the active
    objects into :math:`C = \lfloor g/N_{m,k} \rfloor` cells for the round's goal :math:`g`
    (:func:`~unicomp.numerics.cluster.kd_partition`), and cell :math:`j` is reduced from :math:`s_j` to
    exactly :math:`t_j \ge N_{m,k}` objects, :math:`\sum_j t_j = g`.  All cells of a round are reduced
    together, level by level: a level splits each cell's active objects into groups, replaces each group by
    its barycentre (in feature space) and mass, and removes a prescribed number of groups per cell by
    Caratheodory elimination on the batch of barycentre matrices (:func:`eliminate_batch`: one batched
    complete QR for the null spaces, then a vectorised, blocked elimination).  Levels of :math:`2N_{m,k}`
    groups halve large cells (tree recombination, as in :func:`~unicomp.numerics.caratheodory.recombine`);
    the last level uses single objects and removes exactly :math:`a_j - t_j`.  At twice the target (the
    last coarse goal is clamped to it) the fine phase starts, the greedy rule applied to many clusters at
    once: each round, every active object with its :math:`N_{m,k} + s - 1` nearest active neighbours is a
    candidate (:math:`s = \max(8, N_{m,k}/8)`), and the smallest pairwise-disjoint candidates
    (:func:`~unicomp.numerics.cluster.disjoint_by_score`) each lose :math:`s` objects in one batched
    elimination.  Nearest-neighbour clusters are round, centred on the densest spots and smaller than
    k-d cells of the same size; on the Fig. 2 function this gave about half the error of the paper's
    reference procedure (see ``benchmarks/results/compress.md``).  Cost :math:`O(d N_{m,k}^2)` plus the
    neighbour queries, memory :math:`O(d m)` plus a bounded working set (the fine phase holds
    :math:`2(N_{m,k}+s)` neighbours of each of at most :math:`2d'` objects).  Should an elimination step
    be skipped (a numerically vanishing null vector), a greedy finish removes the surplus, so the result
    never has more than :math:`d'` objects.
``"greedy"`` (the variant the theorems are proved for)
    Each step reduces the :math:`(N_{m,k}+1)`-subset of smallest diameter found
    (:class:`~unicomp.numerics.cluster.NearestClusterSearch`: exhaustive for small inputs, nearest-neighbour
    candidates otherwise) by exactly one object.  :math:`d - d'` steps.

Why the global moments are kept: each reduction keeps the moments of its cluster, and the moments of the
whole set are the sums of the clusters' moments (in any basis of :math:`\Pi_k`).  This is verified, never
assumed: the global moment residual is measured in the Chebyshev basis of the input's bounding box with
accurately rounded sums (:func:`~unicomp.numerics.caratheodory.moment_residual`) and a
:class:`~unicomp.errors.PrecisionError` is raised above the tolerance.

With ``precision`` (decimal digits) the greedy steps run entirely in mpmath; the partition method finds the
kept objects in float64 and then solves each cell's moment equations for their weights by mixed-precision
iterative refinement (residuals in mpmath, corrections from a float64 pseudo-inverse).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.spatial
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError, PrecisionError
from unicomp.numerics.backends import Backend, get_backend
from unicomp.numerics.basis import ChebyshevBasis, num_moments
from unicomp.numerics.caratheodory import moment_residual
from unicomp.numerics.cluster import (
    NearestClusterSearch,
    cell_diameters,
    disjoint_by_score,
    kd_partition,
    set_diameters,
)
from unicomp.numerics.result import Compression
from unicomp.validation import as_degree, as_points, as_positive_int, as_weights

__all__ = ["ArrayOps", "Method", "compress", "eliminate_batch", "run_compress"]

Method = Literal["partition", "greedy"]
_METHODS = ("partition", "greedy")

#: A null-vector entry below this fraction of the vector's largest entry never selects a pivot
#: (the same rule as the core elimination): round-off noise must not choose the removed item.
_PIVOT_FRACTION = 1e-13
#: Working-set bound, in numbers, for one batch of feature rows or of QR factors (about 32 MB).
_BATCH_NUMBERS = 1 << 22
#: Iterative refinement stops after this many sweeps, or earlier when the residual stops halving.
_REFINE_SWEEPS = 40
#: Each partition round keeps this fraction of the active objects (cells of about 2 N_mk reduced to N_mk).
#: Re-partitioning every round keeps the cells small; one round straight to the target was measured to be
#: up to 4x less accurate on the Fig. 2 function (m=2, k=3, 2000 -> 200), the greedy variant about as
#: accurate as halving rounds.
_ROUND_FACTOR = 0.5
#: At this multiple of the target the coarse rounds stop and the fine phase starts (the last coarse
#: round's goal is clamped to it).  Measured on the Fig. 2 function (20 clouds each, against the paper's
#: reference procedure): 2.0 gave 0.43x (m = 3, k = 5, 8000 -> 800) and 0.51x (m = 2, k = 5, 4000 -> 400)
#: the reference's error, 1.5 gave 0.84x and 0.75x; 2.5-3.0 were no better than 2.0 and slower.
_FINE_FROM = 2.0
#: A fine cluster is a point with its N + s nearest active neighbours, s = max(_FINE_SPARE, N // _FINE_SPARE_DIV),
#: reduced by s objects in one elimination.  s = 1 (the greedy rule) was 3-10x slower for similar error;
#: s = 16 at m = 3 was less accurate; s = N/8 keeps the number of rounds bounded in high dimension
#: (m = 5, 8) for an error within the seed-to-seed spread.
_FINE_SPARE = 8
_FINE_SPARE_DIV = 8
#: At most this share of ``active / (N + s)`` clusters per fine round (the smallest, pairwise disjoint).
_FINE_SHARE = 0.5
#: Neighbour lists hold this many times N + s candidates, filtered to the active points each round; they
#: are recomputed (one k-d tree query) when fewer than _REQUERY of the rows still hold enough.  0.3 rather
#: than 0.6: 10% faster at m = 3, k = 5, with 0.26x instead of 0.43x the reference's error (m = 2: 0.51x
#: both; 20 clouds each) -- within the seed-to-seed spread, so taken for the speed.
_NEIGHBOUR_FACTOR = 2
_REQUERY = 0.3
#: Eliminations applied to the remaining null vectors at once (a BLAS-3 update) in :func:`eliminate_batch`.
_BLOCK = 24


class ArrayOps:
    """Array operations of the batched reduction, for numpy float64 (a torch version lives in
    :mod:`unicomp.numerics.torch_backend`).  Inputs and outputs of the public methods are numpy arrays;
    ``xp`` is the namespace the elimination runs in."""

    xp: Any = np
    name = "numpy"

    def features(self, u: NDArray[np.float64], degree: int) -> Any:
        """Chebyshev features of box-scaled coordinates ``u`` (shape (P, m)), shape (P, N_mk)."""
        m = u.shape[1]
        return ChebyshevBasis(degree, np.zeros(m), np.ones(m))(u)

    def to_engine(self, values: NDArray[Any]) -> Any:
        """Move a numpy array into the engine's array type."""
        return np.asarray(values, dtype=np.float64)

    def to_numpy(self, values: Any) -> NDArray[np.float64]:
        """Move an engine array back to numpy float64."""
        return np.asarray(values, dtype=np.float64)

    def segment_sum(self, values: Any, segments: NDArray[np.int64], count: int) -> Any:
        """Sum rows of ``values`` (P, n) into ``count`` rows by ``segments`` (P,), any order."""
        out = np.zeros((count, values.shape[1]))
        np.add.at(out, segments, values)
        return out

    def scatter_rows(self, values: Any, slots: NDArray[np.int64], total: int) -> Any:
        """A zero array of ``total`` rows with ``values`` placed at rows ``slots``."""
        out = np.zeros((total, values.shape[1]), dtype=values.dtype)
        out[slots] = values
        return out

    def null_vectors(self, rows: Any, count: int) -> Any:
        """``count`` null vectors of each ``rows[b].T`` (rows (B, M, n)), shape (B, M, count), writable.

        Columns ``n .. n + count - 1`` of the complete QR factor (see :func:`eliminate_batch`).
        """
        n = rows.shape[2]
        return np.linalg.qr(rows, mode="complete")[0][:, :, n : n + count].copy()

    def arange(self, count: int, like: Any) -> Any:
        """Integer range on the same device as ``like``."""
        return np.arange(count)


class _BackendOps(ArrayOps):
    """Unpadded single problems in a backend's number type (float64 or mpmath objects)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def null_vectors(self, rows: Any, count: int) -> Any:
        return np.stack([self.backend.null_space(r)[:, :count] for r in rows])


def eliminate_batch(ops: ArrayOps, rows: Any, weights: Any, removals: Any) -> Any:
    r"""Caratheodory elimination on a batch of small problems, removing an exact count from each.

    Parameters
    ----------
    ops : ArrayOps
        Array namespace (numpy or torch).
    rows : array, shape (B, M, n)
        Problem :math:`b` has items ``rows[b, :a_b]`` (feature vectors); rows past :math:`a_b` are zero
        padding.
    weights : array, shape (B, M)
        Positive weights of the items, zero on padding.
    removals : array of int, shape (B,)
        How many items to remove from each problem, :math:`r_b \le a_b - n`.

    Returns
    -------
    array, shape (B, M)
        New non-negative weights with ``rows[b].T @ new[b] == rows[b].T @ weights[b]`` up to rounding and
        :math:`r_b` more zeros (padding stays zero).

    Notes
    -----
    A complete QR factorisation :math:`A_b = Q_b R_b` gives :math:`M - n` columns :math:`Q_b[:, n:]`
    orthogonal to the range of :math:`A_b`, i.e. null vectors of :math:`A_b^\top` -- whatever the rank.
    Householder reflectors built from columns that vanish on the padding rows leave those rows untouched,
    so the columns :math:`n, \dots, a_b - 1` are null vectors supported on the real items.  Step :math:`j`
    uses column :math:`n + j` of every problem with :math:`j < r_b`: :math:`t = \min_{v_i > 0} c_i/v_i`,
    :math:`c \leftarrow c - t v`, and the later columns are eliminated at the removed index (as in
    :func:`~unicomp.numerics.caratheodory.caratheodory`), all problems at once.
    """
    xp = ops.xp
    batch = rows.shape[0]
    steps = int(removals.max()) if batch else 0
    if steps == 0:
        return weights
    null = ops.null_vectors(rows, steps)
    c = weights * 1
    index = ops.arange(batch, weights)
    for s0 in range(0, steps, _BLOCK):
        s1 = min(steps, s0 + _BLOCK)
        block = null[:, :, s0:s1]
        picks, live_steps = [], []
        for j in range(s1 - s0):
            v = block[:, :, j]
            cut = xp.amax(xp.abs(v), axis=1) * _PIVOT_FRACTION
            positive = v > cut[:, None]
            flip = ~xp.any(positive, axis=1)
            v = xp.where(flip[:, None], -v, v)
            positive = v > cut[:, None]
            ratios = xp.where(positive, c / xp.where(positive, v, 1.0), float("inf"))
            pick = xp.argmin(ratios, axis=1)
            step = ratios[index, pick]
            live = (removals > s0 + j) & (step < float("inf"))
            step = xp.where(live, step, 0.0)
            c = c - step[:, None] * v
            c[index[live], pick[live]] = 0.0
            c = xp.where(c > 0, c, 0.0 * c)
            _eliminate_at(xp, block[:, :, j + 1 :], v, index, pick, live)
            picks.append(pick)
            live_steps.append(live)
        if s1 < steps:
            _block_update(ops, null[:, :, s1:], block, index, picks, live_steps)
    return c


def _eliminate_at(xp: Any, rest: Any, v: Any, index: Any, pick: Any, live: Any) -> None:
    """``rest[b] -= v[b] rest[b, pick_b] / v[b, pick_b]`` for live problems, so ``rest`` vanishes there."""
    if rest.shape[2] == 0:
        return
    coef = rest[index, pick] / v[index, pick][:, None]
    coef = xp.where(live[:, None], coef, 0.0 * coef)
    rest -= v[:, :, None] * coef[:, None, :]
    rest[index[live], pick[live]] = 0.0


def _block_update(ops: ArrayOps, rest: Any, block: Any, index: Any, picks: list[Any], lives: list[Any]) -> None:
    r"""Apply a block of eliminations to the later null vectors at once (a rank-:math:`b` update).

    The steps :math:`i = 1..b` used vectors :math:`v_i` (as updated within the block) at pivots
    :math:`p_i`; applied one by one they subtract :math:`\sum_i lpha_i v_i` with
    :math:`\sum_{l \le i} v_l[p_i]\, lpha_l = u[p_i]`, a lower-triangular system
    (:math:`v_l[p_i] = 0` for :math:`l > i`).  A problem whose step :math:`i` was idle gets
    :math:`lpha_i = 0`.
    """
    xp = ops.xp
    tri = xp.stack([block[index, p] for p in picks], axis=1)  # (B, b, b): tri[:, i, l] = v_l[p_i]
    rhs = xp.stack([rest[index, p] for p in picks], axis=1)  # (B, b, R')
    alphas: list[Any] = []
    for i, live in enumerate(lives):
        acc = rhs[:, i]
        for l_, a in enumerate(alphas):
            acc = acc - tri[:, i, l_][:, None] * a
        diag = xp.where(live, tri[:, i, i], 1.0 + 0.0 * tri[:, i, i])
        alphas.append(xp.where(live[:, None], acc / diag[:, None], 0.0 * acc))
    rest -= xp.matmul(block, xp.stack(alphas, axis=1))
    for p, live in zip(picks, lives, strict=True):
        rest[index[live], p[live]] = 0.0


@dataclass
class _Cells:
    """Active objects of a partition, grouped by cell (rows index the cell-ordered arrays)."""

    rows: NDArray[np.int64]
    weights: NDArray[np.float64]
    counts: NDArray[np.int64]
    targets: NDArray[np.int64]
    levels: int = 0

    @property
    def starts(self) -> NDArray[np.int64]:
        return np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)


def _allocate_targets(sizes: NDArray[np.int64], size: int, n: int) -> NDArray[np.int64]:
    """Cell targets t_j with n <= t_j <= s_j and sum size; removals proportional to the spare s_j - n."""
    spare = sizes - n
    removals_total = int(sizes.sum()) - size
    share = spare * removals_total / max(int(spare.sum()), 1)
    removals = np.floor(share).astype(np.int64)
    left = removals_total - int(removals.sum())
    order = np.argsort(-(share - removals), kind="stable")
    removals[order[:left]] += 1
    return sizes - removals


def _run_level(ops: ArrayOps, u: NDArray[np.float64], cells: _Cells, groups: NDArray[np.int64],
               removals: NDArray[np.int64], degree: int) -> _Cells:
    """One batched level: cell j splits into groups[j] groups and loses removals[j] of them."""
    work = np.flatnonzero(removals > 0)
    starts = cells.starts
    cell_of = np.repeat(np.arange(cells.counts.shape[0]), cells.counts)
    position = np.arange(cells.rows.shape[0]) - starts[cell_of]
    in_work = removals[cell_of] > 0
    slot_of_cell = np.full(cells.counts.shape[0], -1)
    slot_of_cell[work] = np.arange(work.shape[0])
    g_max = int(groups[work].max())
    # Group of each active object: contiguous near-equal runs inside its cell.
    local = position * groups[cell_of] // cells.counts[cell_of]
    gid = slot_of_cell[cell_of] * g_max + local
    sel = np.flatnonzero(in_work)
    total_groups = work.shape[0] * g_max
    masses = np.bincount(gid[sel], weights=cells.weights[sel], minlength=total_groups)
    new_masses = np.empty_like(masses)
    per_batch = max(1, _BATCH_NUMBERS // (g_max * g_max + 1))
    chunk_rows = max(1, _BATCH_NUMBERS // max(1, g_max))
    for b0 in range(0, work.shape[0], per_batch):
        b1 = min(work.shape[0], b0 + per_batch)
        lo, hi = b0 * g_max, b1 * g_max
        members = sel[(gid[sel] >= lo) & (gid[sel] < hi)]
        sums = None
        for r0 in range(0, members.shape[0], chunk_rows):
            part = members[r0 : r0 + chunk_rows]
            feats = ops.features(u[cells.rows[part]], degree) * ops.to_engine(cells.weights[part])[:, None]
            block = ops.segment_sum(feats, gid[part] - lo, hi - lo)
            sums = block if sums is None else sums + block
        if sums is None:  # pragma: no cover - every working cell has members
            continue
        mass = masses[lo:hi]
        safe = np.where(mass > 0, mass, 1.0)
        bary = sums / ops.to_engine(safe)[:, None]
        bary = bary.reshape(b1 - b0, g_max, -1)
        out = eliminate_batch(ops, bary, ops.to_engine(mass.reshape(b1 - b0, g_max)),
                              ops.to_engine(removals[work[b0:b1]]))
        new_masses[lo:hi] = ops.to_numpy(out).reshape(-1)
    factor = np.ones(cells.rows.shape[0])
    factor[sel] = new_masses[gid[sel]] / masses[gid[sel]]
    keep = factor > 0
    kept_cells = cell_of[keep]
    return _Cells(
        rows=cells.rows[keep],
        weights=(cells.weights * factor)[keep],
        counts=np.bincount(kept_cells, minlength=cells.counts.shape[0]).astype(np.int64),
        targets=cells.targets,
        levels=cells.levels + 1,
    )


def _reduce_partition(ops: ArrayOps, u: NDArray[np.float64], weights: NDArray[np.float64],
                      offsets: NDArray[np.int64], targets: NDArray[np.int64], degree: int, n: int,
                      rng: np.random.Generator) -> _Cells:
    """Reduce every cell (rows ``offsets[j]:offsets[j+1]`` of ``u``) to its target by batched levels."""
    sizes = np.diff(offsets)
    cell_of = np.repeat(np.arange(sizes.shape[0]), sizes)
    rows = np.lexsort((rng.random(cell_of.shape[0]), cell_of)).astype(np.int64)
    cells = _Cells(rows=rows, weights=weights[rows], counts=sizes.astype(np.int64), targets=targets)
    tree_groups = 2 * n
    while True:
        # A tree level keeps n of 2n groups of >= floor(a/2n) objects each: safe while that stays >= t.
        tree = (cells.counts >= 2 * tree_groups) & (n * (cells.counts // tree_groups) >= cells.targets)
        if not np.any(tree):
            break
        groups = np.full_like(cells.counts, tree_groups)
        cells = _run_level(ops, u, cells, groups, np.where(tree, n, 0), degree)
    removals = np.maximum(cells.counts - cells.targets, 0)
    if np.any(removals > 0):
        cells = _run_level(ops, u, cells, cells.counts.copy(), removals, degree)
    return cells


def _cell_boxes(points: NDArray[np.float64], offsets: NDArray[np.int64]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Centre and half-widths (flat sides get 1) of each cell's bounding box, shapes (C, m)."""
    lo = np.minimum.reduceat(points, offsets[:-1], axis=0)
    hi = np.maximum.reduceat(points, offsets[:-1], axis=0)
    half = (hi - lo) / 2
    return (lo + hi) / 2, np.where(half > 0, half, 1.0)


@dataclass
class _State:
    """Working state of one compression: the positive-weight input, its current weights, diagnostics."""

    points: NDArray[np.float64]
    weights: NDArray[Any]
    input_weights: NDArray[Any]
    backend: Backend
    degree: int
    n: int
    info: dict[str, Any]
    timings: dict[str, float]


def _greedy_steps(state: _State, size: int, progress: bool) -> None:
    """Greedy phase: reduce the smallest (N+1)-subset by one object until ``size`` remain."""
    from tqdm.auto import tqdm

    backend = state.backend
    active = np.flatnonzero(_positive(state.weights))
    if active.shape[0] <= size:
        return
    search = NearestClusterSearch(state.points, active, state.n + 1)
    pts = backend.asarray(state.points) if backend.digits is not None else state.points
    ops = _BackendOps(backend)
    one = np.ones(1, dtype=np.int64)
    log_d, log_m, log_s = [], [], []
    with tqdm(total=active.shape[0] - size, disable=not progress, desc="greedy", unit="pt") as bar:
        while search.count > size:
            diam, members = search.best()
            sub = pts[members]
            feats = ChebyshevBasis.fit(sub, state.degree)(sub)
            before = state.weights[members]
            after = eliminate_batch(ops, feats[None], before[None], one)[0]
            state.weights[members] = after
            log_d.append(diam)
            log_m.append(float(np.sum(backend.to_float(before))))
            log_s.append(members)
            gone = members[~_positive(after)]
            for q in gone.tolist():
                search.remove(q)
            bar.update(gone.shape[0])
    state.info.setdefault("search", "exact" if search.exact else "knn")
    state.info["greedy_steps"] = len(log_d)
    state.info["step_diameters"] = np.asarray(log_d)
    state.info["step_masses"] = np.asarray(log_m)
    state.info["step_clusters"] = np.asarray(log_s, dtype=np.int64).reshape(len(log_s), state.n + 1)


def _positive(values: NDArray[Any]) -> NDArray[np.bool_]:
    return np.asarray(values > 0, dtype=bool)


def _partition_phase(state: _State, size: int, ops: ArrayOps, rng: np.random.Generator,
                     refine: Backend | None, progress: bool) -> None:
    """Coarse rounds of batched k-d cells halving the active count, then the fine phase down to ``size``."""
    from tqdm.auto import tqdm

    log: dict[str, list[Any]] = {"diameters": [], "masses": [], "levels": [], "fine": []}
    for key in ("partition", "reduce", "refine", "fine"):
        state.timings.setdefault(key, 0.0)
    active = np.flatnonzero(_positive(state.weights))
    with tqdm(total=max(0, active.shape[0] - size), disable=not progress, desc="partition", unit="pt") as bar:
        while active.shape[0] > size:
            if active.shape[0] <= _FINE_FROM * size:
                t0 = time.perf_counter()
                _fine_phase(state, size, ops, refine, log)
                state.timings["fine"] += time.perf_counter() - t0
            else:
                goal = max(int(active.shape[0] * _ROUND_FACTOR), int(_FINE_FROM * size))
                _partition_round(state, active, goal, ops, rng, refine, log)
            remaining = np.flatnonzero(_positive(state.weights))
            bar.update(active.shape[0] - remaining.shape[0])
            if active.shape[0] <= _FINE_FROM * size:
                break  # the fine phase stopped early (no cluster left): the greedy finish takes over
            active = remaining
    state.info.update(
        rounds=len(log["levels"]),
        levels=log["levels"],
        fine_rounds=len(log["fine"]),
        fine_clusters=log["fine"],
        cluster_diameters=np.concatenate(log["diameters"]) if log["diameters"] else np.zeros(0),
        cluster_masses=np.concatenate(log["masses"]) if log["masses"] else np.zeros(0),
    )


def _fine_phase(state: _State, size: int, ops: ArrayOps, refine: Backend | None,
                log: dict[str, list[Any]]) -> None:
    r"""Fine rounds: the greedy rule of Algorithm 1 on many disjoint nearest-neighbour clusters at once.

    Every active point with its :math:`N + s - 1` nearest active neighbours is a candidate cluster of
    radius :math:`\rho` (distance to the farthest of them; its diameter lies in :math:`[\rho, 2\rho]`).
    Each round the smallest pairwise-disjoint candidates (:func:`~unicomp.numerics.cluster.disjoint_by_score`;
    at most ``_FINE_SHARE`` :math:`a/(N+s)` of them for :math:`a` active objects, and no more than needed)
    each lose :math:`s` objects in one batched elimination (:func:`_reduce_clusters`).  The neighbour lists
    come from one k-d tree query for :math:`2(N+s)` neighbours, filtered to the active points every round and
    recomputed when too few rows still hold :math:`N+s` active ones.  Stops early when no candidate is left
    or a round removes nothing; the greedy finish then removes the surplus.
    """
    n = state.n
    spare = max(_FINE_SPARE, n // _FINE_SPARE_DIV)
    width = n + spare
    mask = _positive(state.weights).copy()
    stale = True
    while (count := int(mask.sum())) > size and count >= width:
        if stale:
            active = np.flatnonzero(mask)
            dist, pos = scipy.spatial.cKDTree(state.points[active]).query(
                state.points[active], k=min(count, _NEIGHBOUR_FACTOR * width))
            neighbours, centres = active[pos], active
        act = mask[neighbours]
        rank = np.cumsum(act, axis=1)
        usable = mask[centres] & (rank[:, -1] >= width)
        if not np.any(usable):
            if stale:
                return
            stale = True
            continue
        take = act[usable] & (rank[usable] <= width)
        candidates = neighbours[usable][take].reshape(-1, width)
        radius = dist[usable][take & (rank[usable] == width)]
        left = count - size
        limit = min(max(1, int(_FINE_SHARE * count / width)), -(-left // spare))
        members = candidates[disjoint_by_score(candidates, radius, limit)]
        removals = np.full(members.shape[0], spare, dtype=np.int64)
        removals[-1] -= max(0, members.shape[0] * spare - left)
        _reduce_clusters(state, members, removals, ops, refine, log)
        after = _positive(state.weights[members])
        if np.all(after):
            return
        mask[members] = after
        stale = bool(np.mean(usable) < _REQUERY)


def _reduce_clusters(state: _State, members: NDArray[np.int64], removals: NDArray[np.int64], ops: ArrayOps,
                     refine: Backend | None, log: dict[str, list[Any]]) -> None:
    """Remove ``removals[b]`` objects from each disjoint cluster ``members[b]`` (shape (B, s)), moments kept."""
    count, width = members.shape
    flat = members.reshape(-1)
    offsets = np.arange(0, flat.shape[0] + 1, width, dtype=np.int64)
    pts = state.points[flat]
    centre, half = _cell_boxes(pts, offsets)
    u = (pts - np.repeat(centre, width, axis=0)) / np.repeat(half, width, axis=0)
    before = state.backend.to_float(state.weights[flat]).reshape(count, width)
    feats = ops.features(u, state.degree).reshape(count, width, state.n)
    after = ops.to_numpy(eliminate_batch(ops, feats, ops.to_engine(before), ops.to_engine(removals)))
    new: NDArray[Any] = after.reshape(-1)
    if refine is not None:
        new = _refine_cells(state, flat, np.arange(flat.shape[0]), offsets, centre, half, new, refine)
    state.weights[flat] = new
    log["diameters"].append(set_diameters(state.points, members))
    log["masses"].append(before.sum(axis=1))
    log["levels"].append(1)
    log["fine"].append(members)


def _partition_round(state: _State, active: NDArray[np.int64], goal: int, ops: ArrayOps,
                     rng: np.random.Generator, refine: Backend | None, log: dict[str, list[Any]]) -> None:
    """One coarse round of k-d cells of the active objects: every cell is reduced to its share of ``goal``."""
    t0 = time.perf_counter()
    pts = state.points[active]
    n = state.n
    n_cells = max(1, goal // n)
    order, offsets = kd_partition(pts, n_cells)
    sizes = np.diff(offsets)
    diameters = cell_diameters(pts, order, offsets)
    targets = _allocate_targets(sizes, goal, n)
    centre, half = _cell_boxes(pts[order], offsets)
    u = (pts[order] - np.repeat(centre, sizes, axis=0)) / np.repeat(half, sizes, axis=0)
    before = state.weights[active]
    w_ordered = state.backend.to_float(before[order])
    t1 = time.perf_counter()
    state.timings["partition"] += t1 - t0
    cells = _reduce_partition(ops, u, w_ordered, offsets, targets, state.degree, state.n, rng)
    t2 = time.perf_counter()
    state.timings["reduce"] += t2 - t1
    new = np.zeros(active.shape[0])
    new[order[cells.rows]] = cells.weights
    if refine is not None:
        new = _refine_cells(state, active, order, offsets, centre, half, new, refine)
        state.timings["refine"] += time.perf_counter() - t2
    reduced = targets < sizes
    log["diameters"].append(diameters[reduced])
    log["masses"].append(np.add.reduceat(w_ordered, offsets[:-1])[reduced])
    log["levels"].append(cells.levels)
    state.weights[active] = new
    cell_of = np.full(state.points.shape[0], -1, dtype=np.int64)
    cell_of[active[order]] = np.repeat(np.arange(n_cells), sizes)
    state.info.update(cells=n_cells, cell_sizes=sizes, cell_targets=targets, cell_of=cell_of)


def _refine_cells(state: _State, active: NDArray[np.int64], order: NDArray[np.int64],
                  offsets: NDArray[np.int64], centre: NDArray[np.float64], half: NDArray[np.float64],
                  approx: NDArray[np.float64], backend: Backend) -> NDArray[Any]:
    r"""Re-solve each cell's moment equations for its kept weights in the backend's precision.

    Iterative refinement: :math:`x \leftarrow x + (A^\top)^+ (b - A^\top x)` with the residual in the
    working precision and the pseudo-inverse in float64; each sweep gains about
    :math:`16 - \log_{10}\kappa(A)` digits.
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
        pts_all = backend.asarray(points[members])
        target = backend.column_sums(w_in[members][:, None] * basis(pts_all))
        cell_mass = backend.column_sums(w_in[members][:, None])[0]
        feats = basis(backend.asarray(points[kept]))
        pinv = np.linalg.pinv(backend.to_float(feats).T)
        x = backend.asarray(approx[kept])
        previous = None
        for _ in range(_REFINE_SWEEPS):
            current = backend.column_sums(x[:, None] * feats)
            gap = np.array([a - b for a, b in zip(target, current, strict=True)], dtype=x.dtype)
            size_gap = float(np.max(np.abs(backend.to_float(gap)))) / float(cell_mass)
            if size_gap <= backend.tolerance * 1e-3 or (previous is not None and size_gap > previous / 2):
                break
            previous = size_gap
            x = x + backend.asarray(pinv @ backend.to_float(gap))
        if not np.all(_positive(x)):
            raise PrecisionError(
                f"refining the weights of cell {j} to {backend.digits or 16} digits made a weight non-positive; "
                "use method='greedy' with this precision"
            )
        out[kept] = x
    return out


def compress(
    points: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    degree: int,
    size: int,
    method: str = "partition",
    precision: int | None = None,
    seed: int = 0,
    progress: bool = False,
    tol: float | None = None,
) -> Compression:
    r"""Compress a weighted point set to ``size`` of its own points, keeping all moments up to ``degree``.

    The paper's Algorithm 1 (see the module notes).

    Parameters
    ----------
    points : array_like, shape (d, m) or (d,)
        The objects; a 1-D array means :math:`m = 1`.
    weights : array_like, shape (d,), optional
        Non-negative weights (default all one); zero-weight objects are never kept.
    degree : int
        Moments of total degree :math:`\le k` = ``degree`` are kept exactly.
    size : int
        Target number :math:`d'` of kept objects, at least :math:`N_{m,k} = \binom{m+k}{k}`.  The result
        has exactly ``min(size, number of positive weights)`` objects unless a reduction step meets exact
        ties (duplicated points), which can remove a few more; never more than ``size``.
    method : {"partition", "greedy"}
        ``"partition"``: batched k-d cells (fast).  ``"greedy"``: smallest-diameter
        :math:`(N_{m,k}+1)`-subsets one at a time (the variant of Thms 3-4).
    precision : int, optional
        Decimal digits for an arbitrary-precision (mpmath) result; ``None`` means float64.
    seed : int
        Seeds the random grouping inside cells (``"partition"``); the same seed gives the same result.
    progress : bool
        Show a tqdm progress bar for the greedy steps.
    tol : float, optional
        Largest accepted relative global moment residual (default as in
        :func:`~unicomp.numerics.caratheodory.recombine`).

    Returns
    -------
    Compression
        ``method`` is ``"partition"`` or ``"greedy"``; ``info`` holds the diagnostics.  Partition:
        ``rounds``, ``levels`` (batched levels per round), ``cluster_diameters`` and ``cluster_masses``
        (exact diameter and mass of every cell of every round, for the Thm 3 bound), and for the last
        coarse round ``cells``, ``cell_sizes``, ``cell_targets``, ``cell_of`` (cell of every input object,
        -1 if not in that round); ``fine_rounds`` and ``fine_clusters`` (per fine round, the input indices
        of its disjoint clusters, shape (B, N + s)), whose diameters and masses close the two lists above.
        Every greedy step (the greedy method, or a partition's finish): ``step_diameters``,
        ``step_masses`` (the cluster's mass before the step), ``step_clusters`` (input indices) and
        ``search`` (``"exact"`` or ``"knn"``).  Always ``num_moments`` and ``target_size``.

    Raises
    ------
    InputError
        Bad points, weights, degree or method, or ``size`` below :math:`N_{m,k}`.
    PrecisionError
        The verified global moment residual exceeds ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from unicomp.numerics.compress import compress
    >>> pts = np.random.default_rng(0).uniform(-1, 1, size=(2000, 2))
    >>> comp = compress(pts, degree=3, size=200)
    >>> comp.size, comp.method, round(comp.mass, 6), comp.residual < 1e-12
    (200, 'partition', 2000.0, True)
    """
    return run_compress(points, weights, degree=degree, size=size, method=method, precision=precision,
                        seed=seed, progress=progress, tol=tol, ops=ArrayOps())


def run_compress(
    points: ArrayLike,
    weights: ArrayLike | None,
    *,
    degree: int,
    size: int,
    method: str,
    precision: int | None,
    seed: int,
    progress: bool,
    tol: float | None,
    ops: ArrayOps,
    refine: Callable[[], Backend | None] | None = None,
) -> Compression:
    """:func:`compress` with a chosen array engine (numpy or torch) for the batched partition phase.

    ``refine`` (optional) supplies the backend used to re-solve the partition cells' weights; by default
    the mpmath backend when ``precision`` is set, else none.
    """
    pts = as_points(points)
    k = as_degree(degree)
    w = as_weights(weights, pts.shape[0])
    target = as_positive_int(size, "size")
    if method not in _METHODS:
        raise InputError(f"method must be one of {_METHODS}, got {method!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise InputError(f"seed must be an integer, got {seed!r}")
    m = pts.shape[1]
    n = num_moments(m, k)
    if target < n:
        raise InputError(
            f"size must be at least N_(m,k) = C(m+k, k) = {n} for m={m}, degree={k}, got {target}; "
            "use unicomp.recombine for the smallest compression"
        )
    backend = get_backend(precision)
    tolerance = backend.tolerance if tol is None else float(tol)
    if not 0 < tolerance < float("inf"):
        raise InputError(f"tol must be a positive finite number, got {tol!r}")
    support = np.flatnonzero(w > 0)
    rng = np.random.default_rng(int(seed))
    info: dict[str, Any] = {"num_moments": n, "target_size": target, "engine": ops.name}
    timings: dict[str, float] = {}
    with backend.context():
        start_w = backend.asarray(w[support]) if backend.digits is not None else w[support].copy()
        state = _State(pts[support], start_w.copy(), start_w, backend, k, n, info, timings)
        if support.shape[0] > target:
            if method == "partition":
                chosen = refine() if refine is not None else (backend if backend.digits is not None else None)
                _partition_phase(state, target, ops, rng, chosen, progress)
                t1 = time.perf_counter()
                _greedy_steps(state, target, progress)
                timings["finish"] = time.perf_counter() - t1
            else:
                t1 = time.perf_counter()
                _greedy_steps(state, target, progress)
                timings["greedy"] = time.perf_counter() - t1
        if "cell_of" in info:
            full = np.full(pts.shape[0], -1, dtype=np.int64)
            full[support] = info["cell_of"]
            info["cell_of"] = full
        if info.get("fine_clusters"):
            info["fine_clusters"] = [support[c] for c in info["fine_clusters"]]
        if "step_clusters" in info:
            info["step_clusters"] = support[info["step_clusters"]]
        return _verified(state, support, pts.shape[0], method, tolerance)


def _verified(state: _State, support: NDArray[np.int64], n_input: int, method: str, tolerance: float,
              ) -> Compression:
    """Measure the global moment residual (input's bounding-box basis) and build the Compression."""
    t1 = time.perf_counter()
    backend = state.backend
    kept = np.flatnonzero(_positive(state.weights))
    exact = backend.digits is not None
    pts = backend.asarray(state.points) if exact else state.points
    basis = ChebyshevBasis.fit(pts, state.degree)
    ref_w = state.input_weights
    mass = backend.column_sums(ref_w[:, None])[0]
    rows = max(64, (_BATCH_NUMBERS // state.n) // 64 * 64)
    partial = []
    for r0 in range(0, pts.shape[0], rows):
        block = ref_w[r0 : r0 + rows, None] * basis(pts[r0 : r0 + rows])
        partial.append(np.add.reduceat(block, np.arange(0, block.shape[0], 64), axis=0))
    residual = moment_residual(np.concatenate(partial), pts[kept], state.weights[kept], mass, basis, backend)
    state.timings["verify"] = time.perf_counter() - t1
    if not residual <= tolerance:
        hint = (
            "pass precision=<digits> (e.g. 50) to compress in arbitrary precision"
            if backend.digits is None
            else f"raise precision above {backend.digits} digits"
        )
        raise PrecisionError(
            f"global moment residual {residual:.3e} exceeds the tolerance {tolerance:.1e} "
            f"(d={n_input}, size={kept.shape[0]}, degree={state.degree}, method={method}); {hint}"
        )
    basis64 = ChebyshevBasis(
        degree=state.degree, center=backend.to_float(basis.center), half_width=backend.to_float(basis.half_width)
    )
    return Compression(
        indices=support[kept].astype(np.int64),
        weights=backend.to_float(state.weights[kept]),
        degree=state.degree,
        residual=residual,
        tolerance=tolerance,
        precision=backend.digits,
        n_input=n_input,
        basis=basis64,
        method=method,
        timings=dict(state.timings),
        weights_mp=state.weights[kept] if exact else None,
        info=state.info,
    )
