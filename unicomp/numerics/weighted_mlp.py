r"""The weighted two-layer network: :class:`WeightedMLP` (neurons with weights :math:`c_j`, trained with the
1/c gradient rule), the supported plain blocks, and the neurons of a network as objects.

The theory and the public entry points (:func:`~unicomp.numerics.networks.compress_mlp`, ...) are described
in :mod:`unicomp.numerics.networks`, which re-exports everything here.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import skip_init

from unicomp.errors import InputError
from unicomp.numerics.blocks import (
    as_flag,
    keep_state,
    layer_hint,
)
from unicomp.numerics.result import Compression
from unicomp.validation import as_index_weights

if TYPE_CHECKING:
    pass

__all__ = ["SUPPORTED_ACTIVATIONS", "WeightedMLP", "is_mlp", "neuron_objects", "scale_grad", "split_mlp"]

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
        self.scale_gradients = as_flag(scale_gradients, "scale_gradients")
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
        Parameters are copied (same dtype, device and ``requires_grad``), the train/eval mode of every part
        is kept; ``model`` is not modified.  ``indices`` and ``weights`` may be torch tensors.
        """
        hidden, act, output, _ = split_mlp(model)
        d = hidden.out_features
        idx, w = as_index_weights(np.arange(d) if indices is None else indices, weights, d)
        rows = torch.as_tensor(idx, device=hidden.weight.device)
        # skip_init: the parameters are overwritten below, so draw nothing from torch's global generator
        new_hidden = skip_init(
            nn.Linear, hidden.in_features, idx.size, bias=hidden.bias is not None,
            device=hidden.weight.device, dtype=hidden.weight.dtype,
        )
        new_output = skip_init(
            nn.Linear, idx.size, output.out_features, bias=output.bias is not None,
            device=output.weight.device, dtype=output.weight.dtype,
        )
        with torch.no_grad():
            new_hidden.weight.copy_(hidden.weight[rows])
            if hidden.bias is not None and new_hidden.bias is not None:
                new_hidden.bias.copy_(hidden.bias[rows])
            new_output.weight.copy_(output.weight[:, rows])
            if output.bias is not None and new_output.bias is not None:
                new_output.bias.copy_(output.bias)
        for new, old in ((new_hidden, hidden), (new_output, output)):
            keep_state(new, old)
        net = cls(
            new_hidden, copy.deepcopy(act), new_output, w,
            scale_gradients=scale_gradients, compression=compression,
        )
        net.training = model.training
        return net

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
        plain = nn.Sequential(hidden, copy.deepcopy(self.activation), output)
        plain.training = self.training
        return plain

    def extra_repr(self) -> str:
        return f"width={self.width}, scale_gradients={self.scale_gradients}"


def is_mlp(module: nn.Module) -> bool:
    try:
        split_mlp(module, hint=False)
    except InputError:
        return False
    return True


def split_mlp(
    model: Any, name: str = "model", *, hint: bool = True
) -> tuple[nn.Linear, nn.Module, nn.Linear, torch.Tensor | None]:
    """Check that ``model`` is supported; return (hidden, activation, output, weights or None).

    ``name`` is how the errors call it (``model``, or ``layer 'encoder.mlp'`` for a block of a bigger one);
    with ``hint`` an error on a whole model lists the supported blocks inside it.
    """
    if isinstance(model, WeightedMLP):
        return model.hidden, model.activation, model.output, model.weights
    advice = _SUPPORTED_TEXT + (layer_hint(model, is_mlp) if hint and name == "model" else "")
    if not isinstance(model, nn.Sequential):
        raise InputError(f"{name} must be a two-layer network, got {type(model).__name__}; {advice}")
    layers = list(model)
    hidden, act, output = layers if len(layers) == 3 else (None, None, None)
    if not (
        isinstance(hidden, nn.Linear)
        and isinstance(act, SUPPORTED_ACTIVATIONS)
        and isinstance(output, nn.Linear)
    ):
        kinds = [type(layer).__name__ for layer in layers]
        raise InputError(f"{name} must be Linear -> activation -> Linear, got {kinds}; {advice}")
    if hidden.out_features != output.in_features:
        raise InputError(
            f"{name}'s layers do not fit: hidden width {hidden.out_features} but the output layer takes "
            f"{output.in_features} inputs"
        )
    found = {(p.dtype, p.device) for p in (*hidden.parameters(), *output.parameters())}
    if not hidden.weight.is_floating_point() or len(found) > 1:
        raise InputError(
            f"{name}'s parameters must be floating point, of one dtype on one device, got "
            f"{sorted(str(k) for k in found)}"
        )
    return hidden, act, output, None


def neuron_objects(model: nn.Module) -> NDArray[np.float64]:
    r"""The neurons of a two-layer network as objects, shape (d, m), float64.

    Row :math:`i` is :math:`(v_i, w_i, b_i)`: outgoing weights (n_out), incoming weights (n_in) and the
    hidden bias when present, so :math:`m = n_{out} + n_{in} + 1` (for scalar output :math:`m = n_{in} + 2`;
    Fig. 4 has :math:`m = 4`).
    """
    hidden, _, output, _ = split_mlp(model)
    parts = [output.weight.detach().T, hidden.weight.detach()]
    if hidden.bias is not None:
        parts.append(hidden.bias.detach()[:, None])
    return torch.cat(parts, dim=1).to("cpu", torch.float64).numpy()
