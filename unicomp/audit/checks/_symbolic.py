r"""Helpers shared by the symbolic group's checks (FTSP, NEWTON, GRADSCALE, EQUIVARIANT, ERRATA, BOOST).

Exact identities
    :func:`exact_outcome` turns a list of counter-examples into a sub-check verdict: an exact identity holds
    only if no case failed, and the first counter-example is quoted.  :func:`leftover_symbols` lists the
    symbols of an expression that a rewrite should have removed (Thm 1's rewritten form must be free of the
    object variables: a "rewrite" that returns its input expands back exactly and would pass a round trip).

Small training problems (GRADSCALE, EQUIVARIANT)
    :func:`regression_problem` is the 256-point regression on :math:`[-1, 1]^2` both network claims train on,
    with its probe inputs; :func:`tanh_mlp` the two-layer tanh network (tanh: analytic, as Assumption 1
    asks); :func:`select_neurons` builds the plain network on chosen (permuted, repeated) hidden neurons;
    :func:`both_precisions` runs one experiment in float32 and in float64 for
    :func:`unicomp.verify.claims.rounding_verdict` (a gap that is rounding shrinks about
    :math:`5\cdot10^8`-fold from float32 to float64; a real discrepancy does not).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import numpy as np
import sympy as sp
import torch
from torch import nn

from unicomp.errors import InputError
from unicomp.numerics.training import TrainData

__all__ = [
    "PRECISIONS",
    "both_precisions",
    "exact_outcome",
    "leftover_symbols",
    "linear_layers",
    "regression_problem",
    "select_neurons",
    "tanh_mlp",
]

PRECISIONS = ("float32", "float64")
T = TypeVar("T")


def exact_outcome(what: str, failures: list[str]) -> tuple[str, str]:
    """Sub-check verdict of an exact identity: ``"fails"`` with the first counter-example, else ``"holds"``.

    >>> exact_outcome("3 identities", [])
    ('holds', '3 identities: exact')
    >>> exact_outcome("3 identities", ["k=2: gap x", "k=3: gap y"])[0]
    'fails'
    """
    if not failures:
        return "holds", f"{what}: exact"
    return "fails", f"{what}: {len(failures)} counter-example(s), first: {failures[0]}"


def leftover_symbols(expr: sp.Basic, forbidden: Iterable[sp.Symbol]) -> set[sp.Symbol]:
    """The symbols of ``forbidden`` that still occur in ``expr``.

    >>> x, y = sp.symbols("x y")
    >>> sorted(map(str, leftover_symbols(x * sp.Function("q")(2) + 1, [x, y])))
    ['x']
    """
    return set(sp.sympify(expr).free_symbols) & set(forbidden)


def regression_problem(seed: int = 0, n: int = 256, n_probe: int = 64) -> tuple[TrainData, torch.Tensor]:
    r"""``n`` points uniform on :math:`[-1, 1]^2` with target :math:`\sin(3 x_1) \cos(2 x_2)` (float64), and
    ``n_probe`` probe inputs from the same distribution."""
    if n < 1 or n_probe < 1:
        raise InputError(f"n and n_probe must be positive, got {n}, {n_probe}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2))
    y = np.sin(3 * x[:, 0]) * np.cos(2 * x[:, 1])
    probe = torch.as_tensor(rng.uniform(-1, 1, size=(n_probe, 2)))
    return TrainData(torch.as_tensor(x), torch.as_tensor(y)), probe


def tanh_mlp(width: int, seed: int) -> nn.Sequential:
    """``Linear(2, width) -> tanh -> Linear(width, 1)`` in float64, PyTorch's default initialisation."""
    if width < 1:
        raise InputError(f"width must be positive, got {width}")
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, width), nn.Tanh(), nn.Linear(width, 1)).double()


def linear_layers(net: nn.Sequential) -> tuple[nn.Linear, nn.Linear]:
    """The hidden and output ``nn.Linear`` of a two-layer ``nn.Sequential(Linear, activation, Linear)``."""
    hidden, output = net[0], net[-1]
    if len(net) != 3 or not (isinstance(hidden, nn.Linear) and isinstance(output, nn.Linear)):
        raise InputError(f"net must be nn.Sequential(Linear, activation, Linear), got {net}")
    return hidden, output


def select_neurons(net: nn.Sequential, rows: np.ndarray) -> nn.Sequential:
    """The plain two-layer network whose hidden neuron i is neuron ``rows[i]`` of ``net`` (a permutation, or
    repeated indices: a neuron repeated n times contributes n times its output).

    >>> net = tanh_mlp(3, seed=0)
    >>> x = torch.ones(1, 2, dtype=torch.float64)
    >>> bool(torch.allclose(select_neurons(net, np.array([2, 0, 1]))(x), net(x)))
    True
    """
    hidden, output = linear_layers(net)
    idx = torch.as_tensor(np.asarray(rows, dtype=np.int64))
    out = nn.Sequential(nn.Linear(hidden.in_features, idx.numel()), net[1].__class__(),
                        nn.Linear(idx.numel(), output.out_features)).to(hidden.weight.dtype)
    new_hidden, new_output = linear_layers(out)
    with torch.no_grad():
        new_hidden.weight.copy_(hidden.weight[idx])
        new_hidden.bias.copy_(hidden.bias[idx])
        new_output.weight.copy_(output.weight[:, idx])
        new_output.bias.copy_(output.bias)
    return out


def both_precisions(experiment: Callable[[str], T]) -> dict[str, T]:
    """``{dtype: experiment(dtype)}`` for float32 and float64."""
    return {dtype: experiment(dtype) for dtype in PRECISIONS}
