"""The paper's reference compression procedure, re-implemented from its description (PAPER.md, Sec. 5).

Written for the benchmark from the published description only (not from the authors' code):

* features: raw, uncentred monomials ``w^e``, ``|e| <= k``, in the original coordinates;
* reduction of a cluster (Algorithm 2): one SVD per removed point -- the right singular vector of the
  smallest singular value of the cluster's (N x s) moment matrix is a null vector; step to the first zero
  weight; weights <= 1e-12 count as zero; a final moment residual above ``1e-8 (1 + ||b||)`` is only
  recorded (the authors' code warns and carries on);
* clustering: while the active count is far from the target (above ``far`` times it), sample-weighted
  ``MiniBatchKMeans`` into clusters of about ``2 N`` points, each peeled to ``N`` points independently
  (never below the target in total); then a greedy phase: ``N + 1`` nearest active neighbours (a k-d tree
  stands in for FAISS) around ``candidates`` random active centres, and the smallest-diameter of those
  subsets loses one point.

Cost about ``d N^2`` SVD work plus k-means.  Used by ``bench_compress.py`` as the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.spatial
from numpy.typing import NDArray
from sklearn.cluster import MiniBatchKMeans

from unicomp.numerics.basis import monomial_features, num_moments

__all__ = ["ReferenceResult", "reference_compress"]

ZERO = 1e-12


@dataclass
class ReferenceResult:
    """Kept indices, their weights, and the largest flagged cluster residual."""

    indices: NDArray[np.int64]
    weights: NDArray[np.float64]
    worst_residual: float = 0.0
    flagged: int = 0
    phases: dict[str, int] = field(default_factory=dict)


def _peel(features: NDArray[np.float64], weights: NDArray[np.float64], keep: int,
          result: ReferenceResult) -> NDArray[np.float64]:
    """Remove points one SVD at a time until ``keep`` remain (or no null vector is left)."""
    c = weights.copy()
    b = features.T @ c
    while np.count_nonzero(c) > keep:
        support = np.flatnonzero(c)
        a = features[support].T  # (N, s)
        _, s, vt = np.linalg.svd(a, full_matrices=True)
        if support.shape[0] <= a.shape[0] and s[-1] > s[0] * 1e-12:
            break  # no null vector: s <= N and full rank
        v = vt[-1]
        if not np.any(v > 0):
            v = -v
        pos = v > 0
        t = np.min(c[support][pos] / v[pos])
        new = c[support] - t * v
        new[new <= ZERO] = 0.0
        c[support] = new
    residual = float(np.linalg.norm(features.T @ c - b))
    if residual > 1e-8 * (1 + np.linalg.norm(b)):
        result.flagged += 1
    result.worst_residual = max(result.worst_residual, residual / (1 + float(np.linalg.norm(b))))
    return c


def reference_compress(points: NDArray[np.float64], degree: int, size: int, *, seed: int = 0, far: float = 1.5,
                       candidates: int = 64) -> ReferenceResult:
    """Compress ``points`` (d, m) to ``size`` weighted points the way the paper's code does (see module)."""
    rng = np.random.default_rng(seed)
    d, m = points.shape
    n = num_moments(m, degree)
    feats = monomial_features(points, degree)
    c = np.ones(d)
    result = ReferenceResult(indices=np.zeros(0, dtype=np.int64), weights=np.zeros(0))
    result.phases = {"kmeans_rounds": 0, "greedy_steps": 0}
    while np.count_nonzero(c) > far * size:
        active = np.flatnonzero(c)
        clusters = max(1, active.shape[0] // (2 * n))
        km = MiniBatchKMeans(n_clusters=clusters, random_state=int(rng.integers(2**31)), n_init=1,
                             batch_size=4096)
        labels = km.fit_predict(points[active], sample_weight=c[active])
        budget = active.shape[0] - size
        for label in range(clusters):
            members = active[labels == label]
            if members.shape[0] <= n or budget <= 0:
                continue
            keep = max(n, members.shape[0] - budget)
            new = _peel(feats[members], c[members], keep, result)
            budget -= members.shape[0] - np.count_nonzero(new)
            c[members] = new
        result.phases["kmeans_rounds"] += 1
    while np.count_nonzero(c) > size:
        active = np.flatnonzero(c)
        tree = scipy.spatial.cKDTree(points[active])
        centres = rng.choice(active.shape[0], size=min(candidates, active.shape[0]), replace=False)
        _, nbrs = tree.query(points[active[centres]], k=n + 1)
        subsets = active[np.asarray(nbrs).reshape(centres.shape[0], n + 1)]
        diam = [scipy.spatial.distance.pdist(points[s]).max() for s in subsets]
        members = subsets[int(np.argmin(diam))]
        c[members] = _peel(feats[members], c[members], n, result)
        result.phases["greedy_steps"] += 1
    result.indices = np.flatnonzero(c)
    result.weights = c[result.indices]
    return result
