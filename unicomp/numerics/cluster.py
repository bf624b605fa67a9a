r"""Small-diameter clusters of a point set, for Algorithm 1 (paper, Sec. 2).

Algorithm 1 repeatedly picks a cluster of more than :math:`N_{m,k}` active points and reduces it; the
error of one reduction is :math:`O(\mathrm{mass} \cdot r^{k+1})` for a cluster of diameter :math:`r`
(Thm 3), so clusters should be small.  Two ways of finding them:

* :func:`kd_partition` -- a balanced k-d tree: split the widest side of the bounding box at a quantile so
  that a requested number of cells receive near-equal numbers of points.  :math:`O(d \log C)` for
  :math:`C` cells; the cells tile space, so each has diameter :math:`O(R (|S|/d)^{1/m})` for roughly
  uniform data, the packing scale of Lemma 1.
* :func:`compact_partition` -- the k-d cells' centroids as seeds and every point in the cell of its nearest
  seed (one Voronoi assignment): the cells keep about the k-d sizes but are rounder than boxes, so their
  diameters are smaller (a cube's diameter is :math:`\sqrt{m}` times its side; a Voronoi cell of
  well-spread seeds is close to a ball of the same volume).  Used by the coarse rounds of the partition
  method.
* :class:`NearestClusterSearch` -- the greedy variant of the theorems: among the active points find the
  :math:`s`-subset of smallest diameter.  The exact search (all :math:`\binom{a}{s}` subsets) is used when
  that number is small; otherwise the candidates are the :math:`s` nearest active neighbours of every
  active point (a k-d tree query), kept in a heap and recomputed only for the candidates that lost a
  point.  Finding the true minimum is NP-hard in general (paper, Sec. 7); the candidate set always
  contains a subset within a factor two of the smallest diameter (the ball around any member of the
  optimal subset with radius its diameter holds the whole subset).

:func:`set_diameters` gives exact diameters (largest pairwise distance) of many sets at once.
"""

from __future__ import annotations

import heapq
import itertools
from math import comb

import numpy as np
import scipy.spatial
from numpy.typing import NDArray

from unicomp.validation import as_int

__all__ = [
    "NearestClusterSearch", "cell_diameters", "compact_partition", "disjoint_by_score", "kd_partition",
    "set_diameters",
]

#: Largest number of subsets the exact minimum-diameter search enumerates per step.
EXACT_SUBSETS_LIMIT = 20000


