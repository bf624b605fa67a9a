r"""Fig. 4: the dynamical lottery ticket -- a width-d ReLU network compressed at initialisation trains alike.

Setting (paper, Sec. 6, Fig. 4): regress the cylindrical harmonic

.. math:: f(x) = J_6(20 r) \cos(6 \theta), \qquad x = (r\cos\theta, r\sin\theta) \in [-1, 1]^2,

from noisy samples (noise :math:`N(0, 0.2^2)`) with a two-layer ReLU network of width :math:`d = 10^4`.
At initialisation the neurons :math:`(v_i, w_i, b_i) \in \mathbb{R}^4` are compressed to :math:`d' = 10^3`
with :math:`k = 5` (:math:`N_{4,5} = 126`).  Three runs start from the same initialisation and see the same
mini-batches: the original, the compressed network trained with the 1/c rule (Def. 5), and the naive
baseline -- a random subnetwork of width :math:`d'` with weights 1.  *Reported* final test MSE
(original / compressed / naive): SGD 9.6e-3 / 1.00e-2 / 1.28e-2; Adam 3.3e-4 / 3.9e-4 / 1.5e-3;
AdamW 4.0e-4 / 4.6e-4 / 2.6e-3; Rprop 3.6e-3 / 4.0e-3 / 1.1e-2.

:func:`run_fig4` runs a tier (``"quick"``: seconds on one core; ``"full"``: the paper's scale, a GPU job)
and returns plain data plus a figure.  Caveat: the high-frequency target is not learned in the quick
tier's few hundred steps (every run stays near the loss of predicting the mean, about 0.013), so the quick
tier compares how the runs track each other early in training, not the reported test MSEs.  The helpers
paired runs are summarised by :func:`~unicomp.experiments._common.run_optimizers`, shared with the other
network experiments.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from scipy.special import jv
from torch import nn

from unicomp.experiments._common import (
    ExperimentResult,
    RunSettings,
    eval_epochs,
    mean_predictor_loss,
    moment_error,
    plot_runs,
    resolve_tier,
    run_optimizers,
)
from unicomp.numerics.networks import compress_mlp, count_parameters, neuron_objects, random_subnetwork
from unicomp.numerics.training import TrainData

__all__ = ["REPORTED_FIG4", "TIERS", "Fig4Config", "cylindrical_harmonic", "harmonic_data", "run_fig4"]

#: Reported final test MSE (original, compressed, naive) per optimizer (paper, Fig. 4).
REPORTED_FIG4: dict[str, tuple[float, float, float]] = {
    "sgd": (9.6e-3, 1.00e-2, 1.28e-2),
    "adam": (3.3e-4, 3.9e-4, 1.5e-3),
    "adamw": (4.0e-4, 4.6e-4, 2.6e-3),
    "rprop": (3.6e-3, 4.0e-3, 1.1e-2),
}


@dataclass(frozen=True, kw_only=True)
class Fig4Config(RunSettings):
    """Parameters of one Fig. 4 run (see :data:`TIERS`)."""

    n_train: int
    n_test: int
    width: int
    compressed_width: int
    degree: int
    epochs: int
    batch_size: int
    optimizers: Mapping[str, float] = field(
        default_factory=lambda: {"sgd": 1e-3, "adam": 1e-4, "adamw": 1e-4, "rprop": 1e-2}
    )
    noise: float = 0.2


#: ``quick``: about 4 s per seed on one core (width 2000 -> 400, so that d' = 3.2 N_{4,5}); ``full``: the
#: paper's scale (GPU).
TIERS: dict[str, Fig4Config] = {
    "quick": Fig4Config(
        n_train=2000, n_test=2000, width=2000, compressed_width=400, degree=5, epochs=8, batch_size=128,
        optimizers={"sgd": 5e-3, "adam": 1e-3, "adamw": 1e-3, "rprop": 1e-3}, eval_every=2, n_probe=200,
    ),
    "full": Fig4Config(
        n_train=100_000, n_test=100_000, width=10_000, compressed_width=1000, degree=5, epochs=3000,
        batch_size=512, eval_every=50, n_probe=2000,
    ),
}


def cylindrical_harmonic(x: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""The target :math:`J_6(20 r)\cos(6\theta)` at points ``x`` of shape (n, 2); returns shape (n,).

    Examples
    --------
    >>> import numpy as np
    >>> cylindrical_harmonic(np.array([[0.0, 0.0], [0.5, 0.0], [0.0, 0.5]])).round(6)
    array([ 0.      , -0.014459,  0.014459])
    """
    r = np.hypot(x[:, 0], x[:, 1])
    theta = np.arctan2(x[:, 1], x[:, 0])
    return jv(6, 20 * r) * np.cos(6 * theta)


def harmonic_data(n: int, *, noise: float, seed: int) -> TrainData:
    """``n`` uniform points of :math:`[-1,1]^2` with targets :func:`cylindrical_harmonic` + N(0, noise^2)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2))
    y = cylindrical_harmonic(x) + noise * rng.standard_normal(n)
    return TrainData(torch.as_tensor(x), torch.as_tensor(y[:, None]))


def _base_network(width: int, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, 1))


def run_fig4(tier: str = "quick", *, config: Fig4Config | None = None, **overrides: Any) -> ExperimentResult:
    """Run Fig. 4 at a tier (or a given config, with field ``overrides``); returns data and figure.

    ``data`` holds the config, the compression summary, parameter counts, per optimizer the
    :func:`~unicomp.experiments._common.paired_summary` of the three runs, the reported values, the
    :func:`~unicomp.experiments._common.moment_error` of the compressed network at initialisation and the
    test loss of predicting the mean (:func:`~unicomp.experiments._common.mean_predictor_loss`).
    """
    config = resolve_tier(TIERS, tier, config, overrides)
    start = time.perf_counter()
    data = harmonic_data(config.n_train, noise=config.noise, seed=config.seed)
    test = harmonic_data(config.n_test, noise=0.0, seed=config.seed + 1)
    net = _base_network(config.width, config.seed)
    compressed = compress_mlp(
        net, degree=config.degree, width=config.compressed_width, method=config.method, seed=config.seed
    )
    naive = random_subnetwork(net, config.compressed_width, seed=config.seed)
    compression = compressed.compression
    models = {"original": net, "compressed": compressed, "naive": naive}
    results = run_optimizers(
        models, data, test, test.inputs[: config.n_probe], config.optimizers,
        epochs=config.epochs, batch_size=config.batch_size, seed=config.seed, dtype=config.dtype,
        device=config.device, eval_epochs=eval_epochs(config.epochs, config.eval_every),
    )
    fig = plot_runs(results, title=lambda k: f"{k} (lr {config.optimizers[k]:g})")
    c = compressed.weights.detach().to("cpu", torch.float64).numpy()
    out = {
        "config": asdict(config),
        "compression": None if compression is None else compression.summary(),
        "parameters": {k: count_parameters(m) for k, m in models.items()},
        "plain_parameters": count_parameters(compressed.to_plain()),
        "runs": results,
        "reported": REPORTED_FIG4,
        "init_moment_error": moment_error(neuron_objects(net), compressed.neuron_objects(), c, config.degree),
        "mean_predictor_test_loss": mean_predictor_loss(test.targets),
        "seconds": time.perf_counter() - start,
    }
    return ExperimentResult(out, fig)
