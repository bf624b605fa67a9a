r"""EQUIVARIANT (Lemma 3, App. C): GD, SGD with fixed batches and Adam (and AdamW, RMSprop, Rprop) commute
with permuting the neurons: :math:`T(P\theta) = P\,T(\theta)`.

Measurement: a two-layer tanh network and a copy with its neurons permuted by a random permutation P are
trained with :func:`unicomp.numerics.training.paired_runs` (same batch sequence), for every optimiser,
with fixed mini-batches of 64 and (SGD, and every optimiser at the full tier) full batch.  Gap: the largest
parameter difference :math:`\max|T(P\theta) - P\,T(\theta)|` after training.

Rule (:func:`unicomp.verify.claims.rounding_verdict`): the whole experiment runs in float32 and in float64;
commuting updates leave only summation-order rounding, which shrinks ~5e8-fold from float32 to float64,
while a real violation does not shrink (holds if the float64 gap is at most 1e-3 times the float32 gap,
or within a thousand float64 ulps of the parameters' scale).  Every optimiser and batch mode must hold.

Control (the rule must see a violation): the same measurement with a step that is not equivariant -- the
first entry of every parameter tensor (a coordinate of neuron 0) gets twice the update -- must come out
"fails"; otherwise the check raises, since it could not detect a violation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import nn

from unicomp.audit.checks._symbolic import both_precisions, regression_problem, select_neurons, tanh_mlp
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, Planter, replace
from unicomp.verify.claims import combine, rounding_verdict

OPTIMIZERS = {"sgd": 0.05, "adam": 1e-2, "adamw": 1e-2, "rmsprop": 1e-3, "rprop": 1e-2}


def param_gap(a: nn.Sequential, b: nn.Sequential, perm: np.ndarray) -> float:
    """:math:`\\max |P\\,T(\theta) - T(P\theta)|` over all parameters; ``b`` was trained from the permuted start."""
    moved = select_neurons(a, perm)
    return max(float((x - y).detach().abs().max()) for x, y in zip(moved.parameters(), b.parameters(), strict=True))


def _with_step_hook(make: Callable[..., torch.optim.Optimizer],
                    hook: Callable[[torch.optim.Optimizer, dict[int, torch.Tensor]], None]
                    ) -> Callable[..., torch.optim.Optimizer]:
    """``make_optimizer`` whose optimizers call ``hook(opt, before)`` after each step (``before``: the
    parameters before the step, by ``id``)."""

    def factory(*args: Any, **kwargs: Any) -> torch.optim.Optimizer:
        opt = make(*args, **kwargs)
        before: dict[int, torch.Tensor] = {}

        def pre(optimizer: torch.optim.Optimizer, *_: Any) -> None:
            before.clear()
            before.update({id(p): p.detach().clone() for g in optimizer.param_groups for p in g["params"]})

        opt.register_step_pre_hook(pre)
        opt.register_step_post_hook(lambda optimizer, *_: hook(optimizer, before))
        return opt

    return factory


def _first_entry_doubled(opt: torch.optim.Optimizer, before: dict[int, torch.Tensor]) -> None:
    with torch.no_grad():
        for group in opt.param_groups:
            for p in group["params"]:
                flat, old = p.view(-1), before[id(p)].view(-1)
                flat[0] += flat[0] - old[0]


def _state_rolled(opt: torch.optim.Optimizer, before: dict[int, torch.Tensor]) -> None:
    with torch.no_grad():
        for state in opt.state.values():
            for key, value in state.items():
                if isinstance(value, torch.Tensor) and value.numel() > 1:
                    state[key] = torch.roll(value.reshape(-1), 1).reshape(value.shape)


def index_dependent_step() -> Planter:
    """The control's defect: the first entry of every parameter tensor gets twice the update."""
    return replace("unicomp.numerics.training:make_optimizer", lambda make: _with_step_hook(make, _first_entry_doubled))


def _gap(training: Any, data: Any, net: nn.Sequential, perm: np.ndarray, optimizer: str, batch: int | None,
         epochs: int, dtype: str) -> float:
    cfg = training.TrainConfig(optimizer=optimizer, lr=OPTIMIZERS[optimizer], epochs=epochs, batch_size=batch,
                               dtype=dtype, device="cpu", seed=1, cosine=True, eval_epochs=[epochs])
    runs = training.paired_runs({"orig": net, "perm": select_neurons(net, perm)}, data, cfg)
    return param_gap(runs.models["orig"], runs.models["perm"], perm)


def run(ctx: AuditContext) -> None:
    training = ctx.require("unicomp.numerics.training")
    width, epochs = (64, 30) if ctx.full else (16, 5)
    seeds = [0, 1, 2] if ctx.full else [0]
    data, _ = regression_problem(seed=0)
    outcomes, measured = [], {}
    for seed in seeds:
        net = tanh_mlp(width, seed)
        perm = np.random.default_rng(100 + seed).permutation(width)
        for optimizer in OPTIMIZERS:
            for batch in (None, 64) if ctx.full or optimizer == "sgd" else (64,):
                label = f"{optimizer} {'full batch' if batch is None else f'batch {batch}'} seed {seed}"
                gaps = both_precisions(partial(_gap, training, data, net, perm, optimizer, batch, epochs))
                measured[label] = gaps
                outcomes.append(rounding_verdict(gaps["float64"], gaps["float32"], what=label + " param gap"))
    with index_dependent_step()():
        control = both_precisions(partial(_gap, training, data, tanh_mlp(width, 0),
                                          np.random.default_rng(100).permutation(width), "sgd", 64, epochs))
    control_verdict, control_text = rounding_verdict(control["float64"], control["float32"],
                                                     what="control (index-dependent step) param gap")
    measured["control_index_dependent_step"] = control
    if control_verdict != "fails":
        raise AssertionError(f"the rule did not flag a non-equivariant step, so it cannot detect one: {control_text}")
    verdict, caveat, evidence = combine(outcomes, show=2)
    worst = max(v["float64"] for k, v in measured.items() if k != "control_index_dependent_step")
    evidence += f"; worst float64 parameter gap {worst:.1e}; the control is flagged ({control_text})"
    ctx.record(verdict, measured, evidence, caveat=caveat,
               params={"width": width, "epochs": epochs, "optimizers": OPTIMIZERS,
                       "batches": "64, and full batch (quick: full batch for sgd only)",
                       "data": "256 points U[-1,1]^2, y = sin(3 x1) cos(2 x2)", "rule_factor": 1e-3},
               seeds=seeds)


@contextmanager
def _reshuffled_batches() -> Iterator[None]:
    """Every call of batch_schedule draws a fresh order: paired runs no longer share their mini-batches."""
    calls = iter(range(10**9))

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        return lambda n, epoch, **kw: original(n, epoch, **{**kw, "seed": kw["seed"] + next(calls)})

    with replace("unicomp.numerics.training:batch_schedule", make)():
        yield


MUTANTS: tuple[Mutant, ...] = (
    Mutant("equivariant-per-index-lr", "the optimiser step gives the first entry of every parameter tensor "
           "(a coordinate of neuron 0) twice the learning rate", index_dependent_step()),
    Mutant("equivariant-state-mixup", "the optimiser's per-parameter state (Adam/RMSprop moments, Rprop step "
           "sizes) is shifted by one entry after each step, so neuron i uses neuron i-1's state",
           replace("unicomp.numerics.training:make_optimizer", lambda make: _with_step_hook(make, _state_rolled))),
    Mutant("equivariant-batches-not-shared", "batch_schedule reshuffles on every call: the paired runs see "
           "different mini-batch sequences", _reshuffled_batches),
)
