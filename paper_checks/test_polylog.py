r"""POLYLOG (Thm 7): with :math:`k \sim d'^{1/m}`, the error decays like :math:`\exp(-c\, d'^{1/m})`, so
:math:`d' = O(\log^m(d/\epsilon))` objects suffice.

Measurement, in 50-digit arithmetic so that the decay stays visible far below 1e-16: d points uniform in
:math:`[-1,1]^m` are recombined at degree k (:func:`unicomp.recombine`, the single-cluster case of
Algorithm 1), which leaves :math:`d' \le N_{m,k}` atoms, i.e. exactly Thm 7's coupling
:math:`k \propto d'^{1/m}`; the error on the Fig. 8 pole function (finite radius of convergence, the
hard case) is recorded for a range of k.

Rule per m: :math:`\log E` against :math:`t = d'^{1/m}` must fall (slope interval below 0, residual
bootstrap) and the stretched exponential :math:`\log E = a - c\, t` must fit at least as well as a power law
:math:`\log E = a - \alpha \log d'` (smaller RMS residual); the fitted :math:`c` gives the size
:math:`d' \approx (\log(d/\epsilon)/c)^m` for an error :math:`\epsilon`.  Baseline: a uniformly random subset
of the same size with equal weights.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import mpmath
import numpy as np

from unicomp import recombine
from unicomp.numerics.testfunctions import pole_function
from unicomp.verify import check_compression
from unicomp.verify.claims import combine, compare_fits, fit_line

DIGITS = 50


def _rms(x: np.ndarray, y: np.ndarray) -> float:
    coef = np.polyfit(x, y, 1)
    return float(np.sqrt(np.mean((np.polyval(coef, x) - y) ** 2)))


def test_polylog(audit):
    cases = {1: (1000, range(4, 41, 4)), 2: (400, range(2, 10))} if audit.full else \
        {1: (600, range(4, 25, 4)), 2: (300, range(2, 8))}
    outcomes, measured, baseline = [], {}, {}
    fig, ax = plt.subplots(figsize=(6, 4))
    for m, (d, degrees) in cases.items():
        pts = np.random.default_rng(m).uniform(-1, 1, size=(d, m))
        f = pole_function(m, seed=1)
        sizes, errors, naive = [], [], []
        for k in degrees:
            comp = recombine(pts, degree=k, precision=DIGITS)
            check_compression(comp, pts)
            sizes.append(comp.size)
            errors.append(float(f.error(comp, pts)))
            pick = np.random.default_rng(k).choice(d, size=comp.size, replace=False)
            with mpmath.workdps(DIGITS):
                g = f.g_mp(pts, DIGITS)
                naive.append(float(abs(mpmath.fsum(g[pick]) / comp.size - mpmath.fsum(g) / d)))
        t = np.asarray(sizes, dtype=float) ** (1 / m)
        log_e = np.log(errors)
        fit = fit_line(t, log_e, seed=m)
        rms_stretched, rms_power = _rms(t, log_e), _rms(np.log(sizes), log_e)
        c = -fit.slope
        outcomes.append(("holds" if fit.high < 0 else "fails",
                         f"m={m}: log E vs d'^(1/m) slope {fit} (c = {c:.3f})"))
        verdict_fit, text = compare_fits(rms_stretched, rms_power, claimed="stretched exponential",
                                         alternative="power law")
        outcomes.append((verdict_fit, f"m={m}: {text}"))
        measured[f"m={m}"] = {"d": d, "degrees": list(degrees), "d_prime": sizes, "error": errors,
                              "fit_vs_t": fit.as_dict(), "rms_stretched": rms_stretched, "rms_power": rms_power,
                              "size_for_eps_1e-30": (math.log(d / 1e-30) / c) ** m if c > 0 else None}
        baseline[f"m={m}"] = {"random_subset_error": naive}
        ax.semilogy(t, errors, "o-", label=f"m={m}, d={d}: recombined")
        ax.semilogy(t, naive, "x:", label=f"m={m}: random subset")
    ax.set(xlabel="d'^(1/m)", ylabel="error (50 digits)", title="Thm 7: error vs d'^(1/m), k ~ d'^(1/m)")
    ax.legend(fontsize=7)
    audit.figure(fig)
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    audit.record(verdict, measured, evidence, caveat=caveat, baseline=baseline,
                 params={"cases": {m: (d, list(ks)) for m, (d, ks) in cases.items()}, "digits": DIGITS,
                         "function": "pole_function(m, seed=1) (a0 = m + 0.05)", "method": "recombine",
                         "point_seed": "m (default_rng(m))", "random_subset_seed": "k (default_rng(k))"},
                 seeds=[1])
