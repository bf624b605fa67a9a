r"""LANDSCAPE (Sec. 3.2): a compressed weighted dataset leaves the loss and its gradient unchanged over a
bounded parameter set, with a gap that shrinks with the matched degree k.

Measurement: teacher-student data :math:`z = (x_1, x_2, y)` (m = 3; teacher a random width-50 tanh net, noise
sd 0.3) compressed to :math:`d' = n/10` weighted points with
:func:`unicomp.numerics.datasets.compress_dataset` for k = 1..K; :func:`unicomp.numerics.landscape.landscape_gap`
gives the largest relative gap of the loss and of its gradient over parameters of an analytic (tanh) student
network drawn uniformly from :math:`[-1, 1]^P` (an estimate of the sup from below, as any sampling is).

Rule: the gaps must fall with k (the slope of log gap vs k, :func:`unicomp.verify.claims.fit_line` with a
stratified bootstrap over the data seeds, must be negative) and, at the largest k, be smaller than the gap of
a uniformly random subset of the same size with equal weights (the baseline, mean +- sd over seeds).
"""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from unicomp.verify.claims import check_target_compression, combine, fit_line


def _teacher_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    w, b, v = rng.uniform(-1, 1, (50, 2)), rng.uniform(-1, 1, 50), rng.uniform(-1, 1, 50)
    x = rng.uniform(-1, 1, size=(n, 2))
    return x, np.tanh(x @ w.T + b) @ v + 0.3 * rng.standard_normal(n)


def test_landscape(audit):
    datasets = audit.require("unicomp.numerics.datasets")
    landscape = audit.require("unicomp.numerics.landscape")
    n = 10_000 if audit.full else 3000
    size = n // 10
    degrees = list(range(1, 7 if audit.full else 6))
    samples = 64 if audit.full else 16
    seeds = list(range(5 if audit.full else 3))
    torch.manual_seed(0)
    student = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    loss_gap = np.empty((len(degrees), len(seeds)))
    grad_gap = np.empty_like(loss_gap)
    base_loss, base_grad = [], []
    for s, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        x, y = _teacher_data(n, rng)
        for i, k in enumerate(degrees):
            ds = datasets.compress_dataset(x, y, degree=k, size=size, seed=seed)
            objects = ds.standardize(np.column_stack([x, y]))
            check_target_compression(ds.compression, objects, size=size)
            gap = landscape.landscape_gap(student, x, y, ds, samples=samples, seed=seed)
            loss_gap[i, s], grad_gap[i, s] = gap.max_loss_gap, gap.max_grad_gap
        # baseline: a uniformly random subset, equal weights summing to n (only inputs/targets/weights are read)
        pick = rng.choice(n, size=size, replace=False)
        naive = dataclasses.replace(ds, inputs=x[pick, :], targets=y[pick, None], weights=np.full(size, n / size))
        gap = landscape.landscape_gap(student, x, y, naive, samples=samples, seed=seed)
        base_loss.append(gap.max_loss_gap)
        base_grad.append(gap.max_grad_gap)
    outcomes = []
    fits = {}
    for name, gaps, base in (("loss", loss_gap, base_loss), ("gradient", grad_gap, base_grad)):
        fit = fit_line(degrees, np.log(gaps), seed=1)
        fits[name] = fit.as_dict()
        outcomes.append(("holds" if fit.high < 0 else "holds with caveat" if fit.slope < 0 else "fails",
                         f"{name} gap: slope of log(sup gap) vs k {fit} (per unit k: x{np.exp(fit.slope):.2f})"))
        last, rand = gaps[-1].mean(), float(np.mean(base))
        outcomes.append(("holds" if last < rand else "fails",
                         f"{name} gap at k={degrees[-1]}: {last:.2e} vs random subset {rand:.2e} "
                         f"+- {np.std(base):.1e}"))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(degrees, loss_gap.mean(axis=1), "o-", label="sup |L - L'| / L")
    ax.semilogy(degrees, grad_gap.mean(axis=1), "s-", label="sup |grad L - grad L'| / |grad L|")
    ax.axhline(np.mean(base_loss), ls=":", color="C0", label="random subset (loss)")
    ax.axhline(np.mean(base_grad), ls=":", color="C1", label="random subset (gradient)")
    ax.set(xlabel="degree k", ylabel="relative gap", title=f"Sec. 3.2: n={n} -> {size} (m=3)")
    ax.legend(fontsize=7)
    audit.figure(fig)
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    audit.record(
        verdict,
        {"degrees": degrees, "loss_gap_mean": loss_gap.mean(axis=1).tolist(),
         "loss_gap_std": loss_gap.std(axis=1).tolist(), "grad_gap_mean": grad_gap.mean(axis=1).tolist(),
         "grad_gap_std": grad_gap.std(axis=1).tolist(), "fits": fits},
        evidence, caveat=caveat,
        baseline={"random_subset_loss_gap": [float(np.mean(base_loss)), float(np.std(base_loss))],
                  "random_subset_grad_gap": [float(np.mean(base_grad)), float(np.std(base_grad))]},
        params={"n": n, "size": size, "degrees": degrees, "parameter_samples": samples, "radius": 1.0,
                "student": "2-16-1 tanh", "teacher": "width-50 tanh, U(-1,1) weights, noise sd 0.3",
                "method": "partition"},
        seeds=seeds,
    )
