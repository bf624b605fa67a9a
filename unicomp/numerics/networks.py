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

Supported blocks
----------------
``nn.Sequential(nn.Linear(n_in, d), activation, nn.Linear(d, n_out))`` with an elementwise activation from
:data:`SUPPORTED_ACTIVATIONS` (biases optional), or a :class:`WeightedMLP`.  Anything else raises
:class:`~unicomp.errors.InputError`.  Attention heads are handled by :mod:`unicomp.numerics.attention`.

Such a block may be the whole model or one submodule of a bigger one: :func:`compress_mlp` and
:func:`random_subnetwork` take ``layer``, the dotted path of the block (``"encoder.mlp"``, ``"blocks.0.mlp"``,
the names of ``model.named_modules()``), and return a copy of the model with that block replaced by a
:class:`WeightedMLP`.  The copy keeps every other module and parameter, the train/eval mode and
``requires_grad`` flags, dtype and device; the model given is never modified (so the copy costs the
model's memory once more; a block referenced from several places is replaced in all of them).
:func:`to_plain` exports a whole model, every weighted block replaced by its plain equivalent.

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
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import skip_init

from unicomp.errors import InputError
from unicomp.numerics.blocks import (
    as_flag,
    block_name,
    compress_objects,
    copy_model,
    keep_state,
    layer_hint,
    random_subset,
    replace_block,
)
from unicomp.numerics.result import Compression
from unicomp.validation import as_index_weights

if TYPE_CHECKING:
    from unicomp.numerics.attention import CausalAttention

__all__ = [
    "SUPPORTED_ACTIVATIONS",
    "WeightedMLP",
    "apply_compression",
    "compress_mlp",
    "count_parameters",
    "neuron_objects",
    "random_subnetwork",
    "scale_grad",
    "to_plain",
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


def _weighted_blocks(model: nn.Module) -> dict[str, WeightedMLP | CausalAttention]:
    """The outermost weighted blocks (WeightedMLP, CausalAttention) inside ``model``, by dotted path."""
    from unicomp.numerics.attention import CausalAttention

    found: dict[str, WeightedMLP | CausalAttention] = {}
    for name, module in model.named_modules():
        if isinstance(module, WeightedMLP | CausalAttention) and not any(name.startswith(f"{p}.") for p in found):
            found[name] = module
    return found


def to_plain(model: nn.Module) -> nn.Module:
    r"""A copy of ``model`` with every weighted block exported to its plain equivalent; ``model`` is kept.

    Each :class:`WeightedMLP` becomes its :meth:`WeightedMLP.to_plain` (an ``nn.Sequential``, the weights
    absorbed into the output layer) and each :class:`~unicomp.numerics.attention.CausalAttention` its
    ``to_plain()`` (unit head weights); everything else is copied unchanged, train/eval mode included.  A
    weighted block given directly is exported itself; a model without weighted blocks comes back as a copy.
    One :func:`copy.deepcopy` of the model, in which the weighted blocks are the exported ones.
    """
    if not isinstance(model, nn.Module):
        raise InputError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    blocks = _weighted_blocks(model)
    if "" in blocks:
        return blocks[""].to_plain()
    return copy_model(model, {id(block): block.to_plain() for block in blocks.values()}, "to export it")


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
        hidden, act, output, _ = _split_mlp(model)
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


def _is_mlp(module: nn.Module) -> bool:
    try:
        _split_mlp(module, hint=False)
    except InputError:
        return False
    return True


def _split_mlp(
    model: Any, name: str = "model", *, hint: bool = True
) -> tuple[nn.Linear, nn.Module, nn.Linear, torch.Tensor | None]:
    """Check that ``model`` is supported; return (hidden, activation, output, weights or None).

    ``name`` is how the errors call it (``model``, or ``layer 'encoder.mlp'`` for a block of a bigger one);
    with ``hint`` an error on a whole model lists the supported blocks inside it.
    """
    if isinstance(model, WeightedMLP):
        return model.hidden, model.activation, model.output, model.weights
    advice = _SUPPORTED_TEXT + (layer_hint(model, _is_mlp) if hint and name == "model" else "")
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


@overload
def compress_mlp(
    model: nn.Module, *, degree: int, width: int | None = None, layer: None = None, method: str = "partition",
    seed: int | np.random.Generator = 0, precision: int | None = None, scale_gradients: bool = True,
) -> WeightedMLP: ...


@overload
def compress_mlp(
    model: nn.Module, *, degree: int, width: int | None = None, layer: str, method: str = "partition",
    seed: int | np.random.Generator = 0, precision: int | None = None, scale_gradients: bool = True,
) -> nn.Module: ...


def compress_mlp(
    model: nn.Module,
    *,
    degree: int,
    width: int | None = None,
    layer: str | None = None,
    method: str = "partition",
    seed: int | np.random.Generator = 0,
    precision: int | None = None,
    scale_gradients: bool = True,
) -> nn.Module:
    r"""Compress the neurons of a two-layer network, or of one such block of a model, to ``width`` (Algorithm 1).

    Parameters
    ----------
    model : nn.Module
        Without ``layer``: the two-layer network itself, ``Linear -> elementwise activation -> Linear``
        (see :data:`SUPPORTED_ACTIVATIONS`) or a :class:`WeightedMLP`.  With ``layer``: any module holding
        such a block.  Not modified.
    degree : int
        Moments of the neuron objects up to total degree ``degree`` are kept (:math:`k`).
    width : int, optional
        Target number of neurons, :math:`N_{m,k} \le d' \le d` (the one size rule of
        :func:`~unicomp.validation.as_size`: the error for a smaller ``width`` names the largest degree that
        fits; ``d`` keeps every neuron).  ``None`` (default): the smallest compression, a recombination to
        at most :math:`N_{m,k}` neurons.
    layer : str, optional
        Dotted path of the block inside ``model`` (as in ``model.named_modules()``, e.g. ``"encoder.mlp"``).
    method, seed, precision
        Passed to :func:`unicomp.numerics.compress.compress`.
    scale_gradients : bool
        Apply the 1/c gradient rule inside the returned module.

    Returns
    -------
    WeightedMLP or nn.Module
        Without ``layer``: the :class:`WeightedMLP`, with ``compression`` set.  With ``layer``: a copy of
        ``model`` whose block at ``layer`` is that :class:`WeightedMLP` (read it back with
        ``model.get_submodule(layer)``).  Parameters keep the block's dtype, device and ``requires_grad``
        flags, every module its train/eval mode.

    Raises
    ------
    InputError
        ``layer`` does not exist or is not a supported block (the message names the path and what was
        found), or ``degree``/``width`` do not fit (``width`` above the number of neurons or below
        :math:`N_{m,k}`).

    Notes
    -----
    The objects are :math:`	heta_i = (v_i, w_i, b_i)` (:func:`neuron_objects`); a
    :class:`WeightedMLP` input contributes its weights :math:`c_i` as the measure to compress.
    """
    flag = as_flag(scale_gradients, "scale_gradients")

    def build(block: nn.Module) -> nn.Module:
        _, _, _, weights = _split_mlp(block, block_name(layer))
        w = None if weights is None else weights.detach().to("cpu", torch.float64).numpy()
        comp = compress_objects(
            neuron_objects(block), w, degree=degree, size=width, method=method, seed=seed, precision=precision
        )
        return apply_compression(block, comp, scale_gradients=flag)

    return replace_block(model, layer, build)


@overload
def random_subnetwork(
    model: nn.Module, width: int, *, layer: None = None, seed: int | np.random.Generator = 0,
    scale_gradients: bool = True,
) -> WeightedMLP: ...


@overload
def random_subnetwork(
    model: nn.Module, width: int, *, layer: str, seed: int | np.random.Generator = 0,
    scale_gradients: bool = True,
) -> nn.Module: ...


def random_subnetwork(
    model: nn.Module, width: int, *, layer: str | None = None, seed: int | np.random.Generator = 0,
    scale_gradients: bool = True,
) -> nn.Module:
    """The naive baseline: ``width`` random neurons of ``model`` with weights 1 (not rescaled).

    With ``layer``, the block at that dotted path is replaced in a copy of ``model``, as in
    :func:`compress_mlp`.
    """
    flag = as_flag(scale_gradients, "scale_gradients")

    def build(block: nn.Module) -> nn.Module:
        hidden, _, _, _ = _split_mlp(block, block_name(layer))
        kept = random_subset(hidden.out_features, width, seed, "width")
        return WeightedMLP.from_plain(block, kept, None, scale_gradients=flag)

    return replace_block(model, layer, build)
