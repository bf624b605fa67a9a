r"""Weighted two-layer networks: compress neurons, train with the 1/c rule, export a plain smaller network.

A two-layer network :math:`f(x) = \sum_{i=1}^d v_i\,\sigma(w_i \cdot x + b_i) + b_0` is a symmetric
function of its neurons :math:`\theta_i = (v_i, w_i, b_i) \in \mathbb{R}^m`, :math:`m = n_{out} + n_{in} + 1`
(paper, Sec. 1 and 3).  Compressing the neurons (Algorithm 1) keeps :math:`d'` of them with weights
:math:`c_j > 0` and gives the weighted network (Definition 2)

.. math:: f'(x) = \sum_{j=1}^{d'} c_j\, v_j\, \sigma(w_j \cdot x + b_j) + b_0 .

The output bias :math:`b_0` is shared by all neurons and is not an object.

Compressed dynamics (Definition 5)
----------------------------------
The compressed run must update every kept neuron with the *same per-neuron formula* as the original run.
Autograd on :math:`f'` gives :math:`\partial L / \partial \theta_j = c_j\, g(\theta_j)` where
:math:`g(\theta_j)` is the per-neuron term of the original network, so :class:`WeightedMLP` divides every
gradient of neuron :math:`j` by :math:`c_j` inside its backward pass (a gradient-scaling identity on its
parameters).  Any torch optimizer then receives exactly :math:`g(\theta_j)` and applies the original's
update rule -- SGD, momentum, Adam, AdamW, RMSprop, Rprop alike -- so a user needs nothing else.  For
Adam-type optimizers the factor cancels up to :math:`\epsilon`
(:math:`c\,m / (\sqrt{c^2 v} + \epsilon) = m / (\sqrt{v} + \epsilon / c)`), which is why the rule can be
switched off (``scale_gradients=False``); Rprop only sees signs and is unaffected either way.

Supported models
----------------
``nn.Sequential(nn.Linear(n_in, d), activation, nn.Linear(d, n_out))`` with an elementwise activation from
:data:`SUPPORTED_ACTIVATIONS` (biases optional), or a :class:`WeightedMLP`.  Anything else raises
:class:`~unicomp.errors.InputError`.  Attention heads are handled by :mod:`unicomp.numerics.attention`.

Examples
--------
>>> import torch
>>> from torch import nn
>>> from unicomp.numerics.networks import WeightedMLP, count_parameters
>>> torch.manual_seed(0)  # doctest: +ELLIPSIS
<torch._C.Generator object at ...>
>>> net = nn.Sequential(nn.Linear(2, 6), nn.Tanh(), nn.Linear(6, 1))
>>> sub = WeightedMLP.from_plain(net, indices=[0, 3], weights=[2.5, 3.5])
>>> plain = sub.to_plain()
>>> x = torch.rand(5, 2)
>>> bool(torch.allclose(sub(x), plain(x))), count_parameters(net), count_parameters(plain)
(True, 25, 9)
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn
from torch.nn import functional as F

from unicomp.errors import InputError
from unicomp.numerics.result import Compression
from unicomp.validation import as_index_weights, as_positive_int

__all__ = [
    "SUPPORTED_ACTIVATIONS",
    "WeightedMLP",
    "apply_compression",
    "compress_mlp",
    "compress_objects",
    "count_parameters",
    "neuron_objects",
    "random_subnetwork",
    "random_subset",
    "scale_grad",
]

#: Elementwise activations accepted between the two linear layers.
SUPPORTED_ACTIVATIONS: tuple[type[nn.Module], ...] = (
    nn.CELU,
    nn.ELU,
    nn.GELU,
    nn.Hardsigmoid,
    nn.Hardswish,
    nn.Hardtanh,
    nn.Identity,
    nn.LeakyReLU,
    nn.LogSigmoid,
    nn.Mish,
    nn.ReLU,
    nn.ReLU6,
    nn.SELU,
    nn.SiLU,
    nn.Sigmoid,
    nn.Softplus,
    nn.Softsign,
    nn.Tanh,
    nn.Tanhshrink,
)

_SUPPORTED_TEXT = (
    "supported: nn.Sequential(nn.Linear(n_in, d), activation, nn.Linear(d, n_out)) with an elementwise "
    f"activation ({', '.join(a.__name__ for a in SUPPORTED_ACTIVATIONS)}), or a WeightedMLP; deeper "
    "networks and other layers (convolutions, normalisation, dropout) are not supported; attention heads: "
    "unicomp.numerics.attention.CausalAttention"
)


class _ScaleGrad(torch.autograd.Function):
    """Identity in the forward pass; multiplies the incoming gradient by ``scale`` in the backward pass."""

    @staticmethod
    def forward(ctx: Any, tensor: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(scale)
        return tensor.view_as(tensor)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (scale,) = ctx.saved_tensors
        return grad * scale, None


def scale_grad(tensor: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Return ``tensor`` unchanged, but scale the gradient flowing back into it by ``scale`` (broadcast)."""
    out: torch.Tensor = _ScaleGrad.apply(tensor, scale)
    return out