def kd_partition(points: NDArray[np.float64], n_cells: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Split points into ``n_cells`` spatial cells of near-equal size by a balanced k-d tree.

    Parameters
    ----------
    points : ndarray, shape (d, m)
    n_cells : int
        Number of cells, ``1 <= n_cells <= d``.

    Returns
    -------
    order : ndarray of int64, shape (d,)
        A permutation of ``range(d)``; cell ``j`` is ``order[offsets[j]:offsets[j + 1]]``.
    offsets : ndarray of int64, shape (n_cells + 1,)
        Cell boundaries in ``order``; sizes differ by at most one.

    Notes
    -----
    A node holding :math:`a` points destined for :math:`c` cells sends
    :math:`\\lfloor c/2 \\rfloor` cells and :math:`\\mathrm{round}(a \\lfloor c/2 \\rfloor / c)` points to the
    lower side of the median-type split along its widest coordinate (``numpy.argpartition``), so every
    leaf ends with :math:`\\lfloor d/C \\rfloor` or :math:`\\lceil d/C \\rceil` points.

    Examples
    --------
    >>> import numpy as np
    >>> order, offsets = kd_partition(np.arange(10.0)[:, None], 3)
    >>> np.diff(offsets).tolist()
    [3, 3, 4]
    >>> [sorted(order[a:b].tolist()) for a, b in zip(offsets[:-1], offsets[1:])]
    [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]
    """
    d = points.shape[0]
    n_cells = as_int(n_cells, "n_cells", minimum=1, maximum=d)
    order = np.arange(d, dtype=np.int64)
    leaves: list[int] = []
    stack = [(0, d, int(n_cells))]
    while stack:
        lo, hi, cells = stack.pop()
        if cells == 1:
            leaves.append(lo)
            continue
        idx = order[lo:hi]
        sub = points[idx]
        axis = int(np.argmax(np.ptp(sub, axis=0)))
        left_cells = cells // 2
        split = (hi - lo) * left_cells // cells
        part = np.argpartition(sub[:, axis], split)
        order[lo:hi] = idx[part]
        stack.append((lo + split, hi, cells - left_cells))
        stack.append((lo, lo + split, left_cells))
    offsets = np.array([*sorted(leaves), d], dtype=np.int64)
    return order, offsets


def compact_partition(points: NDArray[np.float64], n_cells: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    r"""Split points into at most ``n_cells`` round cells: k-d cells re-drawn around their centroids.

    The centroids of the :func:`kd_partition` cells are the seeds and every point joins the cell of its
    nearest seed (a Voronoi assignment, one k-d tree query).  The error of reducing a cluster grows like its
    diameter to the power :math:`k + 1` (Thm 3), and a box of the same volume is wider than a round cell:
    a cube's diameter is :math:`\sqrt{m}` times its side, :math:`\sqrt{3} \approx 1.73` against
    :math:`1.24` for a ball of equal volume at :math:`m = 3`.  Sizes are no longer equal (each cell holds the
    points nearer its seed than any other); seeds left without points are dropped.

    Parameters
    ----------
    points : ndarray, shape (d, m)
    n_cells : int
        Number of seeds, ``1 <= n_cells <= d``.

    Returns
    -------
    order : ndarray of int64, shape (d,)
        A permutation of ``range(d)``; cell ``j`` is ``order[offsets[j]:offsets[j + 1]]``.
    offsets : ndarray of int64, shape (C + 1,)
        Cell boundaries in ``order``, :math:`C \le` ``n_cells`` non-empty cells.

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.random.default_rng(0).uniform(-1, 1, size=(1000, 2))
    >>> order, offsets = compact_partition(pts, 10)
    >>> sorted(order.tolist()) == list(range(1000)), int(offsets[-1]), bool(np.all(np.diff(offsets) > 0))
    (True, 1000, True)
    """
    order, offsets = kd_partition(points, n_cells)
    seeds = np.add.reduceat(points[order], offsets[:-1], axis=0) / np.diff(offsets)[:, None]
    label = scipy.spatial.cKDTree(seeds).query(points, k=1)[1].astype(np.int64)
    counts = np.bincount(label, minlength=seeds.shape[0])
    order = np.argsort(label, kind="stable").astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts[counts > 0])]).astype(np.int64)
    return order, offsets


def set_diameters(points: NDArray[np.float64], members: NDArray[np.int64]) -> NDArray[np.float64]:
    """Exact diameters (largest pairwise Euclidean distance) of equal-size sets.

    Parameters
    ----------
    points : ndarray, shape (d, m)
    members : ndarray of int, shape (B, s)
        Row ``b`` lists the points of set ``b``.

    Returns
    -------
    ndarray, shape (B,)

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]])
    >>> set_diameters(pts, np.array([[0, 1, 2], [0, 2, 2]])).round(6).tolist()
    [5.0, 1.414214]
    """
    sets = points[members]
    sets = sets - sets.mean(axis=1, keepdims=True)  # centring keeps the Gram trick accurate
    sq = np.einsum("bim,bim->bi", sets, sets)
    dist2 = np.matmul(sets, sets.transpose(0, 2, 1))
    dist2 *= -2
    dist2 += sq[:, :, None]
    dist2 += sq[:, None, :]
    return np.sqrt(np.maximum(dist2.max(axis=(1, 2)), 0.0))


def cell_diameters(
    points: NDArray[np.float64], order: NDArray[np.int64], offsets: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Exact diameters of the cells of a partition (as returned by :func:`kd_partition`)."""
    out = np.empty(offsets.shape[0] - 1)
    for j in range(out.shape[0]):
        out[j] = set_diameters(points, order[None, offsets[j] : offsets[j + 1]])[0]
    return out


def disjoint_by_score(members: NDArray[np.int64], score: NDArray[np.float64], limit: int) -> NDArray[np.int64]:
    r"""Greedy pairwise-disjoint choice of sets in order of increasing score, vectorised.

    Parameters
    ----------
    members : ndarray of int, shape (B, s)
        Row ``b`` lists the (distinct, non-negative) point indices of candidate set ``b``.
    score : ndarray, shape (B,)
        Smaller is better (ties broken by row order).
    limit : int
        At most this many sets are returned.

    Returns
    -------
    ndarray of int64, shape (<= limit,)
        Rows of the chosen sets, best first: exactly the first ``limit`` sets the sequential greedy rule
        (take the best remaining set, drop every set that meets it, repeat) would pick.

    Notes
    -----
    Each pass takes every live set that has the smallest rank among the live sets containing each of its
    points (a local minimum of the conflict graph; the greedy rule takes it, since every set meeting it
    ranks later), then drops the sets meeting a taken one.  The best live set is always taken, so the
    passes end; each costs :math:`O(Bs)`.

    Examples
    --------
    >>> import numpy as np
    >>> sets = np.array([[0, 1], [1, 2], [2, 3], [4, 5]])
    >>> disjoint_by_score(sets, np.array([0.3, 0.1, 0.2, 0.4]), limit=10).tolist()
    [1, 3]
    >>> disjoint_by_score(sets, np.array([0.3, 0.1, 0.2, 0.4]), limit=1).tolist()
    [1]
    """
    count = members.shape[0]
    order = np.argsort(score, kind="stable")
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count)
    size = int(members.max()) + 1 if count else 0
    taken = np.zeros(size, dtype=bool)
    live = np.arange(count)
    chosen: list[NDArray[np.int64]] = []
    while live.size:
        best = np.full(size, count, dtype=np.int64)
        np.minimum.at(best, members[live].ravel(), np.repeat(rank[live], members.shape[1]))
        win = live[(best[members[live]] == rank[live][:, None]).all(axis=1)]
        chosen.append(win)
        taken[members[win]] = True
        live = live[~taken[members[live]].any(axis=1)]
    picked = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    return picked[np.argsort(rank[picked], kind="stable")][:limit].astype(np.int64)


