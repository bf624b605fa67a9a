r"""What a training run works on and how: samples, configuration, optimisers, mini-batches, default loss.

Part of the paired-run API documented in :mod:`unicomp.numerics.training` (import from there).

* :class:`TrainData` -- inputs, targets and optional per-sample weights :math:`c_j \ge 0` (a compressed
  dataset), validated once.
* :class:`TrainConfig` -- optimiser by name, learning rate and its cosine decay, epochs, batch size, how
  sample weights enter, dtype, device, the mini-batch seed and the evaluation epochs, validated at
  construction.
* :data:`OPTIMIZERS` and :func:`make_optimizer` -- the torch optimisers accepted by name.
* :func:`batch_schedule` -- the mini-batches of one epoch, a function of ``(seed, epoch)`` only, so runs
  with the same configuration see identical batches.
* :func:`squared_error` -- the default per-sample loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.optim.optimizer import ParamsT

from unicomp.errors import InputError
from unicomp.numerics.torch_backend import DeviceLike
from unicomp.validation import as_int

__all__ = [
    "OPTIMIZERS",
    "Callback",
    "LossFn",
    "TrainConfig",
    "TrainData",
    "as_tensor",
    "batch_schedule",
    "make_optimizer",
    "squared_error",
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

#: ``loss(pred, target) -> (B,)``: per-sample losses of a batch.
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
#: ``fn(model) -> float``: a quantity recorded at the evaluation epochs.
Callback = Callable[[nn.Module], float]


def as_tensor(value: Any, name: str) -> torch.Tensor:
    """``value`` (a tensor, detached, or anything :func:`numpy.asarray` accepts) as a tensor.

    Raises
    ------
    InputError
        ``value`` cannot be converted; the message names ``name``.
    """
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
        x = as_tensor(self.inputs, "inputs")
        y = as_tensor(self.targets, "targets")
        if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
            raise InputError(
                f"inputs and targets must have the same positive number of rows, got {tuple(x.shape)} "
                f"and {tuple(y.shape)}"
            )
        object.__setattr__(self, "inputs", x)
        object.__setattr__(self, "targets", y)
        if self.weights is not None:
            w = as_tensor(self.weights, "weights").to(torch.float64)
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
        How sample weights enter (see :mod:`unicomp.numerics.training`).
    samples_per_epoch : int or None
        Samples drawn per epoch by the weighted sampler (default: the data size).
    cosine : bool
        Cosine decay of the learning rate to 0 over all steps.
    optimizer_kwargs : mapping
        Extra keyword arguments of the torch optimizer (``weight_decay``, ``momentum``, ``eps``, ...).
    dtype : {"float32", "float64"}
    device : str or torch.device
        ``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ... or a
        :class:`torch.device`; resolved by :func:`~unicomp.numerics.torch_backend.resolve_device` when a
        run starts.
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
    device: DeviceLike = "auto"
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
        if not isinstance(self.device, str | torch.device):
            raise InputError(f"device must be a string or a torch.device, got {self.device!r}")
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
    name: str, params: ParamsT, lr: float, **kwargs: Any
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
    ``range(n)``.  ``batch_size=None`` gives one batch.  The generator is
    ``numpy.random.default_rng([seed, epoch])``.
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
