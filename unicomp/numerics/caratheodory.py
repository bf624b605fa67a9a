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
the surviving groups (each group's new mass shared in proportion to the old weights).  Each round halves the points at a
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

import mpmath
import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError, PrecisionError
from unicomp.numerics.backends import Backend, get_backend
from unicomp.numerics.basis import ChebyshevBasis, num_moments
from unicomp.numerics.result import Compression
from unicomp.validation import as_degree, as_points, as_positive_int, as_weights

__all__ = ["caratheodory", "moment_residual", "recombine"]



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
    c = weights.copy()
    scale = np.max(np.abs(matrix)) if matrix.size else 0
    while True:
        support = np.flatnonzero(c > 0)
        sub = matrix[support]
        null = backend.null_space(sub)
        if null.shape[1] == 0 or not _eliminate(sub, c, support, null, scale, backend):
            return c


def _eliminate(
    sub: NDArray[Any], c: NDArray[Any], support: NDArray[np.int64], null: NDArray[Any], scale: Any,
    backend: Backend,
) -> bool:
    """Use the kernel basis ``null`` of ``sub.T`` to zero weights of ``c[support]`` in place.

    Returns True when rounding has built up in the updated kernel vectors (a vector no longer passes
    the null-vector test), in which case the caller refactorises on the remaining support.
    """
    w = c[support]
    q = null.shape[1]
    limit = backend.null_residual_tolerance(sub.shape[0]) * scale
    # A kernel-vector entry below this fraction of the vector's largest entry is round-off noise and must
    # not be chosen as the pivot (it would divide by noise).
    noise = backend.pivot_fraction
    stale = False
    for j in range(q):
        v = null[:, j]
        big = np.max(np.abs(v))
        if not big > 0:
            continue
        if j > 0 and np.max(np.abs(sub.T @ v)) > limit * big:
            stale = True
            break
        positive = v > big * noise
        if not np.any(positive):
            v = -v
            positive = v > big * noise
        candidates = np.flatnonzero(positive)
        ratios = w[candidates] / v[candidates]
        pick = int(np.argmin(ratios))
        p = int(candidates[pick])
        w -= ratios[pick] * v
        w[p] = 0
        w[w < 0] = 0
        if j + 1 < q:
            rest = null[:, j + 1 :]
            rest -= np.outer(v / v[p], rest[p])
            rest[p] = 0
    c[support] = w
    return stale


def _group_bounds(count: int, groups: int) -> NDArray[np.int64]:
    """Start offsets of ``groups`` near-equal contiguous groups of ``count`` items (plus the end)."""
    return np.linspace(0, count, groups + 1).astype(np.int64)


def _reduce_groups(
    sums: NDArray[Any], weights: NDArray[Any], sizes: NDArray[np.int64], backend: Backend
) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Reduce consecutive groups of items, given the groups' weighted feature sums.

    Returns the items of the surviving groups and their new weights: each surviving group's new mass is
    shared among its items in proportion to their old weights.  (Computing ``w_i / mass_g`` first keeps
    every factor in [0, 1], so no overflow even when a tiny group receives a large mass.)
    """
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    masses = np.add.reduceat(weights, starts)
    kept_idx, kept_mass = _tree_reduce(sums / masses[:, None], masses, backend)
    new_mass = np.zeros_like(masses)
    new_mass[kept_idx] = kept_mass
    per_item_new = np.repeat(new_mass, sizes)
    items = np.flatnonzero(per_item_new > 0)
    share = weights[items] / np.repeat(masses, sizes)[items]
    return items, share * per_item_new[items]


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
        items, w = _reduce_groups(sums, w, sizes, backend)
        active = active[items]
    final = caratheodory(features[active], w, backend)
    keep = final > 0
    return active[keep], final[keep]


def _streamed_group_sums(
    points: NDArray[Any],
    weights: NDArray[Any],
    basis: ChebyshevBasis,
    group_size: int,
    chunk_size: int,
) -> NDArray[Any]:
    """Weighted feature sums of consecutive groups of ``group_size`` points, a chunk of rows at a time."""
    rows = max(group_size, (chunk_size // group_size) * group_size)
    blocks = [
        basis.group_sums(points[lo : lo + rows], weights[lo : lo + rows], group_size)
        for lo in range(0, points.shape[0], rows)
    ]
    return np.concatenate(blocks, axis=0)


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


def _polish(
    reference_sums: NDArray[Any], kept_points: NDArray[Any], kept_weights: NDArray[Any], basis: ChebyshevBasis,
    backend: Backend,
) -> NDArray[Any]:
    r"""One step of iterative refinement of the kept weights against the input's moments.

    Solves :math:`\Phi_S^\top \delta = b - \Phi_S^\top c'` in the least-squares sense (QR or SVD, backward
    stable, so the new residual usually is of the order of the working precision even when :math:`\Phi_S` is
    ill-conditioned, e.g. tight clusters) and returns :math:`c' + \delta` if it stays positive, else
    :math:`c'` unchanged (also when the solver finds the system numerically singular).  The caller keeps
    whichever weights have the smaller measured residual.
    """
    feats = basis(kept_points)
    reference = backend.column_sums(reference_sums)
    current = backend.column_sums(kept_weights[:, None] * feats)
    rhs = np.array([a - b for a, b in zip(reference, current, strict=True)], dtype=feats.dtype)
    try:
        polished = kept_weights + backend.lstsq(feats.T, rhs)
    except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):  # numerically singular: keep c'
        return kept_weights
    return polished if bool(np.all(polished > 0)) else kept_weights


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
    if not 0 < tolerance < float("inf"):
        raise InputError(f"tol must be a positive finite number, got {tol!r}")

    support = np.flatnonzero(w64 > 0)
    n = num_moments(pts64.shape[1], k)
    timings: dict[str, float] = {}
    with backend.context():
        pts = backend.asarray(pts64[support])
        # Weights are rescaled by a power of two (exact) so that the largest is in [0.5, 1): extreme
        # magnitudes (1e-300 or 1e300) would otherwise underflow or overflow in the feature sums.
        exponent = int(np.frexp(w64[support].max())[1])
        w = backend.asarray(np.ldexp(w64[support], -exponent))
        # The box of all input points (zero weights included), so the basis is bounded on the input.
        box = ChebyshevBasis.fit(pts64, k)
        basis = ChebyshevBasis(k, backend.asarray(box.center), backend.asarray(box.half_width))
        mass = backend.column_sums(w[:, None])[0]
        count = pts.shape[0]
        budget = chunk
        if count <= budget:
            features = basis(pts)
            ref_sums = _blocked_sums(w[:, None] * features)
            timings["features"] = time.perf_counter() - t0
            kept, kept_w = _tree_reduce(features, w, backend)
            rounds = 0
        else:
            # One streamed round: groups of `size` points, so the at most n surviving groups hold at
            # most `budget` points and fit in memory for the in-memory tree.
            size = max(1, budget // n)
            ref_sums = _streamed_group_sums(pts, w, basis, size, chunk)
            timings["features"] = time.perf_counter() - t0
            bounds = np.append(np.arange(0, count, size), count)
            survivors, sub_w = _reduce_groups(ref_sums, w, np.diff(bounds), backend)
            sub_kept, kept_w = _tree_reduce(basis(pts[survivors]), sub_w, backend)
            kept = survivors[sub_kept]
            rounds = 1
        t1 = time.perf_counter()
        timings["reduce"] = t1 - t0 - timings["features"]
        order = np.argsort(kept)
        kept, kept_w = kept[order], kept_w[order]
        residual = moment_residual(ref_sums, pts[kept], kept_w, mass, basis, backend)
        polished = _polish(ref_sums, pts[kept], kept_w, basis, backend)
        polished_residual = moment_residual(ref_sums, pts[kept], polished, mass, basis, backend)
        if polished_residual < residual:
            kept_w, residual = polished, polished_residual
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
        weights_float = np.ldexp(backend.to_float(kept_w), exponent)
        weights_mp = None if backend.digits is None else np.array([mpmath.ldexp(v, exponent) for v in kept_w])
    return Compression(
        indices=support[kept].astype(np.int64),
        weights=weights_float,
        degree=k,
        residual=residual,
        tolerance=tolerance,
        precision=backend.digits,
        n_input=pts64.shape[0],
        basis=box,
        method="recombine",
        timings=timings,
        weights_mp=weights_mp,
        info={"streamed_rounds": rounds, "num_moments": n},
    )
