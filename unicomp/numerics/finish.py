r"""The one preparation and finishing step every reduction shares: inputs, basis, scaling, verification.

Every reduction (:func:`~unicomp.numerics.caratheodory.recombine`, :func:`~unicomp.numerics.compress.compress`,
:func:`~unicomp.numerics.distributed.compress_sharded` and through them the data-set and network
compressions) starts with :func:`prepare` and ends with :func:`finish`:

* **Inputs.** Points, weights, degree and ``tol`` are validated (``tol`` must be a positive finite number;
  default the backend's :attr:`~unicomp.numerics.backends.Backend.tolerance`).
* **Basis convention.** :attr:`Compression.basis <unicomp.numerics.result.Compression.basis>` is the
  tensor-Chebyshev basis of the bounding box of *all* input points, zero-weight points included
  (for sharded data: of all shards).  Every feature is then bounded by one on the input, so the residual
  divided by the mass is a scale-free accuracy measure, and the same box is used whatever the method.
* **Scaling.** Weights are multiplied by :math:`2^{-e}` (exact) so that the largest lies in
  :math:`[1/2, 1)`; extreme magnitudes (1e-300, 1e300) would otherwise underflow or overflow in the feature
  sums.  The result's weights are scaled back exactly.
* **Verification.** The moments :math:`r_e = \sum_i c_i\Phi_e(w_i)` of the input are summed in blocks of
  64 rows and the blocks accurately rounded (:meth:`Backend.column_sums`); the kept set's moments
  :math:`s_e` likewise.  One step of least-squares refinement (:func:`polish`) of a reduced set is kept
  when it lowers the residual :math:`\max_e|r_e - s_e| / \sum_i c_i`, which must then be at most ``tol``, else
  :class:`~unicomp.errors.PrecisionError` names the remedy.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from math import comb
from typing import Any

import mpmath
import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError, PrecisionError
from unicomp.numerics.backends import Array, Backend, Scalar
from unicomp.numerics.basis import ChebyshevBasis
from unicomp.numerics.result import Compression
from unicomp.validation import as_degree, as_points, as_weights, largest_degree

__all__ = ["Prepared", "finish", "moment_residual", "polish", "prepare", "reference_moments", "resolve_tolerance"]

#: Rows per partial sum before the accurately rounded total (short runs keep the rounding error small).
SUM_BLOCK = 64
#: Rows of features evaluated at once when summing moments (memory ~ rows * N_mk numbers).
SUM_ROWS = 65536
#: Most moments N_mk accepted when they outnumber the points with positive weight.  Such a reduction keeps
#: (up to degenerate cases) every point, while listing the multi-indices and factorising the N x N_mk
#: feature matrix grows with N_mk without bound (degree 10**6 never finished; m = 1, degree 10**4 on 200
#: points spent minutes in one SVD).  Below this many moments the factorisation takes milliseconds.
MAX_EXCESS_MOMENTS = 1000
#: Largest total mass (of the input weights) accepted: the result's weights, which add up to it, must stay
#: finite float64 numbers with room for rounding (half the largest double).
MAX_MASS = 2.0**1023


def resolve_tolerance(tol: float | None, backend: Backend) -> float:
    """``tol`` validated (a positive finite number), or the backend's default."""
    if tol is None:
        return float(backend.tolerance)
    if isinstance(tol, bool) or not isinstance(tol, int | float | np.floating | np.integer):
        raise InputError(f"tol must be a positive finite number, got {tol!r}")
    value = float(tol)
    if not 0 < value < float("inf"):
        raise InputError(f"tol must be a positive finite number, got {tol!r}")
    return value


@dataclass(frozen=True)
class Prepared:
    """Validated inputs of one reduction (see the module notes).

    ``points`` are the points the driver reduces (all input points; for sharded data the merged
    survivors), ``support`` their input indices with positive weight, ``scaled_weights`` those weights
    times :math:`2^{-e}`; :func:`finish` only reads ``n_input``, ``degree``, ``tolerance``, ``exponent``
    and ``box``.
    """

    points: NDArray[np.float64]
    support: NDArray[np.int64]
    scaled_weights: NDArray[np.float64]
    exponent: int
    degree: int
    tolerance: float
    box: ChebyshevBasis
    n_input: int


