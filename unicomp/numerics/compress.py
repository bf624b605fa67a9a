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
    Coarse rounds, each halving the number of active objects: the active objects are split into at most
    :math:`C = \lfloor g/N_{m,k} \rfloor` round cells for the round's goal :math:`g`
    (:func:`~unicomp.numerics.cluster.compact_partition`: balanced k-d cells re-drawn around their
    centroids), and cell :math:`j` is reduced from :math:`s_j` to exactly :math:`t_j` objects,
    :math:`\min(s_j, N_{m,k}) \le t_j \le s_j`, :math:`\sum_j t_j = g`.  All cells of a round are reduced
    together by the batched tree (:func:`~unicomp.numerics.tree.reduce_cells`; the same tree as
    :func:`~unicomp.numerics.caratheodory.recombine`, on the one kernel :mod:`unicomp.numerics.kernel`):
    levels of :math:`2N_{m,k}` barycentre groups halve large cells, and a last level of single objects
    removes exactly :math:`a_j - t_j`.  At three times the target (``CompressSettings.fine_from``; the last
    coarse goal is clamped to it) the fine phase starts, the greedy rule applied to many clusters at once:
    each round, every active object with its :math:`N_{m,k} + s - 1` nearest active neighbours is a candidate
    (:math:`s = \max(1, \lfloor N_{m,k}/8 \rfloor)`), and the pairwise-disjoint candidates with the
    smallest bound above, mass times radius to the :math:`k+1`
    (:func:`~unicomp.numerics.cluster.disjoint_by_score`), each lose :math:`s` objects in one batched
    elimination (:mod:`unicomp.numerics.fine`).  Every elimination step moves the least mass it can (the
    kernel's sign rule), the factor :math:`c(S)` of the bound above.  The last steps carry most of the error
    (their clusters are the widest), which is why round clusters and the fine phase matter there; against
    the authors' own compressor see ``benchmarks/results/quality.md``.  Cost :math:`O(d N_{m,k}^2)` plus
    the neighbour queries, memory :math:`O(d m)` plus a bounded working set (the fine phase holds
    :math:`2(N_{m,k}+s)` neighbours of each of at most :math:`3d'` objects).  Should an elimination step be
    skipped (a numerically vanishing null vector), a greedy finish removes the surplus, so the result never
    has more than :math:`d'` objects.
``"greedy"`` (the variant the theorems are proved for)
    Each step reduces the :math:`(N_{m,k}+1)`-subset of smallest diameter found
    (:class:`~unicomp.numerics.cluster.NearestClusterSearch`: exhaustive for small inputs, nearest-neighbour
    candidates otherwise) by exactly one object.  :math:`d - d'` steps.

Why the global moments are kept: each reduction keeps the moments of its cluster, and the moments of the
whole set are the sums of the clusters' moments (in any basis of :math:`\Pi_k`).  This is verified, never
assumed, by the shared finishing step (:mod:`unicomp.numerics.finish`): the global moment residual is
measured in the Chebyshev basis of the input's bounding box with accurately rounded sums and a
:class:`~unicomp.errors.PrecisionError` is raised above the tolerance.

With ``precision`` (decimal digits) the greedy steps run entirely in arbitrary precision (flint or mpmath);
the partition method finds the kept objects with its engine (float64 or torch) and then solves each cell's
moment equations for their weights by mixed-precision iterative refinement
(:func:`~unicomp.numerics.refine.refine_cells`; a cell beyond float64's condition numbers is reduced again
in the working precision).
"""

from __future__ import annotations

import time
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike

from unicomp.errors import InputError
from unicomp.numerics.backends import Backend, Float64Backend, get_backend
from unicomp.numerics.basis import num_moments
from unicomp.numerics.caratheodory import recombine
from unicomp.numerics.diagnostics import CompressInfo, CompressSettings, State
from unicomp.numerics.fine import greedy_steps
from unicomp.numerics.finish import Prepared, finish, prepare, reference_moments, working_basis
from unicomp.numerics.partition import partition_phase
from unicomp.numerics.result import Compression
from unicomp.validation import as_seed, as_size

__all__ = ["DEFAULT_METHOD", "METHODS", "Method", "compress"]

Method = Literal["partition", "greedy"]
#: Every method name :func:`compress` accepts.
METHODS: tuple[Method, ...] = get_args(Method)
#: The method a call without ``method=`` uses (the audit's FIG2 and RATE measure it).
DEFAULT_METHOD: Method = "partition"


def compress(
    points: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    degree: int,
    size: int | None = None,
    method: str = DEFAULT_METHOD,
    precision: int | None = None,
    seed: int | np.random.Generator = 0,
    progress: bool = False,
    tol: float | None = None,
    backend: str | Backend | None = None,
    device: Any = None,
    settings: CompressSettings | None = None,
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
    size : int, optional
        Target number :math:`d'` of kept objects, :math:`N_{m,k} = \binom{m+k}{k} \le d' \le d`.
        ``None`` (default): the smallest compression, a recombination to at most :math:`N_{m,k}` objects
        (:func:`~unicomp.numerics.caratheodory.recombine`; ``method``, ``seed``, ``progress`` and
        ``settings`` are then unused).  A size above the number of objects is an error (as numpy's
        ``choice(replace=False)``), ``size = d`` keeps every object.  The result has exactly
        ``min(size, number of positive weights)`` objects unless a reduction step meets exact ties
        (duplicated points), which can remove a few more; never more than ``size``.
    method : {"partition", "greedy"}
        ``"partition"``: batched round cells, then batched nearest-neighbour clusters (fast).
        ``"greedy"``: smallest-diameter :math:`(N_{m,k}+1)`-subsets one at a time (the variant of Thms 3-4).
    precision : int, optional
        Decimal digits for an arbitrary-precision (mpmath) result; ``None`` means float64.
    seed : int or numpy.random.Generator
        Seeds the random grouping inside cells (``"partition"``); the same integer seed gives the same
        result, a ``Generator`` is used as is (its state advances).
    progress : bool
        Show a tqdm progress bar for the greedy steps.
    tol : float, optional
        Largest accepted relative global moment residual (default as in
        :func:`~unicomp.numerics.caratheodory.recombine`).
    backend : str or Backend, optional
        Engine of the batched partition phase, ``"float64"`` (default) or ``"torch"``; with ``precision``
        it may instead name the arbitrary-precision backend (``"flint"``, ``"mpmath"``).
    device : str or torch.device, optional
        With ``backend="torch"``: where to run (default CUDA when available).
    settings : CompressSettings, optional
        Tuning of the partition method (default :class:`~unicomp.numerics.diagnostics.CompressSettings`).

    Returns
    -------
    Compression
        ``method`` is ``"partition"`` or ``"greedy"``; ``info`` holds the diagnostics
        (a :class:`~unicomp.numerics.diagnostics.CompressInfo`, readable as a mapping).  Partition:
        ``rounds``, ``levels`` (batched levels per round), ``cluster_diameters`` and ``cluster_masses``
        (exact diameter and mass of every cell of every round, for the Thm 3 bound), and for the last
        coarse round ``cells``, ``cell_sizes``, ``cell_targets``, ``cell_of`` (cell of every input object,
        -1 if not in that round); ``fine_rounds`` and ``fine_clusters`` (per fine round, the input indices
        of its disjoint clusters, shape (B, N + s)), whose diameters and masses close the two lists above;
        with ``precision``, ``cells_reduced_again`` (cells and clusters whose weights float64 could not
        guide, reduced again in the working precision; ``None`` when there were none).
        Every greedy step (the greedy method, or a partition's finish): ``step_diameters``,
        ``step_masses`` (the cluster's mass before the step), ``step_clusters`` (input indices) and
        ``search`` (``"exact"`` or ``"knn"``).  Always ``num_moments`` and ``target_size``.

    Raises
    ------
    InputError
        Bad points, weights, degree, method or seed, or ``size`` below :math:`N_{m,k}` (the message names
        the largest feasible degree for that size) or above the number of objects.
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
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}, got {method!r}")
    rng = as_seed(seed)
    chosen = CompressSettings() if settings is None else settings
    if not isinstance(chosen, CompressSettings):
        raise InputError(f"settings must be a CompressSettings, got {settings!r}")
    if size is None:
        return recombine(points, weights, degree=degree, precision=precision, tol=tol, backend=backend,
                         device=device)
    engine, precise = _backends(precision, backend, device)
    prep = prepare(points, weights, degree, tol, precise)
    target = as_size(size, m=prep.points.shape[1], degree=prep.degree, count=prep.n_input)
    if target is None:  # pragma: no cover - size is not None here
        raise InputError("size must be given")
    with precise.context():
        state = _reduce(prep, engine, precise, target, method, rng, chosen, progress)
        return _finish(state, prep, method)


def _backends(precision: int | None, backend: str | Backend | None, device: Any) -> tuple[Backend, Backend]:
    """The partition engine (hardware floats) and the working backend (float64 or arbitrary precision)."""
    if precision is None:
        return get_backend(None, backend, device), Float64Backend()
    named = get_backend(None, backend, device) if backend in (None, "float64", "torch") or (
        not isinstance(backend, str) and getattr(backend, "digits", 0) is None) else None
    if named is not None:
        return named, get_backend(precision)
    return Float64Backend(), get_backend(precision, backend)


def _reduce(prep: Prepared, engine: Backend, precise: Backend, target: int, method: str,
            rng: np.random.Generator, settings: CompressSettings, progress: bool) -> State:
    """Run the method on the positive-weight points; returns the final state.

    The state's points are the input's times :math:`2^{-s}` (exact), ``s`` the exponent of the largest
    coordinate, so distances and their squares neither overflow nor underflow at extreme scales (1e154,
    1e-154); every decision (neighbours, cells, diameters compared) is unchanged by a power-of-two scale.
    """
    start = precise.asarray(prep.scaled_weights) if precise.digits is not None else prep.scaled_weights.copy()
    info = CompressInfo(num_moments=num_moments(prep.points.shape[1], prep.degree), target_size=target,
                        engine=engine.name)
    pts = prep.points[prep.support]
    state = State(np.ldexp(pts, -_scale_exponent(pts)), start.copy(), start, precise, prep.degree,
                  info.num_moments, info, settings)
    if prep.support.shape[0] <= target:
        return state
    t1 = time.perf_counter()
    if method == "partition":
        # Refine the cells' weights when the working precision is finer than the engine's.
        finer = precise.null_residual_tolerance(1) < engine.null_residual_tolerance(1)
        partition_phase(state, target, engine, rng, precise if finer else None, progress)
        t1 = time.perf_counter()
        greedy_steps(state, target, progress)
        state.timings["finish"] = time.perf_counter() - t1
    else:
        greedy_steps(state, target, progress)
        state.timings["greedy"] = time.perf_counter() - t1
    return state


def _scale_exponent(points: np.ndarray) -> int:
    """Exponent ``s`` with the largest ``|coordinate|`` in :math:`[2^{s-1}, 2^s)` (0 for all-zero points)."""
    top = float(np.max(np.abs(points)))
    return int(np.frexp(top)[1]) if top > 0 else 0


def _finish(state: State, prep: Prepared, method: str) -> Compression:
    """Diagnostics in input indices, input units and input weight units, then the shared finishing step."""
    info, support = state.info, prep.support
    shift = _scale_exponent(prep.points[support])
    if info.cluster_diameters is not None:
        info.cluster_diameters = np.ldexp(info.cluster_diameters, shift)
    if info.step_diameters is not None:
        info.step_diameters = np.ldexp(info.step_diameters, shift)
    if info.cell_of is not None:
        full = np.full(prep.n_input, -1, dtype=np.int64)
        full[support] = info.cell_of
        info.cell_of = full
    if info.fine_clusters:
        info.fine_clusters = [support[c] for c in info.fine_clusters]
    if info.step_clusters is not None:
        info.step_clusters = support[info.step_clusters]
    if info.cluster_masses is not None:
        info.cluster_masses = np.ldexp(info.cluster_masses, prep.exponent)
    if info.step_masses is not None:
        info.step_masses = np.ldexp(info.step_masses, prep.exponent)
    backend = state.backend
    t0 = time.perf_counter()
    basis = working_basis(prep.box, backend)
    points = prep.points[support]
    pts = points if backend.digits is None else backend.asarray(points)
    reference = reference_moments(backend, basis, pts, state.input_weights)
    mass = backend.column_sums(state.input_weights[:, None])[0]
    kept = np.flatnonzero(state.positive())
    timings = {**state.timings, "verify": time.perf_counter() - t0}
    return finish(backend, prep, basis, reference, mass, support[kept], points[kept], state.weights[kept],
                  method=method, timings=timings, info=info, what="compress")
