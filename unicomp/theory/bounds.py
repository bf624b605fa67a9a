r"""The paper's bounds as calculators: Lemma 1, Thms 3, 4, 7 and 8, and the scaling corollaries.

Every calculator

* takes scalars or numpy arrays (broadcast against each other) and returns a :class:`BoundResult`
  whose ``value`` has the broadcast shape; a scalar is an int (of any size below :math:`10^{1000}`), a float
  (read as the decimal it prints as), a ``fractions.Fraction``, a ``decimal.Decimal`` or a sympy
  rational, and domain conditions are decided on these exact values;
* evaluates one sympy expression, ``result.formula`` -- float64 by default (read from an interval
  enclosure of the same expression where float64 overflows, underflows or cancels), exact via
  ``result.exact()``, and an :mod:`mpmath.iv` enclosure with ``certified=True``;
* says whether it is **rigorous** (explicit constants: Lemma 1, Thm 3) or **asymptotic** (the expression
  inside an :math:`O(\cdot)`, :math:`\Theta(\cdot)` or :math:`\Omega(\cdot)` whose constant is unknown and set
  to one: Thms 4, 7, 8);
* raises :class:`~unicomp.errors.InputError` naming the violated condition for arguments outside the
  statement's domain.

==========================  =============  =====================================================
calculator                  paper          statement
==========================  =============  =====================================================
:func:`packing_diameter`    Lemma 1        some N of d points of an R-ball lie in a set of this diameter
:func:`ball_error`          Thm 3          error of re-weighting a cluster of diameter r, explicit constants
:func:`rate_error`          Thm 4          :math:`E = O(d\, d'^{1 - (k+1)/m})`
:func:`rate_size`           Thm 4          :math:`d' = O((d/\epsilon)^{m/(k-m+1)})` for error :math:`\epsilon`
:func:`rate_exponent`       Thm 4 (cor.)   :math:`E = O(d^{1 + \sigma(1 - (k+1)/m)})` for :math:`d' = d^\sigma`
:func:`rate_min_degree`     Thm 4 (cor.)   smallest k with :math:`k > (1 + 1/\sigma) m - 1`
:func:`polylog_degree`      Thm 7          optimal degree :math:`k_{opt}` for N active objects
:func:`polylog_error`       Thm 7          :math:`E = O(d\, d'^{1-1/m} e^{-c\, d'^{1/m}})`
:func:`polylog_size`        Thm 7          :math:`d' = O(\log^m(d/\epsilon))`
:func:`lower_bound`         Thm 8          :math:`A\, d\, e^{-B d'^{1/m}}`
:func:`lower_bound_degree`  Thm 8 (proof)  smallest k with :math:`\binom{m+k}{m} > d'`
:func:`lower_bound_size`    Thm 8 (cor.)   :math:`d' \ge (\log(A d / \epsilon) / B)^m`
==========================  =============  =====================================================

The scaling corollaries (:func:`boost_min_degree`, :func:`boosted_exponent`,
:func:`compressed_scaling_law`, :func:`stretched_exponential`) live in :mod:`unicomp.theory.scaling` and are
re-exported here.

Examples
--------
>>> res = packing_diameter(10_000, 11, 2, 1.0)
>>> round(res.value, 6), res.kind
(0.130689, 'rigorous')
>>> rate_min_degree(3, 0.5).value
9
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Literal, cast

import numpy as np
import sympy as sp

from unicomp.errors import InputError
from unicomp.multiindex import num_moments
from unicomp.theory import _symbols as S
from unicomp.theory._results import Arguments, BoundResult, Statement, int_array
from unicomp.theory.scaling import (
    boost_min_degree,
    boosted_exponent,
    compressed_scaling_law,
    stretched_exponential,
)
from unicomp.theory.taylor import REMAINDER_FORMULA, check_remainder_args

__all__ = [
    "BALL_FORMULA",
    "LOWER_FORMULA",
    "PACKING_FORMULA",
    "POLYLOG_DEGREE",
    "POLYLOG_ERROR",
    "POLYLOG_SIZE",
    "RATE_ERROR_FORMULA",
    "RATE_EXPONENT_FORMULA",
    "RATE_MIN_DEGREE_FORMULA",
    "RATE_SIZE_FORMULA",
    "BoundResult",
    "ball_error",
    "boost_min_degree",
    "boosted_exponent",
    "compressed_scaling_law",
    "lower_bound",
    "lower_bound_degree",
    "lower_bound_size",
    "packing_diameter",
    "polylog_degree",
    "polylog_error",
    "polylog_size",
    "rate_error",
    "rate_exponent",
    "rate_min_degree",
    "rate_size",
    "stretched_exponential",
]

Form = Literal["corrected", "printed"]

#: Lemma 1 as printed.
PACKING_FORMULA: sp.Expr = 4 * S.R / ((S.d / (S.n - 1) - 1) ** (1 / S.m) - 1)
#: Thm 3 with explicit constants: twice the cluster mass times Lip(h) times the Cauchy remainder.
BALL_FORMULA: sp.Expr = 2 * S.lip * S.d * REMAINDER_FORMULA
#: Thm 4.
RATE_ERROR_FORMULA: sp.Expr = S.d * S.d_prime ** (1 - (S.k + 1) / S.m)
RATE_SIZE_FORMULA: sp.Expr = (S.d / S.eps) ** (S.m / (S.k - S.m + 1))
RATE_EXPONENT_FORMULA: sp.Expr = 1 + S.sigma * (1 - (S.k + 1) / S.m)
RATE_MIN_DEGREE_FORMULA: sp.Expr = sp.floor((1 + 1 / S.sigma) * S.m)
#: Thm 7: the derived ("corrected") form and the printed form (see :mod:`unicomp.theory.errata`).
POLYLOG_DEGREE: dict[str, sp.Expr] = {
    "corrected": S.rho * (sp.factorial(S.m) * S.n) ** (1 / S.m) / sp.E,
    "printed": (sp.factorial(S.m) * S.n * S.rho) ** (1 / S.m) / sp.E,
}
POLYLOG_ERROR: dict[str, sp.Expr] = {
    form: S.d * S.d_prime ** (1 - 1 / S.m) * sp.exp(-expr.subs(S.n, S.d_prime)) for form, expr in POLYLOG_DEGREE.items()
}
#: Leading order of the size solving exp(-k_opt(d')) = epsilon / d (the polynomial prefactor dropped).
POLYLOG_SIZE: dict[str, sp.Expr] = {
    form: sp.solve(sp.Eq(expr.subs(S.n, S.d_prime), sp.log(S.d / S.eps)), S.d_prime)[0]
    for form, expr in POLYLOG_DEGREE.items()
}
#: Thm 8.
LOWER_FORMULA: sp.Expr = S.A * S.d * sp.exp(-S.B * S.d_prime ** (1 / S.m))
_LOWER_SIZE: sp.Expr = (sp.log(S.A * S.d / S.eps) / S.B) ** S.m
_LOWER_CONDITION: sp.Expr = sp.binomial(S.m + S.k, S.m) > S.d_prime

_ASYMPTOTIC = "asymptotic: the O-constant (depends on R, h, g, m) is unknown and set to 1"


def packing_diameter(d: Any, n: Any, m: Any, radius: Any, *, certified: bool = False) -> BoundResult:
    r"""Lemma 1: among ``d`` points of a closed ``m``-ball of radius ``radius``, some ``n`` lie in a set of
    at most this diameter.

    Parameters
    ----------
    d : int or array_like of int
        Number of points, :math:`d > 2(n - 1)`.
    n : int or array_like of int
        Cluster size :math:`N \ge 2` (Algorithm 1 uses :math:`N = N_{m,k} + 1`).
    m : int or array_like of int
        Dimension, :math:`m \ge 1`.
    radius : float or array_like
        Radius :math:`R > 0` of the ball.
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure instead of a float.

    Returns
    -------
    BoundResult
        Rigorous; ``value`` has the broadcast shape of the arguments.

    Raises
    ------
    InputError
        If :math:`d \le 2(N-1)` (the bound is then vacuous or undefined), :math:`N < 2`, :math:`R \le 0`.

    Notes
    -----
    .. math:: \operatorname{diam} \le \frac{4R}{\bigl(\frac{d}{N-1} - 1\bigr)^{1/m} - 1}
              = R\, O\bigl((N/d)^{1/m}\bigr).

    A maximal :math:`\delta`-separated subset of the ball has at most :math:`(2R/\delta + 1)^m` points
    (disjoint :math:`\delta/2`-balls inside the :math:`(R+\delta/2)`-ball); the :math:`\delta`-balls around it
    cover the points, so by pigeonhole one holds :math:`N` of them once
    :math:`d > (N-1)(2R/\delta + 1)^m`.  Solving gives diameter :math:`2\delta = 4R / ((d/(N-1))^{1/m} - 1)`,
    which is at most the printed value, so the printed statement holds.

    Examples
    --------
    >>> res = packing_diameter([1000, 8000], 11, 2, 1.0)
    >>> res.value.round(4).tolist()
    [0.4469, 0.1467]
    """
    args = Arguments("packing_diameter", d=d, n=n, m=m, radius=radius)
    args.integer("d", "n", "m")
    f = args.exact
    args.require(f["n"] >= 2, "n >= 2")
    args.require(f["m"] >= 1, "m >= 1")
    args.require(f["radius"] > 0, "radius > 0")
    args.require(f["d"] > 2 * (f["n"] - 1), "d > 2 (n - 1) (otherwise the bound is vacuous)")
    return _PACKING_DIAMETER.result("packing_diameter", PACKING_FORMULA, args, certified)


def ball_error(
    d: Any,
    diameter: Any,
    k: Any,
    m: Any,
    rho: Any,
    bound: Any,
    lipschitz: Any,
    *,
    certified: bool = False,
) -> BoundResult:
    r"""Thm 3 with explicit constants: the error of re-weighting one cluster of small diameter.

    Parameters
    ----------
    d : float or array_like
        Total weight of the cluster before re-weighting (at most the number of objects :math:`d`).
    diameter : float or array_like
        Diameter :math:`r \ge 0` of the cluster.
    k : int or array_like of int
        Degree of the matched moments.
    m : int or array_like of int
        Dimension of the objects.
    rho : float or array_like
        Radius of the polydisc on which :math:`g` is analytic, about a point of the cluster.
    bound : float or array_like
        :math:`M \ge \sup |g|` on that polydisc.
    lipschitz : float or array_like
        Lipschitz constant :math:`L_h` of :math:`h` on an interval holding both arguments of :math:`h`.
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        Rigorous.

    Raises
    ------
    InputError
        Unless :math:`\sqrt m\, r < \rho`, :math:`d \ge 0`, and the constants are non-negative.

    Notes
    -----
    Expand :math:`g` about a point :math:`w_0` of the cluster; every point is within :math:`r` of it.  The
    re-weighting keeps the mass and every moment of order :math:`\le k` of the cluster, so the Taylor
    polynomial :math:`T_k g` has the same weighted sum before and after, and with
    :func:`~unicomp.theory.taylor.taylor_remainder`

    .. math::

        \Bigl|\sum_i (c_i - c'_i)\, g(w_i)\Bigr| \le \Bigl(\sum_i c_i + \sum_i c'_i\Bigr)
            \frac{M t^{k+1}}{1-t}, \qquad
        |\phi(c') - \phi(c)| \le 2 L_h\, d\, \frac{M t^{k+1}}{1 - t}, \quad t = \frac{\sqrt m\, r}{\rho}.

    This is :math:`O(d\, r^{k+1})`, the statement of Thm 3.

    Examples
    --------
    >>> float(f"{ball_error(100, 0.01, 3, 2, 1.0, 1.0, 1.0).value:.4g}")
    8.115e-06
    """
    args = Arguments(
        "ball_error", symbols={"diameter": S.r}, d=d, diameter=diameter, k=k, m=m, rho=rho, bound=bound,
        lipschitz=lipschitz,
    )
    check_remainder_args(args, "diameter")
    args.require(args.exact["d"] >= 0, "d >= 0 (the cluster weight)")
    args.require(args.exact["lipschitz"] >= 0, "lipschitz >= 0")
    return _BALL_ERROR.result("ball_error", BALL_FORMULA, args, certified)


def _rate_args(name: str, **values: Any) -> Arguments:
    """Common checks of the Thm 4 calculators: integer k >= 0, m >= 1."""
    args = Arguments(name, **values)
    args.integer("k", "m")
    args.require(args.exact["k"] >= 0, "k >= 0")
    args.require(args.exact["m"] >= 1, "m >= 1")
    return args


def rate_error(d: Any, d_prime: Any, k: Any, m: Any, *, certified: bool = False) -> BoundResult:
    r"""Thm 4: the error of compressing ``d`` objects to ``d_prime`` with moments of degree ``k``.

    Parameters
    ----------
    d : float or array_like
        Number of objects.
    d_prime : float or array_like
        Compressed size, :math:`N_{m,k} \le d' < d`.
    k, m : int or array_like of int
        Degree and dimension.
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        Asymptotic: :math:`E = O(d\, d'^{1 - (k+1)/m})`, objects in a ball of fixed radius.

    Raises
    ------
    InputError
        If :math:`d' \ge d` or :math:`d' < N_{m,k}` (Algorithm 1 cannot reach fewer than
        :math:`N_{m,k}` objects).

    Notes
    -----
    Removing one object while :math:`N` are active costs :math:`O(d\, N^{-(k+1)/m})` (Lemma 1 with Thm 3);
    summing over :math:`N = d', \dots, d` gives :math:`O(d\, d'^{1-(k+1)/m})` when :math:`k + 1 > m`
    (for :math:`k + 1 \le m` the sum grows with :math:`d` instead and the expression is not a bound).

    Examples
    --------
    >>> rate_error(1000, 100, 5, 2).value
    0.1
    """
    args = _rate_args("rate_error", d=d, d_prime=d_prime, k=k, m=m)
    _require_compression(args)
    return _RATE_ERROR.result("rate_error", RATE_ERROR_FORMULA, args, certified)


def _require_compression(args: Arguments) -> None:
    """``N_{m,k} <= d' < d`` elementwise."""
    f = args.exact
    args.require(f["d_prime"] < f["d"], "d_prime < d (a compression must remove objects)")
    reachable = np.vectorize(lambda m, k, dp: not _num_moments_exceed(m, k, dp), otypes=[bool])
    args.require(
        reachable(f["m"], f["k"], f["d_prime"]), "d_prime >= N_{m,k} = C(m+k, k) (the size Algorithm 1 can reach)"
    )
    args.require(f["k"] + 1 > f["m"], "k > m - 1 (otherwise the error does not decay)")


def _num_moments_exceed(m: Fraction, k: Fraction, bound: Fraction) -> bool:
    r"""Whether :math:`N_{m,k} > b`, decided exactly for whole ``m >= 1``, ``k >= 0`` and ``b = bound``.

    :math:`N_{m,k} = \binom{m+k}{k} \ge 2^{\min(m, k)}`, so once :math:`\min(m, k)` reaches the bit length
    of :math:`\lfloor b \rfloor` the answer is yes without computing the binomial; otherwise the binomial has
    fewer factors than that and :func:`~unicomp.multiindex.num_moments` computes it at once.
    """
    mi, ki = int(m), int(k)
    if bound < 1:
        return True
    if min(mi, ki) >= (bound.numerator // bound.denominator).bit_length():
        return True
    return num_moments(mi, ki) > bound


def rate_size(d: Any, eps: Any, k: Any, m: Any, *, certified: bool = False) -> BoundResult:
    r"""Thm 4: the compressed size that brings the error down to ``eps``.

    Parameters
    ----------
    d : float or array_like
        Number of objects.
    eps : float or array_like
        Target error, :math:`\epsilon > 0`.
    k, m : int or array_like of int
        Degree and dimension, :math:`k > m - 1`.
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        Asymptotic: :math:`d' = O\bigl((d/\epsilon)^{m/(k-m+1)}\bigr)`.

    Raises
    ------
    InputError
        If :math:`k \le m - 1` (the error then does not decrease with :math:`d'`) or :math:`\epsilon \le 0`.

    Notes
    -----
    Solve :math:`d\, d'^{1-(k+1)/m} = \epsilon` for :math:`d'`.

    Examples
    --------
    >>> rate_size(1e4, 1e-2, 5, 2).value
    1000.0
    """
    args = _rate_args("rate_size", d=d, eps=eps, k=k, m=m)
    args.require(args.exact["k"] > args.exact["m"] - 1, "k > m - 1")
    args.require(args.exact["eps"] > 0, "eps > 0")
    args.require(args.exact["d"] > 0, "d > 0")
    return _RATE_SIZE.result("rate_size", RATE_SIZE_FORMULA, args, certified)


def rate_exponent(k: Any, m: Any, sigma: Any, *, certified: bool = False) -> BoundResult:
    r"""Thm 4, corollary: the exponent :math:`\beta` in :math:`E = O(d^\beta)` when :math:`d' = d^\sigma`.

    Parameters
    ----------
    k, m : int or array_like of int
        Degree and dimension.
    sigma : float or array_like
        :math:`0 < \sigma < 1`.
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        :math:`\beta = 1 + \sigma(1 - (k+1)/m)`; the error vanishes iff :math:`\beta < 0`.

    Examples
    --------
    >>> rate_exponent(9, 3, 0.5).value
    -0.16666666666666674
    """
    args = _rate_args("rate_exponent", k=k, m=m, sigma=sigma)
    _require_sigma(args)
    return _RATE_EXPONENT.result("rate_exponent", RATE_EXPONENT_FORMULA, args, certified)


def _require_sigma(args: Arguments) -> None:
    s = args.exact["sigma"]
    args.require((s > 0) & (s < 1), "0 < sigma < 1")


def rate_min_degree(m: Any, sigma: Any) -> BoundResult:
    r"""Thm 4, corollary: the smallest degree for which the error vanishes with :math:`d' = d^\sigma`.

    Parameters
    ----------
    m : int or array_like of int
        Dimension of the objects, :math:`m \ge 1`.
    sigma : float or array_like
        :math:`0 < \sigma < 1`; a float is read as the decimal it prints as.

    Returns
    -------
    BoundResult
        The smallest integer :math:`k` with :math:`k > (1 + 1/\sigma) m - 1`, i.e.
        :math:`\lfloor (1 + 1/\sigma) m \rfloor`, computed exactly.

    Examples
    --------
    >>> rate_min_degree([1, 2, 3], 0.5).value.tolist()
    [3, 6, 9]
    """
    args = Arguments("rate_min_degree", m=m, sigma=sigma)
    args.integer("m")
    args.require(args.exact["m"] >= 1, "m >= 1")
    _require_sigma(args)
    return _RATE_MIN_DEGREE.result("rate_min_degree", RATE_MIN_DEGREE_FORMULA, args)


def _polylog_args(name: str, form: str, **values: Any) -> Arguments:
    if not isinstance(form, str) or form not in POLYLOG_DEGREE:
        raise InputError(f"{name}: form must be 'corrected' or 'printed', got {form!r}")
    args = Arguments(name, **values)
    args.integer("m")
    args.require(args.exact["m"] >= 1, "m >= 1")
    args.require(args.exact["rho"] > 0, "rho > 0")
    return args


_POLYLOG_NOTE = (
    "asymptotic (large N, Stirling); form='corrected' is what the proof's per-step error gives, "
    "form='printed' the paper's rho placement (see unicomp.theory.errata.thm7_rho_placement)"
)


def polylog_degree(n: Any, m: Any, rho: Any, *, form: Form = "corrected", certified: bool = False) -> BoundResult:
    r"""Thm 7: the degree that minimises the per-step error while ``n`` objects are active.

    Parameters
    ----------
    n : float or array_like
        Number of active objects :math:`N`.
    m : int or array_like of int
        Dimension.
    rho : float or array_like
        Radius of analyticity of :math:`g` in units of the radius :math:`R` of the data ball.
    form : {"corrected", "printed"}
        ``"corrected"``: :math:`k_{opt} = \rho (m!\, N)^{1/m} / e` (follows from the proof);
        ``"printed"``: :math:`(m!\, N \rho)^{1/m} / e` (the paper's statement).
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        Asymptotic; a real number (round to an integer degree yourself).

    Notes
    -----
    Minimise :math:`\log\bigl[d\, \rho^{-k} ((N_{m,k}+1)/N)^{(k+1)/m}\bigr]` over :math:`k` with
    :math:`N_{m,k} + 1 \sim k^m / m!`; the stationarity condition
    :math:`\log k + 1 - \log\rho - \tfrac1m \log(m!\, N) = O(1/k)` gives the corrected form
    (derivation: :func:`unicomp.theory.errata.thm7_rho_placement`).

    Examples
    --------
    >>> round(polylog_degree(1000, 1, 2.0).value, 4)
    735.7589
    """
    args = _polylog_args("polylog_degree", form, n=n, m=m, rho=rho)
    args.require(args.exact["n"] >= 1, "n >= 1")
    return _POLYLOG_DEGREE.result("polylog_degree", POLYLOG_DEGREE[form], args, certified)


def polylog_error(
    d: Any, d_prime: Any, m: Any, rho: Any, *, form: Form = "corrected", certified: bool = False
) -> BoundResult:
    r"""Thm 7: the error with the degree re-optimised at every step.

    Parameters
    ----------
    d : float or array_like
        Number of objects.
    d_prime : float or array_like
        Compressed size, :math:`1 \le d' < d`.
    m : int or array_like of int
        Dimension of the objects, :math:`m \ge 1`.
    rho : float or array_like
        Radius of analyticity in units of :math:`R`.
    form : {"corrected", "printed"}
        Placement of :math:`\rho` in the exponent (see :func:`polylog_degree`).
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        Asymptotic: :math:`O\bigl(d\, d'^{1-1/m} \exp(-k_{opt}(d'))\bigr)` with :math:`k_{opt}` from
        :func:`polylog_degree`.

    Notes
    -----
    At :math:`k_{opt}(N)` the per-step error is :math:`\Theta(d\, e^{-k_{opt}(N)})`; summing over
    :math:`N \ge d'` with :math:`\int_{d'}^\infty e^{-c N^{1/m}}\, dN = O(d'^{1-1/m} e^{-c d'^{1/m}})`
    gives the statement.

    Examples
    --------
    >>> float(f"{polylog_error(1e6, 100, 1, 1.0).value:.4g}")
    1.055e-10
    """
    args = _polylog_args("polylog_error", form, d=d, d_prime=d_prime, m=m, rho=rho)
    args.require(args.exact["d_prime"] >= 1, "d_prime >= 1")
    args.require(args.exact["d_prime"] < args.exact["d"], "d_prime < d (a compression must remove objects)")
    return _POLYLOG_ERROR.result("polylog_error", POLYLOG_ERROR[form], args, certified)


def polylog_size(
    d: Any, eps: Any, m: Any, rho: Any, *, form: Form = "corrected", certified: bool = False
) -> BoundResult:
    r"""Thm 7: the compressed size for error ``eps``, :math:`d' = O(\log^m(d/\epsilon))`.

    Parameters
    ----------
    d : float or array_like
        Number of objects.
    eps : float or array_like
        Target error, :math:`0 < \epsilon < d`.
    m : int or array_like of int
        Dimension of the objects, :math:`m \ge 1`.
    rho : float or array_like
        Radius of analyticity in units of :math:`R`.
    form : {"corrected", "printed"}
        Placement of :math:`\rho` in the exponent (see :func:`polylog_degree`).
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        Asymptotic leading order: the solution of :math:`k_{opt}(d') = \log(d/\epsilon)`, i.e.
        :math:`(e \log(d/\epsilon)/\rho)^m / m!` (corrected) or
        :math:`(e \log(d/\epsilon))^m / (m!\, \rho)` (printed); the prefactor :math:`d'^{1-1/m}` only adds
        lower-order terms.

    Examples
    --------
    >>> round(polylog_size(1e6, 1e-6, 2, 1.0).value, 2)
    2820.67
    """
    args = _polylog_args("polylog_size", form, d=d, eps=eps, m=m, rho=rho)
    args.require(args.exact["eps"] > 0, "eps > 0")
    args.require(args.exact["eps"] < args.exact["d"], "eps < d (otherwise no compression is needed)")
    return _POLYLOG_SIZE.result("polylog_size", POLYLOG_SIZE[form], args, certified)


def _lower_args(name: str, **values: Any) -> Arguments:
    args = Arguments(name, **values)
    args.integer("m")
    args.require(args.exact["m"] >= 1, "m >= 1")
    for c in ("a", "b"):
        if c in args.float:
            args.require(args.exact[c] > 0, f"{c} > 0")
    return args


_LOWER_ASSUMPTIONS = (
    "quasi-uniform set: every Voronoi cell has volume <= C/d",
    "A, B depend on m and C only (not given by the paper)",
)


def lower_bound(d: Any, d_prime: Any, m: Any, a: Any = 1, b: Any = 1, *, certified: bool = False) -> BoundResult:
    r"""Thm 8: no weighted set of ``d_prime`` points beats :math:`A\, d\, e^{-B d'^{1/m}}`.

    Parameters
    ----------
    d, d_prime : float or array_like
        Numbers of points, :math:`1 \le d' < d`.
    m : int or array_like of int
        Dimension of the points, :math:`m \ge 1`.
    a, b : float or array_like
        The constants :math:`A, B > 0` (unknown in the paper; fit them, see the LOWER audit).
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        Asymptotic (:math:`\Omega`, constants unknown).

    Examples
    --------
    >>> float(f"{lower_bound(1e4, 100, 2).value:.4g}")
    0.454
    """
    args = _lower_args("lower_bound", d=d, d_prime=d_prime, m=m, a=a, b=b)
    args.require(args.exact["d_prime"] >= 1, "d_prime >= 1")
    args.require(args.exact["d_prime"] < args.exact["d"], "d_prime < d")
    return _LOWER_BOUND.result("lower_bound", LOWER_FORMULA, args, certified)


def lower_bound_size(d: Any, eps: Any, m: Any, a: Any = 1, b: Any = 1, *, certified: bool = False) -> BoundResult:
    r"""Thm 8, corollary: error :math:`\le \epsilon` needs :math:`d' \ge (\log(A d/\epsilon) / B)^m`.

    Parameters
    ----------
    d, eps : float or array_like
        :math:`0 < \epsilon < A d`.
    m : int or array_like of int
        Dimension of the points, :math:`m \ge 1`.
    a, b : float or array_like
        The constants of :func:`lower_bound`.
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        Asymptotic: :math:`d' = \Omega(\log^m(d/\epsilon))`, so Thm 7's polylog size is optimal.

    Examples
    --------
    >>> round(lower_bound_size(1e6, 1e-6, 1).value, 4)
    27.631
    """
    args = _lower_args("lower_bound_size", d=d, eps=eps, m=m, a=a, b=b)
    args.require(args.exact["eps"] > 0, "eps > 0")
    args.require(args.exact["eps"] < args.exact["a"] * args.exact["d"], "eps < a * d")
    return _LOWER_BOUND_SIZE.result("lower_bound_size", _LOWER_SIZE, args, certified)


def lower_bound_degree(d_prime: Any, m: Any) -> BoundResult:
    r"""Thm 8 (proof): the smallest :math:`k` with :math:`\binom{m+k}{m} > d'`.

    A polynomial :math:`q` of this degree vanishes on any ``d_prime`` points (more coefficients than
    conditions); :math:`g = q^2` is the function no :math:`d'`-point weighted set integrates well.

    Parameters
    ----------
    d_prime : int or array_like of int
        Number of points of the competing weighted set, :math:`d' \ge 1`.
    m : int or array_like of int
        Dimension of the points, :math:`m \ge 1`.

    Returns
    -------
    BoundResult
        Exact integer; ``formula`` is the defining inequality.

    Examples
    --------
    >>> lower_bound_degree([5, 6, 10], 2).value.tolist()
    [2, 3, 4]
    """
    args = Arguments("lower_bound_degree", d_prime=d_prime, m=m)
    args.integer("d_prime", "m")
    args.require(args.exact["m"] >= 1, "m >= 1")
    args.require(args.exact["d_prime"] >= 1, "d_prime >= 1")
    out = np.empty(args.shape, dtype=object)
    for idx in np.ndindex(*args.shape):
        m_i, d_prime_i = (cast(Fraction, args.exact[name][idx]) for name in ("m", "d_prime"))
        out[idx] = _smallest_degree_above(m_i, d_prime_i)
    return BoundResult(
        name="lower_bound_degree",
        value=out[()] if args.shape == () else int_array(out),
        formula=_LOWER_CONDITION,
        arguments={S.d_prime: args.sympy("d_prime"), S.m: args.sympy("m")},
        assumptions=("q of degree k has C(m+k, m) coefficients and d' linear vanishing conditions",),
        rigorous=True,
        reference="Thm 8 (proof)",
        note="value is the smallest k satisfying the formula (an inequality)",
    )


def _smallest_degree_above(m: Fraction, d_prime: Fraction) -> int:
    r"""The smallest :math:`k \ge 0` with :math:`N_{m,k} = \binom{m+k}{m} > d'`.

    :math:`N_{m,k}` increases with :math:`k`, so doubling :math:`k` until the inequality holds and then
    bisecting needs :math:`O(\log k)` exact comparisons (:func:`_num_moments_exceed`); :math:`k \le d'`
    since :math:`N_{m,k} \ge k + 1`.
    """
    lo, hi = -1, 1  # N_{m,lo} <= d' (or lo = -1), N_{m,hi} > d'
    while not _num_moments_exceed(m, Fraction(hi), d_prime):
        lo, hi = hi, 2 * hi
    if lo == -1 and _num_moments_exceed(m, Fraction(0), d_prime):
        return 0
    lo = max(lo, 0)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _num_moments_exceed(m, Fraction(mid), d_prime) else (mid, hi)
    return hi


# What each calculator states besides its formula (evaluated at import; read by the functions above).
_PACKING_DIAMETER = Statement(
    reference="Lemma 1", assumptions=("d points in a closed m-ball of radius R", "d > 2 (N - 1)"), rigorous=True
)
_BALL_ERROR = Statement(
    reference="Thm 3",
    assumptions=(
        "the re-weighting keeps the mass and all moments of order <= k of the cluster",
        "weights stay non-negative",
        "g analytic with |g| <= M on the polydisc of radius rho about a point of the cluster",
        "h is L_h-Lipschitz between the two values of sum_i c_i g(w_i)",
        "sqrt(m) * diameter < rho",
    ),
    rigorous=True,
)
_RATE_ERROR = Statement(
    reference="Thm 4",
    assumptions=("||w_i|| <= R", "f = h(sum_i g(w_i)) with h, g analytic (Assumption 1)", "k + 1 > m"),
    note=_ASYMPTOTIC,
)
_RATE_SIZE = Statement(reference="Thm 4", assumptions=("||w_i|| <= R", "Assumption 1", "k > m - 1"), note=_ASYMPTOTIC)
_COROLLARY_ASSUMPTIONS = ("d' = d**sigma", "Assumption 1", "||w_i|| <= R")
_RATE_EXPONENT = Statement(
    reference="Thm 4, corollary",
    assumptions=_COROLLARY_ASSUMPTIONS,
    note="exponent of an asymptotic bound; exact given the statement",
)
_RATE_MIN_DEGREE = Statement(
    reference="Thm 4, corollary",
    assumptions=_COROLLARY_ASSUMPTIONS,
    note="the threshold is exact; the vanishing-error statement it comes from is asymptotic",
    integer=True,
)
_POLYLOG_DEGREE = Statement(
    reference="Thm 7",
    assumptions=("g analytic with radius of convergence rho (in units of R)", "N large"),
    note=_POLYLOG_NOTE,
)
_POLYLOG_ERROR = Statement(
    reference="Thm 7",
    assumptions=(
        "||w_i|| <= R",
        "Assumption 1 with radius of convergence rho",
        "k re-optimised per step",
    ),
    note=_POLYLOG_NOTE,
)
_POLYLOG_SIZE = Statement(
    reference="Thm 7", assumptions=("||w_i|| <= R", "Assumption 1 with radius of convergence rho"), note=_POLYLOG_NOTE
)
_LOWER_BOUND = Statement(
    reference="Thm 8", assumptions=_LOWER_ASSUMPTIONS, note="lower bound with unknown constants A, B (defaults 1)"
)
_LOWER_BOUND_SIZE = Statement(
    reference="Thm 8", assumptions=_LOWER_ASSUMPTIONS, note="solves lower_bound(d, d') = eps for d'"
)
