r"""Support reduction of a weighted point set with its moments kept (Tchakaloff via Caratheodory).

Problem
-------
Given :math:`N` points :math:`w_i \in \mathbb{R}^m` with weights :math:`c_i > 0`, find a subset
:math:`S` with :math:`|S| \le N_{m,k} = \binom{m+k}{k}` and weights :math:`c'_j \ge 0` such that

.. math:: \sum_{j \in S} c'_j \Phi(w_j) = \sum_{i=1}^N c_i \Phi(w_i),

where :math:`\Phi` lists a basis of the polynomials of total degree at most :math:`k`.  The right-hand side
is a point of the cone spanned by the :math:`N` vectors :math:`\Phi(w_i) \in \mathbb{R}^{N_{m,k}}`, so by
Caratheodory's theorem some :math:`N_{m,k}` of them (in fact ``rank`` of them) suffice.  This is the
discrete case of Tchakaloff's theorem (paper, Thm 2).

Methods
-------
*Caratheodory elimination* (:func:`caratheodory`; the paper's Algorithm 2).  For a null vector
:math:`v` of :math:`A^\top` (:math:`A` the :math:`M \times n` feature matrix) the update
:math:`c \leftarrow c - t v` with :math:`t = \min_{v_j > 0} c_j / v_j` keeps :math:`A^\top c`, keeps
:math:`c \ge 0` and zeroes one weight.  The paper recomputes a null vector after every removal
(:math:`O(M)` factorisations).  Here the whole null space is factorised once and each used null vector is
eliminated from the remaining ones at the removed index (a rank-one update), so the remaining vectors stay
null vectors supported on the surviving points: one factorisation, :math:`O(M^2 n)` work in all.

*Tree recombination* (:func:`recombine`; Litterer & Lyons 2012, Tchernychova 2016, Maalouf et al. 2019).
Split the :math:`M` points into :math:`2n` groups, replace each group by its barycentre with the group's
mass, reduce those :math:`2n` barycentres to at most :math:`n` by elimination, and keep only the points of
the surviving groups (their weights scaled by the group's factor).  Each round halves the points at a
cost of :math:`O(M n + n^3)`, so the total is :math:`O(N n + n^3 \log(N/n))`.

For large :math:`N` the first round works on streamed chunks: features are evaluated ``chunk_size`` rows at
a time and only group sums are kept, so memory is :math:`O(\mathrm{chunk} \cdot n + n^2)` rather than
:math:`O(N n)`.

Every call verifies the result: the moment residual in the stable basis is measured with accurately rounded
sums and a :class:`~unicomp.errors.PrecisionError` is raised if it exceeds the tolerance.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError, PrecisionError
from unicomp.numerics.backends import Backend, get_backend
from unicomp.numerics.basis import ChebyshevBasis, num_moments
from unicomp.numerics.result import Compression
from unicomp.validation import as_degree, as_points, as_positive_int, as_weights

__all__ = ["caratheodory", "moment_residual", "recombine"]

#: A null-vector entry below this fraction of the vector's largest entry is treated as zero when
#: choosing the step length; it keeps round-off noise from selecting a pivot.
_PIVOT_FRACTION = 1e-13


def caratheodory(matrix: NDArray[Any], weights: NDArray[Any], backend: Backend) -> NDArray[Any]:
    r"""Caratheodory elimination with a single null-space factorisation.

    Parameters
    ----------
    matrix : ndarray, shape (M, n)
        Row :math:`j` is the feature vector of item :math:`j`.
    weights : ndarray, shape (M,)
        Positive weights.
    backend : Backend
        Supplies the null space.

    Returns
    -------
    ndarray, shape (M,)
        New non-negative weights with ``matrix.T @ new == matrix.T @ weights`` (up to rounding) and at most
        ``rank(matrix)`` non-zeros.

    Notes
    -----
    With :math:`V` a basis of :math:`\ker A^\top`, take its columns in turn.  Column :math:`v` gives
    :math:`t = \min_{v_j>0} c_j/v_j` at index :math:`p`; set :math:`c \leftarrow c - t v` and
    :math:`c_p = 0`, then replace each later column :math:`u` by :math:`u - (u_p / v_p) v`, which is still in
    the kernel and now vanishes at :math:`p`.  Each step removes one item, so :math:`M - \mathrm{rank}`
    items go.  Because the constant polynomial is a feature, every kernel vector sums to zero and has a
    positive entry (after a sign flip).
    """
    null = backend.null_space(matrix)
    c = weights.copy()
    q = null.shape[1]
    for j in range(q):
        v = null[:, j]
        big = np.max(np.abs(v))
        if not big > 0:
            continue
        positive = v > big * _PIVOT_FRACTION
        if not np.any(positive):
            v = -v
            positive = v > big * _PIVOT_FRACTION
        candidates = np.flatnonzero(positive)
        ratios = c[candidates] / v[candidates]
        pick = int(np.argmin(ratios))
        p = int(candidates[pick])
        c = c - ratios[pick] * v
        c[p] = 0
        c[c < 0] = 0
        if j + 1 < q:
            rest = null[:, j + 1 :]
            rest -= np.outer(v / v[p], rest[p])
            rest[p] = 0
    return c


def _group_bounds(count: int, groups: int) -> NDArray[np.int64]:
    """Start offsets of ``groups`` near-equal contiguous groups of ``count`` items (plus the end)."""
    return np.linspace(0, count, groups + 1).astype(np.int64)


def _reduce_groups(
    sums: NDArray[Any], masses: NDArray[Any], backend: Backend
) -> NDArray[Any]:
    """Reduce groups given by feature sums and masses; returns each group's scale factor (0 = dropped)."""
    bary = sums / masses[:, None]
    kept_idx, kept_w = _tree_reduce(bary, masses, backend)
    factor = np.zeros_like(masses)
    factor[kept_idx] = kept_w / masses[kept_idx]
    return factor


