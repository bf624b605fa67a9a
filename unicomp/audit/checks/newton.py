r"""NEWTON (Thm 6, appendix): power sums and elementary symmetric polynomials determine each other
(Newton-Girard), at any order.

Construction, with the project's :mod:`unicomp.theory.symmetric` on one side and values computed here
independently on the other (:math:`e_k` from the coefficients of :math:`\prod_i (1 + x_i t)`,
:math:`p_k = \sum_i x_i^k`):

* symbolic: for n variables and every order k, :func:`elementary_in_power_sums` with
  :math:`p_j = \sum_i x_i^j` substituted must expand to :math:`e_k(x)` (zero for k > n), and
  :func:`power_sum_in_elementary` (with ``nvars=n``) with :math:`e_j(x)` substituted must expand to
  :math:`\sum_i x_i^k`;
* higher orders, exact arithmetic at random integer points: both identities evaluated in rationals at random
  integer points (polynomial identity testing: a non-zero polynomial of degree k vanishes at a uniformly
  random point of :math:`\{-10^6..10^6\}^n` with probability at most :math:`k / (2\cdot10^6+1)`,
  Schwartz-Zippel), so agreement at three points is overwhelming evidence of the identity.

"Any order" is checked up to order 7 symbolically and 14 at exact points (10 and 30 at the full tier).
No tolerance: both checks are exact.  Verdict: "fails" with the first order at which an identity does not
vanish, "holds" otherwise.
"""

from __future__ import annotations

import random
from fractions import Fraction
from types import ModuleType
from typing import Any

import sympy as sp

from unicomp.audit.checks._symbolic import exact_outcome
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, replace
from unicomp.verify.claims import combine


def _elementary(xs: list[Any], k: int) -> Any:
    """e_k(xs) by the recurrence on prod (1 + x_i t) (exact for sympy symbols and Fractions alike)."""
    coeffs: list[Any] = [1] + [0] * k
    for x in xs:
        for j in range(k, 0, -1):
            coeffs[j] = coeffs[j] + x * coeffs[j - 1]
    return coeffs[k]


def _gaps(sym: ModuleType, k: int, xs: list[Any], expand: bool) -> tuple[Any, Any]:
    """(e_k in power sums - e_k, p_k in elementary - p_k) at the variables or values ``xs``."""
    n = len(xs)
    p_values = {sym.power_sum_symbol(j): sum(x**j for x in xs) for j in range(1, k + 1)}
    e_values = {sym.elementary_symbol(j): _elementary(xs, j) for j in range(1, min(k, n) + 1)}
    gap_e = sym.elementary_in_power_sums(k).xreplace(p_values) - _elementary(xs, k)
    gap_p = sym.power_sum_in_elementary(k, nvars=n).xreplace(e_values) - sum(x**k for x in xs)
    if expand:
        return sp.expand(gap_e), sp.expand(gap_p)
    return gap_e, gap_p  # exact already: the values are Fractions (a leftover symbol stays a symbol)


def _symbolic(sym: ModuleType, max_order: int, max_vars: int) -> tuple[list[str], int]:
    failures, count = [], 0
    for k in range(1, max_order + 1):
        for n in sorted({1, max(1, k - 1), min(k, 4), k}):
            if n > max_vars:
                continue  # expansions in many variables are left to the exact-point check
            gap_e, gap_p = _gaps(sym, k, list(sp.symbols(f"x1:{n + 1}")), expand=True)
            count += 1
            if gap_e != 0 or gap_p != 0:
                failures.append(f"k={k}, n={n}: e-gap {gap_e}, p-gap {gap_p}")
    return failures, count


def _exact_points(sym: ModuleType, max_order: int, points: int) -> tuple[list[str], int]:
    rng = random.Random(0)
    failures, count = [], 0
    for k in range(1, max_order + 1):
        for n in sorted({1, max(1, k // 2), k, k + 2}):
            for _ in range(points):
                xs = [Fraction(rng.randint(-10**6, 10**6)) for _ in range(n)]
                gap_e, gap_p = _gaps(sym, k, xs, expand=False)
                count += 1
                if gap_e != 0 or gap_p != 0:
                    failures.append(f"k={k}, n={n}: gaps {gap_e}, {gap_p}")
    return failures, count


def run(ctx: AuditContext) -> None:
    sym = ctx.require("unicomp.theory.symmetric")
    symbolic_order, max_vars = (10, 5) if ctx.full else (7, 3)
    numeric_order, points = (30, 5) if ctx.full else (14, 3)
    sym_failures, n_sym = _symbolic(sym, symbolic_order, max_vars)
    num_failures, n_num = _exact_points(sym, numeric_order, points)
    outcomes = [
        exact_outcome(f"e_k <-> p_k expanded symbolically for every k <= {symbolic_order} ({n_sym} (k, n) pairs, "
                      f"n <= {max_vars} variables, including n < k where e_k = 0)", sym_failures),
        exact_outcome(f"both identities at {n_num} random integer points, k <= {numeric_order}", num_failures),
    ]
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    ctx.record(
        verdict,
        {"symbolic_identities": n_sym, "symbolic_max_order": symbolic_order, "exact_point_evaluations": n_num,
         "numeric_max_order": numeric_order, "failures": (sym_failures + num_failures)[:5]},
        evidence, caveat=caveat,
        params={"symbolic_order": symbolic_order, "max_vars": max_vars, "numeric_order": numeric_order,
                "points_per_case": points, "integer_range": 10**6},
        seeds=[0],
    )


def _sign_convention(original: Any) -> Any:
    def defective(k: int) -> sp.Expr:
        from unicomp.theory.symmetric import power_sum_symbol

        return original(k).xreplace({power_sum_symbol(j): -power_sum_symbol(j) for j in range(1, k + 1)})

    return defective


MUTANTS: tuple[Mutant, ...] = (
    Mutant("newton-sign-convention", "elementary_in_power_sums uses the sign convention (-1)^i for (-1)^(i-1) "
           "(every p_j enters with the wrong sign)",
           replace("unicomp.theory.symmetric:elementary_in_power_sums", _sign_convention)),
    Mutant("newton-nvars-ignored", "power_sum_in_elementary ignores nvars (e_j for j > n is not set to 0)",
           replace("unicomp.theory.symmetric:power_sum_in_elementary",
                   lambda orig: lambda k, nvars=None: orig(k))),
)
