r"""Scaling-law corollaries of the compression theorems (Sec. 5 of the paper).

If the test loss follows :math:`L(d) = L_0 + (d_0/d)^\alpha` in the number of objects :math:`d` (data points
or neurons), compressing to :math:`d' = d^\sigma` with an error below :math:`(d_0/d)^\alpha` keeps the loss,
so as a function of the compressed size

.. math:: L = L_0 + (d_0^\sigma / d')^{\alpha/\sigma}:

the exponent is multiplied by :math:`1/\sigma` (:func:`boosted_exponent`, :func:`compressed_scaling_law`).
Thm 4 says when the error is small enough (:func:`boost_min_degree`).  Compressing to
:math:`d' = O(\log^m d)` (Thm 7) turns the power law into a stretched exponential
:math:`L_0 + e^{-\alpha' d'^{1/m}}` (:func:`stretched_exponential`).

Every function returns a :class:`~unicomp.theory._results.BoundResult`; see :mod:`unicomp.theory.bounds`.
"""

from __future__ import annotations

from typing import Any, Literal

import sympy as sp

from unicomp.errors import InputError
from unicomp.theory import _symbols as S
from unicomp.theory._results import Arguments, BoundResult, Statement

__all__ = [
    "BOOST_CONDITION",
    "boost_min_degree",
    "boosted_exponent",
    "compressed_scaling_law",
    "stretched_exponential",
]

Normalization = Literal["sum", "mean"]

#: The condition on k, as printed ("sum") and for the mean-normalised loss ("mean"): k + 1 > threshold.
BOOST_CONDITION: dict[str, sp.Expr] = {
    "sum": S.m * (1 + (1 + S.alpha) / S.sigma),
    "mean": S.m * (1 + S.alpha / S.sigma),
}
_BOOST_EXPONENT: sp.Expr = S.alpha / S.sigma
_SCALING_LAW: sp.Expr = S.L0 + (S.d0**S.sigma / S.d_prime) ** (S.alpha / S.sigma)
_STRETCHED: sp.Expr = S.L0 + sp.exp(-S.alpha_prime * S.d_prime ** (1 / S.m))


def _scaling_args(name: str, **values: Any) -> Arguments:
    args = Arguments(name, **values)
    if "sigma" in args.exact:
        s = args.exact["sigma"]
        args.require((s > 0) & (s < 1), "0 < sigma < 1")
    if "alpha" in args.exact:
        args.require(args.exact["alpha"] > 0, "alpha > 0")
    return args


def boost_min_degree(m: Any, sigma: Any, alpha: Any, *, normalization: Normalization = "sum") -> BoundResult:
    r"""The smallest degree :math:`k` for which compressing to :math:`d' = d^\sigma` keeps the scaling law.

    Parameters
    ----------
    m : int or array_like of int
        Object dimension.
    sigma : float or array_like
        :math:`0 < \sigma < 1`.  Floats are read as the decimal they print as (``0.68`` is 17/25), so the
        threshold is decided exactly.
    alpha : float or array_like
        Scaling-law exponent, :math:`\alpha > 0`.
    normalization : {"sum", "mean"}
        ``"sum"`` (default, the paper's condition): the smallest integer :math:`k` with
        :math:`k + 1 > m(1 + (1+\alpha)/\sigma)`.  ``"mean"``: :math:`k + 1 > m(1 + \alpha/\sigma)`, which is
        sufficient when the loss is the mean :math:`\frac1d \sum_i \ell(z_i)` (see Notes).

    Returns
    -------
    BoundResult
        Exact integer :math:`\lfloor \text{threshold} \rfloor`; ``formula`` is the threshold.

    Notes
    -----
    Thm 4 with :math:`d' = d^\sigma` bounds the error of :math:`h(\sum_i g(w_i))` by
    :math:`O(d^{1 + \sigma(1 - (k+1)/m)})`.  Asking this to be :math:`o(d^{-\alpha})`, the size of the
    loss gap :math:`(d_0/d)^\alpha`, gives :math:`k + 1 > m(1 + (1+\alpha)/\sigma)`, the paper's condition.
    For a mean loss :math:`\frac1d \sum_i \ell`, the weighted set keeps :math:`\sum_j c_j = d`, so its
    error is the unnormalised error divided by :math:`d`; the same argument then needs only
    :math:`k + 1 > m(1 + \alpha/\sigma)`.  Both are sufficient worst-case conditions.

    Examples
    --------
    >>> boost_min_degree(3, 0.5, 0.68).value
    13
    >>> boost_min_degree(3, 0.5, 0.68, normalization="mean").value
    7
    """
    if not isinstance(normalization, str) or normalization not in BOOST_CONDITION:
        raise InputError(f"boost_min_degree: normalization must be 'sum' or 'mean', got {normalization!r}")
    args = _scaling_args("boost_min_degree", m=m, sigma=sigma, alpha=alpha)
    args.integer("m")
    args.require(args.exact["m"] >= 1, "m >= 1")
    return _BOOST_MIN_DEGREE[normalization].result("boost_min_degree", sp.floor(BOOST_CONDITION[normalization]), args)