def prepare(points: ArrayLike, weights: ArrayLike | None, degree: int, tol: float | None,
            backend: Backend) -> Prepared:
    """Validate the inputs, keep the positive weights scaled by :math:`2^{-e}`, fit the input's box."""
    pts = as_points(points)
    k = as_degree(degree)
    w = as_weights(weights, pts.shape[0])
    tolerance = resolve_tolerance(tol, backend)
    support = np.flatnonzero(w > 0)
    _check_moments(pts.shape[1], k, int(support.shape[0]))
    exponent = int(np.frexp(w[support].max())[1])
    scaled = np.ldexp(w[support], -exponent)
    total = float(np.sum(scaled))
    if np.log2(total) + exponent >= 1023:
        raise InputError(
            f"weights add up to about 2^{np.log2(total) + exponent:.1f}, beyond the float64 range the result's "
            f"weights must fit in (at most 2^1023 = {MAX_MASS:.3e}); divide the weights by a constant"
        )
    return Prepared(pts, support, scaled, exponent, k, tolerance, ChebyshevBasis.fit(pts, k), int(pts.shape[0]))


def _check_moments(m: int, degree: int, count: int) -> None:
    """Refuse a degree whose :math:`N_{m,k}` exceeds both the points and :data:`MAX_EXCESS_MOMENTS`."""
    n = comb(m + degree, degree)
    if n > max(count, MAX_EXCESS_MOMENTS):
        k = largest_degree(m, max(count, 1))
        raise InputError(
            f"degree={degree} gives N_(m,k) = C(m+k, k) = {n if n < 10**12 else f'{float(n):.3e}'} moments for "
            f"m={m}, more than the {count} points with positive weight: a reduction would keep every point, and "
            f"the feature matrix has too many columns to factorise (at most {MAX_EXCESS_MOMENTS} when the "
            f"moments outnumber the points); use degree <= {k} (N_(m,{k}) = {comb(m + k, k)} <= {count})"
        )


def working_basis(box: ChebyshevBasis, backend: Backend) -> ChebyshevBasis:
    """The float64 box basis with its centre and half-widths in the backend's number type."""
    if backend.digits is None:
        return box
    return ChebyshevBasis(box.degree, backend.asarray(box.center), backend.asarray(box.half_width))


def reference_moments(backend: Backend, basis: ChebyshevBasis, points: Array, weights: Array) -> list[Scalar]:
    r"""Accurately rounded :math:`\sum_i c_i \Phi_e(w_i)`, features evaluated ``SUM_ROWS`` rows at a time."""
    partial = []
    for r0 in range(0, points.shape[0], SUM_ROWS):
        block = weights[r0 : r0 + SUM_ROWS, None] * backend.features(basis, points[r0 : r0 + SUM_ROWS])
        partial.append(np.add.reduceat(block, np.arange(0, block.shape[0], SUM_BLOCK), axis=0))
    return backend.column_sums(np.concatenate(partial))


def _gap(reference: list[Scalar], kept: list[Scalar], mass: Scalar) -> float:
    """Largest moment discrepancy relative to the mass, as a float."""
    return max(float(abs(a - b) / mass) for a, b in zip(reference, kept, strict=True))


def moment_residual(reference: list[Scalar] | Array, kept_points: Array, kept_weights: Array, mass: Scalar,
                    basis: ChebyshevBasis, backend: Backend) -> float:
    r""":math:`\max_e |r_e - \sum_j c'_j\Phi_e(w_j)| / \text{mass}`.

    ``reference`` is the list of accurately rounded input moments :math:`r_e`, or a 2-D array of partial
    sums (rows are blocks) that is accurately summed here.
    """
    if not isinstance(reference, list):
        reference = backend.column_sums(reference)
    kept = backend.column_sums(kept_weights[:, None] * backend.features(basis, kept_points))
    return _gap(reference, kept, mass)


def polish(reference: list[Scalar], feats: Array, kept_weights: Array, backend: Backend,
           current: list[Scalar] | None = None) -> Array:
    r"""One step of iterative refinement of the kept weights against the input's moments.

    ``feats`` are the kept points' features :math:`\Phi_S` and ``current`` (optional) their accurately
    rounded moments :math:`\Phi_S^\top c'`.  Solves :math:`\Phi_S^\top \delta = r - \Phi_S^\top c'` in the
    least-squares (minimum-norm) sense, a backward-stable solve, so the new residual is usually of the order
    of the working precision even when :math:`\Phi_S` is ill-conditioned; returns :math:`c' + \delta` if it
    stays positive, else :math:`c'` (also when the solver finds the system numerically singular).
    """
    if current is None:
        current = backend.column_sums(kept_weights[:, None] * feats)
    rhs = np.array([a - b for a, b in zip(reference, current, strict=True)], dtype=np.asarray(kept_weights).dtype)
    try:
        polished = kept_weights + backend.lstsq(feats.T, rhs)
    except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):  # numerically singular: keep c'
        return kept_weights
    return polished if bool(np.all(np.asarray(polished > 0, dtype=bool))) else kept_weights


