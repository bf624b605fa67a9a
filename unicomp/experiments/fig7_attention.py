r"""Fig. 7: compressing attention heads -- in-context regression of random piecewise-linear functions.

Setting (paper, Sec. 6, Fig. 7; App. F): a task is a random continuous piecewise-linear function on
:math:`[0, 1]` with 16 equal segments, :math:`f(0) \sim N(0, 0.5^2)` and slopes :math:`\sim N(0, 1)`.  A
sequence holds 8 context pairs with noisy labels :math:`y_i = f(x_i) + N(0, 0.3^2)` and a query :math:`x_*`,
as the scalar tokens :math:`[x_1, y_1, \dots, x_8, y_8, x_*]`; the target is :math:`f(x_*)`.  The model is
one causal attention layer (:class:`~unicomp.numerics.attention.CausalAttention`) with 4000 heads of size 2,
no biases, read out at the last position; head objects have :math:`m = 8`.  The heads are compressed at
initialisation to 800 with :math:`k = 3` (:math:`N_{8,3} = 165`) and trained with Adam (lr 1e-4, batch
256, 50 epochs of 5 steps) alongside the original and a random 800-head subnetwork.  *Reported* test MSE
(original / compressed / naive): epoch 0: 0.267 / 0.260 / 0.303; epoch 10: 0.0719 / 0.0709 / 0.132;
epoch 50: 0.0665 / 0.0665 / 0.0698.

The training set is a fixed draw of ``steps_per_epoch * batch_size`` sequences (so an epoch is 5 steps),
shared by the three runs in the same order.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

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
from unicomp.numerics.attention import CausalAttention, compress_heads, random_heads
from unicomp.numerics.networks import count_parameters
from unicomp.numerics.training import TrainData

__all__ = ["REPORTED_FIG7", "TIERS", "Fig7Config", "piecewise_linear_tasks", "run_fig7"]

#: Reported test MSE (original, compressed, naive) at epochs 0, 10, 50 (paper, Fig. 7).
REPORTED_FIG7: dict[int, tuple[float, float, float]] = {
    0: (0.267, 0.260, 0.303),
    10: (0.0719, 0.0709, 0.132),
    50: (0.0665, 0.0665, 0.0698),
}


@dataclass(frozen=True, kw_only=True)
class Fig7Config(RunSettings):
    """Parameters of one Fig. 7 run (see :data:`TIERS`)."""

    heads: int
    compressed_heads: int
    degree: int
    epochs: int
    steps_per_epoch: int = 5
    batch_size: int = 256
    lr: float = 1e-4
    head_dim: int = 2
    context: int = 8
    segments: int = 16
    noise: float = 0.3
    n_test: int = 10_000
    eval_batch_size: int = 512


#: ``quick``: about 10 s per seed on one core -- 400 -> 100 heads at k = 2 (N_{8,2} = 45; k = 3 would need
#: 165 of the 400 heads), 8 epochs of 5 steps at lr 1e-3 instead of 1e-4 so that the short run learns;
#: ``full``: the paper's scale.
TIERS: dict[str, Fig7Config] = {
    "quick": Fig7Config(
        heads=400, compressed_heads=100, degree=2, epochs=8, lr=1e-3, n_test=500, n_probe=50, eval_every=2
    ),
    "full": Fig7Config(heads=4000, compressed_heads=800, degree=3, epochs=50),
}


def piecewise_linear_tasks(
    n: int, *, context: int = 8, segments: int = 16, noise: float = 0.3, seed: int = 0
) -> TrainData:
    r"""``n`` in-context regression sequences, tokens of shape (n, 2 context + 1, 1), targets (n, 1).

    Each sequence draws its own function: knots at :math:`j / \text{segments}`, :math:`f(0) \sim N(0, 0.5^2)`,
    slopes :math:`\sim N(0,1)`, :math:`f` linear in between; inputs uniform on [0, 1].

    Examples
    --------
    >>> d = piecewise_linear_tasks(4, seed=0)
    >>> tuple(d.inputs.shape), tuple(d.targets.shape)
    ((4, 17, 1), (4, 1))
    """
    rng = np.random.default_rng(seed)
    f0 = 0.5 * rng.standard_normal((n, 1))
    slopes = rng.standard_normal((n, segments))
    knots = np.concatenate([f0, f0 + np.cumsum(slopes / segments, axis=1)], axis=1)  # f at j / segments
    xs = rng.uniform(0, 1, size=(n, context + 1))
    pos = xs * segments
    seg = np.minimum(pos.astype(np.int64), segments - 1)
    values = np.take_along_axis(knots, seg, axis=1) + (pos - seg) * np.take_along_axis(slopes, seg, axis=1) / segments
    ys = values[:, :context] + noise * rng.standard_normal((n, context))
    tokens = np.empty((n, 2 * context + 1))
    tokens[:, 0 : 2 * context : 2] = xs[:, :context]
    tokens[:, 1 : 2 * context : 2] = ys
    tokens[:, -1] = xs[:, -1]
    return TrainData(torch.as_tensor(tokens[:, :, None]), torch.as_tensor(values[:, -1:]))


def run_fig7(tier: str = "quick", *, config: Fig7Config | None = None, **overrides: Any) -> ExperimentResult:
    """Run Fig. 7 at a tier (or a given config, with field ``overrides``); returns data and figure.

    ``data`` holds the config, the compression summary, parameter counts, the :func:`paired_summary
    <unicomp.experiments._common.paired_summary>` of the three Adam runs, the reported values, the
    :func:`~unicomp.experiments._common.moment_error` of the compressed heads at initialisation and the
    test loss of predicting the mean.
    """
    config = resolve_tier(TIERS, tier, config, overrides)
    start = time.perf_counter()
    data, test = (
        piecewise_linear_tasks(
            n, context=config.context, segments=config.segments, noise=config.noise, seed=config.seed + i
        )
        for i, n in enumerate((config.steps_per_epoch * config.batch_size, config.n_test))
    )
    torch.manual_seed(config.seed)
    layer = CausalAttention(1, config.heads, config.head_dim, 1, readout="last")
    compressed = compress_heads(
        layer, degree=config.degree, heads=config.compressed_heads, method=config.method, seed=config.seed
    )
    naive = random_heads(layer, config.compressed_heads, seed=config.seed)
    models = {"original": layer, "compressed": compressed, "naive": naive}
    results = run_optimizers(
        models, data, test, test.inputs[: config.n_probe], {"adam": config.lr},
        epochs=config.epochs, batch_size=config.batch_size, seed=config.seed, dtype=config.dtype,
        device=config.device, eval_batch_size=config.eval_batch_size,
        eval_epochs=eval_epochs(config.epochs, config.eval_every),
    )
    fig = plot_runs(results, title=lambda k: f"{config.heads} -> {config.compressed_heads} heads, k={config.degree}")
    comp = compressed.compression
    c = compressed.weights.detach().to("cpu", torch.float64).numpy()
    out = {
        "config": asdict(config),
        "compression": None if comp is None else comp.summary(),
        "parameters": {k: count_parameters(m) for k, m in models.items()},
        "runs": results,
        "reported": REPORTED_FIG7,
        "init_moment_error": moment_error(layer.head_objects(), compressed.head_objects(), c, config.degree),
        "mean_predictor_test_loss": mean_predictor_loss(test.targets),
        "seconds": time.perf_counter() - start,
    }
    return ExperimentResult(out, fig)
