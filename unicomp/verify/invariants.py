r"""The invariants every compression must satisfy, checked independently of the code that built it.

:func:`check_compression` is the one helper used by ``tests/``, :mod:`unicomp.verify` and
``paper_checks/`` alike (and by researchers testing their own compressors).  Given a
:class:`~unicomp.numerics.result.Compression` and the input it came from it re-derives, without trusting
anything the compression reports about itself:

0. the fields have the types and ranges of a fresh result (integer degree whose :math:`N_{m,k}` a
   reduction accepts, finite positive tolerance, precision within the supported digits, exact weights
   that round to the float64 ones), and the input lies in the basis box (the input's bounding box);
1. the kept set is a subset: sorted, unique, in-range integer indices;
2. the new weights are finite and strictly positive, one per kept object;
3. the support has at most :math:`N_{m,k} = \binom{m+k}{k}` objects (Tchakaloff), or at most the target
   size of a compression to a chosen size (Algorithm 1, ``info["target_size"]``);
4. the total mass is kept;
5. every moment of total degree :math:`\le k` is kept: both in the Chebyshev basis of the input's
   bounding box and as raw monomials of the box-scaled coordinates :math:`u = (w - o)/h \in [-1,1]^m`,
   each sum rounded exactly (``math.fsum``, or ``mpmath.fsum`` at the compression's precision);
6. the residual the compression reports agrees with the one recomputed here.

Why one tolerance serves both bases: :math:`u^j = \sum_i a_i T_i(u)` with :math:`a_i \ge 0` and
:math:`\sum_i a_i = 1` (evaluate at :math:`u = 1`), and the same holds for tensor products, so each scaled
monomial moment error is a convex combination of Chebyshev moment errors and cannot exceed the largest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
from numpy.typing import ArrayLike

from unicomp.errors import InputError, InvariantViolation
from unicomp.multiindex import num_moments
from unicomp.numerics.backends.numpy_backends import MAX_PRECISION
from unicomp.numerics.basis import ChebyshevBasis, monomial_features
from unicomp.numerics.finish import MAX_EXCESS_MOMENTS
from unicomp.numerics.result import Compression
from unicomp.validation import as_degree, as_int, as_points, as_weights

__all__ = ["InvariantReport", "InvariantViolation", "check_compression"]


@dataclass(frozen=True)
class InvariantReport:
    """What :func:`check_compression` measured."""

    size: int
    max_size: int
    mass_error: float
    chebyshev_residual: float
    monomial_residual: float
    reported_residual: float
    tolerance: float


def _exact_sums(values: Any, precision: int | None) -> list[Any]:
    cols = values.shape[1]
    if precision is None:
        return [math.fsum(values[:, j]) for j in range(cols)]
    return [mpmath.fsum(values[:, j]) for j in range(cols)]


def _as_tolerance(tol: Any) -> float:
    """``tol`` as a finite positive float, or :class:`InputError` naming it."""
    if isinstance(tol, bool) or not isinstance(tol, int | float | np.integer | np.floating):
        raise InputError(f"tol must be a positive real number, got {tol!r} ({type(tol).__name__})")
    value = float(tol) if not isinstance(tol, int) or abs(tol) < 2**1024 else math.inf  # beyond float: inf
    if not 0 < value < math.inf:
        raise InputError(f"tol must be finite and positive, got {tol!r}")
    return value


def _is_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


def _is_real(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)


def _check_types(comp: Compression) -> None:
    """The fields have the types of a fresh result, else the checks that follow could not even run."""
    try:
        idx, cw = np.asarray(comp.indices), np.asarray(comp.weights)
    except ValueError as exc:  # ragged sequences
        raise InvariantViolation(f"indices and weights must be arrays: {exc}") from None
    kinds = {
        "indices (a 1-D integer array)": idx.ndim == 1 and idx.dtype.kind in "iu",
        "weights (a 1-D real array)": cw.ndim == 1 and cw.dtype.kind in "iuf",
        "degree (an integer)": _is_int(comp.degree),
        "residual (a real number)": _is_real(comp.residual),
        "tolerance (a real number)": _is_real(comp.tolerance),
        "n_input (an integer)": _is_int(comp.n_input),
        "precision (None or an integer)": comp.precision is None or _is_int(comp.precision),
        "info (a mapping)": isinstance(comp.info, Mapping),
        "basis (a ChebyshevBasis)": isinstance(comp.basis, ChebyshevBasis),
    }
    wrong = [what for what, ok in kinds.items() if not ok]
    if wrong:
        raise InvariantViolation(f"wrong type of {', '.join(wrong)}")


def _outside_box(basis: ChebyshevBasis, pts: Any) -> bool:
    """Whether a point lies outside the basis box beyond rounding.

    A fresh result's box is the input's bounding box (:meth:`ChebyshevBasis.fit`): its centre and
    half-widths are each one halving and one rounded sum or difference of the extreme coordinates, so a
    point may exceed the box by a few units in the last place of the numbers involved (4 eps allowed, plus
    4 of the smallest subnormal spacing: halving a subnormal coordinate rounds in absolute terms).
    """
    try:
        center = np.asarray(basis.center, dtype=np.float64)
        half = np.asarray(basis.half_width, dtype=np.float64)
    except (TypeError, ValueError):
        return True
    if center.shape != half.shape:
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        excess = np.abs(pts - center) - half
        tiny = np.finfo(np.float64).smallest_subnormal
        slack = 4 * np.finfo(np.float64).eps * (np.abs(pts) + np.abs(center) + np.abs(half)) + 4 * tiny
        return not (np.all(half > 0) and np.all(excess <= slack))


def _allowed_size(comp: Compression, dim: int) -> int:
    """The largest support of ``comp``: :math:`N_{m,k}`, or its target size when that is larger."""
    target = comp.info.get("target_size", 0) if isinstance(comp.info, Mapping) else None
    if isinstance(target, bool) or not isinstance(target, int | np.integer) or target < 0:
        raise InvariantViolation(f"info['target_size'] must be a positive integer, got {target!r}")
    return max(num_moments(dim, comp.degree), int(target))


def _check_structure(comp: Compression, pts: Any, w: Any, max_size: int | None) -> int:
    """Invariants 1-3 and the consistency of the scalars; returns the allowed support size.

    Raises :class:`InvariantViolation`.
    """
    _check_types(comp)
    problems: list[str] = []
    idx = np.asarray(comp.indices)
    if comp.degree < 0:
        raise InvariantViolation(f"degree must be a non-negative integer, got {comp.degree!r}")
    # Bounds of any fresh result (reductions refuse more), which keep the checks below from running away.
    if num_moments(pts.shape[1], comp.degree) > max(pts.shape[0], MAX_EXCESS_MOMENTS):
        raise InvariantViolation(f"degree {comp.degree} gives more moments than a reduction of the points allows")
    precision = comp.precision
    if precision is not None and not 1 <= precision <= MAX_PRECISION:
        raise InvariantViolation(f"precision must be None or digits in [1, {MAX_PRECISION}], got {precision!r}")
    if not 0 < comp.tolerance < math.inf:
        problems.append(f"the compression's tolerance {comp.tolerance!r} is not finite and positive")
    if not 0 <= comp.residual < math.inf:
        problems.append(f"the reported residual {comp.residual!r} is not finite and non-negative")
    if np.shape(comp.basis.center) != (pts.shape[1],) or comp.basis.degree != comp.degree:
        problems.append(f"basis (centre shape {np.shape(comp.basis.center)}, degree {comp.basis.degree}) does not "
                        f"match the points (m={pts.shape[1]}) and degree {comp.degree}")
    if comp.n_input != pts.shape[0]:
        problems.append(f"n_input {comp.n_input} != number of points {pts.shape[0]}")
    # Compared as Python integers: no wrap-around of unsigned or overflow of huge values.
    in_range = idx.size == 0 or (int(idx.min()) >= 0 and int(idx.max()) < pts.shape[0])
    if not in_range:
        problems.append(f"indices out of range [0, {pts.shape[0]})")
    elif np.any(idx[1:] <= idx[:-1]):
        problems.append("indices are not strictly increasing (duplicates or unsorted)")
    cw = np.asarray(comp.weights, dtype=np.float64)
    if cw.shape != idx.shape:
        problems.append(f"weights shape {cw.shape} != indices shape {idx.shape}")
    elif not (np.all(np.isfinite(cw)) and np.all(cw > 0)):
        problems.append("weights must be finite and strictly positive")
    elif in_range and np.any(w[idx] == 0):
        problems.append("a zero-weight input point was kept")
    elif comp.weights_mp is not None:
        problems.extend(_exact_weight_problems(comp.weights_mp, cw))
    if precision is None and comp.weights_mp is not None:
        problems.append("weights_mp is set but precision is None")
    allowed = _allowed_size(comp, pts.shape[1]) if max_size is None else max_size
    if idx.size > allowed:
        problems.append(f"support {idx.size} exceeds the allowed {allowed} (N_(m,k) or the target size)")
    if problems:
        raise InvariantViolation("; ".join(problems))
    return allowed


#: The float64 weights are the exact weights rounded once (relative error <= 2^-53); 2^-52 allows for a
#: rounding of the exact weights at the working precision as well.
_ROUNDING = 2.0**-52


def _exact_weight_problems(exact: Any, weights: Any) -> list[str]:
    """Why the arbitrary-precision weights do not round to the float64 ones (empty when they do)."""
    exact = np.asarray(exact, dtype=object)
    if exact.shape != weights.shape:
        return [f"weights_mp shape {exact.shape} != weights shape {weights.shape}"]
    try:
        rounded = np.array([float(v) for v in exact])
    except (TypeError, ValueError) as exc:
        return [f"weights_mp must hold real numbers: {exc}"]
    if not np.all(np.abs(rounded - weights) <= _ROUNDING * weights):
        return ["weights_mp does not round to the float64 weights"]
    return []


def _moment_errors(comp: Compression, pts: Any, w: Any, idx: Any, cw: Any) -> tuple[float, float, float]:
    """Relative errors of the mass, the Chebyshev moments and the scaled monomial moments (exact sums)."""
    precision = comp.precision
    ctx = mpmath.workdps(precision) if precision is not None else contextlib.nullcontext()
    with ctx:
        if precision is None:
            kept_w: Any = cw
            orig_pts: Any = pts
            orig_w: Any = w
        else:
            conv = np.vectorize(lambda v: mpmath.mpf(float(v)), otypes=[object])
            kept_w = comp.weights_mp if comp.weights_mp is not None else conv(cw)
            orig_pts, orig_w = conv(pts), conv(w)
        mass = _exact_sums(orig_w[:, None], precision)[0]
        basis = comp.basis
        if precision is not None:
            basis = type(basis)(basis.degree, conv(basis.center), conv(basis.half_width))
        cheb_ref = _exact_sums(orig_w[:, None] * basis(orig_pts), precision)
        cheb_new = _exact_sums(kept_w[:, None] * basis(orig_pts[idx]), precision)
        scaled = basis.scale(orig_pts)
        mono_ref = _exact_sums(orig_w[:, None] * monomial_features(scaled, comp.degree), precision)
        mono_new = _exact_sums(kept_w[:, None] * monomial_features(scaled[idx], comp.degree), precision)
        cheb = max(float(abs(a - b) / mass) for a, b in zip(cheb_ref, cheb_new, strict=True))
        mono = max(float(abs(a - b) / mass) for a, b in zip(mono_ref, mono_new, strict=True))
        mass_err = float(abs(_exact_sums(kept_w[:, None], precision)[0] - mass) / mass)
    return mass_err, cheb, mono


def _raised(comp: Compression, degree: int) -> Compression:
    r"""``comp`` judged at ``degree``: the same box with the basis of :math:`\Pi_{degree}`."""
    box = comp.basis
    try:
        basis = ChebyshevBasis(degree, box.center, box.half_width)
    except (AttributeError, TypeError) as exc:
        raise InvariantViolation(f"the compression's basis box is unusable ({exc})") from None
    return dataclasses.replace(comp, degree=degree, basis=basis)


def check_compression(
    compression: Compression,
    points: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    tol: float | None = None,
    max_size: int | None = None,
    degree: int | None = None,
) -> InvariantReport:
    r"""Check a compression against the input it was made from; raise :class:`InvariantViolation` if not.

    Parameters
    ----------
    compression : Compression
        The result to check.
    points : array_like, shape (N, m) or (N,)
        The input objects.
    weights : array_like, shape (N,), optional
        The input weights (default all one).
    tol : float, optional
        Largest accepted relative moment error; default: the compression's own tolerance.  The
        recomputed residual may differ from the reported one only by rounding, which is far below it.
    max_size : int, optional
        Largest accepted support; default :math:`N_{m,k}`, or the compression's ``info["target_size"]``
        when it was made to a target size larger than that.
    degree : int, optional
        The degree the caller asked for (default: the compression's own ``degree``).  Every moment of total
        degree :math:`\le` ``degree`` is then recomputed in the Chebyshev basis of the compression's box
        raised to ``degree`` (any basis of :math:`\Pi_k` spans the same moments), so a result of a lower
        degree fails even when its ``degree`` attribute admits it.

    Returns
    -------
    InvariantReport
        The measured quantities, for logging.

    Raises
    ------
    InvariantViolation
        Listing every invariant the compression breaks (also an ``AssertionError``).
    TypeError
        If ``compression`` is not a :class:`Compression`.
    InputError
        If ``points``, ``weights``, ``tol``, ``max_size`` or ``degree`` is invalid (a ``tol`` that is not a
        finite positive number is the caller's mistake, not the compression's).

    Examples
    --------
    >>> import numpy as np
    >>> from unicomp import recombine
    >>> pts = np.random.default_rng(0).uniform(-1, 1, size=(200, 2))
    >>> check_compression(recombine(pts, degree=3), pts, degree=3).size <= 10
    True
    >>> try:
    ...     check_compression(recombine(pts, degree=2), pts, degree=3)
    ... except AssertionError:
    ...     print("degree 2 is not degree 3")
    degree 2 is not degree 3
    """
    if not isinstance(compression, Compression):
        raise TypeError(f"compression must be a Compression, got {type(compression).__name__}")
    pts = as_points(points)
    w = as_weights(weights, pts.shape[0])
    comp = compression if degree is None else _raised(compression, as_degree(degree))
    tolerance = comp.tolerance if tol is None else _as_tolerance(tol)
    if max_size is not None:
        max_size = as_int(max_size, "max_size")
    max_size = _check_structure(comp, pts, w, max_size)
    idx = np.asarray(comp.indices).astype(np.int64)
    cw = np.asarray(comp.weights, dtype=np.float64)

    # A fresh result's box is the input's bounding box; outside it the features are unbounded and the
    # float64 sums may overflow (math.fsum then raises).
    outside = _outside_box(comp.basis, pts)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            mass_err, cheb, mono = _moment_errors(comp, pts, w, idx, cw)
    except (OverflowError, ValueError) as exc:
        raise InvariantViolation(
            f"the moment sums overflow float64 ({exc}){'; points lie outside the basis box' if outside else ''}"
        ) from None

    problems: list[str] = []
    if outside:
        problems.append("points lie outside the basis box (a fresh result's box is the input's bounding box)")
    if not mass_err <= tolerance:
        problems.append(f"total mass changed by {mass_err:.3e} (relative) > tol {tolerance:.1e}")
    if not cheb <= tolerance:
        problems.append(f"Chebyshev moment residual {cheb:.3e} > tol {tolerance:.1e}")
    if not mono <= tolerance:
        problems.append(f"scaled monomial moment residual {mono:.3e} > tol {tolerance:.1e}")
    # The reported residual was computed from partial sums; it can differ from the exact one only by
    # rounding of those partial sums, bounded here by the tolerance itself.
    if not abs(cheb - comp.residual) <= tolerance:
        problems.append(f"reported residual {comp.residual:.3e} disagrees with recomputed {cheb:.3e}")
    if problems:
        raise InvariantViolation("; ".join(problems))
    return InvariantReport(
        size=int(idx.size),
        max_size=max_size,
        mass_error=mass_err,
        chebyshev_residual=cheb,
        monomial_residual=mono,
        reported_residual=comp.residual,
        tolerance=tolerance,
    )