def _scale_back(values: Array, exponent: int) -> Array:
    """``values * 2**exponent`` exactly (np.ldexp for floats, a Python integer power for exact numbers)."""
    if np.asarray(values).dtype != object:
        return np.ldexp(np.asarray(values, dtype=np.float64), exponent)
    return values * (2**exponent) if exponent >= 0 else values / (2 ** (-exponent))


def _check_range(weights: NDArray[np.float64], exponent: int) -> None:
    """The result's float64 weights must be normal numbers: a subnormal weight has lost relative precision.

    The reduction runs on weights scaled by :math:`2^{-e}` and the residual is measured there; scaling back
    is exact unless a weight leaves the normal float64 range, which would make the verified residual a
    statement about numbers that are not the returned ones.
    """
    tiny = np.finfo(np.float64).tiny
    small = weights < tiny
    if np.any(small):
        raise InputError(
            f"weights are too small for float64: a kept weight would be {weights[small].min():.3e} (subnormal, below "
            f"{tiny:.3e}, relative precision lost) at input scale 2^{exponent}; multiply the weights by a constant "
            "and divide the result's weights by it"
        )


def _as_mpmath(values: Array, digits: int) -> NDArray[np.object_]:
    """Exact numbers as :class:`mpmath.mpf` (a ball's midpoint, exactly at the run's precision)."""
    with mpmath.workdps(digits):
        return np.array([mpmath.mpf(v) for v in values], dtype=object)


def remedy(backend: Backend, what: str) -> str:
    """What to do about a residual above the tolerance, for the message of :class:`PrecisionError`."""
    if backend.digits is None:
        return f"pass precision=<digits> (e.g. 50) to {what} in arbitrary precision"
    return f"raise precision above {backend.digits} digits"


def finish(backend: Backend, prep: Prepared, basis: ChebyshevBasis, reference: list[Scalar], mass: Scalar,
           indices: NDArray[np.int64], points: NDArray[np.float64], kept_weights: Array, *, method: str,
           timings: dict[str, float], info: Mapping[str, Any], what: str = "reduce",
           hint: str | None = None) -> Compression:
    """Verify a reduction and build its :class:`~unicomp.numerics.result.Compression`.

    Parameters
    ----------
    backend, prep, basis
        The verifying backend, the prepared inputs and the box basis in the backend's number type.
    reference, mass
        Accurately rounded input moments (of the scaled weights) in ``basis`` and their total mass.
    indices, points, kept_weights
        Input indices of the kept points, the points (float64) and their weights (scaled by
        :math:`2^{-e}`, in the backend's type).
    method, timings, info
        Recorded on the result.
    what, hint
        The error message's remedy: ``hint`` if given, else ``remedy()`` for the operation ``what``.

    Raises
    ------
    PrecisionError
        The residual after polishing exceeds ``prep.tolerance``.
    """
    t0 = time.perf_counter()
    order = np.argsort(indices)
    indices, points, kept_weights = indices[order], points[order], kept_weights[order]
    pts = points if backend.digits is None else backend.asarray(points)
    feats = backend.features(basis, pts)
    sums = backend.column_sums(kept_weights[:, None] * feats)
    residual = _gap(reference, sums, mass)
    # An input kept whole keeps its exact weights; a reduction gets one refinement step.
    whole = indices.shape[0] == prep.support.shape[0]
    polished = kept_weights if whole else polish(reference, feats, kept_weights, backend, sums)
    if polished is not kept_weights:
        polished_sums = backend.column_sums(polished[:, None] * feats)
        if _gap(reference, polished_sums, mass) < residual:
            kept_weights, sums, residual = polished, polished_sums, _gap(reference, polished_sums, mass)
    if not residual <= prep.tolerance:
        raise PrecisionError(
            f"moment residual {residual:.3e} exceeds the tolerance {prep.tolerance:.1e} (N={prep.n_input}, "
            f"size={indices.shape[0]}, m={prep.box.dim}, degree={prep.degree}, method={method}); "
            f"{hint or remedy(backend, what)}"
        )
    out = np.ldexp(backend.to_float(kept_weights), prep.exponent)
    _check_range(out, prep.exponent)
    bound = backend.residual_bound(reference, sums, mass)
    exact = None if backend.digits is None else _as_mpmath(_scale_back(kept_weights, prep.exponent), backend.digits)
    timings = {**timings, "verify": timings.get("verify", 0.0) + time.perf_counter() - t0}
    return Compression(
        indices=indices.astype(np.int64),
        weights=out,
        degree=prep.degree,
        residual=residual,
        tolerance=prep.tolerance,
        precision=backend.digits,
        n_input=prep.n_input,
        basis=prep.box,
        method=method,
        timings=timings,
        weights_mp=exact,
        info=info,
        residual_bound=bound,
    )