def count_parameters(module: nn.Module) -> int:
    """Number of trainable scalars of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def random_subset(n: int, size: int, seed: int) -> NDArray[np.int64]:
    """Sorted random ``size``-subset of ``range(n)`` (the naive baseline's neurons or heads)."""
    size = as_positive_int(size, "size")
    if size > n:
        raise InputError(f"size must be at most the number of objects ({n}), got {size}")
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False)).astype(np.int64)


def compress_objects(
    objects: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    *,
    degree: int,
    size: int,
    method: str,
    seed: int,
    precision: int | None,
) -> Compression:
    """Algorithm 1 (:func:`unicomp.numerics.compress.compress`) on network objects, shape (d, m)."""
    size = as_positive_int(size, "width")
    if size >= objects.shape[0]:
        raise InputError(f"the target size ({size}) must be below the number of objects ({objects.shape[0]})")
    from unicomp.numerics.compress import compress

    result: Compression = compress(
        objects, weights, degree=degree, size=size, method=method, precision=precision, seed=seed
    )
    return result


class WeightedMLP(nn.Module):
    r"""Two-layer network with weighted neurons, :math:`f(x) = \sum_j c_j v_j \sigma(w_j x + b_j) + b_0`.

    Parameters
    ----------
    hidden : nn.Linear
        Incoming weights :math:`w_j` (rows of ``hidden.weight``, shape (d, n_in)) and biases :math:`b_j`.
    activation : nn.Module
        Elementwise activation :math:`\sigma`.
    output : nn.Linear
        Outgoing weights :math:`v_j` (columns of ``output.weight``, shape (n_out, d)) and the shared bias.
    weights : tensor or array_like, shape (d,)
        Neuron weights :math:`c_j > 0`; stored as the buffer ``weights`` (moves with ``.to()``).
    scale_gradients : bool
        Divide neuron :math:`j`'s gradients by :math:`c_j` (Definition 5; see the module notes).
    compression : Compression, optional
        The compression the neurons came from (kept for provenance).

    Notes
    -----
    The modules are used as given (not copied); use the constructors :meth:`from_plain`,
    :func:`compress_mlp`, :func:`apply_compression` or :func:`random_subnetwork` to build one from a user's
    network without touching it.
    """

    weights: torch.Tensor

    def __init__(
        self,
        hidden: nn.Linear,
        activation: nn.Module,
        output: nn.Linear,
        weights: torch.Tensor | ArrayLike,
        *,
        scale_gradients: bool = True,
        compression: Compression | None = None,
    ) -> None:
        super().__init__()
        self.hidden, self.activation, self.output = hidden, activation, output
        ref = hidden.weight
        raw = weights.detach() if isinstance(weights, torch.Tensor) else torch.as_tensor(np.asarray(weights))
        c = raw.to(device=ref.device, dtype=ref.dtype)
        if c.shape != (hidden.out_features,) or not bool(torch.all(torch.isfinite(c) & (c > 0))):
            raise InputError(
                f"weights must be {hidden.out_features} finite positive numbers (one per neuron), got {raw}"
            )
        self.register_buffer("weights", c)
        self.scale_gradients = bool(scale_gradients)
        self.compression = compression

    @classmethod
    def from_plain(
        cls,
        model: nn.Module,
        indices: ArrayLike | None = None,
        weights: ArrayLike | None = None,
        *,
        scale_gradients: bool = True,
        compression: Compression | None = None,
    ) -> WeightedMLP:
        """The sub-network of ``model`` on neurons ``indices`` (default: all) with ``weights`` (default: 1).

        A repeated index copies that neuron (useful for exact checks of the compressed dynamics).

        ``model`` is a supported plain network or a :class:`WeightedMLP` (whose weights are then replaced).
        Parameters are copied (same dtype and device); ``model`` is not modified.
        """
        hidden, act, output, _ = _split_mlp(model)
        d = hidden.out_features
        idx, w = as_index_weights(np.arange(d) if indices is None else indices, weights, d)
        rows = torch.as_tensor(idx, device=hidden.weight.device)
        new_hidden = nn.Linear(
            hidden.in_features, idx.size, bias=hidden.bias is not None,
            device=hidden.weight.device, dtype=hidden.weight.dtype,
        )
        new_output = nn.Linear(
            idx.size, output.out_features, bias=output.bias is not None,
            device=output.weight.device, dtype=output.weight.dtype,
        )
        with torch.no_grad():
            new_hidden.weight.copy_(hidden.weight[rows])
            if hidden.bias is not None and new_hidden.bias is not None:
                new_hidden.bias.copy_(hidden.bias[rows])
            new_output.weight.copy_(output.weight[:, rows])
            if output.bias is not None and new_output.bias is not None:
                new_output.bias.copy_(output.bias)
        return cls(
            new_hidden, copy.deepcopy(act), new_output, w,
            scale_gradients=scale_gradients, compression=compression,
        )

    @property
    def width(self) -> int:
        """Number of (weighted) neurons :math:`d'`."""
        return int(self.hidden.out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Evaluate on ``x`` of shape (B, n_in); returns shape (B, n_out)."""
        w: torch.Tensor = self.hidden.weight
        b: torch.Tensor | None = self.hidden.bias
        v: torch.Tensor = self.output.weight
        c = self.weights
        if self.scale_gradients:
            inv = 1.0 / c
            w = scale_grad(w, inv[:, None])
            b = None if b is None else scale_grad(b, inv)
            v = scale_grad(v, inv[None, :])
        hidden = self.activation(F.linear(x, w, b)) * c
        return F.linear(hidden, v, self.output.bias)

    def neuron_objects(self) -> NDArray[np.float64]:
        """The neurons as objects :math:`(v_j, w_j, b_j)`, shape (d', m); see :func:`neuron_objects`."""
        return neuron_objects(self)

    def to_plain(self) -> nn.Sequential:
        r"""An ordinary ``nn.Sequential`` of width :math:`d'` computing the same function.

        The weights are absorbed into the output layer, :math:`v_j \leftarrow c_j v_j`.  (Training it with
        plain autograd follows different dynamics from the compressed run unless learning rates are
        matched per parameter; paper, Sec. 3.)
        """
        hidden = copy.deepcopy(self.hidden)
        output = copy.deepcopy(self.output)
        with torch.no_grad():
            output.weight.mul_(self.weights[None, :])
        return nn.Sequential(hidden, copy.deepcopy(self.activation), output)

    def extra_repr(self) -> str:
        return f"width={self.width}, scale_gradients={self.scale_gradients}"


def _split_mlp(model: Any) -> tuple[nn.Linear, nn.Module, nn.Linear, torch.Tensor | None]:
    """Check that ``model`` is supported; return (hidden, activation, output, weights or None)."""
    if isinstance(model, WeightedMLP):
        return model.hidden, model.activation, model.output, model.weights
    if not isinstance(model, nn.Sequential):
        raise InputError(f"model must be a two-layer network, got {type(model).__name__}; {_SUPPORTED_TEXT}")
    layers = list(model)
    hidden, act, output = layers if len(layers) == 3 else (None, None, None)
    if not (
        isinstance(hidden, nn.Linear)
        and isinstance(act, SUPPORTED_ACTIVATIONS)
        and isinstance(output, nn.Linear)
    ):
        kinds = [type(layer).__name__ for layer in layers]
        raise InputError(f"model must be Linear -> activation -> Linear, got {kinds}; {_SUPPORTED_TEXT}")
    if hidden.out_features != output.in_features:
        raise InputError(
            f"model's layers do not fit: hidden width {hidden.out_features} but the output layer takes "
            f"{output.in_features} inputs"
        )
    if not hidden.weight.is_floating_point():
        raise InputError(f"model parameters must be floating point, got {hidden.weight.dtype}")
    return hidden, act, output, None


def neuron_objects(model: nn.Module) -> NDArray[np.float64]:
    r"""The neurons of a two-layer network as objects, shape (d, m), float64.

    Row :math:`i` is :math:`(v_i, w_i, b_i)`: outgoing weights (n_out), incoming weights (n_in) and the
    hidden bias when present, so :math:`m = n_{out} + n_{in} + 1` (for scalar output :math:`m = n_{in} + 2`;
    Fig. 4 has :math:`m = 4`).
    """
    hidden, _, output, _ = _split_mlp(model)
    parts = [output.weight.detach().T, hidden.weight.detach()]
    if hidden.bias is not None:
        parts.append(hidden.bias.detach()[:, None])
    return torch.cat(parts, dim=1).to("cpu", torch.float64).numpy()


def apply_compression(
    model: nn.Module, compression: Compression, *, scale_gradients: bool = True
) -> WeightedMLP:
    """Build the weighted network of ``model``'s neurons kept by ``compression`` (with its weights)."""
    hidden, _, _, _ = _split_mlp(model)
    if not isinstance(compression, Compression) or compression.n_input != hidden.out_features:
        raise InputError(f"compression must be a Compression of the model's {hidden.out_features} neurons")
    return WeightedMLP.from_plain(
        model, compression.indices, compression.weights,
        scale_gradients=scale_gradients, compression=compression,
    )


def compress_mlp(
    model: nn.Module,
    *,
    degree: int,
    width: int,
    method: str = "partition",
    seed: int = 0,
    precision: int | None = None,
    scale_gradients: bool = True,
) -> WeightedMLP:
    r"""Compress the neurons of a two-layer network to ``width`` weighted neurons (Algorithm 1).

    Parameters
    ----------
    model : nn.Sequential or WeightedMLP
        ``Linear -> elementwise activation -> Linear`` (see :data:`SUPPORTED_ACTIVATIONS`).  Not modified.
    degree : int
        Moments of the neuron objects up to total degree ``degree`` are kept (:math:`k`).
    width : int
        Target number of neurons :math:`d' < d`.
    method, seed, precision
        Passed to :func:`unicomp.numerics.compress.compress`.
    scale_gradients : bool
        Apply the 1/c gradient rule inside the returned module.

    Returns
    -------
    WeightedMLP
        With ``compression`` set; parameters in ``model``'s dtype and device.

    Notes
    -----
    The objects are :math:`\theta_i = (v_i, w_i, b_i)` (:func:`neuron_objects`); a
    :class:`WeightedMLP` input contributes its weights :math:`c_i` as the measure to compress.
    """
    _, _, _, weights = _split_mlp(model)
    w = None if weights is None else weights.detach().to("cpu", torch.float64).numpy()
    comp = compress_objects(
        neuron_objects(model), w, degree=degree, size=width, method=method, seed=seed, precision=precision
    )
    return apply_compression(model, comp, scale_gradients=scale_gradients)


def random_subnetwork(
    model: nn.Module, width: int, *, seed: int = 0, scale_gradients: bool = True
) -> WeightedMLP:
    """The naive baseline: ``width`` random neurons of ``model`` with weights 1 (not rescaled)."""
    hidden, _, _, _ = _split_mlp(model)
    return WeightedMLP.from_plain(
        model, random_subset(hidden.out_features, width, seed), None, scale_gradients=scale_gradients
    )
