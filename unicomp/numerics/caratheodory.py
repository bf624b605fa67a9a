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
*Caratheodory elimination* (:func:`~unicomp.numerics.kernel.caratheodory`, the paper's Algorithm 2 with
one factorisation; see :mod:`unicomp.numerics.kernel`) and *tree recombination*
(:func:`~unicomp.numerics.tree.reduce_cells` on one cell; Litterer & Lyons 2012, Tchernychova 2016,
Maalouf et al. 2019): groups of points are replaced by their barycentres, the barycentres reduced, and only
the points of surviving groups kept, halving the points per level at a cost of :math:`O(M n + n^3)`, so the
total is :math:`O(N n + n^3 \log(N/n))` with :math:`n = N_{m,k}`.

For large :math:`N` a first round works on streamed chunks: features are evaluated ``chunk_size`` rows at
a time and only the sums of groups of :math:`\lfloor \mathrm{chunk}/n \rfloor` points are kept, so memory
is :math:`O(\mathrm{chunk} \cdot n + n^2)` rather than :math:`O(N n)`.  Those group sums are also the
blocks of the accurately rounded input moments the result is verified against.

Any backend runs it (float64, mpmath, flint, torch on CPU or CUDA); the result is verified by the shared
finishing step (:mod:`unicomp.numerics.finish`), in float64 for torch.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.numerics.backends import Array, Backend, Float64Backend, get_backend
from unicomp.numerics.basis import ChebyshevBasis, num_moments
from unicomp.numerics.diagnostics import RecombineInfo
from unicomp.numerics.finish import SUM_BLOCK, Prepared, finish, moment_residual, prepare, working_basis
from unicomp.numerics.kernel import caratheodory
from unicomp.numerics.result import Compression
from unicomp.numerics.tree import Cells, reduce_cells
from unicomp.validation import as_positive_int

__all__ = ["caratheodory", "moment_residual", "recombine"]


def _tree(backend: Backend, features: Array, weights: NDArray[Any], n: int) -> tuple[NDArray[np.int64], Array]:
    """Tree recombination of one cell given its feature matrix, then elimination down to the rank.

    Returns the kept rows and their weights (working array).
    """
    count = int(features.shape[0])
    cells = Cells(rows=np.arange(count), weights=weights, counts=np.array([count]), targets=np.array([n]))
    cells = reduce_cells(backend, lambda rows: features[rows], cells, n, leaf=2 * n)
    final = caratheodory(features[cells.rows], backend.asarray(cells.weights), backend)
    keep = np.flatnonzero(backend.to_float(final) > 0)
    return cells.rows[keep], final[keep]


def _streamed_round(backend: Backend, basis: ChebyshevBasis, pts: Array, weights: Array, n: int,
                    chunk: int) -> tuple[NDArray[np.int64], NDArray[Any], NDArray[Any]]:
    """Group sums of ``chunk // n`` consecutive points, reduced to at most ``n`` groups.

    Returns the points of the surviving groups, their new weights (each group's new mass shared in
    proportion to the old weights, host array) and the group sums (the blocks of the input's moments).
    """
    size = max(1, chunk // n)
    rows = max(size, (chunk // size) * size)
    sums = backend.to_host(backend.xp.concatenate([
        backend.group_sums(basis, pts[lo : lo + rows], weights[lo : lo + rows], size)
        for lo in range(0, pts.shape[0], rows)
    ]))
    host_w = backend.to_host(weights)
    starts = np.arange(0, pts.shape[0], size)
    masses = np.add.reduceat(host_w, starts)
    kept, new_mass = _tree(backend, backend.asarray(sums / masses[:, None]), masses, n)
    sizes = np.diff(np.append(starts, pts.shape[0]))
    items = np.concatenate([np.arange(starts[g], starts[g] + sizes[g]) for g in kept])
    share = backend.to_host(new_mass) / masses[kept]
    return items, host_w[items] * np.repeat(share, sizes[kept]), sums


def recombine(
    points: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    degree: int,
    precision: int | None = None,
    tol: float | None = None,
    chunk_size: int = 16384,
    backend: str | Backend | None = None,
    device: Any = None,
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
        Decimal digits for an arbitrary-precision run (python-flint when installed, else mpmath);
        ``None`` (default) runs in float64.
    tol : float, optional
        Largest accepted relative moment residual; default 1e-10 in float64 and
        :math:`10^{-(\mathrm{precision}-5)}` in arbitrary precision.
    chunk_size : int
        Rows of features evaluated at once; bounds the memory at about ``chunk_size * N_mk`` numbers.
    backend : str or Backend, optional
        ``"float64"``, ``"mpmath"``, ``"flint"``, ``"torch"`` (see
        :func:`~unicomp.numerics.backends.get_backend`); default chosen from ``precision``.
    device : str or torch.device, optional
        With ``backend="torch"``: where to run (default CUDA when available, else the CPU).

    Returns
    -------
    Compression
        The kept indices (sorted), positive weights and the verified residual (in float64 for torch).
        The number kept is at most the rank of the feature matrix, hence at most :math:`N_{m,k}`.

    Raises
    ------
    InputError
        Bad points, weights, degree, tol, chunk size, backend or device.
    PrecisionError
        The measured residual exceeds ``tol``; pass ``precision=`` (digits) to work in higher precision.

    Notes
    -----
    Tree recombination (see the module notes) in the tensor-Chebyshev basis of the input's bounding box.
    Cost :math:`O(N n + n^3 \log(N/n))` with :math:`n = N_{m,k}`; memory
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
    engine = get_backend(precision, backend, device)
    verifier: Backend = engine if engine.xp is np else Float64Backend()
    prep = prepare(points, weights, degree, tol, verifier)
    chunk = as_positive_int(chunk_size, "chunk_size")
    n = num_moments(prep.points.shape[1], prep.degree)
    with engine.context():
        return _recombine(engine, verifier, prep, n, chunk, t0)


def _recombine(engine: Backend, verifier: Backend, prep: Prepared, n: int, chunk: int, t0: float) -> Compression:
    """The reduction and its verification, inside the engine's precision context."""
    pts = engine.asarray(prep.points[prep.support])
    w = engine.asarray(prep.scaled_weights)
    basis = working_basis(prep.box, engine)
    timings: dict[str, float] = {}
    if pts.shape[0] <= chunk:
        features = engine.features(basis, pts)
        blocks = engine.to_host(w[:, None] * features)
        sums = np.add.reduceat(blocks, np.arange(0, blocks.shape[0], SUM_BLOCK), axis=0)
        timings["features"] = time.perf_counter() - t0
        kept, kept_w = _tree(engine, features, engine.to_host(w), n)
        rounds = 0
    else:
        survivors, sub_w, sums = _streamed_round(engine, basis, pts, w, n, chunk)
        timings["features"] = time.perf_counter() - t0
        sub_kept, kept_w = _tree(engine, engine.features(basis, pts[survivors]), sub_w, n)
        kept = survivors[sub_kept]
        rounds = 1
    timings["reduce"] = time.perf_counter() - t0 - timings["features"]
    reference = verifier.column_sums(sums)
    mass = verifier.column_sums(engine.to_host(w)[:, None])[0]
    return finish(verifier, prep, working_basis(prep.box, verifier), reference, mass, prep.support[kept],
                  prep.points[prep.support[kept]], verifier.asarray(engine.to_host(kept_w)), method="recombine",
                  timings=timings, info=RecombineInfo(rounds, n, engine.name), what="recombine")
