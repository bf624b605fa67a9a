r"""The deep-set Taylor expansion: a symmetric function as a functional of the centred moments.

For :math:`f(w_1, \dots, w_d) = h\bigl(\sum_i g(w_i)\bigr)` (Assumption 1 of the paper) write every object
around a common centre, :math:`w_i = w_0 + t\,u_i`, where :math:`t` measures the size of the cluster.  With
the Taylor coefficients :math:`a_e = \partial^e g(w_0)/e!` of :math:`g` and the normalised centred moments
:math:`\mu_e = \frac1d \sum_i u_i^e` (:math:`\mu_0 = 1`),

.. math::

    \sum_i g(w_0 + t u_i) = d \sum_{e} a_e\, t^{|e|} \mu_e ,

so the coefficient of :math:`t^j` in :math:`f` is a polynomial in the moments of order :math:`\le j`.  The
coefficient of :math:`t^{k+1}` is

.. math::

    d\, h'(y_0) \sum_{|e| = k+1} a_e \mu_e \;+\; (\text{terms in moments of order} \le k),
    \qquad y_0 = d\, g(w_0),

which is the step of Thm 3: a re-weighting that keeps the moments of order :math:`\le k` changes
:math:`f` at order :math:`t^{k+1}` only through :math:`d\, h'(y_0) \langle a_{k+1}, p_{k+1} \rangle`.

:func:`deep_set_expansion` computes this exactly in sympy; :func:`taylor_remainder` bounds what the
degree-:math:`k` truncation of an analytic :math:`g` leaves out (Cauchy estimates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from unicomp.errors import InputError
from unicomp.multiindex import multi_indices
from unicomp.theory import _symbols as S
from unicomp.theory._results import Arguments, BoundResult, Statement
from unicomp.validation import as_positive_int

__all__ = [
    "REMAINDER_FORMULA",
    "DeepSetExpansion",
    "centred_moment",
    "deep_set_expansion",
    "taylor_remainder",
]

_t = S.m**sp.S.Half * S.r / S.rho
#: Cauchy bound on the degree-k Taylor remainder of g at distance r from the centre.
REMAINDER_FORMULA: sp.Expr = S.M * _t ** (S.k + 1) / (1 - _t)


def taylor_remainder(radius: Any, k: Any, m: Any, rho: Any, bound: Any, *, certified: bool = False) -> BoundResult:
    r"""Bound on the degree-``k`` Taylor remainder of an analytic function at distance ``radius``.

    Parameters
    ----------
    radius : float or array_like
        Euclidean distance :math:`\|u\|_2 \le r` from the expansion centre, :math:`r \ge 0`.
    k : int or array_like of int
        Degree of the Taylor polynomial, :math:`k \ge 0`.
    m : int or array_like of int
        Dimension of the objects.
    rho : float or array_like
        :math:`g` is analytic on the closed polydisc :math:`\{|z_a - w_{0,a}| \le \rho\}`.
    bound : float or array_like
        :math:`M \ge \sup |g|` on that polydisc.
    certified : bool
        Return an :mod:`mpmath.iv` interval enclosure.

    Returns
    -------
    BoundResult
        Rigorous: :math:`|g(w_0 + u) - T_k g(w_0 + u)| \le M t^{k+1} / (1 - t)`,
        :math:`t = \sqrt{m}\, r / \rho`.

    Raises
    ------
    InputError
        Unless :math:`t < 1`, :math:`\rho > 0`, :math:`M \ge 0`, :math:`r \ge 0` and ``k``, ``m`` are
        integers.

    Notes
    -----
    Cauchy's inequality on the polydisc gives :math:`|a_e| \le M \rho^{-|e|}`.  For
    :math:`x_a = |u_a| / \rho`, :math:`\sum_{|e| = j} x^e \le (\sum_a x_a)^j` (the multinomial expansion
    has coefficients :math:`\ge 1`), and :math:`\sum_a |u_a| \le \sqrt{m}\, \|u\|_2`, so

    .. math::

        \Bigl|\sum_{|e| > k} a_e u^e\Bigr| \le M \sum_{j > k} t^j = \frac{M t^{k+1}}{1 - t},
        \qquad t = \frac{\sqrt{m}\, r}{\rho} < 1 .

    Examples
    --------
    >>> res = taylor_remainder(0.1, 3, 1, 1.0, 2.0)
    >>> round(res.value, 12)
    0.000222222222
    """
    args = Arguments("taylor_remainder", symbols={"radius": S.r}, radius=radius, k=k, m=m, rho=rho, bound=bound)
    check_remainder_args(args, "radius")
    return _TAYLOR_REMAINDER.result("taylor_remainder", REMAINDER_FORMULA, args, certified)


_REMAINDER_ASSUMPTIONS = (
    "g analytic on the closed polydisc of radius rho about the centre w_0",
    "|g| <= M on that polydisc",
    "||w - w_0||_2 <= r with t = sqrt(m) r / rho < 1",
)


def check_remainder_args(args: Arguments, distance: str) -> None:
    r"""Check the domain of :data:`REMAINDER_FORMULA`; shared with the Thm 3 ball bound.

    Parameters
    ----------
    args : Arguments
        The call's arguments; ``distance`` names the one standing for :math:`r`.
    distance : str
        ``"radius"`` (:func:`taylor_remainder`) or ``"diameter"`` (``ball_error``), used in messages.

    Raises
    ------
    InputError
        Unless ``k``, ``m`` are integers with :math:`k \ge 0`, :math:`m \ge 1`, and :math:`\rho > 0`,
        :math:`M \ge 0`, :math:`r \ge 0`, :math:`\sqrt{m}\, r < \rho` (decided exactly as
        :math:`m r^2 < \rho^2`).
    """
    args.integer("k", "m")
    f = args.exact
    args.require(f["k"] >= 0, "k >= 0")
    args.require(f["m"] >= 1, "m >= 1")
    args.require(f["rho"] > 0, "rho > 0 (a positive radius of analyticity)")
    args.require(f["bound"] >= 0, "bound >= 0")
    args.require(f[distance] >= 0, f"{distance} >= 0")
    args.require(
        f["m"] * f[distance] ** 2 < f["rho"] ** 2,
        f"sqrt(m) * {distance} < rho (the cluster must lie well inside the polydisc of analyticity)",
    )


def centred_moment(e: Sequence[int]) -> sp.Expr:
    r"""The symbol :math:`\mu_e` of the normalised centred moment :math:`\frac1d \sum_i (w_i - w_0)^e`."""
    return sp.Function("mu")(*(int(x) for x in e))


@dataclass(frozen=True)
class DeepSetExpansion:
    r"""Taylor expansion of :math:`h(\sum_i g(w_0 + t u_i))` in the cluster scale :math:`t`.

    Attributes
    ----------
    coefficients : tuple of sympy.Expr
        ``coefficients[j]`` is the coefficient of :math:`t^j`, a polynomial in the moment symbols
        :func:`centred_moment` (``mu(e)``, with ``mu(0, ..., 0) = 1`` substituted), for ``j = 0..order``.
    taylor : dict
        Multi-index -> Taylor coefficient :math:`a_e = \partial^e g(w_0) / e!` of :math:`g`.
    y0 : sympy.Expr
        :math:`d\, g(w_0)`, the point where :math:`h` is expanded.
    h_prime : sympy.Expr
        :math:`h'(y_0)`.
    d : sympy.Expr
        Number of objects (a symbol or an integer).
    m : int
        Dimension of the objects.
    """

    coefficients: tuple[sp.Expr, ...]
    taylor: dict[tuple[int, ...], sp.Expr]
    y0: sp.Expr
    h_prime: sp.Expr
    d: sp.Expr
    m: int

    @property
    def order(self) -> int:
        """The largest power of :math:`t` computed."""
        return len(self.coefficients) - 1

    def top_term(self, j: int) -> sp.Expr:
        r""":math:`d\, h'(y_0) \sum_{|e| = j} a_e \mu_e`, the part of the :math:`t^j` coefficient that is
        linear in the order-``j`` moments."""
        if not 1 <= j <= self.order:
            raise InputError(f"j must be in 1..{self.order}, got {j}")
        terms = [self.taylor[e] * centred_moment(e) for e in self.taylor if sum(e) == j]
        return sp.expand(self.d * self.h_prime * sp.Add(*terms))

    def split(self, j: int) -> tuple[sp.Expr, sp.Expr]:
        r"""``(top, rest)`` with ``coefficients[j] == top + rest`` exactly, ``top`` = :meth:`top_term` and
        ``rest`` free of every moment of order ``j``: it involves only moments of order ``< j``."""
        top = self.top_term(j)
        rest = sp.expand(self.coefficients[j] - top)
        return top, rest

    def moment_orders(self, expr: sp.Expr) -> set[int]:
        """The orders :math:`|e|` of the moment symbols occurring in ``expr``."""
        return {sum(int(a) for a in f.args) for f in expr.atoms(sp.Function) if f.func.__name__ == "mu"}


def deep_set_expansion(
    h: sp.Expr,
    y: sp.Symbol,
    g: sp.Expr,
    variables: Sequence[sp.Symbol],
    center: Sequence[Any],
    order: int,
    d: Any = None,
) -> DeepSetExpansion:
    r"""Expand :math:`f = h(\sum_{i=1}^d g(w_i))` about :math:`w_0` to ``order`` in the centred moments.

    Parameters
    ----------
    h : sympy.Expr
        The outer function, an expression in the symbol ``y``.
    y : sympy.Symbol
        The argument of ``h``.
    g : sympy.Expr
        The inner function, an expression in ``variables`` (one object :math:`w \in \mathbb{R}^m`).
    variables : sequence of sympy.Symbol, length m
    center : sequence, length m
        The expansion centre :math:`w_0` (numbers or symbols).
    order : int
        Largest power of the cluster scale :math:`t` kept (``k + 1`` to see Thm 3's leading error term).
    d : int or sympy.Expr, optional
        Number of objects; a positive symbol ``d`` by default.

    Returns
    -------
    DeepSetExpansion

    Notes
    -----
    With :math:`G(t) = \sum_{|e| \le K} a_e t^{|e|} \mu_e` and :math:`\delta(t) = d\,(G(t) - a_0)`,
    :math:`f = \sum_n h^{(n)}(y_0) \delta^n / n!`, truncated at :math:`t^K`.  Only :math:`n = 1` contributes
    a term linear in an order-:math:`K` moment with no other factor, which gives
    :math:`d\, h'(y_0)\, a_e \mu_e` (:meth:`DeepSetExpansion.split`).

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> ex = deep_set_expansion(y**2, y, sp.exp(x), [x], [0], order=2, d=sp.Symbol("d"))
    >>> ex.coefficients[1]
    2*d**2*mu(1)
    >>> top, rest = ex.split(2)
    >>> top
    d**2*mu(2)
    """
    variables = list(variables)
    m = len(variables)
    if m == 0 or len(center) != m:
        raise InputError(f"center must have one entry per variable ({m}), got {len(center)}")
    order = as_positive_int(order, "order")
    d_expr = sp.Symbol("d", positive=True) if d is None else sp.sympify(d)
    t = sp.Symbol("t")
    at_centre = dict(zip(variables, (sp.sympify(c) for c in center), strict=True))
    taylor: dict[tuple[int, ...], sp.Expr] = {}
    for row in multi_indices(m, order).tolist():
        e = tuple(int(v) for v in row)
        deriv = g
        for var, power in zip(variables, e, strict=True):
            if power:
                deriv = sp.diff(deriv, var, power)
        taylor[e] = sp.simplify(deriv.subs(at_centre) / sp.prod(sp.factorial(p) for p in e))
    zero = (0,) * m
    delta = d_expr * sp.Add(*(taylor[e] * t ** sum(e) * centred_moment(e) for e in taylor if e != zero))
    y0 = sp.expand(d_expr * taylor[zero])
    series = sp.S.Zero
    power = sp.S.One
    for n in range(order + 1):
        series += sp.diff(h, y, n).subs(y, y0) / sp.factorial(n) * power
        power = _truncate(sp.expand(power * delta), t, order)
    poly = sp.Poly(sp.expand(series), t)
    coefficients = tuple(sp.expand(poly.coeff_monomial(t**j)) for j in range(order + 1))
    return DeepSetExpansion(
        coefficients=coefficients,
        taylor=taylor,
        y0=y0,
        h_prime=sp.diff(h, y).subs(y, y0),
        d=d_expr,
        m=m,
    )


def _truncate(expr: sp.Expr, t: sp.Symbol, order: int) -> sp.Expr:
    """Drop the powers of ``t`` above ``order`` from a polynomial in ``t``."""
    poly = sp.Poly(expr, t)
    return sp.Add(*(c * t**j for (j,), c in poly.terms() if j <= order))


# What each calculator states besides its formula (evaluated at import; read by the functions above).
_TAYLOR_REMAINDER = Statement(
    reference="Thm 3 (proof), Cauchy estimates", assumptions=_REMAINDER_ASSUMPTIONS, rigorous=True
)
