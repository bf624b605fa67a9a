r"""Blocks of a bigger model: find one by its dotted path, replace it in a copy, and the helpers shared by
the neuron (:mod:`unicomp.numerics.networks`) and head (:mod:`unicomp.numerics.attention`) compressions.

A block is named by its path in ``model.named_modules()`` (``"encoder.mlp"``, ``"blocks.0.attn"``);
:func:`replace_block` returns a copy of the model in which that block is replaced (the model given is never
modified), :func:`keep_state` carries the train/eval mode and ``requires_grad`` flags over to the new block.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from torch import nn

from unicomp.errors import InputError
from unicomp.numerics.result import Compression
from unicomp.validation import as_degree, as_positive_int, as_seed, as_size

__all__ = [
    "as_flag",
    "block_name",
    "compress_objects",
    "copy_model",
    "find_block",
    "keep_state",
    "layer_hint",
    "random_subset",
    "replace_block",
]


def random_subset(n: int, size: int, seed: int | np.random.Generator, name: str = "size") -> NDArray[np.int64]:
    """Sorted random ``size``-subset of ``range(n)`` (the naive baseline's neurons or heads).

    ``seed`` is a non-negative integer or a :class:`numpy.random.Generator` (:func:`~unicomp.validation.as_seed`).
    """
    size = as_positive_int(size, name)
    rng = as_seed(seed)
    if size > n:
        raise InputError(f"{name} must be at most the number of objects ({n}), got {size}")
    return np.sort(rng.choice(n, size=size, replace=False)).astype(np.int64)


def as_flag(value: Any, name: str) -> bool:
    """Validate a ``bool`` argument (Python or numpy); anything else, e.g. the string ``"no"``, is rejected."""
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def compress_objects(
    objects: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    *,
    degree: int,
    size: int | None,
    method: str,
    seed: int | np.random.Generator,
    precision: int | None,
    name: str = "width",
) -> Compression:
    """Algorithm 1 (:func:`unicomp.numerics.compress.compress`) on network objects, shape (d, m).

    The target follows the one size rule (:func:`~unicomp.validation.as_size`), checked here so that the
    errors call it ``name`` (``width``, ``heads``): ``None`` gives the smallest compression (at most
    :math:`N_{m,k}` objects), an integer must lie in :math:`[N_{m,k}, d]` (``d`` keeps every object).
    """
    n, m = objects.shape
    target = as_size(size, m=m, degree=as_degree(degree), count=n, name=name)
    from unicomp.numerics.compress import compress

    result: Compression = compress(
        objects, weights, degree=degree, size=target, method=method, precision=precision, seed=seed
    )
    return result


def find_block(model: Any, layer: str | None) -> nn.Module:
    """The submodule of ``model`` at the dotted path ``layer`` (``None`` or ``""``: ``model`` itself).

    Raises
    ------
    InputError
        ``layer`` is not a string, ``model`` not a module, or the path does not name a submodule (the
        message names the deepest module found on the path and its children).
    """
    if layer is None or (isinstance(layer, str) and layer == ""):
        return model
    if not isinstance(layer, str):
        raise InputError(
            f"layer must be the dotted path of a submodule (a str such as 'encoder.mlp') or None, got "
            f"{type(layer).__name__}; pass the module itself as the first argument"
        )
    if not isinstance(model, nn.Module):
        raise InputError(f"model must be a torch.nn.Module to look up layer {layer!r}, got {type(model).__name__}")
    block: nn.Module = model
    walked: list[str] = []
    for part in layer.split("."):
        children = dict(block.named_children())
        if part not in children:
            where = repr(".".join(walked)) if walked else "the model"
            found = ", ".join(repr(c) for c in children) or "none"
            raise InputError(
                f"layer {layer!r} does not exist: {where} ({type(block).__name__}) has no submodule {part!r} "
                f"(its submodules: {found})"
            )
        block = children[part]
        walked.append(part)
    return block


def replace_block(model: nn.Module, layer: str | None, build: Callable[[nn.Module], nn.Module]) -> nn.Module:
    """A copy of ``model`` with the block at ``layer`` replaced by ``build(block)``; ``model`` is not modified.

    Without a path (``None`` or ``""``) the new block itself is returned.  The copy is a
    :func:`copy.deepcopy` in which the block (every reference to it, so a shared block stays shared) is the
    new module, so only the rest of the model is copied.
    """
    block = find_block(model, layer)
    new = build(block)
    return new if not layer else copy_model(model, {id(block): new}, f"to replace layer {layer!r}")


def copy_model(model: nn.Module, memo: dict[int, Any], why: str) -> nn.Module:
    """``copy.deepcopy(model, memo)``, or an InputError saying why it was needed and why it failed."""
    try:
        return copy.deepcopy(model, memo)
    except (RuntimeError, TypeError) as exc:  # non-leaf tensors, locks, open files held by the model
        raise InputError(f"model cannot be copied {why} (copy.deepcopy failed: {exc})") from None


def keep_state(new: nn.Module, old: nn.Module) -> None:
    """Give ``new`` the train/eval mode of ``old`` and, parameter by parameter (same names), its
    ``requires_grad`` flags."""
    new.training = old.training
    flags = {name: p.requires_grad for name, p in old.named_parameters()}
    for name, p in new.named_parameters():
        p.requires_grad_(flags[name])


def block_name(layer: str | None) -> str:
    """How errors name the block: ``model`` itself, or ``layer 'encoder.mlp'``."""
    return f"layer {layer!r}" if layer else "model"


def layer_hint(model: Any, fits: Callable[[nn.Module], bool]) -> str:
    """For an error on a whole model: the paths of its submodules that ``fits`` accepts, as advice."""
    if not isinstance(model, nn.Module):
        return ""
    paths = [name for name, module in model.named_modules() if name and fits(module)]
    return f"; the model holds supported blocks at {paths}: pass layer=<path>" if paths else ""
