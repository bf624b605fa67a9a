r"""BALL (Thm 3): reducing a cluster of diameter r to :math:`N_{m,k}` atoms costs :math:`O(d\, r^{k+1})`.

Construction.  A fixed random shape :math:`u_1..u_d` in the ball of diameter 1 is scaled into a cluster
:math:`w_i = w_0 + r u_i` and recombined (:func:`unicomp.recombine`, degree k), checked by
``check_compression(..., degree=k)`` (:func:`~unicomp.verify.check_compression`) at the degree asked for.  The
error of the deep-set function :math:`\sum_i g(w_i)` (g = mean of ten sigmoids, the Fig. 2 function
:func:`unicomp.numerics.testfunctions.sigmoid_function`, h the identity) is

.. math:: E(r) = \Big|\sum_i g(w_i) - \sum_j c'_j g(w_j)\Big| ,

evaluated at ``DIGITS`` digits for the r-sweep, so that it stays far above rounding down to the smallest r.

Rule (three sub-checks per (m, k); any "fails" fails):

1. r-slope -- the Taylor terms of order :math:`\le k` cancel exactly and the first surviving one is of order
   k+1, so the log-log slope of E in r must reach k+1 (``compare_slope``, at least).  The slope is the mean of
   per-shape slopes (:func:`~unicomp.verify.claims.mean_slope`, bootstrap over shapes) on the smaller half of
   the r grid (the asymptotic regime); the allowance for the remaining pre-asymptotic bias is the drift
   between the slopes of the small-r and the large-r halves (measured, not chosen), granted only when the
   small-r half is the closer one to k+1 (bias shrinks as r -> 0; a curve bending away from k+1 at small r,
   such as one flattening onto a rounding floor, gets none).  Errors below
   ``FLOOR`` x the rounding of a d-term sum at ``DIGITS`` digits are dropped; a shape left with fewer than
   ``MIN_RADII`` radii makes the sub-check "inconclusive" (no slope to measure).  A degree silently lowered
   gives slope k and a random subset slope 0: both fail.
2. d-slope -- at fixed r the bound grows as d: the log-log slope of E in d must be at most 1 (bootstrap
   95% interval, :func:`~unicomp.verify.claims.compare_slope`, at most).
3. explicit constants -- every measured error is at most Thm 3 with explicit constants,
   :func:`unicomp.theory.bounds.ball_error` (:math:`2 L_h d M t^{k+1}/(1-t)`, :math:`t = \sqrt m\, r/\rho`,
   :math:`L_h = 1`, :math:`\rho, M` from ``DeepSetFunction.analytic_constants``, r the measured diameter):
   a rigorous inequality, no tolerance (the calculator compared with the formula evaluated here,
   :func:`~unicomp.audit.checks._compression.printed_agrees`, and the constants with the strip on which
   :math:`|\sigma| \le 1` is proved, :math:`\rho \max_a \|x_a\|_1 \le \pi/2`: the bound is 1e3-1e4 times
   the measured error, so a wrong constant would not show in the comparison itself).
Baseline: a uniformly random subset of the same size with equal weights.  No authors' numbers: the
authors' repository measures no single-cluster errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from scipy.spatial.distance import pdist

from unicomp import num_moments, recombine
from unicomp.audit.checks._compression import degree_lowered, printed_agrees, subset_error
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, random_subset, replace
from unicomp.numerics.result import Compression
from unicomp.numerics.testfunctions import DeepSetFunction, sigmoid_function
from unicomp.theory.bounds import ball_error
from unicomp.verify import check_compression
from unicomp.verify.claims import combine, compare_slope, fit_loglog, mean_slope
from unicomp.verify.strategies import uniform_ball

# The r-sweep runs at DIGITS decimal digits so that the error stays far above rounding down to r = 2^-12;
# errors within FLOOR x the rounding of a d-term sum (d 10^-DIGITS) would carry no slope information.
DIGITS = 30
FLOOR = 1e3
#: Fewest radii per shape for a slope on each half of the grid (two points per half).
MIN_RADII = 4
CENTRE = 0.3


def _errors(f: DeepSetFunction, pts: np.ndarray, k: int, rng: np.random.Generator,
            digits: int | None = None) -> tuple[float, float, float, float]:
    """(compression error, random-subset error, ball_error, the same bound evaluated here) on one cluster."""
    comp = recombine(pts, degree=k, precision=digits)
    check_compression(comp, pts, degree=k)
    d, m = pts.shape
    err = d * float(f.error(comp, pts))  # f.error is |f(c') - f(c)| for the mean; the theorem's sum is d x
    rho, bound_g = f.analytic_constants()
    diameter = float(pdist(pts).max())
    bound = float(ball_error(d, diameter, k, m, rho, bound_g, 1.0).value)
    t = math.sqrt(m) * diameter / rho
    printed = 2 * d * bound_g * t ** (k + 1) / (1 - t)  # the explicit Thm 3 bound with L_h = 1, evaluated here
    return err, float(subset_error(f.g(pts), comp.size, rng)), bound, printed


def _strip_ratio(f: DeepSetFunction) -> float:
    r"""How far the reported analytic constants reach: :math:`\rho \max_a \|x_a\|_1 / (\pi/2)`, and 0 if
    :math:`M \ge 1` fails.

    On a polydisc of radius :math:`\rho` about a real point, :math:`|\operatorname{Im}\langle z, x_a\rangle|
    \le \rho \|x_a\|_1`, and :math:`|\sigma| \le 1` is proved on the strip :math:`|\operatorname{Im}| \le
    \pi/2` only, so the pair :math:`(\rho, M)` the explicit bound uses is justified iff this ratio is
    :math:`\le 1` (and :math:`M \ge 1`).
    """
    rho, bound_g = f.analytic_constants()
    if bound_g < 1:
        return math.inf
    return rho * float(np.abs(f.directions).sum(axis=1).max()) / (math.pi / 2)


def _r_sweep(m: int, k: int, d: int, radii: np.ndarray, seeds: list[int]) -> np.ndarray:
    """Errors, baselines, bounds and printed bounds, shape (4, radii, seeds)."""
    out = np.empty((4, radii.size, len(seeds)))
    for s, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        f, shape = sigmoid_function(m, seed=seed), uniform_ball(d, m, rng, radius=0.5)
        for i, r in enumerate(radii):
            out[:, i, s] = _errors(f, CENTRE + r * shape, k, rng, DIGITS)
    return out


def _r_slope(m: int, k: int, d: int, radii: np.ndarray, errs: np.ndarray) -> tuple[tuple[str, str], dict]:
    """Sub-check 1: the r-slope on the small-r half reaches k + 1 within the drift allowance."""
    small_curves, large_curves = [], []
    for s in range(errs.shape[1]):
        ok = errs[:, s] > FLOOR * d * 10.0**-DIGITS
        if ok.sum() < MIN_RADII:
            return (("inconclusive", f"m={m} k={k}: shape {s} has {int(ok.sum())} radii above the rounding floor "
                     f"(needs {MIN_RADII}); more digits would decide")), {}
        r_ok, e_ok = radii[ok], errs[ok, s]
        half = r_ok.size // 2
        small_curves.append((r_ok[-half:], e_ok[-half:]))
        large_curves.append((r_ok[:half], e_ok[:half]))
    small = mean_slope(small_curves, seed=k)
    large = mean_slope(large_curves, seed=k)
    # Pre-asymptotic bias shrinks as r -> 0: the drift is allowed only while the slopes converge towards
    # k + 1.  A small-r half further from k + 1 than the large-r half (a curve bending away, e.g. flattening
    # onto a rounding floor) gets no allowance.
    converging = abs(large.slope - (k + 1)) > abs(small.slope - (k + 1))
    drift = abs(small.slope - large.slope) if converging else 0.0
    outcome = compare_slope(small, k + 1, direction="at_least", tol=drift, what=f"m={m} k={k}: r-slope")
    return outcome, {"r_slope": small.as_dict(), "large_r_slope": large.slope, "drift_tolerance": drift,
                     "converging": converging,
                     "smallest_radius_used": min(float(c[0].min()) for c in small_curves)}


def run(ctx: AuditContext) -> None:
    """Measure BALL (see the module docstring) and record the finding."""
    m_values = (1, 2, 3) if ctx.full else (2,)
    degrees = (1, 2, 3, 4) if ctx.full else (1, 2, 3)
    d_r = 120 if ctx.full else 60  # points per cluster in the r-sweep (the r-slope does not depend on d)
    seeds = list(range(8 if ctx.full else 5))
    radii = 2.0 ** -np.arange(2, 13 if ctx.full else 11)
    sizes = np.array([100, 200, 400, 800, 1600] if ctx.full else [50, 100, 200, 400, 800])
    r_fixed = 0.25
    measured: dict[str, object] = {}
    baseline: dict[str, object] = {}
    outcomes = []
    over_bound: list[str] = []
    worst_ratio = 0.0
    calculated: list[np.ndarray] = []
    formula: list[np.ndarray] = []
    fig, (ax_r, ax_d) = plt.subplots(1, 2, figsize=(10, 4))
    for m in m_values:
        for k in degrees:
            errs, base, bnd, printed = _r_sweep(m, k, d_r, radii, seeds)
            calculated += [bnd.ravel()]
            formula += [printed.ravel()]
            outcome, numbers = _r_slope(m, k, d_r, radii, errs)
            outcomes.append(outcome)
            worst_ratio = max(worst_ratio, float(np.max(errs / bnd)))
            over_bound += [f"m={m} k={k} r={radii[i]:.3g}" for i in range(radii.size) if np.any(errs[i] > bnd[i])]
            measured[f"m{m}_k{k}"] = {**numbers, "error_mean": errs.mean(axis=1).tolist(),
                                      "error_spread": errs.std(axis=1).tolist(), "N_mk": num_moments(m, k),
                                      "thm3_bound_mean": bnd.mean(axis=1).tolist()}
            baseline[f"m{m}_k{k}"] = {"r_slope": fit_loglog(radii, base, seed=k).as_dict(),
                                      "error_mean": base.mean(axis=1).tolist()}
            ax_r.loglog(radii, errs.mean(axis=1), "o-", label=f"m={m} k={k}")
            ax_r.loglog(radii, base.mean(axis=1), ":", color="grey")
        k = degrees[len(degrees) // 2]  # d-linearity at the middle degree
        per_d = np.empty((4, sizes.size, len(seeds)))
        for i, n in enumerate(sizes):
            for s, seed in enumerate(seeds):
                rng = np.random.default_rng(1000 + seed)
                f = sigmoid_function(m, seed=1000 + seed)
                per_d[:, i, s] = _errors(f, CENTRE + r_fixed * uniform_ball(int(n), m, rng, radius=0.5), k, rng)
        worst_ratio = max(worst_ratio, float(np.max(per_d[0] / per_d[2])))
        calculated += [per_d[2].ravel()]
        formula += [per_d[3].ravel()]
        over_bound += [f"m={m} k={k} d={n}" for i, n in enumerate(sizes) if np.any(per_d[0, i] > per_d[2, i])]
        fit_d = fit_loglog(sizes, per_d[0], seed=m)
        outcomes.append(compare_slope(fit_d, 1.0, direction="at_most", what=f"m={m} k={k}: d-slope at r={r_fixed}"))
        measured[f"m{m}_d_slope"] = {**fit_d.as_dict(), "k": k, "sizes": sizes.tolist(),
                                     "error_mean": per_d[0].mean(axis=1).tolist()}
        ax_d.loglog(sizes, per_d[0].mean(axis=1), "s-", label=f"m={m} k={k}, r={r_fixed}")
    outcomes.append(printed_agrees(np.concatenate(calculated), np.concatenate(formula), "ball_error"))
    # the constants fed to ball_error: 1e-12 relative covers the rounding of pi/2 / ||x||_1 times ||x||_1
    used = [*seeds, *(1000 + seed for seed in seeds)]  # the functions of the r-sweep and of the d-sweep
    reach = max(_strip_ratio(sigmoid_function(m, seed=s)) for m in m_values for s in used)
    outcomes.append(("fails" if reach > 1 + 1e-12 else "holds",
                     f"analytic constants (rho, M) of the test functions: rho max||x_a||_1 / (pi/2) = {reach:.3g} "
                     "(<= 1 keeps |sigmoid| <= M = 1 on the polydisc)"))
    outcomes.append(("fails" if over_bound else "holds",
                     f"Thm 3 with explicit constants (ball_error): largest error / bound {worst_ratio:.2g}"
                     + (f"; exceeded at {', '.join(over_bound[:5])}" if over_bound else "")))
    measured["largest_error_over_explicit_bound"] = worst_ratio
    ax_r.set(xlabel="cluster diameter r", ylabel="|f(c') - f(c)|", title="error vs r (grey: random subset)")
    ax_d.set(xlabel="d", ylabel="error", title="error vs d")
    ax_r.legend(fontsize=7)
    ax_d.legend(fontsize=7)
    ctx.figure(fig)
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    ctx.record(verdict, measured, evidence, caveat=caveat, baseline=baseline,
               params={"m": m_values, "k": degrees, "d_r_sweep": d_r, "digits": DIGITS,
                       "radii": radii.tolist(), "centre": CENTRE, "d_sizes": sizes.tolist(), "r_fixed": r_fixed,
                       "floor_factor": FLOOR, "function": "unicomp.numerics.testfunctions.sigmoid_function(m, seed)"},
               seeds=seeds)


def _float64_only(orig: Callable[..., Compression]) -> Callable[..., Compression]:
    """Mutant factory: ``recombine`` dropping its ``precision`` argument."""
    def recombine_float64(*args: Any, precision: int | None = None, **kwargs: Any) -> Compression:
        return orig(*args, **kwargs)
    return recombine_float64


MUTANTS: tuple[Mutant, ...] = (
    Mutant("ball-degree-clamped", "recombine matches (and reports) degree k - 1 when asked for k",
           replace("unicomp.numerics.caratheodory:recombine", degree_lowered)),
    Mutant("ball-random-subset", "a random subset of the same size with equal weights in place of recombine",
           random_subset("unicomp.numerics.caratheodory:recombine")),
    Mutant("ball-precision-dropped", "recombine ignores precision= and returns a float64 result (invariants hold)",
           replace("unicomp.numerics.caratheodory:recombine", _float64_only)),
)
