r"""Sharded compression on Dask: compress shards independently, merge, compress again (exact for moments).

Moments add: for a data set split into shards :math:`D = D_1 \cup \dots \cup D_S`,

.. math:: \sum_{i \in D} c_i \Phi(w_i) = \sum_{s=1}^S \sum_{i \in D_s} c_i \Phi(w_i),

so if each shard is replaced by a weighted subset with the same moments of degree :math:`\le k`, the union
of those subsets has the moments of the whole set, and compressing the union once more keeps them again.
Each shard is reduced on a Dask worker, so memory per worker is that of one shard; only the survivors
(at most :math:`N_{m,k}` per shard for a recombination) travel to the client.

The result is verified against the whole data set without gathering it: every worker also returns the
accurately rounded sums :math:`\sum_{i \in D_s} c_i \Phi(w_i)` in one global Chebyshev basis (fitted to the
bounding box of all shards, found in a first pass), and the client compares their sum with the merged
result's moments.

Dask (the ``dist`` extra: ``dask[array]``, ``distributed``) is imported when :func:`compress_sharded` runs.
With no ``client`` a :class:`~distributed.LocalCluster` is started for the call and closed afterwards; any
scheduler address (``"tcp://host:8786"``) or an existing :class:`~distributed.Client` works as well.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from unicomp.errors import InputError
from unicomp.numerics.backends import Float64Backend
from unicomp.numerics.basis import ChebyshevBasis, num_moments
from unicomp.numerics.compress import Method
from unicomp.numerics.diagnostics import ShardedInfo
from unicomp.numerics.finish import Prepared, finish, reference_moments, resolve_tolerance
from unicomp.numerics.reduce import reduce
from unicomp.numerics.result import Compression
from unicomp.validation import as_degree, as_int, as_points, as_positive_int, as_size

__all__ = ["compress_sharded", "shard_moments"]

def shard_moments(points: NDArray[np.float64], weights: NDArray[np.float64], basis: ChebyshevBasis) -> list[float]:
    r"""Accurately rounded weighted feature sums :math:`\sum_i c_i \Phi_e(w_i)`, features in ``basis``.

    Parameters
    ----------
    points : ndarray, shape (N, m)
    weights : ndarray, shape (N,)
    basis : ChebyshevBasis

    Returns
    -------
    list of float, length ``basis.size``
        As :func:`~unicomp.numerics.finish.reference_moments`: features evaluated in chunks, summed in
        blocks of 64 rows, the block sums added with ``math.fsum``.

    Examples
    --------
    >>> pts = np.array([[0.0], [1.0], [2.0]])
    >>> shard_moments(pts, np.ones(3), ChebyshevBasis.fit(pts, 2))
    [3.0, 0.0, 1.0]
    """
    return reference_moments(Float64Backend(), basis, points, weights)


# ---- worker-side tasks (module level, so processes can import them) ----


def _load(path: str) -> NDArray[np.float64]:
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"cannot read shard {path} as a .npy array: {exc}") from None
    return as_points(arr, f"shard {path}")


def _box(points: Any) -> tuple[int, NDArray[np.float64], NDArray[np.float64]]:
    pts = as_points(points, "shard")
    return pts.shape[0], pts.min(axis=0), pts.max(axis=0)


def _reduce_shard(
    points: Any,
    offset: int,
    basis: ChebyshevBasis,
    target: int | None,
    method: Method,
    seed: int,
) -> dict[str, Any]:
    """Compress one shard; return its survivors (global indices) and its moments in the global basis."""
    pts = as_points(points, "shard")
    ones = np.ones(pts.shape[0])
    comp = reduce(pts, degree=basis.degree, size=target, method=method, seed=seed + offset)
    idx, w = comp.indices, comp.weights
    return {
        "indices": idx + offset,
        "weights": w,
        "points": pts[idx],
        "moments": shard_moments(pts, ones, basis),
        "count": pts.shape[0],
    }


# ---- client side ----


@contextlib.contextmanager
def _environment_kept() -> Iterator[None]:
    """Restore ``os.environ`` on exit.

    Starting a ``LocalCluster`` sets variables in the calling process for its worker processes
    (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MALLOC_TRIM_THRESHOLD_``,
    ``PYTHONHASHSEED``, ``__DASK_PARENT_PID``...); a call that opened its own cluster must not leave them
    behind (they would change the thread count of every later BLAS call of the user's process).
    """
    saved = dict(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        for key, value in saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


def _open_client(client: Any) -> tuple[Any, list[Any]]:
    """The client to use and the objects this call opened (to close afterwards)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - the dist extra is installed in development
        raise InputError("compress_sharded needs the 'dist' extra: pip install 'unicomp[dist]'") from exc
    if client is None:
        # No dashboard, and the scheduler's HTTP endpoint on a free port (the default 8787 may be taken).
        cluster = LocalCluster(
            n_workers=min(4, os.cpu_count() or 1),
            threads_per_worker=1,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
        )
        own = Client(cluster)
        return own, [own, cluster]
    if isinstance(client, str):
        own = Client(client)
        return own, [own]
    if isinstance(client, Client):
        return client, []
    raise InputError(f"client must be None, a scheduler address or a distributed.Client, got {client!r}")


def _shard_futures(shards: Any, client: Any) -> list[Any]:
    """Futures of the shard arrays: scattered arrays, loaded ``.npy`` files or computed Dask blocks."""
    if type(shards).__module__.startswith("dask"):
        arr = shards if shards.ndim == 2 else shards[:, None]
        blocks = arr.rechunk({1: -1}).to_delayed().ravel().tolist()
        return list(client.compute(blocks))
    if not isinstance(shards, Sequence) or isinstance(shards, str | bytes) or len(shards) == 0:
        raise InputError("shards must be a non-empty list of arrays, a list of .npy paths, or a Dask array")
    if all(isinstance(s, str | os.PathLike) for s in shards):
        paths = [Path(s) for s in shards]
        for p in paths:
            if not p.is_file():
                raise InputError(f"cannot read shard {p}: no such file")
        return [client.submit(_load, str(p.resolve()), pure=False) for p in paths]
    arrays = [as_points(s, f"shards[{i}]") for i, s in enumerate(shards)]
    return list(client.scatter(arrays, hash=False))


def _shard_targets(counts: list[int], size: int | None, floor: int, oversample: float) -> list[int | None]:
    """Per-shard sizes: ``None`` (recombine) or an ``oversample``-fold share of ``size``, at least ``floor``.

    A shard with at most ``floor`` rows, or fewer rows than its share, is kept whole (size = its rows).
    """
    if size is None:
        return [None] * len(counts)
    total = sum(counts)
    return [min(c, max(floor, math.floor(oversample * size * c / total))) for c in counts]


def compress_sharded(
    shards: Any,
    *,
    degree: int,
    size: int | None = None,
    client: Any = None,
    method: Method = "partition",
    seed: int = 0,
    oversample: float = 2.0,
    tol: float | None = None,
) -> Compression:
    r"""Compress a data set given in shards, on Dask workers; exact for the moments of degree :math:`\le k`.

    Parameters
    ----------
    shards : list of array_like (N_s, m), list of ``.npy`` paths, or a Dask array (N, m)
        The data, in pieces (a Dask array is split along its row chunks).  The objects are the rows of the
        pieces concatenated in order; all pieces share the same ``m``.  Paths are read on the workers.
    degree : int
        Moments of total degree :math:`\le k` are kept.
    size : int, optional
        ``None``: recombination, at most :math:`N_{m,k}` objects in the result.  Otherwise the target size
        :math:`N_{m,k} \le d' \le N` (the rule of :func:`~unicomp.validation.as_size`): each shard is
        compressed (Algorithm 1, :func:`~unicomp.numerics.compress.compress`) to ``oversample`` times its
        share of :math:`d'` (at least :math:`N_{m,k}`, at most its rows), and the merged survivors are
        compressed to :math:`d'` (kept whole when there are no more than :math:`d'` of them).
    client : None, str or distributed.Client
        ``None`` starts a ``LocalCluster`` (one single-threaded worker per core, up to 4) for this call;
        a string is a scheduler address; a ``Client`` is used as is (and left open).
    method, seed
        Passed to :func:`~unicomp.numerics.compress.compress` (shard ``s`` at offset :math:`o_s` uses seed
        ``seed + o_s``, so ``seed`` is a non-negative integer here).
    oversample : float
        How many times its share of ``size`` each shard keeps before the final compression (``>= 1``).
    tol : float, optional
        Largest accepted relative moment residual of the result against the whole data (default 1e-10).

    Returns
    -------
    Compression
        ``indices`` refer to the concatenated input; ``basis`` is the Chebyshev basis of the global
        bounding box, in which ``residual`` was measured against the sums of every shard.  ``method`` is
        ``"sharded-recombine"`` or ``"sharded-<method>"``; ``info`` has ``shards``, ``shard_sizes``,
        ``survivors`` (merged count before the final step), ``workers``, ``num_moments`` and, with ``size``,
        ``target_size``.

    Raises
    ------
    InputError
        Bad shards (unreadable, non-finite, mismatched dimensions), degree, size or client.
    PrecisionError
        The verified residual against the whole data exceeds ``tol``.

    Notes
    -----
    Exactness: with :math:`S_s` the survivors of shard :math:`s`,
    :math:`\sum_{j \in S_s} c'_j \Phi(w_j) = \sum_{i \in D_s} \Phi(w_i)` up to rounding, so the union has
    the moments of :math:`D` and the final step keeps them (every step is a moment-preserving
    re-weighting; Thm 2).  Cost: :math:`O(N_s N_{m,k} + N_{m,k}^3 \log N_s)` per shard for a
    recombination, run in parallel; :math:`O(S N_{m,k})` objects are gathered.

    Examples
    --------
    >>> import numpy as np
    >>> from distributed import Client, LocalCluster
    >>> rng = np.random.default_rng(0)
    >>> shards = [rng.uniform(-1, 1, size=(500, 2)) for _ in range(3)]
    >>> quiet = {"dashboard": False, "dashboard_address": ":0"}  # no dashboard, any free port
    >>> with LocalCluster(n_workers=1, processes=False, dashboard_address=None, scheduler_kwargs=quiet) as cluster, \
    ...         Client(cluster) as client:
    ...     comp = compress_sharded(shards, degree=3, client=client)
    >>> comp.size <= 10, comp.n_input, round(comp.mass, 9), comp.residual < 1e-12
    (True, 1500, 1500.0, True)
    """
    k = as_degree(degree)
    target = None if size is None else as_positive_int(size, "size")
    seed = as_int(seed, "seed")
    backend = Float64Backend()
    tolerance = resolve_tolerance(tol, backend)
    if not (isinstance(oversample, int | float) and oversample >= 1):
        raise InputError(f"oversample must be a number >= 1, got {oversample!r}")
    t0 = time.perf_counter()
    with _environment_kept():
        parts, counts, basis, workers, times = _run_shards(shards, client, k, target, method, seed, oversample)
    t1, t2 = times
    total = sum(counts)
    target = as_size(target, m=basis.dim, degree=k, count=total)
    merged_idx = np.concatenate([p["indices"] for p in parts])
    merged_w = np.concatenate([p["weights"] for p in parts])
    merged_pts = np.concatenate([p["points"] for p in parts])
    final_size = None if target is None else min(target, merged_idx.shape[0])
    final = reduce(merged_pts, merged_w, degree=k, size=final_size, method=method, seed=seed)
    t3 = time.perf_counter()
    prep = Prepared(merged_pts, merged_idx, merged_w, 0, k, tolerance, basis, total)
    reference = [math.fsum(col) for col in zip(*(p["moments"] for p in parts), strict=True)]
    timings = {"boxes": t1 - t0, "shards": t2 - t1, "merge": t3 - t2}
    info = ShardedInfo(shards=len(counts), shard_sizes=counts, survivors=int(merged_idx.shape[0]), workers=workers,
                       num_moments=num_moments(basis.dim, k), target_size=target)
    return finish(backend, prep, basis, reference, float(total), merged_idx[final.indices],
                  merged_pts[final.indices], final.weights, timings=timings, info=info,
                  method="sharded-recombine" if target is None else f"sharded-{method}",
                  hint=f"measured against the whole data of {len(counts)} shards; "
                  "use fewer, larger shards or a lower degree")


def _run_shards(shards: Any, client: Any, k: int, target: int | None, method: Method, seed: int,
                oversample: float) -> tuple[list[dict[str, Any]], list[int], ChebyshevBasis, int, tuple[float, float]]:
    """The worker side: bounding boxes, the global basis, then every shard reduced.

    Returns the shards' results, their row counts, the global basis, the number of workers and the times
    at which the boxes and the shard reductions were done.
    """
    active, opened = _open_client(client)
    try:
        futures = _shard_futures(shards, active)
        boxes = active.gather([active.submit(_box, f, pure=False) for f in futures])
        dims = {int(lo.shape[0]) for _, lo, _ in boxes}
        if len(dims) != 1:
            raise InputError(f"all shards must have the same number of columns, got {sorted(dims)}")
        counts = [int(c) for c, _, _ in boxes]
        m = dims.pop()
        n_mk = num_moments(m, k)
        as_size(target, m=m, degree=k, count=sum(counts))
        lo = np.min([b[1] for b in boxes], axis=0)
        hi = np.max([b[2] for b in boxes], axis=0)
        basis = ChebyshevBasis.fit(np.stack([lo, hi]), k)
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).tolist()
        t1 = time.perf_counter()
        parts = active.gather(
            [
                active.submit(_reduce_shard, f, int(o), basis, t, method, seed, pure=False)
                for f, o, t in zip(futures, offsets, _shard_targets(counts, target, n_mk, oversample), strict=True)
            ]
        )
        workers = len(active.scheduler_info().get("workers", {}))
    finally:
        for obj in opened:
            obj.close()
    return parts, counts, basis, workers, (t1, time.perf_counter())
