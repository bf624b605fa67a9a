r"""STRETCHED (Sec. 5): compressing to :math:`d' = O(\log^m d)` objects turns a scaling law into
:math:`L = L_0 + e^{-\alpha' d'^{1/m}}` (a stretched exponential in the compressed size).

Measurement on a scaling law whose form is known exactly: the Monte-Carlo estimate
:math:`\hat L_d = \frac1d\sum_i g(w_i)` of :math:`L_0 = \mathbb{E}\,g` (g the sigmoid test function, w uniform
on :math:`[-1,1]`, m = 1) has :math:`|\hat L_d - L_0| \propto d^{-1/2}`.  The d samples are compressed to
:math:`d' = \lceil c \log d \rceil` with Algorithm 1 (degree ``K``, whose compression error is far below the
Monte-Carlo error), so :math:`d = e^{d'/c}` and the theory predicts
:math:`|\hat L' - L_0| \propto e^{-d'/(2c)}`: exponent :math:`\alpha' = 1/(2c)`.

Both forms are fitted to the measured curve with :mod:`unicomp.numerics.fitting`
(:func:`~unicomp.numerics.fitting.fit_power_law`, :func:`~unicomp.numerics.fitting.fit_stretched_exponential`,
bootstrap over seeds); the verdict asks the stretched exponential to fit at least as well (RMS log
residual) and its :math:`\alpha'` interval to contain :math:`1/(2c)`.  Baseline: a uniformly random subset
of the same size (a power law in d', exponent 1/2).  Caveat: this is a Monte-Carlo scaling law, not a
trained network's learning curve.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from unicomp.numerics.testfunctions import sigmoid_function
from unicomp.verify.claims import check_target_compression, combine, compare_fits

C, K = 8.0, 8


def _exact_mean(f) -> float:
    nodes, weights = np.polynomial.legendre.leggauss(200)
    return float(np.dot(weights, f.g(nodes[:, None])) / 2.0)


def test_stretched(audit):
    compress = audit.require("unicomp.numerics.compress").compress
    fitting = audit.require("unicomp.numerics.fitting")
    ds = 2 ** np.arange(7, 17 if audit.full else 15)
    seeds = list(range(48 if audit.full else 16))
    f = sigmoid_function(1, seed=0)
    exact = _exact_mean(f)
    sizes = np.array([math.ceil(C * math.log(d)) for d in ds])
    err, naive = np.empty((len(seeds), ds.size)), np.empty((len(seeds), ds.size))
    for s, seed in enumerate(seeds):
        for j, (d, size) in enumerate(zip(ds, sizes, strict=True)):
            rng = np.random.default_rng([seed, j])
            pts = rng.uniform(-1, 1, size=(int(d), 1))
            comp = compress(pts, degree=K, size=int(size), seed=seed)
            check_target_compression(comp, pts, size=int(size))
            g = f.g(pts)
            err[s, j] = abs(math.fsum(comp.weights * g[comp.indices]) / d - exact)
            naive[s, j] = abs(g[rng.choice(int(d), size=int(size), replace=False)].mean() - exact)
    stretched = fitting.fit_stretched_exponential(sizes, err, m=1, seed=1)
    power = fitting.fit_power_law(sizes, err, seed=2)
    target = 1 / (2 * C)
    lo, hi = stretched.ci["alpha_prime"]
    # Over the narrow range a log d spans, a power law can come close: within 10% of the stretched
    # exponential's residual the two forms are not told apart (a caveat); a better power law fails.
    fit_verdict, fit_text = compare_fits(stretched.rms_log_residual, power.rms_log_residual,
                                         claimed="stretched exponential", alternative="power law")
    # alpha' against theory, by the rule of compare_value: inside the interval holds, inside the interval
    # widened by half its width on each side holds with caveat, farther fails.
    half = (hi - lo) / 2
    alpha_verdict = ("holds" if lo <= target <= hi else
                     "holds with caveat" if lo - half <= target <= hi + half else "fails")
    outcomes = [
        (fit_verdict, fit_text),
        (alpha_verdict, f"alpha' = {stretched.params['alpha_prime']:.4f} [{lo:.4f}, {hi:.4f}] vs Monte-Carlo "
                        f"theory 1/(2c) = {target:.4f}"),
    ]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(sizes, np.exp(np.log(err).mean(axis=0)), "o-", label="compressed, d' = c log d")
    ax.semilogy(sizes, np.exp(np.log(naive).mean(axis=0)), "x:", label="random subset of size d'")
    ax.set(xlabel="d'", ylabel="|L' - L0| (geometric mean)", title="Sec. 5: L0 + exp(-alpha' d'^(1/m)), m = 1")
    ax.legend(fontsize=7)
    audit.figure(fig)
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    note = "Monte-Carlo scaling law (alpha = 1/2), not a trained network's learning curve"
    caveat = note if verdict == "holds" else (f"{caveat}; {note}" if caveat else None)
    verdict = "holds with caveat" if verdict == "holds" else verdict
    audit.record(
        verdict,
        {"d": ds.tolist(), "d_prime": sizes.tolist(), "error_mean": err.mean(axis=0).tolist(),
         "error_sd": err.std(axis=0).tolist(), "stretched_fit": stretched.summary(), "power_fit": power.summary(),
         "rms_stretched": stretched.rms_log_residual, "rms_power": power.rms_log_residual,
         "alpha_prime_theory": target},
        evidence, caveat=caveat,
        baseline={"random_subset_error_mean": naive.mean(axis=0).tolist(),
                  "random_subset_power_fit": fitting.fit_power_law(sizes, naive, seed=3).summary()},
        params={"c": C, "degree": K, "m": 1, "function": "sigmoid_function(1, seed=0)",
                "quadrature": "200-point Gauss-Legendre", "separation_factor": 1.1},
        seeds=seeds,
    )
