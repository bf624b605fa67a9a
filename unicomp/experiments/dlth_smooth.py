r"""The dynamical lottery ticket where the theory applies: tanh networks, trajectory gap versus k and d.

Thm 5 (paper, Sec. 3) needs :math:`f \circ T` analytic in the neuron objects, which a smooth activation
gives and ReLU does not.  This experiment trains a two-layer tanh network, its compressions at
initialisation (1/c rule, Def. 5) and a naive random subnetwork from the same initialisation on the same
mini-batches, and measures the *trajectory gap*

.. math:: G = \max_{e} \frac{\| f_{\text{compressed}}^{(e)} - f_{\text{original}}^{(e)} \|_{\text{probe}}}
                            {\| y \|_{\text{probe}}}

over the evaluation epochs :math:`e` (initialisation included; RMS over probe inputs).  The scale is the
target's RMS on the probe inputs, fixed along the run: dividing by the original's own output, which is
small at initialisation, would let the epoch-0 value dominate the maximum.  Two sweeps, each repeated for
several seeds (a seed draws the initialisation, the data and the batch order):

* **degree**: width :math:`d_0` compressed to :math:`d_0' = \text{ratio}\cdot d_0` neurons with
  :math:`k = 1, 2, \dots` -- Thm 5 predicts :math:`G` falls with k;
* **width**: fixed :math:`k` and ratio :math:`d'/d`, growing :math:`d` -- :math:`G` falls with d.

Every run is SGD (float64 by default) with a learning rate scaled as ``lr * 1000 / d`` (default init makes the
output's sensitivity to the outgoing weights grow like :math:`d`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from unicomp.errors import InputError
from unicomp.experiments._common import ExperimentResult, RunSettings, eval_epochs, moment_error, resolve_tier
from unicomp.numerics.networks import WeightedMLP, compress_mlp, neuron_objects, random_subnetwork
from unicomp.numerics.training import TrainConfig, TrainData, paired_runs

__all__ = ["TIERS", "SmoothConfig", "plot_smooth", "run_dlth_smooth", "smooth_data"]


@dataclass(frozen=True, kw_only=True)
class SmoothConfig(RunSettings):
    """Parameters of the smooth-activation check (see :data:`TIERS`).

    ``width`` must be one of ``widths`` (its runs serve both sweeps) and ``degree`` one of ``degrees``.
    """

    degrees: Sequence[int]
    widths: Sequence[int]
    width: int
    ratio: float
    degree: int
    seeds: Sequence[int] = (0, 1, 2)
    n_train: int = 1000
    n_test: int = 1000
    epochs: int = 10
    batch_size: int = 100
    lr: float = 2e-3
    optimizer: str = "sgd"


#: ``quick``: about 20 s on one core; ``full``: wider networks, more epochs and seeds.
TIERS: dict[str, SmoothConfig] = {
    "quick": SmoothConfig(
        degrees=(1, 2, 3, 4, 5), widths=(250, 500, 1000, 2000), width=1000, ratio=0.3, degree=3,
        eval_every=2, n_probe=300, dtype="float64",
    ),
    "full": SmoothConfig(
        degrees=(1, 2, 3, 4, 5, 6), widths=(1000, 2000, 4000, 8000, 16000), width=4000, ratio=0.1, degree=4,
        seeds=(0, 1, 2, 3, 4), n_train=20_000, n_test=10_000, epochs=200, batch_size=256, eval_every=10,
        dtype="float64",
    ),
}


def smooth_data(n: int, *, seed: int) -> TrainData:
    r"""``n`` uniform points of :math:`[-1,1]^2` with the smooth target :math:`\sin(\pi x_1)\cos(x_2) + x_2/2`."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2))
    y = np.sin(np.pi * x[:, 0]) * np.cos(x[:, 1]) + 0.5 * x[:, 1]
    return TrainData(torch.as_tensor(x), torch.as_tensor(y[:, None]))


def _tanh_net(width: int, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, width), nn.Tanh(), nn.Linear(width, 1)).double()


def _gaps(models: Mapping[str, nn.Module], width: int, seed: int, config: SmoothConfig) -> dict[str, float]:
    """Train ``models`` (key ``"original"`` and others) on the same batches; ``G`` of each other run."""
    data = smooth_data(config.n_train, seed=seed)
    test = smooth_data(config.n_test, seed=seed + 1)
    probe = test.inputs[: config.n_probe]
    scale = float(torch.sqrt(torch.mean(test.targets[: config.n_probe] ** 2)))
    cfg = TrainConfig(
        optimizer=config.optimizer, lr=config.lr * 1000 / width, epochs=config.epochs,
        batch_size=config.batch_size, dtype=config.dtype, device=config.device, seed=seed,
        eval_epochs=eval_epochs(config.epochs, config.eval_every),
    )
    runs = paired_runs(models, data, cfg, test=test, probe=probe)
    return {name: float(np.max(runs.gap("original", name))) / scale for name in models if name != "original"}


