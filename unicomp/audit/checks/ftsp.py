r"""FTSP (Thm 1): a permutation-invariant polynomial of d objects in :math:`\mathbb{R}^m` is a polynomial in
the power sums (tensor moments) :math:`p_1, \dots, p_d`; :math:`p_k` for :math:`k > d` is a polynomial in
:math:`p_1, \dots, p_d`.

Construction (exact, with the project's :mod:`unicomp.theory.symmetric`):

1. hypothesis draws random symmetric polynomials (:func:`unicomp.verify.strategies.symmetric_polynomials`,
   derandomised).  :func:`power_sum_expression` must return an expression **free of every object variable**
   (only power sums ``q(e)`` and numbers) that expands back to the polynomial exactly;
   :func:`moment_expression` must return an expression free of the object variables and of ``q``, whose
   moments ``p(f)`` all have order :math:`|f| \le d`, and that expands back exactly after
   :math:`p_f = q_f / d`.  Without the freeness test a rewrite that returns its input would pass (it
   expands back trivially): issue 15.
2. every power sum :math:`q_e` with :math:`d < |e| \le d + 2` is rewritten by :func:`reduce_power_sum` in
   power sums of order :math:`\le d` only, free of the object variables, and expands back exactly;
3. the tensor-moment form of "p_k is a function of p_1..p_d": every entry of :math:`p_{d+1}` from
   :func:`reduce_tensor_moment` is a polynomial in moments of order :math:`\le d` and equals the entry of
   :math:`\frac1d \sum_i w_i^{\otimes (d+1)}` computed here directly from the object variables.

The sample must exercise the theorem: at least one polynomial of degree > d must have been rewritten into
moments of order :math:`\le d` (else the moment form never had to reduce anything, and the verdict is
"inconclusive").  No tolerance anywhere: every comparison is exact equality of sympy polynomials.  Verdict:
"fails" with the first counter-example, "holds" when every case is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from types import ModuleType
from typing import Any

import sympy as sp
from hypothesis import given, settings

from unicomp.audit.checks._symbolic import exact_outcome, leftover_symbols
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, replace
from unicomp.numerics.basis import multi_indices
from unicomp.verify.claims import combine
from unicomp.verify.strategies import symmetric_polynomials

Objects = list[tuple[sp.Symbol, ...]]


def _objects(d: int, m: int) -> Objects:
    return [tuple(sp.Symbol(f"w{i}_{a}") for a in range(m)) for i in range(d)]


def _orders(expr: sp.Expr, func: Any) -> list[int]:
    """Orders :math:`|f|` of the atoms ``func(f)`` in ``expr``."""
    return [sum(int(x) for x in a.args) for a in expr.atoms(sp.Function) if a.func == func]


def _moments_to_sums(expr: sp.Expr, sym: ModuleType, d: int) -> sp.Expr:
    """Replace every moment ``p(f)`` by ``q(f) / d`` (the definition of the tensor moments)."""
    p = sym.moment([1]).func
    return expr.xreplace({a: sym.power_sum(a.args) / d for a in expr.atoms(sp.Function) if a.func == p})


def _rewrite_failures(sym: ModuleType, poly: sp.Expr, objects: Objects) -> list[str]:
    """Everything wrong with the two rewrites of one symmetric polynomial (empty when both are right)."""
    d, flat = len(objects), [s for o in objects for s in o]
    q, p = sym.power_sum([1]).func, sym.moment([1]).func
    bad = []
    in_q = sym.power_sum_expression(poly, objects)
    if left := leftover_symbols(in_q, flat):
        bad.append(f"power-sum form of {poly} still holds object variables {sorted(map(str, left))}")
    elif sp.expand(sym.expand_power_sums(in_q, objects) - poly) != 0:
        bad.append(f"power-sum form of {poly} does not expand back")
    in_p = sym.moment_expression(poly, objects)
    if left := leftover_symbols(in_p, flat):
        bad.append(f"moment form of {poly} still holds object variables {sorted(map(str, left))}")
    elif _orders(in_p, q) or any(o > d for o in _orders(in_p, p)):
        bad.append(f"moment form of {poly} uses a power sum or a moment of order > d = {d}: {in_p}")
    elif sp.expand(sym.expand_power_sums(_moments_to_sums(in_p, sym, d), objects) - poly) != 0:
        bad.append(f"moment form of {poly} does not expand back")
    return bad


def _random_polynomials(sym: ModuleType, examples: int, max_objects: int, max_dim: int
                        ) -> tuple[list[str], dict[str, int]]:
    failures: list[str] = []
    seen = {"polynomials": 0, "nonzero": 0, "max_degree": 0, "degree_above_d": 0}

    @settings(max_examples=examples, database=None, deadline=None, derandomize=True)
    @given(symmetric_polynomials(max_objects=max_objects, max_dim=max_dim))
    def collect(case: tuple[sp.Expr, Objects]) -> None:
        poly, objects = case
        failures.extend(_rewrite_failures(sym, poly, objects))
        seen["polynomials"] += 1
        if poly != 0:
            degree = int(sp.total_degree(poly, *[s for o in objects for s in o]))
            seen["nonzero"] += 1
            seen["max_degree"] = max(seen["max_degree"], degree)
            seen["degree_above_d"] += degree > len(objects)

    collect()
    return failures, seen


def _direct_sum(objects: Objects, e: Sequence[int]) -> sp.Expr:
    return sp.Add(*(sp.Mul(*(o[a] ** e[a] for a in range(len(e)))) for o in objects))


def _power_sum_reductions(sym: ModuleType, max_objects: int, max_dim: int) -> tuple[list[str], int]:
    failures, count = [], 0
    q = sym.power_sum([1]).func
    for d, m in product(range(1, max_objects + 1), range(1, max_dim + 1)):
        objects = _objects(d, m)
        for e in (e for e in multi_indices(m, d + 2).tolist() if sum(e) > d):
            reduced = sym.reduce_power_sum(e, d)
            count += 1
            if leftover_symbols(reduced, [s for o in objects for s in o]) or any(o > d for o in _orders(reduced, q)):
                failures.append(f"q{tuple(e)} (d={d}) is not reduced to power sums of order <= d: {reduced}")
            elif sp.expand(sym.expand_power_sums(reduced, objects) - _direct_sum(objects, e)) != 0:
                failures.append(f"q{tuple(e)} (d={d}) reduction does not expand back")
    return failures, count


def _tensor_moment_reductions(sym: ModuleType, max_objects: int, max_dim: int) -> tuple[list[str], int]:
    failures, count = [], 0
    p = sym.moment([1]).func
    for d, m in product(range(1, max_objects + 1), range(1, max_dim + 1)):
        objects = _objects(d, m)
        for e, expr in sym.reduce_tensor_moment(d + 1, d, m).items():
            count += 1
            in_objects = sym.expand_power_sums(_moments_to_sums(expr, sym, d), objects)
            if any(o > d for o in _orders(expr, p)) or leftover_symbols(expr, [s for o in objects for s in o]):
                failures.append(f"entry {e} of p_{d + 1} (d={d}) is not written in p_1..p_{d}: {expr}")
            elif sp.expand(in_objects - _direct_sum(objects, e) / d) != 0:
                failures.append(f"entry {e} of p_{d + 1} (d={d}) differs from (1/d) sum_i w_i^e")
    return failures, count


def run(ctx: AuditContext) -> None:
    sym = ctx.require("unicomp.theory.symmetric")
    examples = 300 if ctx.full else 40
    max_objects, max_dim = (4, 3) if ctx.full else (3, 2)
    rewrite_failures, seen = _random_polynomials(sym, examples, max_objects, max_dim)
    sum_failures, n_sums = _power_sum_reductions(sym, max_objects, max_dim)
    tensor_failures, n_tensor = _tensor_moment_reductions(sym, max_objects, max_dim)
    outcomes = [
        exact_outcome(f"{seen['polynomials']} random symmetric polynomials ({seen['nonzero']} non-zero, degree <= "
                      f"{seen['max_degree']}, d <= {max_objects}, m <= {max_dim}) rewritten in power sums and in "
                      "moments of order <= d, free of the object variables, expanded back", rewrite_failures),
        exact_outcome(f"{n_sums} power sums q_e of order d+1..d+2 reduced to orders <= d", sum_failures),
        exact_outcome(f"{n_tensor} entries of p_(d+1) written in p_1..p_d and compared with (1/d) sum_i w_i^e",
                      tensor_failures),
    ]
    if seen["degree_above_d"] == 0:
        outcomes.append(("inconclusive", "no sampled polynomial had degree > d, so the moment form never had to "
                                         "reduce an order above d; raise the number of examples"))
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    ctx.record(
        verdict,
        {"hypothesis_examples": examples, **seen, "power_sum_reductions": n_sums,
         "tensor_moment_entries": n_tensor, "failures": (rewrite_failures + sum_failures + tensor_failures)[:5]},
        evidence, caveat=caveat,
        params={"examples": examples, "max_objects": max_objects, "max_dim": max_dim, "derandomize": True,
                "strategy": "unicomp.verify.strategies.symmetric_polynomials"},
        seeds=[0],
    )


def _unnormalised_moments(original: Any) -> Any:
    def defective(poly: sp.Expr, objects: Sequence[Sequence[sp.Symbol]]) -> sp.Expr:
        from unicomp.theory.symmetric import moment

        out = original(poly, objects)
        p = moment([1]).func
        return out.xreplace({a: a / len(objects) for a in out.atoms(sp.Function) if a.func == p})

    return defective


MUTANTS: tuple[Mutant, ...] = (
    Mutant("ftsp-noop-rewrite", "power_sum_expression returns its input unchanged (so does moment_expression)",
           replace("unicomp.theory.symmetric:power_sum_expression", lambda orig: lambda poly, objects: poly)),
    Mutant("ftsp-unnormalised-moments", "moment_expression writes q_f where d p_f belongs (the 1/d of the "
           "tensor moments dropped)", replace("unicomp.theory.symmetric:moment_expression", _unnormalised_moments)),
    Mutant("ftsp-reduction-one-object-short", "reduce_power_sum applies Newton-Girard with d-1 objects "
           "(e_d wrongly set to 0)",
           replace("unicomp.theory.symmetric:reduce_power_sum",
                   lambda orig: lambda e, d: orig(e, d - 1) if d > 1 else orig(e, d))),
)
