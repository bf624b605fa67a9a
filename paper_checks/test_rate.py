r"""RATE (Thm 4): Algorithm 1 (greedy) gives :math:`E = O(d\, d'^{1-(k+1)/m})`; with :math:`d' = d^\sigma` the
error vanishes when :math:`k > (1 + 1/\sigma) m - 1`.

Measurement with ``compress(..., method="greedy")`` (the variant the theorem is proved for), error of the
unnormalised sum :math:`\sum_i g(w_i)` of the sigmoid test function:

(a) fixed d, several d': the log-log slope in d' must be at least as steep as the bound's, computed
    from :func:`unicomp.theory.bounds.rate_error` over the same grid (:math:`1 - (k+1)/m`);
(b) :math:`d' = \lceil c\, d^\sigma \rceil` at the smallest degree the corollary allows
    (:func:`unicomp.theory.bounds.rate_min_degree`): the slope in d must be at most
    :func:`unicomp.theory.bounds.rate_exponent` (negative: the error vanishes).

Slopes come with stratified bootstrap intervals over seeds (:func:`unicomp.verify.claims.fit_loglog`);
:func:`unicomp.verify.claims.compare_slope` gives the verdict (no extra tolerance: the bound is an upper
bound on the rate, so a measured slope above it with the whole interval above is a failure).  Baseline:
a uniformly random subset of the same size with equal weights.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from unicomp.numerics.testfunctions import sigmoid_function
from unicomp.verify.claims import check_target_compression, combine, compare_slope, fit_loglog, vanishing_error


def _errors(compress, d: int, m: int, k: int, size: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-1, 1, size=(d, m))
    f = sigmoid_function(m, seed=seed + 1)
    comp = compress(pts, degree=k, size=size, method="greedy", seed=seed)
    check_target_compression(comp, pts, size=size)
    g = f.g(pts)
    naive = abs(math.fsum(g) - math.fsum(g[rng.choice(d, size=size, replace=False)]) * d / size)
    return float(f.error(comp, pts)) * d, naive


def test_rate(audit):
    compress = audit.require("unicomp.numerics.compress").compress
    bounds = audit.require("unicomp.theory.bounds")
    full = audit.full
    seeds = list(range(5 if full else 2))
    # (a) error vs d' at fixed d
    m_a, k_a, d_a = 2, 3, (4000 if full else 1000)
    sizes = np.array([40, 80, 160, 320] + ([640] if full else []))
    err_a = np.array([[_errors(compress, d_a, m_a, k_a, int(s), seed) for seed in seeds] for s in sizes])
    fit_a = fit_loglog(sizes, err_a[:, :, 0], seed=1)
    bound_a = np.polyfit(np.log(sizes), np.log(bounds.rate_error(d_a, sizes, k_a, m_a).value), 1)[0]
    # (b) d' = c d^sigma at the smallest vanishing degree
    m_b, sigma, c = (2, 0.5, 4.0) if full else (1, 0.5, 4.0)
    k_b = int(bounds.rate_min_degree(m_b, sigma).value)
    ds = np.array([500, 1000, 2000, 4000] + ([8000, 16000] if full else []))
    sizes_b = np.array([max(math.ceil(c * d**sigma), math.comb(m_b + k_b, k_b)) for d in ds])
    err_b = np.array([[_errors(compress, int(d), m_b, k_b, int(s), seed) for seed in seeds]
                      for d, s in zip(ds, sizes_b, strict=True)])
    fit_b = fit_loglog(ds, err_b[:, :, 0], seed=2)
    bound_b = float(bounds.rate_exponent(k_b, m_b, sigma).value)
    outcomes = [
        compare_slope(fit_a, bound_a, direction="at_most", what=f"(a) m={m_a} k={k_a} d={d_a}: slope in d'"),
        compare_slope(fit_b, bound_b, direction="at_most",
                      what=f"(b) m={m_b} sigma={sigma} k={k_b} (smallest vanishing degree): slope in d"),
    ]
    vanish, vanish_text, _ = vanishing_error(ds, err_b[:, :, 0], seed=2, what="(b) error, which must vanish,")
    outcomes.append((vanish, vanish_text))
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 4))
    ax_a.loglog(sizes, err_a[:, :, 0].mean(axis=1), "o-", label="greedy")
    ax_a.loglog(sizes, err_a[:, :, 1].mean(axis=1), "x:", label="random subset")
    ax_a.set(xlabel="d'", ylabel="error of the sum", title=f"(a) d={d_a}, m={m_a}, k={k_a}; bound slope {bound_a:.2f}")
    ax_b.loglog(ds, err_b[:, :, 0].mean(axis=1), "o-", label="greedy")
    ax_b.loglog(ds, err_b[:, :, 1].mean(axis=1), "x:", label="random subset")
    ax_b.set(xlabel="d", title=f"(b) d'={c} d^{sigma}, m={m_b}, k={k_b}; bound slope {bound_b:.2f}")
    for ax in (ax_a, ax_b):
        ax.legend(fontsize=7)
    audit.figure(fig)
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    audit.record(
        verdict,
        {"a": {"sizes": sizes.tolist(), "error_mean": err_a[:, :, 0].mean(axis=1).tolist(),
               "error_std": err_a[:, :, 0].std(axis=1).tolist(), "slope": fit_a.as_dict(), "bound_slope": bound_a},
         "b": {"d": ds.tolist(), "d_prime": sizes_b.tolist(), "error_mean": err_b[:, :, 0].mean(axis=1).tolist(),
               "error_std": err_b[:, :, 0].std(axis=1).tolist(), "slope": fit_b.as_dict(), "bound_slope": bound_b,
               "k": k_b}},
        evidence, caveat=caveat,
        baseline={"a_slope": fit_loglog(sizes, err_a[:, :, 1], seed=3).as_dict(),
                  "b_slope": fit_loglog(ds, err_b[:, :, 1], seed=4).as_dict()},
        params={"a": {"m": m_a, "k": k_a, "d": d_a, "sizes": sizes.tolist()},
                "b": {"m": m_b, "sigma": sigma, "c": c, "k": k_b, "d": ds.tolist()},
                "method": "greedy", "function": "sigmoid_function(m, seed + 1)"},
        seeds=seeds,
    )
