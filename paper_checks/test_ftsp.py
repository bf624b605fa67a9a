r"""FTSP (Thm 1): a permutation-invariant polynomial of d objects in R^m is a polynomial in the power sums
(tensor moments) p_1..p_d, and p_k for k > d is a polynomial in p_1..p_d.

Exact symbolic check with the project's symbolic layer (:mod:`unicomp.theory.symmetric`):

1. hypothesis draws random symmetric polynomials (:func:`unicomp.verify.strategies.symmetric_polynomials`);
   :func:`power_sum_expression` and :func:`moment_expression` rewrite them, and substituting the power
   sums back and expanding must give the polynomial exactly (difference identically 0), with only moments
   of order <= d in the moment form;
2. every power sum q_e with d < |e| <= d + 2 is rewritten by :func:`reduce_power_sum` in power sums of order
   <= d, and expands back exactly, for a grid of (d, m).

No tolerance: the comparison is exact equality of sympy polynomials.  A counter-example is a ``fails``
verdict carrying hypothesis's shrunk example.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from hypothesis import given, settings

from unicomp.numerics.basis import multi_indices
from unicomp.verify.strategies import symmetric_polynomials


def _moments_to_sums(expr: sp.Expr, sym: Any, d: int) -> sp.Expr:
    """Replace every moment ``p(f)`` by ``q(f) / d``."""
    moment = sym.moment([1]).func
    return expr.xreplace({a: sym.power_sum(a.args) / d for a in expr.atoms(sp.Function) if a.func == moment})


def test_ftsp(audit):
    sym = audit.require("unicomp.theory.symmetric")
    examples = 300 if audit.full else 40
    max_objects, max_dim = (4, 3) if audit.full else (3, 2)
    checked = {"polynomials": 0, "nonzero": 0, "max_degree_seen": 0}

    @settings(max_examples=examples, database=None, deadline=None, derandomize=True)
    @given(symmetric_polynomials(max_objects=max_objects, max_dim=max_dim))
    def round_trip(case: tuple[sp.Expr, list]) -> None:
        poly, objects = case
        d = len(objects)
        in_q = sym.power_sum_expression(poly, objects)
        assert sp.expand(sym.expand_power_sums(in_q, objects) - poly) == 0, f"power sums: {poly}"
        in_p = sym.moment_expression(poly, objects)
        orders = [sum(int(x) for x in a.args) for a in in_p.atoms(sp.Function)]
        assert all(o <= d for o in orders), f"moment form uses an order > d = {d}: {in_p}"
        back = sym.expand_power_sums(_moments_to_sums(in_p, sym, d), objects)
        assert sp.expand(back - poly) == 0, f"tensor moments: {poly}"
        checked["polynomials"] += 1
        if poly != 0:
            checked["nonzero"] += 1
            degree = int(sp.total_degree(poly, *[s for o in objects for s in o]))
            checked["max_degree_seen"] = max(checked["max_degree_seen"], degree)

    failures = []
    try:
        round_trip()
    except AssertionError as exc:
        failures.append(f"symmetric polynomial round trip: {exc}")
    reductions = 0
    for d in range(1, max_objects + 1):
        for m in range(1, max_dim + 1):
            objects = [tuple(sp.Symbol(f"w{i}_{a}") for a in range(m)) for i in range(d)]
            for e in multi_indices(m, d + 2).tolist():
                if sum(e) <= d:
                    continue
                direct = sp.Add(*(sp.Mul(*(o[a] ** e[a] for a in range(m))) for o in objects))
                reduced = sym.reduce_power_sum(e, d)
                if any(sum(int(x) for x in a.args) > d for a in reduced.atoms(sp.Function)):
                    failures.append(f"q{tuple(e)} (d={d}) reduced to orders > d: {reduced}")
                elif sp.expand(sym.expand_power_sums(reduced, objects) - direct) != 0:
                    failures.append(f"q{tuple(e)} (d={d}) reduction does not expand back")
                reductions += 1
    measured = {"hypothesis_examples": examples, **checked, "power_sum_reductions": reductions,
                "failures": failures[:5]}
    evidence = (
        f"{checked['polynomials']} random symmetric polynomials ({checked['nonzero']} non-zero, degree <= "
        f"{checked['max_degree_seen']}, d <= {max_objects}, m <= {max_dim}) rewritten "
        f"in power sums and in tensor moments p_1..p_d and expanded back exactly; {reductions} power sums of "
        f"order d+1..d+2 reduced to orders <= d and expanded back exactly"
    )
    verdict = "fails" if failures else "holds"
    if failures:
        evidence += "; counter-example: " + failures[0]
    audit.record(verdict, measured, evidence,
                 params={"examples": examples, "max_objects": max_objects, "max_dim": max_dim,
                         "strategy": "unicomp.verify.strategies.symmetric_polynomials", "derandomize": True},
                 seeds=[0])
