r"""One training run: the loop of :func:`train` and the :class:`Trajectory` it records.

Part of the paired-run API documented in :mod:`unicomp.numerics.training` (import from there).

Each epoch takes its mini-batches from :func:`~unicomp.numerics.train_config.batch_schedule`; each step
computes per-sample losses, reduces them to a mean (``weighting="loss"`` with sample weights: the weighted
mean :math:`\sum_{j \in B} c_j \ell_j / \sum_{j \in B} c_j`), takes one optimiser step and one step of
the learning-rate schedule

.. math:: \eta_s = \tfrac{\eta}{2}\bigl(1 + \cos(\pi \min(s, S) / S)\bigr), \qquad s = 0, 1, \dots, S,

over the :math:`S` steps of the whole run (``cosine=True``; else :math:`\eta_s = \eta`).  At the
evaluation epochs the whole training and test sets, the probe outputs and the callbacks are evaluated
under ``no_grad`` in eval mode.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

from unicomp.errors import InputError
from unicomp.numerics.datasets import weighted_mean
from unicomp.numerics.torch_backend import resolve_device
from unicomp.numerics.train_config import (
    Callback,
    LossFn,
    TrainConfig,
    TrainData,
    as_tensor,
    batch_schedule,
    make_optimizer,
    squared_error,
)

__all__ = ["Trajectory", "train"]


@dataclass(frozen=True)
class Trajectory:
    """What one training run did, as plain numpy data.

    Attributes
    ----------
    name : str
    epochs : ndarray, shape (E,)
        The evaluation epochs (0 = before training).
    train_loss : ndarray, shape (epochs,)
        Mean batch loss of each epoch.
    eval_train_loss : ndarray, shape (E,)
        (Weighted) mean loss on the whole training set at each evaluation epoch.
    test_loss : ndarray, shape (E,)
        The same on the test set (NaN without one).
    outputs : ndarray, shape (E, P, ...)
        Outputs on the probe inputs (shape (0,) without a probe).
    metrics : mapping of str to ndarray, shape (E,)
        The callbacks' values.
    seconds : float
        Wall time of the run.
    """

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

    def trajectory(
        self, name: str, epochs: NDArray[np.int64], train_loss: NDArray[np.float64], seconds: float
    ) -> Trajectory:
        """The recorded values as a :class:`Trajectory`."""
        return Trajectory(
            name=name,
            epochs=epochs,
            train_loss=train_loss,
            eval_train_loss=np.asarray(self.train),
            test_loss=np.asarray(self.tests),
            outputs=np.stack(self.outputs) if self.outputs else np.zeros((0,)),
            metrics={k: np.asarray(v) for k, v in self.metrics.items()},
            seconds=seconds,
        )


def _steps(
    data: TrainData, config: TrainConfig, weights_np: NDArray[np.float64] | None
) -> Iterator[list[NDArray[np.int64]]]:
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


def _cosine_schedule(optimizer: torch.optim.Optimizer, total: int, cosine: bool) -> torch.optim.lr_scheduler.LambdaLR:
    """The learning-rate factor :math:`\\tfrac12(1 + \\cos(\\pi \\min(s, S) / S))` (or 1) at step ``s``."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)) if cosine else 1.0
    )


def _epoch(
    model: nn.Module,
    data: TrainData,
    batches: list[NDArray[np.int64]],
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LambdaLR,
    use_loss_weights: bool,
) -> float:
    """One epoch of optimiser steps on ``data`` (already on the model's device); its mean batch loss."""
    epoch_sum = 0.0
    for batch in batches:
        idx = torch.as_tensor(batch, device=data.inputs.device)
        losses = loss_fn(model(data.inputs[idx]), data.targets[idx])
        w = data.weights[idx] if use_loss_weights and data.weights is not None else None
        loss = losses.mean() if w is None else weighted_mean(losses, w)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        epoch_sum += float(loss.detach())
    return epoch_sum / len(batches)


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
    probe_d = None if probe is None else as_tensor(probe, "probe").to(device=device, dtype=dtype)
    loss_fn = config.loss if config.loss is not None else squared_error
    evaluator = _Evaluator(data_d, test_d, probe_d, callbacks or {}, loss_fn, config.eval_batch_size)
    weights_np = None if data.weights is None else data.weights.cpu().numpy().astype(np.float64)
    use_loss_weights = config.weighting == "loss" and data_d.weights is not None

    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, **config.optimizer_kwargs)
    total = max(1, config.epochs * _num_batches(len(data), config, weights_np is not None))
    schedule = _cosine_schedule(optimizer, total, config.cosine)
    eval_at = set(config.evaluation_epochs().tolist())
    train_loss = np.zeros(config.epochs)
    start = time.perf_counter()
    model.train()
    if 0 in eval_at:
        evaluator(model)
    for epoch, batches in enumerate(_steps(data, config, weights_np)):
        train_loss[epoch] = _epoch(model, data_d, batches, loss_fn, optimizer, schedule, use_loss_weights)
        if epoch + 1 in eval_at:
            evaluator(model)
    return evaluator.trajectory(name, config.evaluation_epochs(), train_loss, time.perf_counter() - start)
