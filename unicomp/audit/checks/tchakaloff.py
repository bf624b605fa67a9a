r"""TCHAKALOFF (Thm 2): a discrete measure reduces to at most :math:`N_{m,k} = \binom{m+k}{k}` of its own
atoms, with weights :math:`\ge 0`, keeping every moment of order 0..k.

Construction.  Every family of :data:`unicomp.verify.strategies.FAMILIES` (generic, duplicated points, points
on a line, zero weights, weights over twelve orders of magnitude, two tight clusters far apart, fewer points
than moments) is recombined (:func:`unicomp.recombine`) in float64 and at 50 digits for several (m, k), and
every result is checked by ``check_compression(..., degree=k)`` (:func:`~unicomp.verify.check_compression`):
an independent recomputation of the support (a subset, at most :math:`N_{m,k}`), positivity, the mass and
every moment of degree :math:`\le k` -- the degree ASKED for, not the one the result reports -- with the sums
accurately rounded.  Tolerances: recombine's own (1e-10 relative in float64, 1e-45 at 50 digits), far above
the rounding of an exact reduction (measured <= 1e-15 and 1e-49) and far below the moment error of any wrong
reduction (a dropped atom, a lowered degree or a random subset: >= 1e-4).

Rule.  The theorem is the invariants, so a returned reduction that breaks one is "fails" (naming the
family, m, k, precision).  A run that refuses with ``PrecisionError`` certifies nothing (the theorem is an
existence statement): if every case was certified in at least one precision, "holds with caveat" naming
the refused runs; a case certified in neither precision makes the finding "inconclusive" (more digits
would decide).  Otherwise "holds".  No authors' numbers: their repository reports no recombination residuals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from unicomp import PrecisionError, num_moments, recombine
from unicomp.audit.checks._compression import degree_lowered
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, lowered_degree, perturbed_weights, random_subset, replace
from unicomp.verify import InvariantViolation, check_compression
from unicomp.verify.strategies import FAMILIES, degenerate_family

DIGITS = 50
# (m, k) pairs; the quick tier keeps every family but fewer and smaller cases.
QUICK_CASES = ((1, 6), (1, 12), (2, 3), (3, 2))
FULL_CASES = ((1, 6), (1, 12), (2, 3), (2, 6), (3, 2), (3, 4), (4, 3))


def _run(points: np.ndarray, weights: np.ndarray, k: int, precision: int | None) -> dict[str, object]:
    try:
        comp = recombine(points, weights, degree=k, precision=precision)
    except PrecisionError as exc:
        return {"status": "precision", "message": str(exc)[:160]}
    try:
        rep = check_compression(comp, points, weights, degree=k)
    except InvariantViolation as exc:
        return {"status": "violated", "message": str(exc)[:200]}
    return {"status": "ok", "size": rep.size, "max_size": rep.max_size, "residual": rep.chebyshev_residual}


def run(ctx: AuditContext) -> None:
    """Measure TCHAKALOFF (see the module docstring) and record the finding."""
    cases = FULL_CASES if ctx.full else QUICK_CASES
    n = 400 if ctx.full else 120
    seeds = [0, 1] if ctx.full else [0]
    rows: list[dict[str, Any]] = []
    for m, k in cases:
        for kind in FAMILIES:
            for seed in seeds:
                pts, w = degenerate_family(kind, n, m, seed=seed)
                for precision in (None, DIGITS):
                    row = {"m": m, "k": k, "family": kind, "seed": seed, "precision": precision or "float64"}
                    row.update(_run(pts, w, k, precision))
                    rows.append(row)

    def label(r: dict) -> str:
        return f"{r['family']} m={r['m']} k={r['k']} ({r['precision']})"

    ok = [r for r in rows if r["status"] == "ok"]
    violated = [r for r in rows if r["status"] == "violated"]
    refused = [r for r in rows if r["status"] == "precision"]
    worst = {p: max((float(r["residual"]) for r in ok if r["precision"] == p), default=float("nan"))
             for p in ("float64", DIGITS)}
    certified = {(r["m"], r["k"], r["family"], r["seed"]) for r in ok}
    unverified = sorted({f"{r['family']} m={r['m']} k={r['k']}" for r in rows
                         if (r["m"], r["k"], r["family"], r["seed"]) not in certified})
    measured: dict[str, Any] = {
        "runs": len(rows), "passed_invariants": len(ok),
        "max_residual_float64": worst["float64"], "max_residual_50_digits": worst[DIGITS],
        "max_size_over_N": max((int(r["size"]) / num_moments(int(r["m"]), int(r["k"])) for r in ok), default=None),
        "violations": [f"{label(r)}: {r['message']}" for r in violated],
        "refusals": [label(r) for r in refused], "unverified_cases": unverified,
    }
    evidence = (f"{len(ok)}/{len(rows)} recombinations over {len(FAMILIES)} families x {len(cases)} (m, k) x 2 "
                f"precisions passed check_compression at the degree asked "
                f"(support <= N_mk, weights > 0, every moment of degree <= k); "
                f"worst residual {worst['float64']:.1e} (float64), {worst[DIGITS]:.1e} ({DIGITS} digits)")
    caveat = None
    if violated:
        verdict = "fails"
        evidence += f"; {len(violated)} returned reductions break the theorem's invariants: " + "; ".join(
            measured["violations"][:3])
    elif unverified:
        verdict = "inconclusive"
        caveat = (f"recombine certified no reduction in either precision for: {', '.join(unverified)}; "
                  f"a run at more than {DIGITS} digits would decide")
    elif refused:
        verdict = "holds with caveat"
        caveat = (f"recombine refused {len(refused)} runs with PrecisionError ({'; '.join(measured['refusals'])})"
                  "; each of these cases was certified in the other precision")
    else:
        verdict = "holds"
    ctx.record(verdict, measured, evidence, caveat=caveat,
               params={"cases": cases, "n": n, "families": FAMILIES, "digits": DIGITS,
                       "tolerances": "recombine defaults: 1e-10 (float64), 1e-45 (50 digits)"},
               seeds=seeds)


RECOMBINE = "unicomp.numerics.caratheodory:recombine"
MUTANTS: tuple[Mutant, ...] = (
    Mutant("tchakaloff-degree-clamped", "recombine matches (and reports) degree k - 1 when asked for k",
           replace(RECOMBINE, degree_lowered)),
    Mutant("tchakaloff-lowered-degree", "recombine matches degree k - 1 but reports the k it was asked",
           lowered_degree(RECOMBINE)),
    Mutant("tchakaloff-weights-perturbed", "weights perturbed by 1e-6 (relative) after recombine verified them",
           perturbed_weights(RECOMBINE, relative=1e-6)),
    Mutant("tchakaloff-random-subset", "a random subset of the same size with equal weights in place of recombine",
           random_subset(RECOMBINE)),
)
