r"""LANDSCAPE (Sec. 3.2): a compressed weighted dataset leaves the loss and its gradient unchanged over a
bounded parameter set, with a gap that shrinks with the matched degree k.

Construction: teacher-student data :math:`z = (x_1, x_2, y)` (m = 3; teacher a random width-50 tanh network,
noise sd 0.3), compressed to :math:`d' = n/10` weighted rows with
:func:`unicomp.numerics.datasets.compress_dataset` for k = 1..K (the compression's own invariants are
verified and raise if broken).  :func:`unicomp.numerics.landscape.landscape_gap` gives the sup over
parameters :math:`\theta` of an analytic (tanh) student drawn uniformly from the box :math:`[-1, 1]^P` of

.. math:: |L(\theta) - L'(\theta)| / |L(\theta)| \quad\text{and}\quad
          \|\nabla L(\theta) - \nabla L'(\theta)\| / \|\nabla L(\theta)\|

(a maximum over samples: an estimate of the sup from below).  Baseline: a uniformly random subset of the
same size with equal weights (:func:`~unicomp.audit.checks._data.random_subset_dataset`), the same
parameter samples.  Quick tier: n = 3000, k = 1..5, 16 parameter samples, 3 data seeds; full tier:
n = 10^4, k = 1..6, 64 samples, 5 seeds.

Rule, for the loss gap and for the gradient gap (``fails`` if any sub-check fails):

0. **Exact for polynomial losses** (the mechanism of the claim: :math:`L - L'` is a sum of Taylor remainders
   of order :math:`k + 1`, so a loss that is a polynomial of degree :math:`\le k` in :math:`z` has no gap):
   for each :math:`k \ge 2`, a model polynomial of degree :math:`\lfloor k/2 \rfloor` in :math:`x` with the
   per-sample loss :math:`(f_\theta(x) - y)^2` (times :math:`y` for odd k) -- a polynomial of degree exactly
   k in :math:`z` -- must have both gaps at most :data:`EXACT` (1e-8) at every sampled :math:`\theta`.
   Reason: the compressor verifies its moments to a relative 1e-10 and the loss is a fixed combination of
   them (measured gaps 1e-16 to 3e-15); a compression that misses the top degree leaves 4e-5 to 4e-3.

1. **Shrinks with k**: the slope of :math:`\log(\sup\text{gap})` against k
   (:func:`~unicomp.verify.claims.fit_line`, bootstrap over the data seeds at each k) must have its 95%
   interval below 0; an interval reaching 0 -> ``fails`` (the measurement resolves the slope: its interval
   is a fraction of a unit of :math:`\log` per degree, while the gap falls by orders of magnitude over
   k = 1..5).
2. **Unchanged**: at the largest k the gap (mean over seeds) must be at most :data:`BEAT` (1/100) of the
   random subset's.  Reason: a random subset's gap scales as :math:`\sqrt{1/d' - 1/n}`, so at
   :math:`d' = n/10` a hundredfold smaller gap is what a random subset of 99.9% of the data would give --
   "unchanged" means beyond the reach of subsampling, not merely better than it (a degree-1 compression,
   matching means only, is already 3 times better than a subset).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from unicomp.audit.checks._data import (
    COMPRESS_DATASET,
    perturbed_weights,
    random_rows,
    random_subset_dataset,
    shuffled_targets,
)
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, lowered_degree
from unicomp.numerics.landscape import squared_error
from unicomp.verify.claims import Outcome, check_target_compression, combine, fit_line

#: At the largest k the compressed gap must be at most this fraction of a random subset's (see the rule).
BEAT = 0.01
#: Largest gap accepted where the loss is a polynomial of degree <= k in the data (see the rule).
EXACT = 1e-8


class _Monomials(nn.Module):
    r"""The monomials :math:`x_1^a x_2^b`, :math:`a + b \le` ``degree``, of a 2-D input, as features."""

    def __init__(self, degree: int) -> None:
        super().__init__()
        self.exponents = [(a, b) for a in range(degree + 1) for b in range(degree + 1 - a)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([x[:, 0] ** a * x[:, 1] ** b for a, b in self.exponents], dim=1)


def _polynomial_loss(k: int) -> tuple[nn.Module, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]:
    """A model and a per-sample loss whose loss is a polynomial of degree exactly ``k`` (>= 2) in z = (x, y)."""
    features = _Monomials(k // 2)
    model = nn.Sequential(features, nn.Linear(len(features.exponents), 1))
    if k % 2 == 0:
        return model, squared_error
    return model, lambda pred, target: squared_error(pred, target) * target.reshape(-1)


def _teacher_data(n: int, rng: np.random.Generator) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    w, b, v = rng.uniform(-1, 1, (50, 2)), rng.uniform(-1, 1, 50), rng.uniform(-1, 1, 50)
    x = rng.uniform(-1, 1, size=(n, 2))
    return x, np.tanh(x @ w.T + b) @ v + 0.3 * rng.standard_normal(n)


def _judge(name: str, degrees: list[int], gaps: NDArray[np.float64], base: NDArray[np.float64]) -> tuple[
        list[Outcome], dict[str, Any]]:
    """Sub-checks 1 and 2 for one gap (loss or gradient): ``gaps`` (degrees, seeds), ``base`` (seeds,)."""
    fit = fit_line(degrees, np.log(gaps), seed=1)
    shrink = ("holds" if fit.high < 0 else "fails",
              f"{name} gap: slope of log(sup gap) vs k {fit} (x{np.exp(fit.slope):.2g} per degree)"
              + ("" if fit.high < 0 else ": the interval reaches 0, the gap does not shrink with k"))
    last, rand = float(gaps[-1].mean()), float(base.mean())
    ratio = last / rand
    beat = ("holds" if ratio <= BEAT else "fails",
            f"{name} gap at k={degrees[-1]}: {last:.2e} vs random subset {rand:.2e} +- {base.std():.1e} "
            f"(ratio {ratio:.2g}, at most {BEAT:g})")
    return [shrink, beat], {"fit": fit.as_dict(), "at_kmax_over_random": ratio}


def run(ctx: AuditContext) -> None:
    datasets = ctx.require("unicomp.numerics.datasets")
    landscape = ctx.require("unicomp.numerics.landscape")
    n = 10_000 if ctx.full else 3000
    size = n // 10
    degrees = list(range(1, 7 if ctx.full else 6))
    samples = 64 if ctx.full else 16
    seeds = list(range(5 if ctx.full else 3))
    torch.manual_seed(0)
    student = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    gaps = np.empty((2, len(degrees), len(seeds)))  # (loss/gradient, k, seed)
    exact = np.zeros((2, len(degrees), len(seeds)))  # the polynomial-loss gaps (k >= 2)
    base = np.empty((2, len(seeds)))
    for s, seed in enumerate(seeds):
        x, y = _teacher_data(n, np.random.default_rng(seed))
        for i, k in enumerate(degrees):
            ds = datasets.compress_dataset(x, y, degree=k, size=size, seed=seed)
            check_target_compression(ds.compression, ds.standardize(np.column_stack([x, y])), size=size)
            gap = landscape.landscape_gap(student, x, y, ds, samples=samples, seed=seed)
            gaps[:, i, s] = gap.max_loss_gap, gap.max_grad_gap
            if k >= 2:
                model, loss = _polynomial_loss(k)
                gap = landscape.landscape_gap(model, x, y, ds, samples=samples, seed=seed, loss=loss)
                exact[:, i, s] = gap.max_loss_gap, gap.max_grad_gap
        naive = random_subset_dataset(ds, x, y, seed=seed + 1)
        gap = landscape.landscape_gap(student, x, y, naive, samples=samples, seed=seed)
        base[:, s] = gap.max_loss_gap, gap.max_grad_gap
    worst = exact.max(axis=(0, 2))
    inexact = [k for k, w in zip(degrees, worst, strict=True) if w > EXACT]
    outcomes: list[Outcome] = [(
        "fails" if inexact else "holds",
        f"polynomial losses of degree k in z, k = 2..{degrees[-1]}: largest gap (loss or gradient) per k "
        f"{', '.join(f'{w:.1e}' for w in worst[1:])} (at most {EXACT:g})"
        + (f"; not kept at k = {inexact}: the compression misses moments of degree <= k" if inexact else ""))]
    measured: dict[str, Any] = {"degrees": degrees, "polynomial_loss_gap": worst.tolist()}
    for j, name in enumerate(("loss", "gradient")):
        sub, measured[name] = _judge(name, degrees, gaps[j], base[j])
        outcomes += sub
        measured[name].update(gap_mean=gaps[j].mean(axis=1).tolist(), gap_sd=gaps[j].std(axis=1).tolist(),
                              random_subset=[float(base[j].mean()), float(base[j].std())])
    fig, ax = plt.subplots(figsize=(6, 4))
    for j, (name, marker) in enumerate((("loss", "o-"), ("gradient", "s-"))):
        ax.semilogy(degrees, gaps[j].mean(axis=1), marker, color=f"C{j}", label=f"sup {name} gap (compressed)")
        ax.axhline(base[j].mean(), ls=":", color=f"C{j}", label=f"random subset ({name})")
        ax.axhline(BEAT * base[j].mean(), ls="--", color=f"C{j}", lw=0.8, label=f"{BEAT:g} x random ({name})")
    ax.set(xlabel="degree k", ylabel="relative gap (sup over sampled parameters)",
           title=f"Sec. 3.2: n={n} -> {size} (m=3), {len(seeds)} seeds")
    ax.legend(fontsize=7)
    ctx.figure(fig)
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    ctx.record(verdict, measured, evidence, caveat=caveat,
               baseline={"random_subset": "uniformly random rows of the same size, equal weights of the same total"},
               params={"n": n, "size": size, "degrees": degrees, "parameter_samples": samples, "radius": 1.0,
                       "student": "2-16-1 tanh", "teacher": "width-50 tanh, U(-1,1) weights, noise sd 0.3",
                       "method": "partition", "beat": BEAT, "exact": EXACT,
                       "polynomial_models": "monomials of degree floor(k/2) in x, linear readout, "
                                            "loss (f - y)^2 (times y for odd k)"},
               seeds=seeds)


MUTANTS: tuple[Mutant, ...] = (
    Mutant("landscape-random-rows", "compress_dataset returns random rows with equal weights", random_rows()),
    Mutant("landscape-perturbed-weights", "compress_dataset perturbs the weights by 5% after the compression",
           perturbed_weights(0.05)),
    Mutant("landscape-degree-1", "compress_dataset matches moments of degree 1 only, whatever k is asked",
           lowered_degree(COMPRESS_DATASET, by=5)),
    Mutant("landscape-shuffled-targets", "compress_dataset pairs each kept input with another kept row's target",
           shuffled_targets()),
)
