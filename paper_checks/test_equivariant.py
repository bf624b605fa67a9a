r"""EQUIVARIANT (Lemma 3, App. C): GD, SGD with fixed batches and Adam (and AdamW, RMSprop, Rprop) commute
with permuting the neurons: :math:`T(P\theta) = P\,T(\theta)`.

Measurement: a two-layer tanh network and a copy with its neurons permuted by a random permutation P are
trained with :func:`unicomp.numerics.training.paired_runs` (same batches), for every optimiser, full batch
and mini-batch.  Gaps: the largest parameter difference :math:`\max|T(P\theta) - P T(\theta)|` after
training and the largest output difference on probe inputs along the trajectory.

Rule (derived from the data, :func:`unicomp.verify.claims.rounding_verdict`): the whole experiment runs in
float32 and in float64; commuting updates leave only summation-order rounding, which shrinks ~5e8-fold
from float32 to float64, while a real violation does not shrink.  Control: an update that is *not*
equivariant (a larger learning rate for the first half of the neurons) must be flagged by the same rule.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from unicomp.verify.claims import combine, rounding_verdict

OPTIMIZERS = {"sgd": 0.05, "adam": 1e-2, "adamw": 1e-2, "rmsprop": 1e-3, "rprop": 1e-2}


def _net(width: int, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, width), nn.Tanh(), nn.Linear(width, 1)).double()


def _permuted(net: nn.Sequential, perm: np.ndarray) -> nn.Sequential:
    out = _net(net[0].out_features, 0)
    p = torch.as_tensor(perm)
    with torch.no_grad():
        out[0].weight.copy_(net[0].weight[p])
        out[0].bias.copy_(net[0].bias[p])
        out[2].weight.copy_(net[2].weight[:, p])
        out[2].bias.copy_(net[2].bias)
    return out


def _param_gap(a: nn.Sequential, b: nn.Sequential, perm: np.ndarray) -> float:
    """max |T(P theta) - P T(theta)| over all parameters; ``b`` was trained from the permuted start."""
    p = torch.as_tensor(perm)
    pairs = [(a[0].weight[p], b[0].weight), (a[0].bias[p], b[0].bias), (a[2].weight[:, p], b[2].weight),
             (a[2].bias, b[2].bias)]
    return max(float((x - y).detach().abs().max()) for x, y in pairs)


def _gaps(training, data, probe, net, perm, optimizer, lr, batch, dtype, epochs, split_lr=False) -> tuple[float, float]:
    models = {"orig": net, "perm": _permuted(net, perm)}
    cfg = training.TrainConfig(optimizer=optimizer, lr=lr, epochs=epochs, batch_size=batch, dtype=dtype,
                               device="cpu", seed=1, cosine=True)
    if split_lr:  # the control: not equivariant, neuron i's learning rate depends on its index i
        return _split_lr_gaps(models, data, probe, cfg, perm)
    runs = training.paired_runs(models, data, cfg, probe=probe)
    return _param_gap(runs.models["orig"], runs.models["perm"], perm), float(runs.gap("orig", "perm").max())


def _split_lr_gaps(models, data, probe, cfg, perm) -> tuple[float, float]:
    trained = {}
    for key, model in models.items():
        m = _net(model[0].out_features, 0)
        m.load_state_dict(model.state_dict())
        m.to(cfg.torch_dtype)
        half = m[0].out_features // 2
        x, y = data.inputs.to(cfg.torch_dtype), data.targets.to(cfg.torch_dtype)
        for _ in range(cfg.epochs):
            loss = ((m(x).squeeze(-1) - y) ** 2).mean()
            m.zero_grad()
            loss.backward()
            with torch.no_grad():
                for prm in (m[0].weight, m[0].bias):
                    prm[:half] -= 2 * cfg.lr * prm.grad[:half]
                    prm[half:] -= cfg.lr * prm.grad[half:]
                m[2].weight[:, :half] -= 2 * cfg.lr * m[2].weight.grad[:, :half]
                m[2].weight[:, half:] -= cfg.lr * m[2].weight.grad[:, half:]
                m[2].bias -= cfg.lr * m[2].bias.grad
        trained[key] = m
    with torch.no_grad():
        p = probe.to(cfg.torch_dtype)
        out_gap = float((trained["orig"](p) - trained["perm"](p)).abs().max())
    return _param_gap(trained["orig"], trained["perm"], perm), out_gap


def test_equivariant(audit):
    training = audit.require("unicomp.numerics.training")
    width = 64 if audit.full else 16
    epochs = 30 if audit.full else 5
    seeds = [0, 1, 2] if audit.full else [0]
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(256, 2))
    y = np.sin(3 * x[:, 0]) * np.cos(2 * x[:, 1])
    data = training.TrainData(torch.as_tensor(x), torch.as_tensor(y))
    probe = torch.as_tensor(rng.uniform(-1, 1, size=(64, 2)))
    outcomes, measured = [], {}
    for seed in seeds:
        net = _net(width, seed)
        perm = np.random.default_rng(100 + seed).permutation(width)
        for optimizer, lr in OPTIMIZERS.items():
            # quick tier: full batch (GD) for SGD only; every optimiser with fixed mini-batches
            for batch in (None, 64) if audit.full or optimizer == "sgd" else (64,):
                gaps = {dt: _gaps(training, data, probe, net, perm, optimizer, lr, batch, dt, epochs)
                        for dt in ("float32", "float64")}
                label = f"{optimizer} {'full batch' if batch is None else f'batch {batch}'} seed {seed}"
                measured[label] = {f"{dt}_{name}": g for dt, pair in gaps.items()
                                   for name, g in zip(("param_gap", "output_gap"), pair, strict=True)}
                outcomes.append(rounding_verdict(gaps["float64"][0], gaps["float32"][0], what=label + " param gap"))
    control = {dt: _gaps(training, data, probe, _net(width, 0), np.random.default_rng(100).permutation(width),
                         "sgd", 0.05, None, dt, epochs, split_lr=True) for dt in ("float32", "float64")}
    control_verdict, control_text = rounding_verdict(control["float64"][0], control["float32"][0],
                                                     what="control (index-dependent lr) param gap")
    measured["control_index_dependent_lr"] = {dt: {"param_gap": g[0], "output_gap": g[1]} for dt, g in control.items()}
    if control_verdict != "fails":
        raise AssertionError(f"the rule did not flag a non-equivariant update, so it cannot detect one: {control_text}")
    verdict, caveat, evidence = combine(outcomes, show=2)
    worst = max(v["float64_param_gap"] for v in measured.values() if "float64_param_gap" in v)
    evidence += f"; worst float64 parameter gap {worst:.1e}; the control is flagged ({control_text})"
    audit.record(verdict, measured, evidence, caveat=caveat,
                 params={"width": width, "epochs": epochs, "optimizers": OPTIMIZERS,
                        "batches": "full batch and 64 (quick: full batch for sgd only)",
                         "data": "256 points U[-1,1]^2, y = sin(3 x1) cos(2 x2)", "rule_factor": 1e-3},
                 seeds=seeds)
