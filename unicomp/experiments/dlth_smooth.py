r"""The dynamical lottery ticket where the theory applies: tanh networks, trajectory gap versus k and d.

Thm 5 (paper, Sec. 3) needs :math:`f \circ T` analytic in the neuron objects, which a smooth activation
gives and ReLU does not.  This experiment trains a two-layer tanh network, its compression at
initialisation (1/c rule, Def. 5) and a naive random subnetwork from the same initialisation on the same
mini-batches, and measures the *trajectory gap*

.. math:: G = \max_{e} \frac{\| f_{\text{compressed}}^{(e)} - f_{\text{original}}^{(e)} \|_{\text{probe}}}
                            {\| f_{\text{original}}^{(e)} \|_{\text{probe}}}

over the evaluation epochs :math:`e` (RMS over probe inputs).  Two sweeps:

* **degree**: fixed :math:`d, d'`, :math:`k = 1, 2, \dots` -- the theory predicts :math:`G` falls with k;
* **width**: fixed :math:`k` and ratio :math:`d'/d`, growing :math:`d`.  Thm 4 bounds the *unnormalised*
  error by :math:`O(d\, d'^{1-(k+1)/m})`; with PyTorch's default init :math:`|v_i| \sim d^{-1/2}` the
  objects shrink with :math:`d` as well, so the measured slope is reported, not assumed.

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

from unicomp.experiments._common import (
    ExperimentResult,
    RunSettings,
    eval_epochs,
    paired_summary,
    resolve_tier,
)
from unicomp.numerics.networks import compress_mlp, random_subnetwork
from unicomp.numerics.training import TrainConfig, TrainData, paired_runs

__all__ = ["TIERS", "SmoothConfig", "plot_smooth", "run_dlth_smooth", "smooth_data"]


@dataclass(frozen=True, kw_only=True)
class SmoothConfig(RunSettings):
    """Parameters of the smooth-activation check (see :data:`TIERS`)."""

    degrees: Sequence[int]
    width: int
    compressed_width: int
    widths: Sequence[int]
    ratio: float
    degree: int
    n_train: int = 1000
    n_test: int = 1000
    epochs: int = 20
    batch_size: int = 100
    lr: float = 2e-3
    optimizer: str = "sgd"


#: ``quick``: about a minute on 2 CPU cores; ``full``: wider networks and more epochs.
TIERS: dict[str, SmoothConfig] = {
    "quick": SmoothConfig(
        degrees=(1, 2, 3, 4), width=1000, compressed_width=150, widths=(500, 1000, 2000), ratio=0.1, degree=3,
        eval_every=2, n_probe=500, dtype="float64",
    ),
    "full": SmoothConfig(
        degrees=(1, 2, 3, 4, 5, 6), width=4000, compressed_width=400, widths=(1000, 2000, 4000, 8000, 16000),
        ratio=0.1, degree=4, n_train=20_000, n_test=10_000, epochs=200, batch_size=256, eval_every=10,
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


def _train(models: Mapping[str, nn.Module], width: int, config: SmoothConfig) -> dict[str, Any]:
    data = smooth_data(config.n_train, seed=config.seed)
    test = smooth_data(config.n_test, seed=config.seed + 1)
    cfg = TrainConfig(
        optimizer=config.optimizer, lr=config.lr * 1000 / width, epochs=config.epochs,
        batch_size=config.batch_size, dtype=config.dtype, device=config.device, seed=config.seed,
        eval_epochs=eval_epochs(config.epochs, config.eval_every),
    )
    return paired_summary(paired_runs(models, data, cfg, test=test, probe=test.inputs[: config.n_probe]))


def _max_gap(summary: Mapping[str, Any], name: str) -> float:
    return float(np.max(summary["relative_gap"][name]))


def _slope(xs: Sequence[int], ys: NDArray[np.float64]) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def run_dlth_smooth(
    tier: str = "quick", *, config: SmoothConfig | None = None, **overrides: Any
) -> ExperimentResult:
    """Run both sweeps; ``data`` holds the gaps (max over epochs) per degree and per width, and fitted slopes.

    Returns
    -------
    ExperimentResult
        ``data["degree_sweep"]``: degrees, compressed gaps, naive gap; ``data["width_sweep"]``: widths,
        compressed and naive gaps, log-log slopes; full run summaries under ``"runs"``.
    """
    config = resolve_tier(TIERS, tier, config, overrides)
    start = time.perf_counter()
    net = _tanh_net(config.width, config.seed)
    models: dict[str, nn.Module] = {"original": net}
    for k in config.degrees:
        models[f"k={k}"] = compress_mlp(
            net, degree=k, width=config.compressed_width, method=config.method, seed=config.seed
        )
    models["naive"] = random_subnetwork(net, config.compressed_width, seed=config.seed)
    degree_runs = _train(models, config.width, config)
    width_runs: dict[int, dict[str, Any]] = {}
    for d in config.widths:
        base = _tanh_net(d, config.seed)
        small = max(1, round(config.ratio * d))
        trio = {
            "original": base,
            "compressed": compress_mlp(
                base, degree=config.degree, width=small, method=config.method, seed=config.seed
            ),
            "naive": random_subnetwork(base, small, seed=config.seed),
        }
        width_runs[d] = _train(trio, d, config)
    comp_gap = np.array([_max_gap(width_runs[d], "compressed") for d in config.widths])
    naive_gap = np.array([_max_gap(width_runs[d], "naive") for d in config.widths])
    data = {
        "config": asdict(config),
        "degree_sweep": {
            "degrees": np.asarray(config.degrees),
            "gap": np.array([_max_gap(degree_runs, f"k={k}") for k in config.degrees]),
            "naive_gap": _max_gap(degree_runs, "naive"),
        },
        "width_sweep": {
            "widths": np.asarray(config.widths),
            "gap": comp_gap,
            "naive_gap": naive_gap,
            "slope": _slope(config.widths, comp_gap),
            "naive_slope": _slope(config.widths, naive_gap),
        },
        "runs": {"degree": degree_runs, "width": width_runs},
        "seconds": time.perf_counter() - start,
    }
    return ExperimentResult(data, plot_smooth(data))


def plot_smooth(data: Mapping[str, Any], axes: Any = None) -> Any:
    """Two panels: trajectory gap versus k, and versus d at fixed d'/d; returns the figure."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    else:
        fig = axes[0].figure
    deg, wid = data["degree_sweep"], data["width_sweep"]
    axes[0].semilogy(deg["degrees"], deg["gap"], "o-", label="compressed")
    axes[0].axhline(deg["naive_gap"], color="gray", ls="--", label="naive")
    axes[0].set_xlabel("degree k")
    axes[0].set_ylabel("max relative trajectory gap")
    axes[0].legend()
    axes[1].loglog(wid["widths"], wid["gap"], "o-", label=f"compressed (slope {wid['slope']:.2f})")
    axes[1].loglog(wid["widths"], wid["naive_gap"], "s--", color="gray", label="naive")
    axes[1].set_xlabel("width d (d'/d fixed)")
    axes[1].legend()
    fig.tight_layout()
    return fig