def _tree_reduce(
    features: NDArray[Any], weights: NDArray[Any], backend: Backend
) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """In-memory tree recombination; returns kept row indices and their weights."""
    n = features.shape[1]
    active = np.arange(features.shape[0])
    w = weights
    while active.shape[0] > 2 * n:
        bounds = _group_bounds(active.shape[0], 2 * n)
        starts, sizes = bounds[:-1], np.diff(bounds)
        sums = np.add.reduceat(w[:, None] * features[active], starts, axis=0)
        masses = np.add.reduceat(w, starts)
        factor = _reduce_groups(sums, masses, backend)
        per_item = np.repeat(factor, sizes)
        keep = per_item > 0
        active = active[keep]
        w = (w * per_item)[keep]
    final = caratheodory(features[active], w, backend)
    keep = final > 0
    return active[keep], final[keep]


def _streamed_group_sums(
    points: NDArray[Any],
    weights: NDArray[Any],
    basis: ChebyshevBasis,
    bounds: NDArray[np.int64],
    chunk_size: int,
) -> NDArray[Any]:
    """Weighted feature sums of contiguous groups, evaluating features a chunk of groups at a time."""
    groups = bounds.shape[0] - 1
    out = None
    g = 0
    while g < groups:
        g_end = g + 1
        while g_end < groups and bounds[g_end + 1] - bounds[g] <= chunk_size:
            g_end += 1
        lo, hi = int(bounds[g]), int(bounds[g_end])
        feats = basis(points[lo:hi])
        feats *= weights[lo:hi, None]
        block = np.add.reduceat(feats, bounds[g:g_end] - lo, axis=0)
        if out is None:
            out = np.empty((groups, block.shape[1]), dtype=block.dtype)
        out[g:g_end] = block
        g = g_end
    if out is None:  # pragma: no cover - groups >= 1 always
        raise RuntimeError("no groups")
    return out


def _blocked_sums(values: NDArray[Any], block: int = 64) -> NDArray[Any]:
    """Partial sums over consecutive row blocks (short runs keep the rounding error small)."""
    starts = np.arange(0, values.shape[0], block)
    return np.add.reduceat(values, starts, axis=0)


def moment_residual(
    reference_sums: NDArray[Any],
    kept_points: NDArray[Any],
    kept_weights: NDArray[Any],
    mass: Any,
    basis: ChebyshevBasis,
    backend: Backend,
) -> float:
    r"""Largest moment discrepancy relative to the total mass.

    Parameters
    ----------
    reference_sums : ndarray, shape (B, n)
        Partial sums of the original weighted features (rows are blocks); summed accurately here.
    kept_points, kept_weights : ndarray
        The compressed set.
    mass : number
        Total input weight :math:`\sum_i c_i`.
    basis, backend
        Basis the features are evaluated in; arithmetic.

    Returns
    -------
    float
        :math:`\max_e |\sum_i c_i\Phi_e(w_i) - \sum_j c'_j\Phi_e(w_j)| / \sum_i c_i`.
    """
    reference = backend.column_sums(reference_sums)
    kept = backend.column_sums(kept_weights[:, None] * basis(kept_points))
    return max(float(abs(a - b) / mass) for a, b in zip(reference, kept, strict=True))


