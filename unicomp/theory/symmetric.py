r"""Symmetric polynomials of point sets: Newton–Girard and the multivariate fundamental theorem.

Scalar case (Thm 6, appendix).  For variables :math:`x_1, \dots, x_n`, the power sums
:math:`p_k = \sum_i x_i^k` and the elementary symmetric polynomials :math:`e_k` determine each other through
Newton's identities

.. math:: k\, e_k = \sum_{i=1}^{k} (-1)^{i-1} e_{k-i}\, p_i, \qquad e_0 = 1,\ e_j = 0 \text{ for } j > n.

Multivariate case (Thm 1).  For :math:`d` objects :math:`w_i \in \mathbb{R}^m` a polynomial invariant under
permuting the objects is a polynomial in the power sums :math:`q_e = \sum_i w_i^e`.  The proof is
constructive and :func:`power_sum_expression` follows it: split the polynomial into orbit sums of
monomials (symmetrised monomials); an orbit sum with exponent vectors :math:`\lambda_1, \dots, \lambda_s`
on distinct objects is, by Möbius inversion on the lattice of set partitions,

.. math::

    \sum_{i_1, \dots, i_s \text{ distinct}} \prod_j w_{i_j}^{\lambda_j}
      = \sum_{\pi} \prod_{B \in \pi} (-1)^{|B|-1} (|B|-1)!\; q_{\sum_{j \in B} \lambda_j},

divided by the number of orderings of equal exponent vectors.  The tensor moments
:math:`p_k = \frac1d \sum_i w_i^{\otimes k}` hold the same numbers: the entry at index
:math:`(a_1, \dots, a_k)` is :math:`q_e / d` with :math:`e_a` the number of indices equal to :math:`a`.
For :math:`|e| > d`, :math:`q_e` is a polynomial in the :math:`q_f` with :math:`|f| \le d`
(:func:`reduce_power_sum`): apply the scalar theorem to :math:`x_i = u \cdot w_i` for a symbolic direction
:math:`u` and compare coefficients of :math:`u^e`.

Power sums are written as ``q(e_1, ..., e_m)`` (:func:`power_sum`), normalised moments as
``p(e_1, ..., e_m)`` (:func:`moment`), both undefined sympy functions of the exponent vector.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from math import factorial

import sympy as sp
from sympy.utilities.iterables import multiset_partitions

from unicomp.errors import InputError
from unicomp.multiindex import multi_indices
from unicomp.validation import as_positive_int

__all__ = [
    "elementary_in_power_sums",
    "elementary_symbol",
    "expand_power_sums",
    "moment",
    "moment_expression",
    "power_sum",
    "power_sum_expression",
    "power_sum_in_elementary",
    "power_sum_symbol",
    "reduce_power_sum",
    "reduce_tensor_moment",
    "tensor_moment",
]

_Q = sp.Function("q")
_P = sp.Function("p")


def elementary_symbol(j: int) -> sp.Symbol:
    """The symbol ``e_j`` of the j-th elementary symmetric polynomial."""
    return sp.Symbol(f"e_{j}")


def power_sum_symbol(j: int) -> sp.Symbol:
    """The symbol ``p_j`` of the j-th (scalar) power sum."""
    return sp.Symbol(f"p_{j}")


def _e(j: int, nvars: int | None) -> sp.Expr:
    if j == 0:
        return sp.S.One
    if nvars is not None and j > nvars:
        return sp.S.Zero
    return elementary_symbol(j)


def power_sum_in_elementary(k: int, nvars: int | None = None) -> sp.Expr:
    r"""Newton–Girard: :math:`p_k` as a polynomial in :math:`e_1, \dots, e_k`.

    Parameters
    ----------
    k : int
        Order, :math:`k \ge 1`.
    nvars : int, optional
        Number of variables :math:`n`; :math:`e_j = 0` for :math:`j > n` is substituted.

    Returns
    -------
    sympy.Expr
        Polynomial in the symbols :func:`elementary_symbol`.

    Notes
    -----
    .. math:: p_k = (-1)^{k-1} k\, e_k + \sum_{i=1}^{k-1} (-1)^{k-1+i} e_{k-i}\, p_i .

    Examples
    --------
    >>> power_sum_in_elementary(3)
    e_1**3 - 3*e_1*e_2 + 3*e_3
    """
    k = as_positive_int(k, "k")
    if nvars is not None:
        nvars = as_positive_int(nvars, "nvars")
    return _p_in_e(k, nvars)


@lru_cache(maxsize=1024)
def _p_in_e(k: int, nvars: int | None) -> sp.Expr:
    total = (-1) ** (k - 1) * k * _e(k, nvars)
    for i in range(1, k):
        total += (-1) ** (k - 1 + i) * _e(k - i, nvars) * _p_in_e(i, nvars)
    return sp.expand(total)


def elementary_in_power_sums(k: int) -> sp.Expr:
    r"""Newton–Girard: :math:`e_k` as a polynomial in :math:`p_1, \dots, p_k`.

    Parameters
    ----------
    k : int
        Order, :math:`k \ge 1`.

    Returns
    -------
    sympy.Expr
        Polynomial in the symbols :func:`power_sum_symbol`, rational coefficients.

    Notes
    -----
    .. math:: e_k = \frac1k \sum_{i=1}^{k} (-1)^{i-1} e_{k-i}\, p_i .

    Examples
    --------
    >>> elementary_in_power_sums(2)
    p_1**2/2 - p_2/2
    """
    return _e_in_p(as_positive_int(k, "k"))


@lru_cache(maxsize=1024)
def _e_in_p(k: int) -> sp.Expr:
    total = sp.S.Zero
    for i in range(1, k + 1):
        prev = sp.S.One if i == k else _e_in_p(k - i)
        total += (-1) ** (i - 1) * prev * power_sum_symbol(i)
    return sp.expand(total / k)


def power_sum(e: Sequence[int]) -> sp.Expr:
    r"""The power sum :math:`q_e = \sum_i w_i^e` as the symbol ``q(e_1, ..., e_m)``."""
    return _Q(*(int(x) for x in e))


def moment(e: Sequence[int]) -> sp.Expr:
    r"""The normalised moment :math:`q_e / d` (an entry of the tensor moment :math:`p_{|e|}`), ``p(e)``."""
    return _P(*(int(x) for x in e))


def _check_objects(objects: Sequence[Sequence[sp.Symbol]]) -> tuple[list[tuple[sp.Symbol, ...]], int]:
    objs = [tuple(o) for o in objects]
    if not objs:
        raise InputError("objects must hold at least one object (a tuple of m symbols)")
    m = len(objs[0])
    if m == 0 or any(len(o) != m for o in objs):
        raise InputError(f"objects must all have the same positive length m, got lengths {[len(o) for o in objs]}")
    flat = [s for o in objs for s in o]
    if not all(isinstance(s, sp.Symbol) for s in flat):
        raise InputError("objects must be tuples of sympy Symbols")
    if len(set(flat)) != len(flat):
        raise InputError("objects must use distinct symbols")
    return objs, m


def _check_symmetric(poly: sp.Expr, objs: list[tuple[sp.Symbol, ...]]) -> None:
    """Raise unless ``poly`` is invariant under the transposition (0 1) and the cycle (0 1 ... d-1)."""
    d = len(objs)
    if d == 1:
        return
    swap = list(range(d))
    swap[0], swap[1] = 1, 0
    cycle = [(i + 1) % d for i in range(d)]
    for perm, label in ((swap, "swapping objects 0 and 1"), (cycle, "cycling the objects")):
        mapping = {s: objs[perm[i]][a] for i, o in enumerate(objs) for a, s in enumerate(o)}
        if sp.expand(poly.xreplace(mapping) - poly) != 0:
            raise InputError(
                f"poly is not symmetric under permuting the objects: {label} changes it "
                "(Thm 1 applies only to permutation-invariant polynomials)"
            )


@lru_cache(maxsize=1024)
def _distinct_sum(lam: tuple[tuple[int, ...], ...]) -> sp.Expr:
    r""":math:`\sum_{i_1..i_s \text{ distinct}} \prod_j w_{i_j}^{\lambda_j}` in power sums (Möbius inversion)."""
    if not lam:
        return sp.S.One
    total = sp.S.Zero
    for partition in multiset_partitions(list(range(len(lam)))):
        term = sp.S.One
        for block in partition:
            e = tuple(sum(lam[j][a] for j in block) for a in range(len(lam[0])))
            term *= (-1) ** (len(block) - 1) * factorial(len(block) - 1) * power_sum(e)
        total += term
    return sp.expand(total)


def power_sum_expression(poly: sp.Expr, objects: Sequence[Sequence[sp.Symbol]]) -> sp.Expr:
    r"""Write a permutation-invariant polynomial of ``d`` objects in the power sums :math:`q_e` (Thm 1).

    Parameters
    ----------
    poly : sympy.Expr
        A polynomial in the object symbols; other symbols are treated as coefficients.
    objects : sequence of d tuples of m sympy.Symbol
        ``objects[i][a]`` is coordinate :math:`a` of object :math:`i`.

    Returns
    -------
    sympy.Expr
        A polynomial in the :func:`power_sum` symbols ``q(e)`` with
        ``expand_power_sums(result, objects) == expand(poly)``.

    Raises
    ------
    InputError
        If ``poly`` is not a polynomial in the object symbols, or not symmetric under permuting the objects.

    Examples
    --------
    >>> import sympy as sp
    >>> x1, y1, x2, y2 = sp.symbols("x1 y1 x2 y2")
    >>> power_sum_expression(x1 * x2 + y1 * y2, [(x1, y1), (x2, y2)])
    q(0, 1)**2/2 - q(0, 2)/2 + q(1, 0)**2/2 - q(2, 0)/2
    """
    objs, m = _check_objects(objects)
    gens = [s for o in objs for s in o]
    poly = sp.expand(sp.sympify(poly))
    try:
        p = sp.Poly(poly, *gens)
    except sp.PolynomialError as exc:
        raise InputError(f"poly must be a polynomial in the object symbols: {exc}") from None
    _check_symmetric(poly, objs)
    orbits: dict[tuple[tuple[int, ...], ...], sp.Expr] = {}
    for monom, coeff in p.terms():
        vectors = [tuple(monom[i * m : (i + 1) * m]) for i in range(len(objs))]
        key = tuple(sorted(v for v in vectors if any(v)))
        orbits.setdefault(key, coeff)
    total = sp.S.Zero
    for lam, coeff in orbits.items():
        automorphisms = 1
        for count in Counter(lam).values():
            automorphisms *= factorial(count)
        total += coeff * _distinct_sum(lam) / automorphisms
    return sp.expand(total)


def expand_power_sums(expr: sp.Expr, objects: Sequence[Sequence[sp.Symbol]]) -> sp.Expr:
    """Replace every ``q(e)`` in ``expr`` by :math:`\\sum_i w_i^e` and expand (the inverse map).

    Examples
    --------
    >>> import sympy as sp
    >>> x1, x2 = sp.symbols("x1 x2")
    >>> expand_power_sums(power_sum([2]) - power_sum([1])**2, [(x1,), (x2,)])
    -2*x1*x2
    """
    objs, m = _check_objects(objects)
    mapping = {}
    for atom in sp.sympify(expr).atoms(_Q):
        e = [int(a) for a in atom.args]
        if len(e) != m:
            raise InputError(f"{atom} has {len(e)} exponents but the objects have m = {m} coordinates")
        mapping[atom] = sp.Add(*(sp.Mul(*(s**x for s, x in zip(o, e, strict=True))) for o in objs))
    return sp.expand(sp.sympify(expr).xreplace(mapping))


def tensor_moment(objects: Sequence[Sequence[sp.Symbol]], k: int) -> sp.Array:
    r"""The tensor moment :math:`p_k = \frac1d \sum_i w_i^{\otimes k}` as a sympy array of shape ``(m,)*k``.

    Examples
    --------
    >>> import sympy as sp
    >>> x1, y1, x2, y2 = sp.symbols("x1 y1 x2 y2")
    >>> tensor_moment([(x1, y1), (x2, y2)], 2)[0, 1]
    x1*y1/2 + x2*y2/2
    """
    objs, m = _check_objects(objects)
    k = as_positive_int(k, "k")
    d = len(objs)
    tensor = sp.MutableDenseNDimArray.zeros(*([m] * k))
    for idx in sp.utilities.iterables.variations(range(m), k, repetition=True):
        tensor[idx] = sp.expand(sp.Add(*(sp.Mul(*(o[a] for a in idx)) for o in objs)) / d)
    return sp.ImmutableDenseNDimArray(tensor)


def _direction_power_sums(m: int, j: int, u: Sequence[sp.Symbol]) -> sp.Expr:
    r""":math:`\sum_i (u \cdot w_i)^j = \sum_{|f| = j} \binom{j}{f} u^f q_f`."""
    total = sp.S.Zero
    for f in multi_indices(m, j).tolist():
        if sum(f) != j:
            continue
        multinomial = factorial(j) // sp.prod(factorial(x) for x in f)
        total += multinomial * sp.Mul(*(ui**x for ui, x in zip(u, f, strict=True))) * power_sum(f)
    return total


@lru_cache(maxsize=1024)
def _reduced(k: int, d: int, m: int) -> dict[tuple[int, ...], sp.Expr]:
    u = sp.symbols(f"u0:{m}")
    scalar = power_sum_in_elementary(k, nvars=d)
    in_p = scalar.xreplace({elementary_symbol(j): elementary_in_power_sums(j) for j in range(1, d + 1)})
    directional = sp.expand(
        in_p.xreplace({power_sum_symbol(j): _direction_power_sums(m, j, u) for j in range(1, d + 1)})
    )
    poly = sp.Poly(directional, *u)
    out = {}
    for e in multi_indices(m, k).tolist():
        if sum(e) != k:
            continue
        multinomial = factorial(k) // sp.prod(factorial(x) for x in e)
        out[tuple(e)] = sp.expand(
            poly.coeff_monomial(sp.Mul(*(ui**x for ui, x in zip(u, e, strict=True)))) / multinomial
        )
    return out


def reduce_power_sum(e: Sequence[int], d: int) -> sp.Expr:
    r"""Write :math:`q_e` for ``d`` objects as a polynomial in the :math:`q_f` with :math:`|f| \le d`.

    Parameters
    ----------
    e : sequence of int, length m
        Exponent vector; for :math:`|e| \le d` the result is ``q(e)`` itself.
    d : int
        Number of objects.

    Returns
    -------
    sympy.Expr

    Notes
    -----
    With :math:`x_i = u \cdot w_i`, :math:`P_j(u) = \sum_i x_i^j = \sum_{|f|=j} \binom{j}{f} u^f q_f`.
    Newton–Girard in :math:`d` variables (:math:`e_j = 0` for :math:`j > d`) writes :math:`P_k` as a
    polynomial in :math:`P_1, \dots, P_d`; the coefficient of :math:`u^e` on both sides gives the result.

    Examples
    --------
    >>> reduce_power_sum([3], 2)
    -q(1)**3/2 + 3*q(1)*q(2)/2
    """
    e = tuple(int(x) for x in e)
    if not e or any(x < 0 for x in e) or sum(e) == 0:
        raise InputError(f"e must be a non-zero vector of non-negative integers, got {e}")
    d = as_positive_int(d, "d")
    k = sum(e)
    if k <= d:
        return power_sum(e)
    return _reduced(k, d, len(e))[e]


def reduce_tensor_moment(k: int, d: int, m: int) -> dict[tuple[int, ...], sp.Expr]:
    r"""Every distinct entry of :math:`p_k` for ``d`` objects as a polynomial in :math:`p_1, \dots, p_d`.

    Returns
    -------
    dict
        Exponent vector :math:`e` (:math:`|e| = k`) -> expression in the :func:`moment` symbols ``p(f)``
        with :math:`|f| \le d` (for :math:`k \le d`, ``p(e)`` itself).  The entry of :math:`p_k` at index
        :math:`(a_1, \dots, a_k)` is the value at :math:`e_a = \#\{j : a_j = a\}`.

    Examples
    --------
    >>> reduce_tensor_moment(3, 2, 1)[(3,)]
    -2*p(1)**3 + 3*p(1)*p(2)
    """
    k = as_positive_int(k, "k")
    d = as_positive_int(d, "d")
    m = as_positive_int(m, "m")
    ds = sp.Integer(d)
    out = {}
    for e in multi_indices(m, k).tolist():
        if sum(e) == k:
            q_expr = reduce_power_sum(e, d)
            out[tuple(e)] = sp.expand(_to_moments(q_expr, ds) / ds)
    return out


def _to_moments(expr: sp.Expr, d: sp.Expr) -> sp.Expr:
    return expr.xreplace({atom: d * moment(atom.args) for atom in expr.atoms(_Q)})


def moment_expression(poly: sp.Expr, objects: Sequence[Sequence[sp.Symbol]]) -> sp.Expr:
    r"""Thm 1 in the tensor-moment form: ``poly`` as a polynomial in :math:`p_1, \dots, p_d`.

    Parameters
    ----------
    poly : sympy.Expr
        A permutation-invariant polynomial of the objects.
    objects : sequence of d tuples of m sympy.Symbol

    Returns
    -------
    sympy.Expr
        Polynomial in the :func:`moment` symbols ``p(f)`` (entries of the tensor moments), :math:`|f| \le d`.

    Examples
    --------
    >>> import sympy as sp
    >>> x1, x2 = sp.symbols("x1 x2")
    >>> moment_expression(x1**3 + x2**3, [(x1,), (x2,)])
    -4*p(1)**3 + 6*p(1)*p(2)
    """
    objs, _ = _check_objects(objects)
    d = len(objs)
    q_expr = power_sum_expression(poly, objs)
    reduced = q_expr.xreplace({atom: reduce_power_sum([int(a) for a in atom.args], d) for atom in q_expr.atoms(_Q)})
    return sp.expand(_to_moments(sp.expand(reduced), sp.Integer(d)))
