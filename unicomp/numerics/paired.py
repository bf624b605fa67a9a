r"""Paired runs: several models trained with one configuration, compared in function space, and plotted.

Part of the paired-run API documented in :mod:`unicomp.numerics.training` (import from there).

:func:`paired_runs` deep-copies each model (so the inputs are never modified and one module can start every
run from the same initialisation) and trains every copy with :func:`~unicomp.numerics.train_loop.train`
under the same :class:`~unicomp.numerics.train_config.TrainConfig`, hence the same mini-batch sequence.
:class:`PairedRuns` holds the trajectories and the trained modules; :meth:`PairedRuns.gap` is the
function-space distance of two runs on the probe inputs :math:`x_1, \dots, x_P`,

.. math:: \operatorname{gap}_{a,b}(e) = \Bigl(\frac1P \sum_{p=1}^{P} \bigl(f_a^{(e)}(x_p) - f_b^{(e)}(x_p)\bigr)^2
          \Bigr)^{1/2}

at each evaluation epoch :math:`e` (the mean also runs over the output coordinates).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

from unicomp.errors import InputError
from unicomp.numerics.train_config import Callback, TrainConfig, TrainData
from unicomp.numerics.train_loop import Trajectory, train

__all__ = ["PairedRuns", "paired_runs", "plot_trajectories"]


@dataclass
class PairedRuns:
    """Trajectories of runs that shared initialisation and batch seed, keyed by run name.

    ``models`` holds the trained modules (not plain data; drop them before pickling results).
    """

    trajectories: dict[str, Trajectory]
    models: dict[str, nn.Module]

    def __getitem__(self, name: str) -> Trajectory:
        return self.trajectories[name]

    def names(self) -> list[str]:
        """Run names in insertion order."""
        return list(self.trajectories)

    def gap(self, a: str, b: str, *, relative: bool = False) -> NDArray[np.float64]:
        r"""Function-space gap between runs ``a`` and ``b`` at each evaluation epoch, shape (E,).

        :math:`\sqrt{\operatorname{mean}_p (f_a(x_p) - f_b(x_p))^2}` over the probe inputs, divided by the
        RMS of :math:`f_a` when ``relative``.  Needs ``probe`` to have been given.
        """
        oa, ob = self.trajectories[a].outputs, self.trajectories[b].outputs
        if oa.ndim < 2 or ob.shape != oa.shape:
            raise InputError("gap needs probe outputs recorded for both runs (pass probe= to paired_runs)")
        axes = tuple(range(1, oa.ndim))
        rms = np.sqrt(np.mean((oa - ob) ** 2, axis=axes))
        return rms / np.sqrt(np.mean(oa**2, axis=axes)) if relative else rms

    def to_dict(self) -> dict[str, Any]:
        """Plain-data view of every trajectory."""
        return {k: t.to_dict() for k, t in self.trajectories.items()}


def paired_runs(
    models: nn.Module | Mapping[str, nn.Module],
    data: TrainData | Mapping[str, TrainData],
    config: TrainConfig,
    *,
    test: TrainData | None = None,
    probe: ArrayLike | torch.Tensor | None = None,
    callbacks: Mapping[str, Callback] | None = None,
) -> PairedRuns:
    """Train several runs with the same configuration (and so the same mini-batch order).

    Parameters
    ----------
    models : nn.Module or mapping of str to nn.Module
        One module is deep-copied for every data set (dataset compression); a mapping gives one run per
        entry (network compression).  Inputs are deep-copied, never modified.
    data : TrainData or mapping of str to TrainData
        One data set shared by every model, or one per run (same keys as ``models`` when both are mappings).
    config, test, probe, callbacks
        As in :func:`~unicomp.numerics.train_loop.train`.

    Returns
    -------
    PairedRuns
    """
    if isinstance(models, nn.Module) and isinstance(data, Mapping):
        model_map: Mapping[str, nn.Module] = {k: models for k in data}
    elif isinstance(models, Mapping):
        model_map = models
    else:
        raise InputError("give models as a mapping, or one module together with a mapping of data sets")
    if isinstance(data, Mapping) and set(data) != set(model_map):
        raise InputError(f"data keys {sorted(data)} differ from model keys {sorted(model_map)}")
    runs: dict[str, Trajectory] = {}
    trained: dict[str, nn.Module] = {}
    for key, module in model_map.items():
        run_data = data[key] if isinstance(data, Mapping) else data
        trained[key] = copy.deepcopy(module)
        runs[key] = train(
            trained[key], run_data, config, test=test, probe=probe, callbacks=callbacks, name=key
        )
    return PairedRuns(runs, trained)


def plot_trajectories(
    runs: PairedRuns | Mapping[str, Trajectory], *, key: str = "test_loss", ax: Any = None, logy: bool = True
) -> Any:
    """Plot one recorded quantity of every run against epochs; returns the axes.

    ``key`` is ``"test_loss"``, ``"eval_train_loss"``, ``"train_loss"`` (per epoch) or a callback name.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    trajectories = runs.trajectories if isinstance(runs, PairedRuns) else runs
    for name, traj in trajectories.items():
        if key == "train_loss":
            xs, ys = np.arange(1, traj.train_loss.shape[0] + 1), traj.train_loss
        elif key in traj.metrics:
            xs, ys = traj.epochs, traj.metrics[key]
        elif key in ("test_loss", "eval_train_loss"):
            xs, ys = traj.epochs, getattr(traj, key)
        else:
            raise InputError(f"key must be a recorded loss or callback name, got {key!r}")
        ax.plot(xs, ys, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    ax.legend()
    return ax
