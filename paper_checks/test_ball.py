r"""BALL (Thm 3): reducing a cluster of diameter r to N_{m,k} atoms costs O(d r^{k+1}).

Measurement.  A fixed random shape :math:`u_1..u_d` in the ball of diameter 1 is scaled into a cluster
:math:`w_i = w_0 + r u_i` and recombined (``unicomp.recombine``, degree k); the error of an analytic
deep-set function :math:`f = \sum_i c_i g(w_i)` (g = mean of ten sigmoids, the Fig. 2 test function
:func:`unicomp.numerics.testfunctions.sigmoid_function`, evaluated in mpmath for the sweep) is

.. math:: E(r) = \Big|\sum_i g(w_i) - \sum_j c'_j g(w_j)\Big| .

Theory: the Taylor terms of order :math:`\le k` cancel exactly, the first surviving one is of order
:math:`k+1`, so the log-log slope of :math:`E` in :math:`r` tends to :math:`k+1` as :math:`r \to 0`, and
:math:`E` grows linearly in :math:`d` at fixed :math:`r`.

Tolerances (derived from the data, not chosen): the r-slope is fitted on the smaller half of the r grid
(the asymptotic regime) with a stratified bootstrap over shapes (seeds); the allowance for the remaining
pre-asymptotic bias is the drift between the slopes of the small-r and the large-r halves.  Errors below
``FLOOR`` x (d eps max|g|), the float64 rounding of the sums, are dropped.  The d-slope must contain 1
in its bootstrap interval.  Baseline: a uniformly random subset of the same size with equal weights.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from unicomp import num_moments, recombine
from unicomp.numerics.testfunctions import DeepSetFunction, sigmoid_function
from unicomp.verify import check_compression
from unicomp.verify.claims import combine, compare_slope, compare_value, fit_loglog, mean_slope
from unicomp.verify.strategies import uniform_ball

# The r-sweep runs at DIGITS decimal digits so that the error stays far above rounding down to r = 2^-10;
# errors within FLOOR x the rounding of a d-term sum (d 10^-DIGITS) would carry no slope information.
DIGITS = 30
FLOOR = 1e3
CENTRE = 0.3


def _errors(
    f: DeepSetFunction, pts: np.ndarray, k: int, rng: np.random.Generator, digits: int | None = None
) -> tuple[float, float]:
    """(compression error, uniform-random-subset error) of the unnormalised sum on one cluster."""
    comp = recombine(pts, degree=k, precision=digits)
    check_compression(comp, pts)
    d = pts.shape[0]
    err = d * float(f.error(comp, pts))  # f.error is |f(c') - f(c)| for the mean; the theorem's sum is d x
    pick = rng.choice(d, size=comp.size, replace=False)
    g = f.g(pts)
    base = abs(math.fsum(g) - math.fsum(g[pick]) * d / comp.size)
    return err, base


def _r_sweep(m: int, k: int, d: int, radii: np.ndarray, seeds: list[int]) -> tuple[np.ndarray, np.ndarray]:
    errs = np.empty((radii.size, len(seeds)))
    base = np.empty_like(errs)
    for s, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        f, shape = sigmoid_function(m, seed=seed), uniform_ball(d, m, rng, radius=0.5)
        for i, r in enumerate(radii):
            errs[i, s], base[i, s] = _errors(f, CENTRE + r * shape, k, rng, DIGITS)
    return errs, base


def test_ball(audit):
    full = audit.full
    m_values = (1, 2, 3) if full else (2,)
    degrees = (1, 2, 3, 4) if full else (1, 2, 3)
    d_r = 120 if full else 60  # points per cluster in the r-sweep (the r-slope does not depend on d)
    seeds = list(range(8 if full else 5))
    radii = 2.0 ** -np.arange(2, 13 if full else 11)
    sizes = np.array([100, 200, 400, 800, 1600] if full else [50, 100, 200, 400, 800])
    r_fixed = 0.25
    measured: dict[str, object] = {}
    baseline: dict[str, object] = {}
    outcomes = []
    fig, (ax_r, ax_d) = plt.subplots(1, 2, figsize=(10, 4))
    for m in m_values:
        for k in degrees:
            errs, base = _r_sweep(m, k, d_r, radii, seeds)
            small_curves, large_curves = [], []
            for s in range(len(seeds)):
                ok = errs[:, s] > FLOOR * d_r * 10.0**-DIGITS
                r_ok, e_ok = radii[ok], errs[ok, s]
                half = max(2, r_ok.size // 2)
                small_curves.append((r_ok[-half:], e_ok[-half:]))
                large_curves.append((r_ok[:half], e_ok[:half]))
            small = mean_slope(small_curves, seed=k)
            large = mean_slope(large_curves, seed=k)
            drift = abs(small.slope - large.slope)
            verdict, text = compare_slope(small, k + 1, direction="at_least", tol=drift,
                                          what=f"m={m} k={k}: r-slope")
            outcomes.append((verdict, text))
            measured[f"m{m}_k{k}"] = {"r_slope": small.as_dict(), "large_r_slope": large.slope,
                                      "drift_tolerance": drift,
                                      "smallest_radius_used": min(float(c[0].min()) for c in small_curves),
                                      "error_mean": errs.mean(axis=1).tolist(),
                                      "error_spread": errs.std(axis=1).tolist(), "N_mk": num_moments(m, k)}
            baseline[f"m{m}_k{k}"] = {"r_slope": fit_loglog(radii, base, seed=k).as_dict(),
                                      "error_mean": base.mean(axis=1).tolist()}
            ax_r.loglog(radii, errs.mean(axis=1), "o-", label=f"m={m} k={k}")
            ax_r.loglog(radii, base.mean(axis=1), ":", color="grey")
        # d-linearity at the middle degree
        k = degrees[len(degrees) // 2]
        per_d = np.empty((sizes.size, len(seeds)))
        for i, n in enumerate(sizes):
            for s, seed in enumerate(seeds):
                rng = np.random.default_rng(1000 + seed)
                f = sigmoid_function(m, seed=1000 + seed)
                per_d[i, s] = _errors(f, CENTRE + r_fixed * uniform_ball(int(n), m, rng, radius=0.5), k, rng)[0]
        fit_d = fit_loglog(sizes, per_d, seed=m)
        outcomes.append(compare_value(fit_d, 1.0, what=f"m={m} k={k}: d-slope at r={r_fixed}",
                                      source="linear growth"))
        measured[f"m{m}_d_slope"] = {**fit_d.as_dict(), "k": k, "sizes": sizes.tolist(),
                                     "error_mean": per_d.mean(axis=1).tolist()}
        ax_d.loglog(sizes, per_d.mean(axis=1), "s-", label=f"m={m} k={k}, r={r_fixed}")
    ax_r.set(xlabel="cluster diameter r", ylabel="|f(c') - f(c)|", title="error vs r (grey: random subset)")
    ax_d.set(xlabel="d", ylabel="error", title="error vs d")
    ax_r.legend(fontsize=7)
    ax_d.legend(fontsize=7)
    audit.figure(fig)
    verdict, caveat, evidence = combine(outcomes)
    audit.record(
        verdict, measured, evidence, caveat=caveat, baseline=baseline,
        params={"m": m_values, "k": degrees, "d_r_sweep": d_r, "digits": DIGITS,
                "radii": radii.tolist(), "centre": CENTRE,
                "d_sizes": sizes.tolist(), "r_fixed": r_fixed, "floor_factor": FLOOR,
                "function": "unicomp.numerics.testfunctions.sigmoid_function(m, seed)"},
        seeds=seeds,
    )
