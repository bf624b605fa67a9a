r"""The coarse rounds of the partition method (Algorithm 1 at scale) and the refinement of cell weights.

A coarse round splits the active objects into at most :math:`C = \lfloor g/N_{m,k} \rfloor` round cells
(:func:`~unicomp.numerics.cluster.compact_partition`: the cells of a balanced k-d tree re-drawn around their
centroids) for the round's goal :math:`g` and reduces cell :math:`j` from :math:`s_j` to exactly
:math:`t_j` objects, :math:`\min(s_j, N_{m,k}) \le t_j \le s_j`, :math:`\sum_j t_j = g`, all cells together by
the batched tree (:func:`~unicomp.numerics.tree.reduce_cells`), each cell in the Chebyshev basis of its own
bounding box.  Rounds halve the active count until ``fine_from`` times the target, where
the fine phase (:mod:`unicomp.numerics.fine`) takes over.

With a working precision finer than the engine's (``precision=`` digits, or torch float32), the kept
weights of each reduced cell are re-solved against the cell's moment equations
(:func:`~unicomp.numerics.refine.refine_cells`).
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from unicomp.numerics.backends import Backend
from unicomp.numerics.cluster import cell_diameters, compact_partition
from unicomp.numerics.diagnostics import State
from unicomp.numerics.fine import Log, fine_phase
from unicomp.numerics.refine import cell_boxes, refine_cells, unit_features
from unicomp.numerics.tree import Cells, reduce_cells

__all__ = ["allocate_targets", "partition_phase", "partition_round"]


def allocate_targets(sizes: NDArray[np.int64], size: int, n: int) -> NDArray[np.int64]:
    """Cell targets t_j with min(s_j, n) <= t_j <= s_j and sum size; removals proportional to the spare
    max(s_j - n, 0) (a cell of at most n objects is left as it is)."""
    spare = np.maximum(sizes - n, 0)
    removals_total = int(sizes.sum()) - size
    share = spare * removals_total / max(int(spare.sum()), 1)
    removals = np.floor(share).astype(np.int64)
    left = removals_total - int(removals.sum())
    order = np.argsort(-(share - removals), kind="stable")
    removals[order[:left]] += 1
    return sizes - removals


def _reduce_round(state: State, engine: Backend, u: NDArray[np.float64], weights: NDArray[np.float64],
                  offsets: NDArray[np.int64], targets: NDArray[np.int64], rng: np.random.Generator) -> Cells:
    """Reduce every cell (rows ``offsets[j]:offsets[j+1]`` of ``u``) to its target, items in random order."""
    sizes = np.diff(offsets)
    cell_of = np.repeat(np.arange(sizes.shape[0]), sizes)
    rows = np.lexsort((rng.random(cell_of.shape[0]), cell_of)).astype(np.int64)
    cells = Cells(rows=rows, weights=weights[rows], counts=sizes.astype(np.int64), targets=targets)
    return reduce_cells(engine, lambda r: unit_features(engine, u[r], state.degree), cells, state.n)


def partition_round(state: State, active: NDArray[np.int64], goal: int, engine: Backend,
                    rng: np.random.Generator, refine: Backend | None, log: Log) -> None:
    """One coarse round of round cells of the active objects: every cell is reduced to its share of ``goal``."""
    t0 = time.perf_counter()
    pts = state.points[active]
    order, offsets = compact_partition(pts, max(1, goal // state.n))
    sizes = np.diff(offsets)
    n_cells = sizes.shape[0]
    diameters = cell_diameters(pts, order, offsets)
    targets = allocate_targets(sizes, goal, state.n)
    centre, half = cell_boxes(pts[order], offsets)
    u = (pts[order] - np.repeat(centre, sizes, axis=0)) / np.repeat(half, sizes, axis=0)
    w_ordered = state.backend.to_float(state.weights[active][order])
    t1 = time.perf_counter()
    state.timings["partition"] += t1 - t0
    cells = _reduce_round(state, engine, u, w_ordered, offsets, targets, rng)
    t2 = time.perf_counter()
    state.timings["reduce"] += t2 - t1
    new = np.zeros(active.shape[0])
    new[order[cells.rows]] = cells.weights
    if refine is not None:
        new = refine_cells(state, active, order, offsets, centre, half, new, refine)
        state.timings["refine"] += time.perf_counter() - t2
    reduced = targets < sizes
    log.diameters.append(diameters[reduced])
    log.masses.append(np.add.reduceat(w_ordered, offsets[:-1])[reduced])
    log.levels.append(cells.levels)
    state.weights[active] = new
    cell_of = np.full(state.points.shape[0], -1, dtype=np.int64)
    cell_of[active[order]] = np.repeat(np.arange(n_cells), sizes)
    state.info.cells, state.info.cell_sizes, state.info.cell_targets = n_cells, sizes, targets
    state.info.cell_of = cell_of


def partition_phase(state: State, size: int, engine: Backend, rng: np.random.Generator, refine: Backend | None,
                    progress: bool) -> None:
    """Coarse rounds of batched k-d cells halving the active count, then the fine phase down to ``size``."""
    log = Log()
    settings = state.settings
    for key in ("partition", "reduce", "refine", "fine"):
        state.timings.setdefault(key, 0.0)
    active = np.flatnonzero(state.positive())
    with tqdm(total=max(0, active.shape[0] - size), disable=not progress, desc="partition", unit="pt") as bar:
        while active.shape[0] > size:
            if active.shape[0] <= settings.fine_from * size:
                t0 = time.perf_counter()
                fine_phase(state, size, engine, refine, log)
                state.timings["fine"] += time.perf_counter() - t0
            else:
                goal = max(int(active.shape[0] * settings.round_factor), int(settings.fine_from * size))
                partition_round(state, active, goal, engine, rng, refine, log)
            remaining = np.flatnonzero(state.positive())
            bar.update(active.shape[0] - remaining.shape[0])
            if active.shape[0] <= settings.fine_from * size:
                break  # the fine phase stopped early (no cluster left): the greedy finish takes over
            active = remaining
    info = state.info
    info.rounds, info.levels, info.fine_rounds, info.fine_clusters = (
        len(log.levels), log.levels, len(log.fine), log.fine)
    info.cluster_diameters = np.concatenate(log.diameters) if log.diameters else np.zeros(0)
    info.cluster_masses = np.concatenate(log.masses) if log.masses else np.zeros(0)