def recombine(
    points: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    degree: int,
    precision: int | None = None,
    tol: float | None = None,
    chunk_size: int = 16384,
) -> Compression:
    r"""Reduce a weighted point set to at most :math:`\binom{m+k}{k}` of its own points, moments kept.

    Parameters
    ----------
    points : array_like, shape (N, m) or (N,)
        The objects; a 1-D array means :math:`m = 1`.
    weights : array_like, shape (N,), optional
        Non-negative weights :math:`c_i` (default all one).  Zero-weight points are never kept.
    degree : int
        Every moment of total degree :math:`\le k` = ``degree`` is reproduced.
    precision : int, optional
        Decimal digits for an arbitrary-precision (mpmath) run; ``None`` (default) runs in float64.
    tol : float, optional
        Largest accepted relative moment residual; default 1e-10 in float64 and
        :math:`10^{-(\mathrm{precision}-5)}` in mpmath.
    chunk_size : int
        Rows of features evaluated at once; bounds the memory at about
        ``chunk_size * N_mk`` numbers.

    Returns
    -------
    Compression
        The kept indices (sorted), positive weights and the verified residual.  The number kept is at
        most the rank of the feature matrix, hence at most :math:`N_{m,k}`.

    Raises
    ------
    InputError
        Bad points, weights or degree.
    PrecisionError
        The measured residual exceeds ``tol``; pass ``precision=`` (digits) to work in higher precision.

    Notes
    -----
    Tree recombination (see the module notes) over the tensor-Chebyshev basis of the input's bounding
    box.  Cost :math:`O(N n + n^3 \log(N/n))` with :math:`n = N_{m,k}`; memory
    :math:`O(\mathrm{chunk} \cdot n + n^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> from unicomp import recombine
    >>> pts = np.random.default_rng(0).uniform(-1, 1, size=(1000, 2))
    >>> comp = recombine(pts, degree=3)
    >>> comp.size <= 10, bool(np.all(comp.weights > 0)), round(comp.mass, 9)
    (True, True, 1000.0)
    >>> comp.residual < 1e-12
    True
    """
    t0 = time.perf_counter()
    pts64 = as_points(points)
    k = as_degree(degree)
    w64 = as_weights(weights, pts64.shape[0])
    chunk = as_positive_int(chunk_size, "chunk_size")
    backend = get_backend(precision)
    tolerance = backend.tolerance if tol is None else float(tol)
    if not tolerance > 0:
        raise InputError(f"tol must be a positive number, got {tol!r}")

    support = np.flatnonzero(w64 > 0)
    n = num_moments(pts64.shape[1], k)
    timings: dict[str, float] = {}
    with backend.context():
        pts = backend.asarray(pts64[support])
        w = backend.asarray(w64[support])
        basis = ChebyshevBasis.fit(pts, k)
        mass = backend.column_sums(w[:, None])[0]
        count = pts.shape[0]
        budget = 4 * chunk
        if count <= budget:
            features = basis(pts)
            ref_sums = _blocked_sums(w[:, None] * features)
            timings["features"] = time.perf_counter() - t0
            kept, kept_w = _tree_reduce(features, w, backend)
            rounds = 0
        else:
            # One streamed round: groups small enough that the surviving groups fit in memory.
            groups = max(2 * n, -(-n * count // budget))
            bounds = _group_bounds(count, groups)
            ref_sums = _streamed_group_sums(pts, w, basis, bounds, chunk)
            timings["features"] = time.perf_counter() - t0
            masses = np.add.reduceat(w, bounds[:-1])
            factor = _reduce_groups(ref_sums, masses, backend)
            per_item = np.repeat(factor, np.diff(bounds))
            survivors = np.flatnonzero(per_item > 0)
            sub_w = w[survivors] * per_item[survivors]
            sub_kept, kept_w = _tree_reduce(basis(pts[survivors]), sub_w, backend)
            kept = survivors[sub_kept]
            rounds = 1
        t1 = time.perf_counter()
        timings["reduce"] = t1 - t0 - timings["features"]
        order = np.argsort(kept)
        kept, kept_w = kept[order], kept_w[order]
        residual = moment_residual(ref_sums, pts[kept], kept_w, mass, basis, backend)
        timings["verify"] = time.perf_counter() - t1
        if not residual <= tolerance:
            hint = (
                "pass precision=<digits> (e.g. 50) to recombine in arbitrary precision"
                if backend.digits is None
                else f"raise precision above {backend.digits} digits"
            )
            raise PrecisionError(
                f"moment residual {residual:.3e} exceeds the tolerance {tolerance:.1e} "
                f"(N={count}, m={pts64.shape[1]}, degree={k}); {hint}"
            )
        weights_float = backend.to_float(kept_w)
        weights_mp = None if backend.digits is None else kept_w
        basis64 = ChebyshevBasis(
            degree=k,
            center=backend.to_float(basis.center),
            half_width=backend.to_float(basis.half_width),
        )
    return Compression(
        indices=support[kept].astype(np.int64),
        weights=weights_float,
        degree=k,
        residual=residual,
        tolerance=tolerance,
        precision=backend.digits,
        n_input=pts64.shape[0],
        basis=basis64,
        method="recombine",
        timings=timings,
        weights_mp=weights_mp,
        info={"streamed_rounds": rounds, "num_moments": n},
    )