def _init_error(base: nn.Module, compressed: WeightedMLP, degree: int) -> float:
    """:func:`moment_error` of the compressed network's neurons at initialisation, at ``degree``."""
    weights = compressed.weights.detach().to("cpu", torch.float64).numpy()
    return moment_error(neuron_objects(base), compressed.neuron_objects(), weights, degree)


def _seed_runs(config: SmoothConfig, seed: int) -> dict[str, Any]:
    """One seed: gaps per degree (at ``config.width``), the naive gap, gaps per width (at ``degree``), and
    the largest moment error of the compressions at initialisation."""
    by_width: dict[int, float] = {}
    by_degree: dict[int, float] = {}
    naive_gap = float("nan")
    init_error = 0.0
    for d in config.widths:
        base = _tanh_net(d, seed)
        small = max(1, round(config.ratio * d))
        degrees = config.degrees if d == config.width else (config.degree,)
        models: dict[str, nn.Module] = {"original": base}
        for k in degrees:
            compressed = compress_mlp(base, degree=k, width=small, method=config.method, seed=seed)
            init_error = max(init_error, _init_error(base, compressed, k))
            models[f"k={k}"] = compressed
        if d == config.width:
            models["naive"] = random_subnetwork(base, small, seed=seed)
        gaps = _gaps(models, d, seed, config)
        by_width[d] = gaps[f"k={config.degree}"]
        if d == config.width:
            by_degree = {k: gaps[f"k={k}"] for k in config.degrees}
            naive_gap = gaps["naive"]
    return {"degree": by_degree, "naive": naive_gap, "width": by_width, "init_moment_error": init_error}


def run_dlth_smooth(
    tier: str = "quick", *, config: SmoothConfig | None = None, **overrides: Any
) -> ExperimentResult:
    """Run both sweeps for every seed; ``data`` holds the trajectory gaps, one column per seed.

    Returns
    -------
    ExperimentResult
        ``data["degree_sweep"]``: ``degrees``, ``gap`` (degrees x seeds), ``naive_gap`` (seeds,);
        ``data["width_sweep"]``: ``widths``, ``gap`` (widths x seeds); ``data["init_moment_error"]``: the
        largest :func:`~unicomp.experiments._common.moment_error` of the compressions at initialisation.

    Raises
    ------
    InputError
        If ``width`` is not among ``widths`` or ``degree`` not among ``degrees``.
    """
    config = resolve_tier(TIERS, tier, config, overrides)
    if config.width not in config.widths or config.degree not in config.degrees:
        raise InputError(
            f"width {config.width} must be one of widths {list(config.widths)} and degree {config.degree} "
            f"one of degrees {list(config.degrees)}"
        )
    start = time.perf_counter()
    per_seed = [_seed_runs(config, seed) for seed in config.seeds]
    data = {
        "config": asdict(config),
        "degree_sweep": {
            "degrees": np.asarray(config.degrees),
            "gap": np.array([[s["degree"][k] for s in per_seed] for k in config.degrees]),
            "naive_gap": np.array([s["naive"] for s in per_seed]),
        },
        "width_sweep": {
            "widths": np.asarray(config.widths),
            "gap": np.array([[s["width"][d] for s in per_seed] for d in config.widths]),
        },
        "init_moment_error": max(s["init_moment_error"] for s in per_seed),
        "seconds": time.perf_counter() - start,
    }
    return ExperimentResult(data, plot_smooth(data))


def _band(ax: Any, x: NDArray[np.float64], gaps: NDArray[np.float64], label: str) -> None:
    """Geometric mean over seeds with the seeds' range."""
    ax.plot(x, np.exp(np.log(gaps).mean(axis=1)), "o-", label=label)
    ax.fill_between(x, gaps.min(axis=1), gaps.max(axis=1), alpha=0.25)


def plot_smooth(data: Mapping[str, Any], axes: Any = None) -> Any:
    """Two panels: trajectory gap versus k, and versus d at fixed d'/d (seed range shaded); returns the figure."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    else:
        fig = axes[0].figure
    deg, wid = data["degree_sweep"], data["width_sweep"]
    _band(axes[0], deg["degrees"], deg["gap"], "compressed")
    axes[0].axhline(float(np.exp(np.log(deg["naive_gap"]).mean())), color="gray", ls="--", label="naive")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("degree k")
    axes[0].set_ylabel("trajectory gap G")
    axes[0].legend()
    _band(axes[1], wid["widths"], wid["gap"], "compressed")
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xticks(wid["widths"], labels=[str(w) for w in wid["widths"]])
    axes[1].xaxis.set_minor_locator(plt.NullLocator())
    axes[1].set_xlabel(f"width d (d'/d = {data['config']['ratio']})")
    axes[1].legend()
    fig.tight_layout()
    return fig