def boosted_exponent(alpha: Any, sigma: Any, *, certified: bool = False) -> BoundResult:
    r"""The scaling exponent in the compressed size: :math:`\alpha / \sigma`.

    Parameters
    ----------
    alpha : float or array_like
        Exponent of :math:`L(d) - L_0` in :math:`d`.
    sigma : float or array_like
        :math:`d' = d^\sigma`, :math:`0 < \sigma < 1`.
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult

    Examples
    --------
    >>> boosted_exponent(0.683, 0.5).value
    1.366
    """
    args = _scaling_args("boosted_exponent", alpha=alpha, sigma=sigma)
    return _BOOSTED_EXPONENT.result("boosted_exponent", _BOOST_EXPONENT, args, certified)


def compressed_scaling_law(
    d_prime: Any, loss_floor: Any, d0: Any, alpha: Any, sigma: Any, *, certified: bool = False
) -> BoundResult:
    r"""The loss against the compressed size: :math:`L_0 + (d_0^\sigma / d')^{\alpha/\sigma}`.

    Parameters
    ----------
    d_prime : float or array_like
        Compressed size, :math:`d' > 0`.
    loss_floor : float or array_like
        :math:`L_0`.
    d0 : float or array_like
        Scale :math:`d_0 > 0` of the original law.
    alpha, sigma : float or array_like
        Exponent :math:`\alpha > 0` of the original law and :math:`0 < \sigma < 1` with :math:`d' = d^\sigma`.
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        Equal to :math:`L(d)` at :math:`d = d'^{1/\sigma}`.

    Examples
    --------
    >>> compressed_scaling_law(10.0, 0.0, 1.0, 1.0, 0.5).value
    0.01
    """
    args = _scaling_args(
        "compressed_scaling_law", d_prime=d_prime, loss_floor=loss_floor, d0=d0, alpha=alpha, sigma=sigma
    )
    args.require(args.exact["d_prime"] > 0, "d_prime > 0")
    args.require(args.exact["d0"] > 0, "d0 > 0")
    return _COMPRESSED_SCALING_LAW.result("compressed_scaling_law", _SCALING_LAW, args, certified)


def stretched_exponential(
    d_prime: Any, m: Any, rate: Any, loss_floor: Any = 0, *, certified: bool = False
) -> BoundResult:
    r"""The stretched-exponential law :math:`L_0 + \exp(-\alpha' d'^{1/m})` of polylog compression.

    Parameters
    ----------
    d_prime : float or array_like
        Compressed size, :math:`d' > 0`.
    m : int or array_like of int
        Object dimension.
    rate : float or array_like
        :math:`\alpha' > 0` (unknown in the paper; fit it).
    loss_floor : float or array_like
        :math:`L_0`.
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        Asymptotic.

    Notes
    -----
    With :math:`d' = c \log^m d`, :math:`d = \exp((d'/c)^{1/m})`, so
    :math:`(d_0/d)^\alpha = d_0^\alpha \exp(-\alpha c^{-1/m} d'^{1/m})`.

    Examples
    --------
    >>> round(stretched_exponential(100.0, 2, 1.0).value, 8)
    4.54e-05
    """
    args = Arguments("stretched_exponential", d_prime=d_prime, m=m, rate=rate, loss_floor=loss_floor)
    args.integer("m")
    args.require(args.exact["m"] >= 1, "m >= 1")
    args.require(args.exact["d_prime"] > 0, "d_prime > 0")
    args.require(args.exact["rate"] > 0, "rate > 0")
    return _STRETCHED_EXPONENTIAL.result("stretched_exponential", _STRETCHED, args, certified)


# What each calculator states besides its formula (evaluated at import; read by the functions above).
_BOOST_MIN_DEGREE = {
    norm: Statement(
        reference="Sec. 5 (scaling laws), from Thm 4",
        assumptions=(
            "L(d) = L_0 + (d_0/d)**alpha",
            "d' = d**sigma",
            "Thm 4 (Assumption 1, ||w_i|| <= R)",
            f"{norm}-normalised error",
        ),
        note="smallest integer k with k + 1 > threshold; the threshold is exact, Thm 4 is asymptotic",
        integer=True,
    )
    for norm in BOOST_CONDITION
}
_LAW_ASSUMPTIONS = ("L(d) = L_0 + (d_0/d)**alpha", "d' = d**sigma", "k above boost_min_degree")
_BOOSTED_EXPONENT = Statement(
    reference="Sec. 5 (scaling laws)",
    assumptions=_LAW_ASSUMPTIONS,
    note="ideal exponent; holds when the compression error is negligible",
)
_COMPRESSED_SCALING_LAW = Statement(
    reference="Sec. 5 (scaling laws)",
    assumptions=_LAW_ASSUMPTIONS,
)
_STRETCHED_EXPONENTIAL = Statement(
    reference="Sec. 5 (stretched exponential), from Thm 7",
    assumptions=("L(d) = L_0 + (d_0/d)**alpha", "d' = O(log^m d) (Thm 7)"),
    note="the rate alpha' is not given by the theory; fit it",
)
