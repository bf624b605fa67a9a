r"""ERRATA (Thm 7, Lemma 2, Sec. 3.2): printed formulas that do not follow from their proofs.

:mod:`unicomp.theory.errata` derives each corrected statement symbolically.  The audit takes neither its
``verified`` flag nor its algebra on trust: each erratum's *printed* and *corrected* forms, as the module
states them, are evaluated numerically against the proof's own ingredients, computed here independently.
An erratum is confirmed when the printed form disagrees with the proof and the corrected one agrees; a
"corrected" form that equals the printed one, or that does not follow from the proof either, fails.

1. **Thm 7, rho placement.**  The proof's per-step error :math:`d\,\rho^{-k}((N_{m,k}+1)/N)^{(k+1)/m}`
   (exact :math:`N_{m,k} = \binom{m+k}{k}`) is minimised over integer k by brute force.  As N grows, the
   argmin divided by the corrected :math:`k_{opt}` must approach 1: within 10% at the largest N (the
   Stirling approximation behind :math:`k_{opt}` is leading-order, and the argmin is an integer) and closer
   than at the smallest N; the argmin divided by the printed :math:`k_{opt}` must stay at least three times
   further from 1 (so that integer rounding of k cannot decide it).
2. **Lemma 2, Remez step.**  The proof needs an *upper* bound on :math:`T_k(x)` for :math:`x > 1`.  The
   corrected statement must be an upper bound (:math:`T_k \le \cdot`) that :math:`T_k` never exceeds on the
   grid :math:`k \le 8`, :math:`1 < x \le 6`; the printed bound must be exceeded by :math:`T_k` at every
   grid point (so it cannot serve as an upper bound).  Exact comparison in 50-digit arithmetic.
3. **Worked example, exponent sign.**  Thm 4's error :math:`E = d\, d'^{1-(k+1)/m}` (computed here from the
   statement) at the corrected size must be :math:`d^{-\alpha}`, the target, and at the printed size must
   not be: :math:`|\log(E d^\alpha)| \le 10^{-20}` in 30-digit arithmetic (rounding is about
   :math:`10^{-28}`; a wrong size is off by a power of d, :math:`\ge 1`).
4. **Boost condition (remark).**  At :math:`k + 1` equal to the printed threshold, the exponent of Thm 4's
   error of the sum, :math:`1 + \sigma(1 - (k+1)/m)`, must be :math:`-\alpha`; at the corrected threshold
   the exponent of the mean's error, :math:`\sigma(1 - (k+1)/m)`, must be :math:`-\alpha`, and the corrected
   threshold must be the smaller one (the printed condition is conservative, not wrong).  Same 1e-20 rule.

The sub-checks are combined with :func:`unicomp.verify.claims.combine`; a symbolic derivation of the
module that did not reproduce its corrected form (``verified`` false) also fails the claim.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, replace
from unicomp.verify.claims import combine

Outcome = tuple[str, str]
_EXACT = 1e-20  # 30-digit evaluation of an exact identity: rounding is ~1e-28, a real gap is a power of d


def _bound(expr: sp.Basic) -> sp.Expr:
    """The formula of a printed/corrected form: the right-hand side of a relation, else the expression."""
    return expr.rhs if isinstance(expr, sp.core.relational.Relational) else expr


def _evaluator(expr: sp.Expr, names: tuple[str, ...]) -> Callable[..., Any]:
    """``expr`` as an mpmath function of the symbols called ``names`` (matched by name, not assumptions)."""
    by_name = {s.name: s for s in expr.free_symbols}
    missing = set(by_name) - set(names)
    if missing:
        raise AssertionError(f"{expr} depends on {sorted(missing)}, not only on {names}")
    args = [by_name.get(n, sp.Symbol(n)) for n in names]
    return sp.lambdify(args, expr, "mpmath")


def _log_argmin(m: int, rho: float, n: float, k_max: int) -> int:
    """The integer k minimising the log of Thm 7's per-step error (the proof's formula, exact N_{m,k})."""
    ks = np.arange(1, k_max + 1)
    log_count = np.array([math.log(math.comb(m + int(k), int(k)) + 1) for k in ks])
    return int(ks[int(np.argmin(-ks * math.log(rho) + (ks + 1) / m * (log_count - math.log(n))))])


def _rho_placement(erratum: Any, m: int, rho: float, sizes: list[int]) -> tuple[Outcome, dict[str, list[float]]]:
    corrected = _evaluator(_bound(erratum.corrected), ("m", "N", "rho"))
    printed = _evaluator(_bound(erratum.printed), ("m", "N", "rho"))
    ratio_c, ratio_p = [], []
    for n in sizes:
        k_c, k_p = float(corrected(m, n, rho)), float(printed(m, n, rho))
        k_best = _log_argmin(m, rho, n, int(3 * max(k_c, k_p, 1.0)) + 10)  # brackets both predictions
        ratio_c.append(k_best / k_c)
        ratio_p.append(k_best / k_p)
    gaps = [abs(r - 1) for r in ratio_c]
    ok = gaps[-1] < 0.1 and gaps[-1] < gaps[0] and abs(ratio_p[-1] - 1) > 3 * gaps[-1]
    text = (f"Thm 7 (m={m}, rho={rho}): argmin k / corrected k_opt = {ratio_c[0]:.3f} -> {ratio_c[-1]:.3f}, "
            f"argmin k / printed k_opt = {ratio_p[0]:.3f} -> {ratio_p[-1]:.3f} for N = {sizes[0]} -> {sizes[-1]}")
    return ("holds" if ok else "fails", text), {"corrected_ratio": ratio_c, "printed_ratio": ratio_p}


def _remez(erratum: Any, max_k: int) -> tuple[Outcome, dict[str, int]]:
    corrected = _evaluator(_bound(erratum.corrected), ("x", "k"))
    printed = _evaluator(_bound(erratum.printed), ("x", "k"))
    printed_exceeded = corrected_exceeded = total = 0
    with mpmath.workdps(50):
        for k in range(1, max_k + 1):
            for x in mpmath.linspace(mpmath.mpf("1.01"), 6, 60):
                tk = mpmath.chebyt(k, x)
                printed_exceeded += tk > printed(x, k)
                corrected_exceeded += tk > corrected(x, k)
                total += 1
    upper = isinstance(erratum.corrected, sp.LessThan)
    ok = upper and printed_exceeded == total and corrected_exceeded == 0
    text = (f"Lemma 2: T_k(x) exceeds the printed bound at {printed_exceeded}/{total} grid points (k <= {max_k}, "
            f"1 < x <= 6) and the corrected bound at {corrected_exceeded}"
            + ("" if upper else f"; the corrected statement {erratum.corrected} is not an upper bound on T_k"))
    return ("holds" if ok else "fails", text), {"printed_exceeded": printed_exceeded,
                                                "corrected_exceeded": corrected_exceeded, "grid": total}


def _example_sign(erratum: Any) -> tuple[Outcome, dict[str, list[float]]]:
    names = ("d", "m", "k", "alpha")
    corrected, printed = _evaluator(erratum.corrected, names), _evaluator(erratum.printed, names)
    off: dict[str, list[float]] = {"corrected": [], "printed": []}
    with mpmath.workdps(30):
        for k, m, alpha in ((2, 1, mpmath.mpf(1) / 2), (6, 2, mpmath.mpf("0.68")), (9, 3, mpmath.mpf("0.68"))):
            for d in (mpmath.mpf(10) ** 3, mpmath.mpf(10) ** 6):
                for form, size in (("corrected", corrected), ("printed", printed)):
                    error = d * size(d, m, k, alpha) ** (1 - mpmath.mpf(k + 1) / m)  # Thm 4's E at that size
                    off[form].append(float(abs(mpmath.log(error * d**alpha))))
    ok = max(off["corrected"]) <= _EXACT and min(off["printed"]) > _EXACT
    text = (f"worked example: |log(E d^alpha)| with Thm 4's E at the corrected size <= {max(off['corrected']):.1e}, "
            f"at the printed size >= {min(off['printed']):.2f} (zero means the size reaches the target d^-alpha)")
    return ("holds" if ok else "fails", text), off


def _boost_condition(erratum: Any) -> tuple[Outcome, dict[str, float]]:
    names = ("m", "sigma", "alpha")
    printed, corrected = _evaluator(erratum.printed, names), _evaluator(erratum.corrected, names)
    worst = {"printed_sum_exponent_gap": 0.0, "corrected_mean_exponent_gap": 0.0}
    conservative = True
    with mpmath.workdps(30):
        for m, sigma, alpha in ((1, mpmath.mpf(1) / 2, mpmath.mpf(1) / 2), (3, mpmath.mpf(1) / 2, mpmath.mpf("0.68")),
                                (2, mpmath.mpf(3) / 4, mpmath.mpf("1.3"))):
            k1_p, k1_c = printed(m, sigma, alpha), corrected(m, sigma, alpha)
            worst["printed_sum_exponent_gap"] = max(worst["printed_sum_exponent_gap"],
                                                    float(abs(1 + sigma * (1 - k1_p / m) + alpha)))
            worst["corrected_mean_exponent_gap"] = max(worst["corrected_mean_exponent_gap"],
                                                       float(abs(sigma * (1 - k1_c / m) + alpha)))
            conservative = conservative and bool(k1_c < k1_p)
    ok = max(worst.values()) <= _EXACT and conservative
    text = (f"boost condition: at the printed threshold the sum's error exponent misses -alpha by "
            f"{worst['printed_sum_exponent_gap']:.1e}, at the corrected one the mean's by "
            f"{worst['corrected_mean_exponent_gap']:.1e}; corrected threshold below the printed: {conservative}")
    return ("holds" if ok else "fails", text), worst


def run(ctx: AuditContext) -> None:
    errata = ctx.require("unicomp.theory.errata")
    derived = {e.id: e for e in errata.all_errata()}
    sizes = [10**3, 10**5, 10**7, 10**9] if ctx.full else [10**3, 10**5, 10**7]
    outcomes: list[Outcome] = []
    measured: dict[str, Any] = {}
    expected = ("thm7-rho", "lemma2-remez", "example-sign", "boost-normalization")
    missing = [i for i in expected if i not in derived]
    if missing:
        outcomes.append(("fails", f"errata not derived by unicomp.theory.errata: {missing}"))
    if "thm7-rho" in derived:
        for m, rho in ((2, 4.0), (3, 2.0)):
            outcome, measured[f"thm7_m{m}_rho{rho}"] = _rho_placement(derived["thm7-rho"], m, rho, sizes)
            outcomes.append(outcome)
    if "lemma2-remez" in derived:
        outcome, measured["lemma2_remez"] = _remez(derived["lemma2-remez"], 12 if ctx.full else 8)
        outcomes.append(outcome)
    if "example-sign" in derived:
        outcome, measured["worked_example"] = _example_sign(derived["example-sign"])
        outcomes.append(outcome)
    if "boost-normalization" in derived:
        outcome, measured["boost_condition"] = _boost_condition(derived["boost-normalization"])
        outcomes.append(outcome)
    symbolic = {i: {"verified": e.verified, "printed": str(e.printed), "corrected": str(e.corrected),
                    "severity": e.severity} for i, e in derived.items()}
    measured["symbolic_derivations"] = symbolic
    not_derived = [i for i, e in symbolic.items() if not e["verified"]]
    if not_derived:
        outcomes.append(("fails", f"symbolic derivation did not reproduce the corrected form: {not_derived}"))
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    corrected = "; ".join(f"{i}: {e['corrected']}" for i, e in symbolic.items())
    ctx.record(verdict, measured, evidence + f". Corrected statements: {corrected}", caveat=caveat,
               params={"N_sizes": sizes, "rho_cases": [(2, 4.0), (3, 2.0)], "remez_digits": 50,
                       "exact_tolerance": _EXACT}, seeds=[])


def _corrected(target: str, make: Callable[[Any], sp.Basic]) -> Any:
    """A planter: the erratum from ``target`` comes back with ``corrected = make(erratum)``."""
    return replace(f"unicomp.theory.errata:{target}",
                   lambda orig: lambda *a, **kw: dataclasses.replace(orig(*a, **kw), corrected=make(orig(*a, **kw))))


MUTANTS: tuple[Mutant, ...] = (
    Mutant("errata-thm7-corrected-is-printed", "thm7_rho_placement's corrected k_opt equals the printed one",
           _corrected("thm7_rho_placement", lambda e: _bound(e.printed))),
    Mutant("errata-remez-corrected-is-printed", "remez_step's corrected statement uses the printed bound "
           "(x+sqrt(x^2-1))^k/2 as the upper bound", _corrected("remez_step", lambda e: sp.LessThan(*e.printed.args))),
    Mutant("errata-example-corrected-is-printed", "worked_example_sign's corrected size keeps the printed "
           "negative exponent", _corrected("worked_example_sign", lambda e: e.printed)),
    Mutant("errata-boost-corrected-is-printed", "boost_normalization's mean-loss threshold equals the printed "
           "sum threshold", _corrected("boost_normalization", lambda e: e.printed)),
    Mutant("errata-thm7-off-by-e", "thm7_rho_placement's corrected k_opt lost its 1/e (a constant slip)",
           _corrected("thm7_rho_placement", lambda e: e.corrected * sp.E)),
)
