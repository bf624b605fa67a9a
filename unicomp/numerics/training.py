r"""Paired training runs: same initialisation, same mini-batch sequence, trajectories as plain data.

The dynamical lottery ticket hypothesis (paper, Sec. 3, Thm 5) and dataset compression (Sec. 4) are both
statements about *pairs* of training runs -- an original and a compressed one (and a naive baseline) -- that
start from the same parameters and see the same sequence of mini-batches.  This module runs such pairs and
returns what happened as numpy arrays, so that ``paper_checks/`` and the experiments can compare them.

It is the public face of three modules, one job each, and every name below is imported from here:
:mod:`~unicomp.numerics.train_config` (samples, configuration, optimisers, mini-batches, the default loss),
:mod:`~unicomp.numerics.train_loop` (one run and its trajectory) and :mod:`~unicomp.numerics.paired`
(paired runs, their gaps and plots).

API
---
:class:`TrainData` ``(inputs, targets, weights=None)``
    Training (or test) samples; ``weights`` are per-sample weights :math:`c_j \ge 0` of a compressed dataset.
:class:`TrainConfig` ``(optimizer="sgd", lr=1e-3, epochs=10, batch_size=None, ...)``
    Optimizer by name (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``, ``"rprop"``), cosine decay of the
    learning rate to 0 over all steps, float32/float64, device (``"auto"`` = CUDA when available, see
    :func:`resolve_device`), the mini-batch seed, how sample weights enter (``weighting``), and at which
    epochs to evaluate.
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

from unicomp.numerics.paired import PairedRuns, paired_runs, plot_trajectories
from unicomp.numerics.torch_backend import resolve_device
from unicomp.numerics.train_config import (
    OPTIMIZERS,
    Callback,
    LossFn,
    TrainConfig,
    TrainData,
    batch_schedule,
    make_optimizer,
    squared_error,
)
from unicomp.numerics.train_loop import Trajectory, train

__all__ = [
    "OPTIMIZERS",
    "Callback",
    "LossFn",
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
