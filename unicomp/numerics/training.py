r"""Paired training runs: same initialisation, same mini-batch sequence, trajectories as plain data.

The dynamical lottery ticket hypothesis (paper, Sec. 3, Thm 5) and dataset compression (Sec. 4) are both
statements about *pairs* of training runs -- an original and a compressed one (and a naive baseline) -- that
start from the same parameters and see the same sequence of mini-batches.  This module runs such pairs and
returns what happened as numpy arrays, so that ``paper_checks/`` and the experiments can compare them.

API
---
:class:`TrainData` ``(inputs, targets, weights=None)``
    Training (or test) samples; ``weights`` are per-sample weights :math:`c_j \ge 0` of a compressed dataset.
:class:`TrainConfig` ``(optimizer="sgd", lr=1e-3, epochs=10, batch_size=None, ...)``
    Optimizer by name (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``, ``"rprop"``), cosine decay of the
    learning rate to 0 over all steps, float32/float64, device (``"auto"`` = CUDA when available), the
    mini-batch seed, how sample weights enter (``weighting``), and at which epochs to evaluate.
:func:`train` ``(model, data, config, *, test=None, probe=None, callbacks=None, name="run") -> Trajectory``
    Trains ``model`` in place (after moving it to the configured device and dtype).
:func:`paired_runs` ``(models, data, config, *, test=None, probe=None, callbacks=None) -> PairedRuns``
    ``models``: one module (deep-copied for each run, so every run starts from the same initialisation) or a
    mapping name -> module; ``data``: one :class:`TrainData` shared by every run, or a mapping name -> data
    (dataset compression).  Every run uses the same ``config`` and hence the same batch seed.
:class:`Trajectory`
    ``epochs`` (E,) evaluation epochs; ``train_loss`` (epochs,) mean batch loss of each epoch;
    ``eval_train_loss`` (E,) loss on the whole training set; ``test_loss`` (E,) (NaN without ``test``);
    ``outputs`` (E, P, ...) outputs on the probe inputs (empty without ``probe``); ``metrics`` name -> (E,)
    from ``callbacks``; ``seconds``.
:meth:`PairedRuns.gap` ``(a, b, relative=False) -> (E,)``
    Function-space gap :math:`\sqrt{\operatorname{mean}_p (f_a(x_p) - f_b(x_p))^2}` at each evaluation epoch.
:func:`plot_trajectories` ``(runs, key="test_loss", ax=None) -> Axes``
    One quantity of every run against the epoch.

Mini-batches
------------
Epoch :math:`e` of every run draws its order from ``numpy.random.default_rng([seed, e])``, so runs on the same
data see identical batches.  With ``batch_size=None`` each epoch is one full-batch step.  Sample weights
enter in one of two ways (``weighting``):

* ``"loss"`` -- batches follow a uniform permutation and each batch loss is the weighted mean
  :math:`\sum_{j \in B} c_j \ell_j / \sum_{j \in B} c_j` (full batch: the exact weighted loss of Sec. 3.2);
* ``"sampler"`` -- each epoch draws ``samples_per_epoch`` indices with replacement, with probability
  proportional to :math:`c_j`, and the batch loss is the plain mean.

Notes
-----
The learning rate at step :math:`s` of :math:`S` is :math:`\eta_s = \tfrac{\eta}{2}(1 + \cos(\pi s / S))`
(``cosine=True``).  Nothing here is specific to compression: the 1/c gradient rule of compressed networks
lives inside the weighted modules of :mod:`unicomp.numerics.networks`, so any optimizer built here follows
the compressed dynamics by itself.

Examples
--------
>>> import torch
>>> from unicomp.numerics.training import TrainConfig, TrainData, paired_runs
>>> torch.manual_seed(0)  # doctest: +ELLIPSIS
<torch._C.Generator object at ...>
>>> x = torch.linspace(-1, 1, 64)[:, None]
>>> data = TrainData(x, torch.sin(3 * x))
>>> net = torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
>>> cfg = TrainConfig(optimizer="adam", lr=1e-2, epochs=5, batch_size=16, device="cpu")
>>> runs = paired_runs({"a": net, "b": net}, data, cfg, probe=x)
>>> runs["a"].train_loss.shape, float(runs.gap("a", "b")[-1])
((5,), 0.0)
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

from unicomp.errors import InputError
from unicomp.numerics.datasets import weighted_mean
from unicomp.numerics.torch_backend import resolve_device
from unicomp.validation import as_int

__all__ = [
    "OPTIMIZERS",
    "PairedRuns",
    "TrainConfig",
    "TrainData",
    "Trajectory",
    "batch_schedule",
    "make_optimizer",
    "paired_runs",
    "plot_trajectories",
    "resolve_device",
    "squared_error",
    "train",
]

#: Optimizers accepted by name (lower case) and their torch classes.
OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "rprop": torch.optim.Rprop,
}

_DTYPES = {"float32": torch.float32, "float64": torch.float64}

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Callback = Callable[[nn.Module], float]


def _as_tensor(value: Any, name: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach()
    try:
        return torch.as_tensor(np.asarray(value))
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InputError(f"{name} must be a tensor or array: {exc}") from None


@dataclass(frozen=True)
class TrainData:
    """Samples for training or testing, with optional per-sample weights.

    Parameters
    ----------
    inputs : tensor or array_like, shape (n, ...)
    targets : tensor or array_like, shape (n, ...)
    weights : tensor or array_like, shape (n,), optional
        Non-negative sample weights :math:`c_j` (a compressed dataset); ``None`` means all ones.
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    weights: torch.Tensor | None = None

    def __post_init__(self) -> None:
        x = _as_tensor(self.inputs, "inputs")
        y = _as_tensor(self.targets, "targets")
        if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
            raise InputError(
                f"inputs and targets must have the same positive number of rows, got {tuple(x.shape)} "
                f"and {tuple(y.shape)}"
            )
        object.__setattr__(self, "inputs", x)
        object.__setattr__(self, "targets", y)
        if self.weights is not None:
            w = _as_tensor(self.weights, "weights").to(torch.float64)
            if w.shape != (x.shape[0],):
                raise InputError(f"weights must have shape ({x.shape[0]},), got {tuple(w.shape)}")
            if not bool(torch.all(torch.isfinite(w))) or bool(torch.any(w < 0)) or not bool(torch.any(w > 0)):
                raise InputError("weights must be finite, non-negative and not all zero")
            object.__setattr__(self, "weights", w)

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    def to(self, device: torch.device, dtype: torch.dtype) -> TrainData:
        """Copy onto ``device``; floating tensors (and the weights) take ``dtype``."""

        def move(t: torch.Tensor) -> torch.Tensor:
            return t.to(device=device, dtype=dtype if t.is_floating_point() else t.dtype)

        w = None if self.weights is None else self.weights.to(device=device, dtype=dtype)
        return TrainData(move(self.inputs), move(self.targets), w)


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimizer, schedule, batches, precision, device and evaluation epochs.

    Parameters
    ----------
    optimizer : {"sgd", "adam", "adamw", "rmsprop", "rprop"}
    lr : float
        Initial learning rate.
    epochs : int
    batch_size : int or None
        ``None`` = full batch (one step per epoch).
    weighting : {"loss", "sampler"}
        How sample weights enter (see the module notes).
    samples_per_epoch : int or None
        Samples drawn per epoch by the weighted sampler (default: the data size).
    cosine : bool
        Cosine decay of the learning rate to 0 over all steps.
    optimizer_kwargs : mapping
        Extra keyword arguments of the torch optimizer (``weight_decay``, ``momentum``, ``eps``, ...).
    dtype : {"float32", "float64"}
    device : str
        ``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...
    seed : int
        Seed of the mini-batch order (shared by every run of a pair).
    eval_epochs : sequence of int or None
        Epochs (0 = before training) at which to evaluate; ``None`` = every epoch ``0..epochs``.
    loss : callable or None
        ``loss(pred, target) -> (B,)`` per-sample losses; ``None`` = squared error averaged over the
        non-batch dimensions.
    eval_batch_size : int
        Rows per forward pass when evaluating whole data sets (memory only; results do not depend on it).
    """

    optimizer: str = "sgd"
    lr: float = 1e-3
    epochs: int = 10
    batch_size: int | None = None
    weighting: Literal["loss", "sampler"] = "loss"
    samples_per_epoch: int | None = None
    cosine: bool = True
    optimizer_kwargs: Mapping[str, Any] = field(default_factory=dict)
    dtype: Literal["float32", "float64"] = "float32"
    device: str = "auto"
    seed: int = 0
    eval_epochs: Sequence[int] | None = None
    loss: LossFn | None = None
    eval_batch_size: int = 16384

    def __post_init__(self) -> None:
        if self.optimizer.lower() not in OPTIMIZERS:
            raise InputError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {self.optimizer!r}")
        if not (isinstance(self.lr, int | float) and self.lr > 0 and math.isfinite(self.lr)):
            raise InputError(f"lr must be a positive finite number, got {self.lr!r}")
        as_int(self.epochs, "epochs", minimum=0)
        as_int(self.eval_batch_size, "eval_batch_size", minimum=1)
        for name in ("batch_size", "samples_per_epoch"):
            value = getattr(self, name)
            if value is not None:
                as_int(value, name, minimum=1)
        if self.weighting not in ("loss", "sampler"):
            raise InputError(f"weighting must be 'loss' or 'sampler', got {self.weighting!r}")
        if self.dtype not in _DTYPES:
            raise InputError(f"dtype must be one of {sorted(_DTYPES)}, got {self.dtype!r}")
        for e in self.eval_epochs or ():
            as_int(e, "eval_epochs entry", minimum=0, maximum=self.epochs)

    @property
    def torch_dtype(self) -> torch.dtype:
        """The torch dtype named by ``dtype``."""
        return _DTYPES[self.dtype]

    def evaluation_epochs(self) -> NDArray[np.int64]:
        """Sorted unique evaluation epochs."""
        epochs = range(self.epochs + 1) if self.eval_epochs is None else self.eval_epochs
        return np.unique(np.asarray(list(epochs), dtype=np.int64))


def make_optimizer(
    name: str, params: Any, lr: float, **kwargs: Any
) -> torch.optim.Optimizer:
    """A torch optimizer by (case-insensitive) name; see :data:`OPTIMIZERS`."""
    key = name.lower()
    if key not in OPTIMIZERS:
        raise InputError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    cls: Any = OPTIMIZERS[key]
    return cls(params, lr=lr, **kwargs)


def batch_schedule(
    n: int,
    epoch: int,
    *,
    batch_size: int | None,
    seed: int,
    weights: NDArray[np.float64] | None = None,
    samples_per_epoch: int | None = None,
) -> list[NDArray[np.int64]]:
    """The mini-batches (row indices) of one epoch; identical for every run with the same arguments.

    With ``weights`` (the sampler mode) the epoch draws ``samples_per_epoch`` (default ``n``) indices with
    replacement, with probability proportional to ``weights``; otherwise it is a uniform permutation of
    ``range(n)``.  ``batch_size=None`` gives one batch.
    """
    rng = np.random.default_rng([seed, epoch])
    if weights is None:
        order = rng.permutation(n)
    else:
        count = n if samples_per_epoch is None else samples_per_epoch
        order = rng.choice(n, size=count, replace=True, p=weights / weights.sum())
    size = order.shape[0] if batch_size is None else batch_size
    return [order[i : i + size] for i in range(0, order.shape[0], size)]


def squared_error(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample squared error averaged over the output coordinates, shape (B,) (the default loss)."""
    diff = (pred - target.reshape(pred.shape)) ** 2
    return diff.reshape(diff.shape[0], -1).mean(dim=1)


