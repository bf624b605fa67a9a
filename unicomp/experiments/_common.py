"""What the experiment modules share: the result type, tier configurations, network-run settings and summaries.

Importing this module needs numpy only (torch and matplotlib are imported where they are used), so the
numpy-only experiments (Figs. 2, 6, 8) run without torch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from unicomp.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import torch
    from numpy.typing import NDArray
    from torch import nn

    from unicomp.numerics.training import PairedRuns, TrainData

__all__ = [
    "ExperimentResult",
    "RunSettings",
    "eval_epochs",
    "mean_predictor_loss",
    "moment_error",
    "paired_summary",
    "plot_runs",
    "resolve_tier",
    "run_optimizers",
    "torch_threads",
]

C = TypeVar("C")


def resolve_tier(tiers: Mapping[str, C], tier: str, config: C | None, overrides: Mapping[str, Any]) -> C:
    """``config`` (default: ``tiers[tier]``) with the dataclass fields in ``overrides`` replaced.

    Raises
    ------
    InputError
        For a tier name that is not in ``tiers`` or an override that is not a field of the configuration
        (the message lists the valid names).
    """
    if config is None:
        if tier not in tiers:
            raise InputError(f"tier must be one of {sorted(tiers)}, got {tier!r}")
        config = tiers[tier]
    names = {f.name for f in fields(config)}  # type: ignore[arg-type]
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise InputError(f"unknown configuration field(s) {unknown}; valid: {sorted(names)}")
    return replace(config, **overrides) if overrides else config  # type: ignore[type-var]


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run with ``threads`` torch intra-op threads (``None``: unchanged); the setting is restored on exit.

    The experiments' networks are tiny: one thread is fastest, and on a busy machine extra threads spin and
    cost far more CPU time than they save.
    """
    import torch

    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """Settings shared by the network experiments: evaluation, seed, compression method, precision, device."""

    eval_every: int = 1
    n_probe: int = 1000
    seed: int = 0
    method: str = "partition"
    dtype: Literal["float32", "float64"] = "float32"
    device: str = "auto"


@dataclass
class ExperimentResult:
    """Plain data (numpy arrays, floats, strings, nested dicts) and the matplotlib figure."""

    data: dict[str, Any]
    figure: Any


def paired_summary(runs: PairedRuns, reference: str = "original") -> dict[str, Any]:
    """Plain data of paired runs: losses per run, final test loss, relative function gap to ``reference``."""
    names = runs.names()
    first = runs[names[0]]
    has_probe = first.outputs.ndim >= 2
    return {
        "epochs": first.epochs,
        "test_loss": {n: runs[n].test_loss for n in names},
        "train_loss": {n: runs[n].train_loss for n in names},
        "final_test_loss": {n: float(runs[n].test_loss[-1]) for n in names},
        "relative_gap": {n: runs.gap(reference, n, relative=True) for n in names if n != reference}
        if has_probe
        else {},
        "seconds": {n: runs[n].seconds for n in names},
    }


def run_optimizers(
    models: Mapping[str, nn.Module],
    data: TrainData,
    test: TrainData,
    probe: torch.Tensor,
    optimizers: Mapping[str, float],
    **config: Any,
) -> dict[str, dict[str, Any]]:
    """:func:`~unicomp.numerics.training.paired_runs` of ``models`` for each ``optimizer -> lr``.

    Returns the :func:`paired_summary` of each optimizer's runs.
    """
    from unicomp.numerics.training import TrainConfig, paired_runs

    out: dict[str, dict[str, Any]] = {}
    for name, lr in optimizers.items():
        cfg = TrainConfig(optimizer=name, lr=lr, **config)
        out[name] = paired_summary(paired_runs(models, data, cfg, test=test, probe=probe))
    return out


def plot_runs(
    results: Mapping[str, Mapping[str, Any]],
    *,
    title: Callable[[str], str] = str,
    axes: Any = None,
) -> Any:
    """One panel per key of ``results`` (optimizer), test loss of every run against epochs; returns figure."""
    import matplotlib.pyplot as plt

    keys = list(results)
    if axes is None:
        fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.2), squeeze=False)
        axes = axes[0]
    else:
        fig = axes[0].figure
    for ax, key in zip(axes, keys, strict=True):
        summary = results[key]
        for run, losses in summary["test_loss"].items():
            ax.plot(summary["epochs"], losses, label=run)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("test MSE")
        ax.set_title(title(key))
        ax.legend()
    fig.tight_layout()
    return fig


def eval_epochs(epochs: int, every: int) -> list[int]:
    """Epochs ``0, every, 2 every, ...`` and the last one."""
    return sorted({*range(0, epochs + 1, max(1, every)), epochs})


def mean_predictor_loss(targets: torch.Tensor) -> float:
    r"""Mean squared error of predicting the targets' mean, :math:`\operatorname{mean}(y - \bar y)^2`.

    >>> import torch
    >>> mean_predictor_loss(torch.tensor([[1.0], [3.0]]))
    1.0
    """
    import torch

    y = targets.detach().to("cpu", torch.float64)
    return float(torch.mean((y - y.mean(dim=0)) ** 2))


def moment_error(
    objects: NDArray[np.float64], kept: NDArray[np.float64], weights: NDArray[np.float64], degree: int
) -> float:
    r"""How far weighted objects are from carrying every moment of degree :math:`\le k` of ``objects``.

    .. math:: \max_e \Bigl|\sum_j c_j \Phi_e(\theta'_j) - \sum_i \Phi_e(\theta_i)\Bigr| \Big/ d,

    with :math:`\Phi_e` the Chebyshev basis of :math:`\Pi_k` on the bounding box of ``objects`` (each
    feature lies in :math:`[-1, 1]` there, so this is a scale-free accuracy, 0 for an exact compression).
    It is measured on the modules themselves (objects and weights as trained), whatever their compression
    reports.

    >>> import numpy as np
    >>> pts = np.array([[0.0], [1.0], [2.0]])
    >>> moment_error(pts, np.array([[0.0], [2.0]]), np.array([1.5, 1.5]), 1)
    0.0
    >>> round(moment_error(pts, np.array([[0.0], [2.0]]), np.array([1.5, 1.5]), 2), 3)
    0.667
    """
    import numpy as np

    from unicomp.numerics.basis import ChebyshevBasis

    basis = ChebyshevBasis.fit(objects, degree)
    target = basis(objects).sum(axis=0)
    return float(np.max(np.abs(weights @ basis(kept) - target)) / objects.shape[0])
