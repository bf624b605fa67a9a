r"""The fine phase of the partition method and the greedy steps (the variant the theorems are proved for).

*Fine phase* (:func:`fine_phase`): the greedy rule of Algorithm 1 applied to many clusters at once.  Every
active point with its :math:`N + s - 1` nearest active neighbours is a candidate cluster of radius
:math:`\rho` (distance to the farthest of them; its diameter lies in :math:`[\rho, 2\rho]`) and mass
:math:`c(S)`.  Each round the pairwise-disjoint candidates of smallest Thm 3 bound
:math:`c(S)\,\rho^{k+1}` (:func:`~unicomp.numerics.cluster.disjoint_by_score`; at most
``fine_share`` :math:`a/(N+s)` of them for :math:`a` active objects, and no more than needed) each lose
:math:`s` objects in one batched elimination (:func:`reduce_clusters`).  The neighbour lists come from one
k-d tree query for ``neighbour_factor`` :math:`(N+s)` neighbours, filtered to the active points every
round and recomputed when too few rows still hold :math:`N+s` active ones.  Stops early when no candidate
is left or a round removes nothing; the greedy steps then remove the surplus.

*Greedy steps* (:func:`greedy_steps`): reduce the :math:`(N+1)`-subset of smallest diameter
(:class:`~unicomp.numerics.cluster.NearestClusterSearch`) by exactly one object, until the target is met,
in the working precision of the compression.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.spatial
from numpy.typing import NDArray
from tqdm.auto import tqdm

from unicomp.numerics.backends import Backend
from unicomp.numerics.basis import ChebyshevBasis
from unicomp.numerics.cluster import NearestClusterSearch, disjoint_by_score, set_diameters
from unicomp.numerics.diagnostics import State
from unicomp.numerics.kernel import eliminate
from unicomp.numerics.refine import cell_boxes, refine_cells, unit_features

__all__ = ["Log", "fine_phase", "greedy_steps", "reduce_clusters"]


@dataclass
class Log:
    """Per-round records of the partition method (concatenated into the diagnostics at the end)."""

    diameters: list[NDArray[np.float64]] = field(default_factory=list)
    masses: list[NDArray[np.float64]] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    fine: list[NDArray[np.int64]] = field(default_factory=list)


def reduce_clusters(state: State, members: NDArray[np.int64], removals: NDArray[np.int64], engine: Backend,
                    refine: Backend | None, log: Log) -> None:
    """Remove ``removals[b]`` objects from each disjoint cluster ``members[b]`` (shape (B, s)), moments kept."""
    count, width = members.shape
    flat = members.reshape(-1)
    offsets = np.arange(0, flat.shape[0] + 1, width, dtype=np.int64)
    pts = state.points[flat]
    centre, half = cell_boxes(pts, offsets)
    u = (pts - np.repeat(centre, width, axis=0)) / np.repeat(half, width, axis=0)
    before = state.backend.to_float(state.weights[flat]).reshape(count, width)
    feats = unit_features(engine, u, state.degree).reshape(count, width, state.n)
    after = engine.to_float(eliminate(engine, feats, engine.asarray(before), removals))
    new = after.reshape(-1)
    if refine is not None:
        new = refine_cells(state, flat, np.arange(flat.shape[0]), offsets, centre, half, new, refine)
    state.weights[flat] = new
    log.diameters.append(set_diameters(state.points, members))
    log.masses.append(before.sum(axis=1))
    log.levels.append(1)
    log.fine.append(members)


def _candidates(state: State, mask: NDArray[np.bool_], width: int, count: int,
                ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Neighbour lists of the active points: distances, neighbour indices and the centres."""
    active = np.flatnonzero(mask)
    dist, pos = scipy.spatial.cKDTree(state.points[active]).query(
        state.points[active], k=min(count, state.settings.neighbour_factor * width))
    return active[pos], dist, active


def fine_phase(state: State, size: int, engine: Backend, refine: Backend | None, log: Log) -> None:
    """Fine rounds down to ``size`` (see the module notes)."""
    settings = state.settings
    spare = max(settings.fine_spare, state.n // settings.fine_spare_div)
    width = state.n + spare
    mask = state.positive().copy()
    stale = True
    while (count := int(mask.sum())) > size and count >= width:
        if stale:
            neighbours, dist, centres = _candidates(state, mask, width, count)
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
        limit = min(max(1, int(settings.fine_share * count / width)), -(-left // spare))
        # Thm 3's bound on the step, mass * radius^(k+1) (up to the function's constant), compared in logs so
        # tiny radii at high degree do not underflow to ties; a zero radius (duplicated points) comes first
        mass = state.backend.to_float(state.weights[candidates]).sum(axis=1)
        with np.errstate(divide="ignore"):
            score = np.log(mass) + (state.degree + 1) * np.log(radius)
        members = candidates[disjoint_by_score(candidates, score, limit)]
        removals = np.full(members.shape[0], spare, dtype=np.int64)
        removals[-1] -= max(0, members.shape[0] * spare - left)
        reduce_clusters(state, members, removals, engine, refine, log)
        after = state.positive(state.weights[members])
        if np.all(after):
            return
        mask[members] = after
        stale = bool(np.mean(usable) < settings.requery)


def greedy_steps(state: State, size: int, progress: bool) -> None:
    """Reduce the smallest (N+1)-subset by one object until ``size`` remain, in the state's precision."""
    backend = state.backend
    active = np.flatnonzero(state.positive())
    if active.shape[0] <= size:
        return
    search = NearestClusterSearch(state.points, active, state.n + 1)
    pts = backend.asarray(state.points) if backend.digits is not None else state.points
    one = np.ones(1, dtype=np.int64)
    log_d, log_m, log_s = [], [], []
    with tqdm(total=active.shape[0] - size, disable=not progress, desc="greedy", unit="pt") as bar:
        while search.count > size:
            diam, members = search.best()
            sub = pts[members]
            feats = backend.features(ChebyshevBasis.fit(sub, state.degree), sub)
            before = state.weights[members]
            null = backend.null_space(feats)[None, :, :1]  # rank-revealing: its first vector
            after = eliminate(backend, feats[None], before[None], one, null)[0]
            state.weights[members] = after
            log_d.append(diam)
            log_m.append(float(np.sum(backend.to_float(before))))
            log_s.append(members)
            gone = members[~state.positive(after)]
            for q in gone.tolist():
                search.remove(q)
            bar.update(gone.shape[0])
    info = state.info
    info.search = info.search or ("exact" if search.exact else "knn")
    info.greedy_steps = len(log_d)
    info.step_diameters, info.step_masses = np.asarray(log_d), np.asarray(log_m)
    info.step_clusters = np.asarray(log_s, dtype=np.int64).reshape(len(log_s), state.n + 1)
