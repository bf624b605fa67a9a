r"""Fig. 3: dataset compression on a teacher-student task -- the weighted 10% subset trains like the whole.

Setting (paper, Sec. 6, Fig. 3): a teacher :math:`f` is a two-layer ReLU network :math:`\mathbb{R}^2 \to \mathbb{R}`
of width 50 with every weight and bias drawn from :math:`U(-1, 1)`.  Training data are
:math:`(x, f(x) + \varepsilon)`, :math:`x \sim U([-1,1]^2)`, :math:`\varepsilon \sim N(0, 3^2)`; the objects
are the rows :math:`(x_1, x_2, y) \in \mathbb{R}^3`.  The :math:`n = 10^4` rows are compressed to
:math:`d' = 10^3` with :math:`k = 5` (:math:`N_{3,5} = 56`).  A student of the teacher's architecture
(PyTorch default initialisation) is trained three times from the same initialisation: on all the data
(*original*), on the weighted subset (*compressed*), and on the first :math:`d'` rows (*naive*), with
cosine learning-rate decay for 400 epochs; the test MSE is measured on :math:`10^5` noiseless points.

Mini-batches: full batch uses the exact (weighted) loss.  With batch 256 every run draws
:math:`n` samples per epoch with replacement -- the compressed run with probability proportional to its
weights, the naive run uniformly -- so the three runs take the same number of steps; the original run
takes a uniform permutation of its :math:`n` rows per epoch.

*Reported* final test MSE (original / compressed / naive): full-batch SGD lr 0.05: 0.0291 / 0.0315 / 0.126;
full-batch AdamW lr 0.01: 0.0171 / 0.0189 / 0.226; batch 256 SGD lr 0.01: 0.0153 / 0.0167 / 0.229; batch
256 Adam lr 1e-3: 0.0157 / 0.0172 / 0.270.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

from unicomp.experiments._common import (
    ExperimentResult,
    moment_error,
    paired_summary,
    plot_runs,
    resolve_tier,
    torch_threads,
)
from unicomp.numerics.compress import Method
from unicomp.numerics.datasets import WeightedDataset, compress_dataset
from unicomp.numerics.training import TrainConfig, TrainData, paired_runs

__all__ = [
    "PAPER_RUNS",
    "REPORTED_FIG3",
    "TIERS",
    "Fig3Config",
    "Fig3Run",
    "as_train_data",
    "dataset_moment_error",
    "make_teacher",
    "run_fig3",
    "student",
    "teacher_data",
    "weighted_train_data",
]


#: Reported final test MSE (original, compressed, naive) per training configuration (paper, Fig. 3).
REPORTED_FIG3: dict[str, tuple[float, float, float]] = {
    "full-batch SGD": (0.0291, 0.0315, 0.126),
    "full-batch AdamW": (0.0171, 0.0189, 0.226),
    "bs 256 SGD": (0.0153, 0.0167, 0.229),
    "bs 256 Adam": (0.0157, 0.0172, 0.270),
}


@dataclass(frozen=True)
class Fig3Run:
    """One training configuration: label, optimizer name, learning rate, batch size (``None`` = full)."""

    label: str
    optimizer: str
    lr: float
    batch_size: int | None


PAPER_RUNS = (
    Fig3Run("full-batch SGD", "sgd", 0.05, None),
    Fig3Run("full-batch AdamW", "adamw", 0.01, None),
    Fig3Run("bs 256 SGD", "sgd", 0.01, 256),
    Fig3Run("bs 256 Adam", "adam", 1e-3, 256),
)


@dataclass(frozen=True)
class Fig3Config:
    """Parameters of Fig. 3 (see :data:`TIERS`); ``subsets`` adds runs on that many uniformly random subsets of
    ``size`` rows (not in the paper: the spread of a subset's test MSE, which its one naive run cannot show)."""

    n_train: int = 10_000
    size: int = 1000
    degree: int = 5
    n_test: int = 100_000
    width: int = 50
    noise: float = 3.0
    epochs: int = 400
    runs: Sequence[Fig3Run] = PAPER_RUNS
    eval_every: int = 10
    seed: int = 0
    method: Method = "partition"
    device: str = "auto"
    threads: int | None = 1
    subsets: int = 0


#: ``quick``: the two full-batch configurations at the paper's 400 epochs, :math:`10^4` test points, 6 random
#: subsets (about 13 s of CPU; the batch-256 runs take 40 times the optimizer steps); ``full``: the paper's
#: scale, all four configurations, 8 random subsets.
TIERS: dict[str, Fig3Config] = {
    "quick": Fig3Config(n_test=10_000, eval_every=20, runs=PAPER_RUNS[:2], subsets=6),
    "full": Fig3Config(subsets=8),
}


def make_teacher(width: int = 50, seed: int = 0) -> nn.Sequential:
    """The teacher: a 2 -> ``width`` -> 1 ReLU network, every weight and bias from U(-1, 1)."""
    gen = torch.Generator().manual_seed(seed)
    net = nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, 1)).to(torch.float64)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(2 * torch.rand(p.shape, generator=gen, dtype=torch.float64) - 1)
    return net


def teacher_data(
    teacher: nn.Module, n: int, *, noise: float, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``n`` inputs uniform in :math:`[-1,1]^2` and targets ``teacher(x) + N(0, noise^2)``; shapes (n, 2), (n, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2))
    with torch.no_grad():
        y = teacher(torch.as_tensor(x)).numpy()
    return x, y + noise * rng.standard_normal((n, 1))