class NearestClusterSearch:
    r"""The greedy search of Algorithm 1: the :math:`s`-subset of active points of smallest diameter.

    Parameters
    ----------
    points : ndarray, shape (d, m)
    active : ndarray of int, shape (a,)
        Indices of the points that may be chosen.
    size : int
        Subset size :math:`s` (:math:`N_{m,k} + 1` in Algorithm 1), at most ``a``.
    exact_limit : int
        Enumerate every subset while :math:`\binom{a}{s}` is at most this; otherwise use candidates from
        nearest-neighbour queries.

    Attributes
    ----------
    exact : bool
        Whether the search is exhaustive (decided once, from the initial active count).

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0.0], [0.1], [0.25], [1.0], [1.05]])
    >>> search = NearestClusterSearch(pts, np.arange(5), size=2)
    >>> diam, members = search.best()
    >>> round(diam, 6), members.tolist()
    (0.05, [3, 4])
    >>> search.remove(4)
    >>> round(search.best()[0], 6)
    0.1
    """

    def __init__(
        self,
        points: NDArray[np.float64],
        active: NDArray[np.int64],
        size: int,
        exact_limit: int = EXACT_SUBSETS_LIMIT,
    ) -> None:
        size = as_int(size, "size", minimum=1, maximum=active.shape[0])
        self.points = points
        self.size = int(size)
        self.mask = np.zeros(points.shape[0], dtype=bool)
        self.mask[active] = True
        self.count = int(active.shape[0])
        self.exact = comb(self.count, self.size) <= exact_limit
        self._heap: list[tuple[float, int, int]] = []
        self._version = np.zeros(points.shape[0], dtype=np.int64)
        self._members = np.full((points.shape[0], self.size), -1, dtype=np.int64)
        if not self.exact:
            self._build_tree()
            self._refresh(np.flatnonzero(self.mask))

    def _build_tree(self) -> None:
        self._tree_ids = np.flatnonzero(self.mask)
        self._tree = scipy.spatial.cKDTree(self.points[self._tree_ids])

    def _neighbours(self, centres: NDArray[np.int64]) -> NDArray[np.int64]:
        """The ``size`` nearest active points of each centre (itself included), shape (len, size)."""
        total = self._tree_ids.shape[0]
        slack = -(-self.size * (total - self.count) // max(self.count, 1))
        k = min(total, 2 * (self.size + slack) + 8)
        out = np.empty((centres.shape[0], self.size), dtype=np.int64)
        todo = np.arange(centres.shape[0])
        while todo.size:
            _, pos = self._tree.query(self.points[centres[todo]], k=k)
            ids = self._tree_ids[np.asarray(pos).reshape(todo.size, k)]
            act = self.mask[ids]
            enough = act.sum(axis=1) >= self.size
            first = np.argsort(~act, axis=1, kind="stable")[:, : self.size]
            out[todo[enough]] = np.take_along_axis(ids, first, axis=1)[enough]
            todo = todo[~enough]
            k = min(total, 2 * k)
        return out

    def _refresh(self, centres: NDArray[np.int64]) -> None:
        """Recompute the candidate subsets of ``centres`` and push them on the heap."""
        for start in range(0, centres.shape[0], 256):
            block = centres[start : start + 256]
            members = self._neighbours(block)
            self._members[block] = members
            self._version[block] += 1
            for item in zip(set_diameters(self.points, members).tolist(), block.tolist(),
                            self._version[block].tolist(), strict=True):
                heapq.heappush(self._heap, item)

    def best(self) -> tuple[float, NDArray[np.int64]]:
        """The smallest-diameter subset found: ``(diameter, sorted member indices)``."""
        if self.exact:
            active = np.flatnonzero(self.mask)
            combos = np.array(list(itertools.combinations(range(active.shape[0]), self.size)), dtype=np.int64)
            diams = set_diameters(self.points[active], combos)
            j = int(np.argmin(diams))
            return float(diams[j]), active[combos[j]]
        while True:
            diam, p, version = self._heap[0]
            if self.mask[p] and version == self._version[p]:
                return diam, np.sort(self._members[p])
            heapq.heappop(self._heap)

    def remove(self, index: int) -> None:
        """Deactivate one point; candidates that contained it are recomputed."""
        if not self.mask[index]:
            return
        self.mask[index] = False
        self.count -= 1
        if self.exact or self.count < self.size:
            return
        stale = np.flatnonzero(self.mask & (self._members == index).any(axis=1))
        if 2 * self.count < self._tree_ids.shape[0]:
            self._build_tree()
        if stale.size:
            self._refresh(stale)
