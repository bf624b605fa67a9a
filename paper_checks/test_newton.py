r"""NEWTON (Thm 6, appendix): power sums and elementary symmetric polynomials determine each other
(Newton-Girard), at any order.

With the project's :mod:`unicomp.theory.symmetric`:

* symbolic: for n variables and every order k, :func:`elementary_in_power_sums` with
  :math:`p_j = \sum_i x_i^j` substituted must expand to :math:`e_k(x)` (zero for k > n), and
  :func:`power_sum_in_elementary` with :math:`e_j(x)` substituted must expand to :math:`\sum_i x_i^k`
  (exact equality of sympy polynomials);
* higher orders, exact arithmetic at random integer points: both identities evaluated in rationals at
  random integer points (polynomial identity testing: a non-zero polynomial of degree k vanishes at a
  uniformly random point of :math:`\{-10^6..10^6\}^n` with probability at most :math:`k / (2\cdot10^6+1)`,
  Schwartz-Zippel), so agreement at several points is overwhelming evidence of the identity.

No tolerance: both checks are exact.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import sympy as sp


def _elementary(xs: list[Any], k: int) -> Any:
    """e_k(xs) by the recurrence on prod (1 + x_i t) (exact for sympy symbols and Fractions alike)."""
    coeffs: list[Any] = [1] + [0] * k
    for x in xs:
        for j in range(k, 0, -1):
            coeffs[j] = coeffs[j] + x * coeffs[j - 1]
    return coeffs[k]


def _identities(sym: Any, k: int, xs: list[Any], expand: bool) -> tuple[Any, Any]:
    """(e_k in power sums - e_k, p_k in elementary - p_k) at the variables or values ``xs``."""
    n = len(xs)
    p_values = {sym.power_sum_symbol(j): sum(x**j for x in xs) for j in range(1, k + 1)}
    e_values = {sym.elementary_symbol(j): _elementary(xs, j) for j in range(1, min(k, n) + 1)}
    gap_e = sym.elementary_in_power_sums(k).xreplace(p_values) - _elementary(xs, k)
    gap_p = sym.power_sum_in_elementary(k, nvars=n).xreplace(e_values) - sum(x**k for x in xs)
    if expand:
        return sp.expand(gap_e), sp.expand(gap_p)
    return gap_e, gap_p  # rational numbers already: the values are exact Fractions


def test_newton(audit):
    sym = audit.require("unicomp.theory.symmetric")
    symbolic_order = 10 if audit.full else 7
    max_vars = 5 if audit.full else 3
    numeric_order = 30 if audit.full else 14
    points = 5 if audit.full else 3
    rng = random.Random(0)
    failures = []
    symbolic = 0
    for k in range(1, symbolic_order + 1):
        for n in sorted({1, max(1, k - 1), min(k, 4), k}):
            if n > max_vars:
                continue  # expansions in many variables are left to the exact-point check below
            xs = list(sp.symbols(f"x1:{n + 1}"))
            gap_e, gap_p = _identities(sym, k, xs, expand=True)
            symbolic += 1
            if gap_e != 0 or gap_p != 0:
                failures.append(f"symbolic k={k} n={n}: e-gap {gap_e}, p-gap {gap_p}")
    numeric = 0
    for k in range(1, numeric_order + 1):
        for n in sorted({1, max(1, k // 2), k, k + 2}):
            for _ in range(points):
                xs = [Fraction(rng.randint(-10**6, 10**6)) for _ in range(n)]
                gap_e, gap_p = _identities(sym, k, xs, expand=False)
                numeric += 1
                if gap_e != 0 or gap_p != 0:
                    failures.append(f"exact point k={k} n={n}: gaps {gap_e}, {gap_p}")
    measured = {"symbolic_identities": symbolic, "symbolic_max_order": symbolic_order,
                "exact_point_evaluations": numeric, "numeric_max_order": numeric_order, "failures": failures[:5]}
    evidence = (
        f"e_k <-> p_k identities expand to 0 symbolically for every k <= {symbolic_order} ({symbolic} (k, n) "
        f"pairs, n <= {max_vars} variables, including n < k where e_k = 0), and vanish exactly at {numeric} random "
        f"integer points for k <= {numeric_order}"
    )
    if failures:
        audit.record("fails", measured, evidence + "; counter-example: " + failures[0])
        return
    audit.record("holds", measured, evidence,
                 params={"symbolic_order": symbolic_order, "max_vars": max_vars, "numeric_order": numeric_order,
                         "points_per_case": points, "integer_range": 10**6},
                 seeds=[0])