def student(width: int, seed: int) -> nn.Sequential:
    """The student: the teacher's architecture with PyTorch's default initialisation (seeded)."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, 1))


def as_train_data(
    x: NDArray[np.float64], y: NDArray[np.float64], weights: NDArray[np.float64] | None = None
) -> TrainData:
    """Arrays as :class:`~unicomp.numerics.training.TrainData` (optionally with sample weights)."""
    w = None if weights is None else torch.as_tensor(weights)
    return TrainData(torch.as_tensor(x), torch.as_tensor(y), w)


def weighted_train_data(ds: WeightedDataset) -> TrainData:
    """The weighted dataset as :class:`~unicomp.numerics.training.TrainData` (weights attached)."""
    return as_train_data(ds.inputs, ds.targets, ds.weights)


def run_fig3(tier: str = "quick", *, config: Fig3Config | None = None, **overrides: Any) -> ExperimentResult:
    """Run Fig. 3 at a tier (or a given config, with field ``overrides``); returns data and figure.

    ``data`` holds the config, the compression summary, per training configuration the
    :func:`~unicomp.experiments._common.paired_summary` of the runs (original, compressed, naive, and
    ``subsets`` uniformly random subsets of :math:`d'` rows named ``"subset 1"``, ...: the spread of a
    subset's test MSE, which one naive run cannot show), the final test MSEs with the ratios
    compressed/original and naive/original and the list of the random subsets' (``"subsets"``), and the
    reported values.  The figure shows the original, compressed and naive runs.

    Examples
    --------
    A toy run (the tiers are far larger):

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> tiny = dict(n_train=400, size=60, degree=2, n_test=500, epochs=2, eval_every=1, device="cpu")
    >>> result = run_fig3(config=Fig3Config(**tiny, runs=PAPER_RUNS[1:3]))
    >>> sorted(result.data["final_test_mse"])
    ['bs 256 SGD', 'full-batch AdamW']
    >>> sorted(result.data["final_test_mse"]["bs 256 SGD"])
    ['compressed', 'compressed/original', 'naive', 'naive/original', 'original', 'subsets']
    """
    config = resolve_tier(TIERS, tier, config, overrides)
    with torch_threads(config.threads):
        return _run(config)


def dataset_moment_error(x: ArrayLike, y: ArrayLike, ds: WeightedDataset, degree: int) -> float:
    """:func:`~unicomp.experiments._common.moment_error` of a compressed dataset's rows :math:`z = (x, y)`
    against the full data's, measured on the dataset as returned (whatever its compression reports)."""
    rows = np.column_stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)])
    kept = np.column_stack([ds.inputs, ds.targets])
    return moment_error(rows, kept, np.asarray(ds.weights, dtype=np.float64), degree)


def _run(config: Fig3Config) -> ExperimentResult:
    start = time.perf_counter()
    teacher = make_teacher(config.width, config.seed)
    x, y = teacher_data(teacher, config.n_train, noise=config.noise, seed=config.seed + 1)
    x_test, y_test = teacher_data(teacher, config.n_test, noise=0.0, seed=config.seed + 2)
    ds = compress_dataset(x, y, degree=config.degree, size=config.size, method=config.method, seed=config.seed)
    data = {
        "original": as_train_data(x, y),
        "compressed": weighted_train_data(ds),
        "naive": as_train_data(x[: config.size], y[: config.size], np.ones(config.size)),
    }
    rng = np.random.default_rng([config.seed, 3])
    subsets = [f"subset {r + 1}" for r in range(config.subsets)]
    for name in subsets:
        rows = rng.choice(config.n_train, size=config.size, replace=False)
        data[name] = as_train_data(x[rows], y[rows], np.ones(config.size))
    test = as_train_data(x_test, y_test)
    net = student(config.width, config.seed)
    eval_epochs = sorted({*range(0, config.epochs + 1, max(1, config.eval_every)), config.epochs})
    results: dict[str, dict[str, Any]] = {}
    for run in config.runs:
        cfg = TrainConfig(
            optimizer=run.optimizer,
            lr=run.lr,
            epochs=config.epochs,
            batch_size=run.batch_size,
            weighting="loss" if run.batch_size is None else "sampler",
            samples_per_epoch=config.n_train,
            seed=config.seed,
            device=config.device,
            eval_epochs=eval_epochs,
        )
        # Full batch: the naive run's unit weights make its loss the plain mean over its rows.
        results[run.label] = paired_summary(paired_runs(net, data, cfg, test=test))
    final = {}
    for label, summary in results.items():
        loss = summary["final_test_loss"]
        final[label] = {
            **{name: loss[name] for name in ("original", "compressed", "naive")},
            "compressed/original": loss["compressed"] / loss["original"],
            "naive/original": loss["naive"] / loss["original"],
            "subsets": [loss[name] for name in subsets],
        }
    lrs = {run.label: run.lr for run in config.runs}
    shown = {label: {**s, "test_loss": {n: s["test_loss"][n] for n in ("original", "compressed", "naive")}}
             for label, s in results.items()}
    fig = plot_runs(shown, title=lambda label: f"{label} (lr {lrs[label]:g})")
    out = {
        "config": asdict(config),
        "compression": ds.compression.summary(),
        "moment_error": dataset_moment_error(x, y, ds, config.degree),
        "runs": results,
        "final_test_mse": final,
        "reported": REPORTED_FIG3,
        "seconds": time.perf_counter() - start,
    }
    return ExperimentResult(out, fig)
