r"""GRADSCALE (Def. 5): scaling neuron j's gradient by :math:`1/c_j` reproduces the per-neuron update of
the original network; for Adam the factor cancels up to :math:`\epsilon`.

Symbolic: :func:`unicomp.theory.dynamics.gradient_scaling` and :func:`~unicomp.theory.dynamics.adam_invariance`
derive the identities with undefined activation and loss; every identity must hold exactly.

Numeric, against the original network's per-neuron update: the **original** is a plain ``nn.Sequential``
whose neuron j appears :math:`n_j \in \{1, 2, 3\}` times (plain autograd: copies of a neuron get identical
gradients and stay identical); the **compressed** network keeps one copy of each neuron with weight
:math:`c_j = n_j` (:class:`unicomp.numerics.networks.WeightedMLP`, the 1/c rule on).  In exact arithmetic
both compute the same function along the whole trajectory (same batches), so the probe-output gap must be
rounding only: :func:`unicomp.verify.claims.rounding_verdict` (the gap must shrink a thousand-fold from
float32 to float64; rounding shrinks it ~5e8-fold, a real difference not at all), for SGD and for Adam.

Controls, which show the measurement sees what the rule does:

* SGD without the rule (``scale_gradients=False``) must drift: its float64 gap at least 1e3 times the gap
  with the rule (a per-neuron update c_j times too large is a dynamical difference, orders of magnitude
  above float64 rounding, whatever the step size);
* Adam without the rule must differ **only through** :math:`\epsilon` (Adam with :math:`\epsilon` on
  gradients scaled by c is Adam with :math:`\epsilon/c`): its float64 gap at :math:`\epsilon = 10^{-6}` over
  its gap at :math:`\epsilon = 10^{-8}` must lie in [10, 1000], i.e. scale like :math:`\epsilon` (ratio
  100) within a decade either way (the ten epochs amplify or damp a perturbation by less than that).
  An update that is not invariant to the gradient's scale leaves a gap that does not shrink with
  :math:`\epsilon`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import torch

from unicomp.audit.checks._symbolic import both_precisions, regression_problem, select_neurons, tanh_mlp
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, replace
from unicomp.verify.claims import combine, rounding_verdict

Outcome = tuple[str, str]
RUNS = {"sgd": 0.05, "adam": 1e-2}
DRIFT_FACTOR = 1e3  # SGD without the rule: a dynamical gap, >= 1e3 x the rounding gap with the rule
EPS_RATIO = (10.0, 1000.0)  # Adam without the rule: gap(eps=1e-6) / gap(eps=1e-8) ~ 100, a decade either way


def _symbolic(dynamics: Any) -> tuple[list[Outcome], dict[str, dict[str, bool]]]:
    derivations = {"gradient_scaling": dynamics.gradient_scaling(), "adam_invariance": dynamics.adam_invariance()}
    outcomes = []
    for name, d in derivations.items():
        bad = [label for label, ok in d.checks if not ok]
        outcomes.append(("fails" if bad else "holds", f"{name}: {len(d.checks) - len(bad)}/{len(d.checks)} symbolic "
                                                       "identities exact" + (f", failing: {bad}" if bad else "")))
    return outcomes, {name: {label: ok for label, ok in d.checks} for name, d in derivations.items()}


def run(ctx: AuditContext) -> None:
    dynamics = ctx.require("unicomp.theory.dynamics")
    networks = ctx.require("unicomp.numerics.networks")
    training = ctx.require("unicomp.numerics.training")
    outcomes, symbolic = _symbolic(dynamics)
    width, epochs = (40, 40) if ctx.full else (12, 10)
    data, probe = regression_problem(seed=0)
    plain = tanh_mlp(width, seed=0)
    copies = np.random.default_rng(0).integers(1, 4, size=width)
    weights = copies.astype(float)
    models = {
        "original": select_neurons(plain, np.repeat(np.arange(width), copies)),
        "compressed": networks.WeightedMLP.from_plain(plain, np.arange(width), weights),
        "unscaled": networks.WeightedMLP.from_plain(plain, np.arange(width), weights, scale_gradients=False),
    }
    measured: dict[str, Any] = {"symbolic": symbolic, "multiplicities": copies.tolist()}

    def gaps(optimizer: str, dtype: str, **kwargs: Any) -> tuple[float, float]:
        cfg = training.TrainConfig(optimizer=optimizer, lr=RUNS[optimizer], epochs=epochs, batch_size=64,
                                   dtype=dtype, device="cpu", seed=3, optimizer_kwargs=kwargs)
        runs = training.paired_runs(models, data, cfg, probe=probe)
        return float(runs.gap("original", "compressed").max()), float(runs.gap("original", "unscaled").max())

    for optimizer in RUNS:
        pair = both_precisions(partial(gaps, optimizer))
        measured[optimizer] = {f"{dt}_{name}": g for dt, two in pair.items()
                               for name, g in zip(("gap_1_over_c", "gap_unscaled"), two, strict=True)}
        outcomes.append(rounding_verdict(pair["float64"][0], pair["float32"][0],
                                         what=f"{optimizer}: output gap with the 1/c rule"))
    rule64, unscaled64 = measured["sgd"]["float64_gap_1_over_c"], measured["sgd"]["float64_gap_unscaled"]
    outcomes.append(("holds" if unscaled64 > DRIFT_FACTOR * rule64 else "fails",
                     f"control, sgd without the rule drifts: gap {unscaled64:.2e} vs {rule64:.2e} with it (float64)"))
    adam_small = measured["adam"]["float64_gap_unscaled"]
    adam_large = gaps("adam", "float64", eps=1e-6)[1]
    ratio = adam_large / adam_small if adam_small > 0 else float("inf")
    measured["adam"]["float64_gap_unscaled_eps1e-6"] = adam_large
    outcomes.append(("holds" if EPS_RATIO[0] <= ratio <= EPS_RATIO[1] else "fails",
                     f"adam without the rule differs only through eps: gap {adam_small:.2e} (eps 1e-8) -> "
                     f"{adam_large:.2e} (eps 1e-6), ratio {ratio:.3g} (proportional to eps: 100)"))
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    ctx.record(verdict, measured, evidence, caveat=caveat,
               params={"width": width, "epochs": epochs, "optimizers": RUNS, "batch_size": 64,
                       "multiplicities": "uniform in {1, 2, 3}", "rule_factor": 1e-3, "drift_factor": DRIFT_FACTOR,
                       "adam_eps_ratio_range": EPS_RATIO},
               seeds=[0, 3])


def _rule_off(original: Any) -> Any:
    def forward(self: Any, x: torch.Tensor) -> torch.Tensor:
        saved, self.scale_gradients = self.scale_gradients, False
        try:
            return original(self, x)
        finally:
            self.scale_gradients = saved

    return forward


MUTANTS: tuple[Mutant, ...] = (
    Mutant("gradscale-rule-off", "WeightedMLP ignores scale_gradients: the 1/c rule is switched off",
           replace("unicomp.numerics.networks:WeightedMLP.forward", _rule_off)),
    Mutant("gradscale-rule-inverted", "scale_grad multiplies the gradient by c_j instead of 1/c_j",
           replace("unicomp.numerics.networks:scale_grad", lambda orig: lambda tensor, scale: orig(tensor, 1 / scale))),
    Mutant("gradscale-adam-is-momentum", "make_optimizer builds SGD with momentum 0.9 for 'adam' (a wrong entry in "
           "the optimizer table: no normalisation, so nothing cancels the factor)",
           replace("unicomp.numerics.training:make_optimizer",
                   lambda orig: lambda name, params, lr, **kw: orig("sgd", params, lr, momentum=0.9)
                   if name.lower() == "adam" else orig(name, params, lr, **kw))),
)
