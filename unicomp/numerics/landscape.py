r"""The loss-landscape check: a compressed dataset keeps the loss and its gradient (paper, Sec. 4).

For a model family :math:`f_\theta` and a per-sample loss :math:`\ell`, the full and the weighted losses are

.. math::

    L(\theta) = \frac1n \sum_{i=1}^n \ell(f_\theta(x_i), y_i), \qquad
    L'(\theta) = \frac{\sum_{j \in S} c_j\, \ell(f_\theta(x_j), y_j)}{\sum_{j \in S} c_j}.

The theory says :math:`L' \approx L` *uniformly* over a bounded parameter set :math:`\Theta` (and, the
gradient being a symmetric function of the data as well, :math:`\nabla L' \approx \nabla L`), with a gap that
shrinks as the matched degree :math:`k` grows.  :func:`landscape_gap` estimates

.. math::

    \sup_{\theta \in \Theta} \frac{|L(\theta) - L'(\theta)|}{|L(\theta)|}, \qquad
    \sup_{\theta \in \Theta} \frac{\|\nabla L(\theta) - \nabla L'(\theta)\|}{\|\nabla L(\theta)\|}

by the maximum over parameters drawn uniformly from the box :math:`\Theta = [-R, R]^P` (a lower estimate of
the supremum, as any sampling is).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

from unicomp.errors import InputError
from unicomp.numerics.datasets import WeightedDataset, concat_objects, weighted_mean
from unicomp.numerics.training import LossFn, squared_error
from unicomp.validation import as_positive_int

__all__ = ["LandscapeGap", "landscape_gap"]


@dataclass(frozen=True)
class LandscapeGap:
    """Full versus weighted loss at sampled parameters.

    Attributes
    ----------
    loss_gap : ndarray, shape (samples,)
        :math:`|L - L'| / |L|` at each sampled parameter vector.
    grad_gap : ndarray, shape (samples,)
        :math:`\\|\\nabla L - \\nabla L'\\| / \\|\\nabla L\\|`.
    full_loss : ndarray, shape (samples,)
        :math:`L` itself.
    radius : float
        Half side :math:`R` of the parameter box.
    """

    loss_gap: NDArray[np.float64]
    grad_gap: NDArray[np.float64]
    full_loss: NDArray[np.float64]
    radius: float

    @property
    def max_loss_gap(self) -> float:
        """Largest relative loss gap over the samples."""
        return float(np.max(self.loss_gap))

    @property
    def max_grad_gap(self) -> float:
        """Largest relative gradient gap over the samples."""
        return float(np.max(self.grad_gap))


def _loss_and_grad(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None, loss: LossFn
) -> tuple[float, torch.Tensor]:
    per_sample = loss(model(x), y)
    value = per_sample.mean() if w is None else weighted_mean(per_sample, w)
    grads = torch.autograd.grad(value, [p for p in model.parameters() if p.requires_grad])
    return float(value.detach()), torch.cat([g.reshape(-1) for g in grads])


def landscape_gap(
    model: nn.Module,
    inputs: ArrayLike,
    targets: ArrayLike,
    compressed: WeightedDataset,
    *,
    radius: float = 1.0,
    samples: int = 32,
    seed: int = 0,
    loss: LossFn | None = None,
) -> LandscapeGap:
    r"""Largest relative gap between the full and the weighted loss, and their gradients, over sampled
    parameters.

    Parameters
    ----------
    model : nn.Module
        The model family; a deep copy is evaluated (in float64 on the CPU), the argument is not modified.
    inputs : array_like, shape (n, p)
        The full dataset's inputs, in the shape the model takes.
    targets : array_like, shape (n, q) or (n,)
        Its targets.
    compressed : WeightedDataset
        The weighted dataset (from :func:`~unicomp.numerics.datasets.compress_dataset`).
    radius : float
        Every parameter entry is drawn uniformly from :math:`[-R, R]`.
    samples : int
        Number of parameter vectors.
    seed : int
        Seed of the parameter draws.
    loss : callable, optional
        ``loss(pred, target) -> (B,)`` per-sample losses; default :func:`~unicomp.numerics.training.squared_error`.

    Returns
    -------
    LandscapeGap

    Notes
    -----
    For an analytic :math:`\ell(f_\theta(x), y)` in :math:`z = (x, y)` whose Taylor coefficients are bounded
    uniformly over :math:`\Theta`, matching the moments of degree :math:`\le k` makes :math:`L - L'` a sum of
    Taylor remainders of order :math:`k + 1` (paper, Thm 3 applied to the data as objects), so both gaps
    fall as :math:`k` grows; a loss that is a polynomial of degree :math:`\le k` in :math:`z` (a linear model
    with squared error and :math:`k \ge 2`) has no gap at all beyond rounding.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from unicomp.numerics.datasets import compress_dataset
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, size=(400, 2)); y = x @ [1.0, -2.0] + 0.1 * rng.standard_normal(400)
    >>> ds = compress_dataset(x, y, degree=2, size=None)  # squared error of a linear model: degree 2
    >>> gap = landscape_gap(torch.nn.Linear(2, 1), x, y, ds, samples=4)
    >>> gap.max_loss_gap < 1e-10, gap.max_grad_gap < 1e-10
    (True, True)
    """
    if not isinstance(model, nn.Module):
        raise InputError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(compressed, WeightedDataset):
        raise InputError(f"compressed must be a WeightedDataset, got {type(compressed).__name__}")
    if not (isinstance(radius, int | float) and np.isfinite(radius) and radius > 0):
        raise InputError(f"radius must be a positive finite number, got {radius!r}")
    count = as_positive_int(samples, "samples")
    x_np, y_np, _ = concat_objects(inputs, targets)
    x_kept, y_kept, _ = concat_objects(compressed.inputs, compressed.targets)  # 1-D targets as one column
    if x_np.shape[1] != x_kept.shape[1] or y_np.shape[1] != y_kept.shape[1]:
        raise InputError("inputs and targets must have the columns of the compressed dataset")
    loss_fn = squared_error if loss is None else loss
    net = copy.deepcopy(model).to(device="cpu", dtype=torch.float64)
    full = [torch.as_tensor(a) for a in (x_np, y_np)]
    kept = [torch.as_tensor(a) for a in (x_kept, y_kept, compressed.weights)]
    generator = torch.Generator().manual_seed(int(seed))
    loss_gap, grad_gap, full_loss = np.zeros(count), np.zeros(count), np.zeros(count)
    for s in range(count):
        with torch.no_grad():
            for p in net.parameters():
                p.copy_((2 * torch.rand(p.shape, generator=generator, dtype=torch.float64) - 1) * radius)
        value, grad = _loss_and_grad(net, full[0], full[1], None, loss_fn)
        value_c, grad_c = _loss_and_grad(net, kept[0], kept[1], kept[2], loss_fn)
        full_loss[s] = value
        loss_gap[s] = abs(value - value_c) / abs(value)
        grad_gap[s] = float(torch.linalg.vector_norm(grad - grad_c) / torch.linalg.vector_norm(grad))
    return LandscapeGap(loss_gap=loss_gap, grad_gap=grad_gap, full_loss=full_loss, radius=float(radius))