@dataclass(frozen=True)
class Trajectory:
    """What one training run did, as plain numpy data (see the module docstring for the fields)."""

    name: str
    epochs: NDArray[np.int64]
    train_loss: NDArray[np.float64]
    eval_train_loss: NDArray[np.float64]
    test_loss: NDArray[np.float64]
    outputs: NDArray[np.float64]
    metrics: Mapping[str, NDArray[np.float64]]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-data view."""
        return {
            "name": self.name,
            "epochs": self.epochs,
            "train_loss": self.train_loss,
            "eval_train_loss": self.eval_train_loss,
            "test_loss": self.test_loss,
            "metrics": dict(self.metrics),
            "seconds": self.seconds,
        }


class _Evaluator:
    """Records losses, probe outputs and callback values at the evaluation epochs."""

    def __init__(
        self,
        data: TrainData,
        test: TrainData | None,
        probe: torch.Tensor | None,
        callbacks: Mapping[str, Callback],
        loss: LossFn,
        chunk: int,
    ) -> None:
        self.data, self.test, self.probe, self.callbacks, self.loss = data, test, probe, callbacks, loss
        self.chunk = chunk
        self.train: list[float] = []
        self.tests: list[float] = []
        self.outputs: list[NDArray[np.float64]] = []
        self.metrics: dict[str, list[float]] = {k: [] for k in callbacks}

    def _dataset_loss(self, model: nn.Module, data: TrainData) -> float:
        total, mass = 0.0, 0.0
        for i in range(0, len(data), self.chunk):
            sl = slice(i, i + self.chunk)
            losses = self.loss(model(data.inputs[sl]), data.targets[sl]).to(torch.float64)
            w = torch.ones_like(losses) if data.weights is None else data.weights[sl].to(torch.float64)
            total += float((w * losses).sum())
            mass += float(w.sum())
        return total / mass

    @torch.no_grad()
    def __call__(self, model: nn.Module) -> None:
        model.eval()
        self.train.append(self._dataset_loss(model, self.data))
        self.tests.append(math.nan if self.test is None else self._dataset_loss(model, self.test))
        if self.probe is not None:
            chunks = range(0, len(self.probe), self.chunk)
            out = torch.cat([model(self.probe[i : i + self.chunk]) for i in chunks])
            self.outputs.append(out.detach().to("cpu", torch.float64).numpy())
        for key, fn in self.callbacks.items():
            self.metrics[key].append(float(fn(model)))
        model.train()


def _steps(data: TrainData, config: TrainConfig, weights_np: NDArray[np.float64] | None) -> Iterator[Any]:
    sampler = config.weighting == "sampler" and weights_np is not None
    for epoch in range(config.epochs):
        yield batch_schedule(
            len(data),
            epoch,
            batch_size=config.batch_size,
            seed=config.seed,
            weights=weights_np if sampler else None,
            samples_per_epoch=config.samples_per_epoch,
        )


def _num_batches(n: int, config: TrainConfig, weighted_sampler: bool) -> int:
    count = config.samples_per_epoch if (weighted_sampler and config.samples_per_epoch) else n
    return 1 if config.batch_size is None else math.ceil(count / config.batch_size)


def train(
    model: nn.Module,
    data: TrainData,
    config: TrainConfig,
    *,
    test: TrainData | None = None,
    probe: ArrayLike | torch.Tensor | None = None,
    callbacks: Mapping[str, Callback] | None = None,
    name: str = "run",
) -> Trajectory:
    """Train ``model`` in place and record its trajectory.

    Parameters
    ----------
    model : nn.Module
        Moved to ``config``'s device and dtype (in place, as :meth:`nn.Module.to` does).
    data : TrainData
        Training samples (optionally weighted).
    config : TrainConfig
    test : TrainData, optional
        Test samples; their (weighted) mean loss is recorded at the evaluation epochs.
    probe : tensor or array_like, shape (P, ...), optional
        Inputs whose outputs are recorded at the evaluation epochs (for function-space gaps).
    callbacks : mapping of str to callable, optional
        ``fn(model) -> float`` evaluated (under ``no_grad``) at the evaluation epochs.
    name : str

    Returns
    -------
    Trajectory
    """
    if not isinstance(model, nn.Module):
        raise InputError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(data, TrainData) or (test is not None and not isinstance(test, TrainData)):
        raise InputError("data and test must be TrainData instances")
    device, dtype = resolve_device(config.device), config.torch_dtype
    model.to(device=device, dtype=dtype)
    data_d = data.to(device, dtype)
    test_d = None if test is None else test.to(device, dtype)
    probe_d = None if probe is None else _as_tensor(probe, "probe").to(device=device, dtype=dtype)
    loss_fn = config.loss if config.loss is not None else squared_error
    evaluator = _Evaluator(data_d, test_d, probe_d, callbacks or {}, loss_fn, config.eval_batch_size)
    weights_np = None if data.weights is None else data.weights.cpu().numpy().astype(np.float64)
    use_loss_weights = config.weighting == "loss" and data_d.weights is not None

    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, **config.optimizer_kwargs)
    total = max(1, config.epochs * _num_batches(len(data), config, weights_np is not None))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)) if config.cosine else 1.0
    )
    eval_at = set(config.evaluation_epochs().tolist())
    train_loss = np.zeros(config.epochs)
    start = time.perf_counter()
    model.train()
    if 0 in eval_at:
        evaluator(model)
    for epoch, batches in enumerate(_steps(data, config, weights_np)):
        epoch_sum = 0.0
        for batch in batches:
            idx = torch.as_tensor(batch, device=device)
            losses = loss_fn(model(data_d.inputs[idx]), data_d.targets[idx])
            w = data_d.weights[idx] if use_loss_weights and data_d.weights is not None else None
            loss = losses.mean() if w is None else weighted_mean(losses, w)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            epoch_sum += float(loss.detach())
        train_loss[epoch] = epoch_sum / len(batches)
        if epoch + 1 in eval_at:
            evaluator(model)
    seconds = time.perf_counter() - start
    return Trajectory(
        name=name,
        epochs=config.evaluation_epochs(),
        train_loss=train_loss,
        eval_train_loss=np.asarray(evaluator.train),
        test_loss=np.asarray(evaluator.tests),
        outputs=np.stack(evaluator.outputs) if evaluator.outputs else np.zeros((0,)),
        metrics={k: np.asarray(v) for k, v in evaluator.metrics.items()},
        seconds=seconds,
    )


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
        As in :func:`train`.

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
