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

from typing import TYPE_CHECKING, overload

import numpy as np
import torch
from torch import nn

from unicomp.errors import InputError
from unicomp.numerics.blocks import (
    as_flag,
    block_name,
    compress_objects,
    copy_model,
    random_subset,
    replace_block,
)
from unicomp.numerics.result import Compression
from unicomp.numerics.weighted_mlp import (
    SUPPORTED_ACTIVATIONS,
    WeightedMLP,
    neuron_objects,
    scale_grad,
    split_mlp,
)

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


def apply_compression(
    model: nn.Module, compression: Compression, *, scale_gradients: bool = True
) -> WeightedMLP:
    """Build the weighted network of ``model``'s neurons kept by ``compression`` (with its weights)."""
    hidden, _, _, _ = split_mlp(model)
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
        _, _, _, weights = split_mlp(block, block_name(layer))
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
        hidden, _, _, _ = split_mlp(block, block_name(layer))
        kept = random_subset(hidden.out_features, width, seed, "width")
        return WeightedMLP.from_plain(block, kept, None, scale_gradients=flag)

    return replace_block(model, layer, build)
