"""Hostile input for the network compressors, generated systematically.

Entry points: :func:`~unicomp.numerics.networks.compress_mlp`,
:func:`~unicomp.numerics.networks.random_subnetwork`, :func:`~unicomp.numerics.attention.compress_heads`,
:func:`~unicomp.numerics.attention.random_heads`, :func:`~unicomp.numerics.networks.to_plain` and the
constructors behind them (``WeightedMLP.from_plain``, ``CausalAttention.subset``).  The cases cross
supported blocks (bare, at a dotted path inside a model, in a ``ModuleList``/``ModuleDict``, shared, already
weighted; two-layer blocks and attention layers) with every floating dtype, train/eval/mixed modes and frozen
parameters; and they feed wrong module types, missing or malformed paths, models that cannot be copied,
zero/negative/huge/non-integer widths and degrees, bad options and precisions, and tensors
(``requires_grad``, half precision) as indices and weights.

Every case ends in one of two ways, and anything else fails it:

* a clear :class:`~unicomp.errors.InputError` whose message names the argument (or the path) at fault; or
* a verified result: the compression passes :func:`~unicomp.verify.check_compression` against the
  original block's objects, the kept neurons/heads are exact copies, the weights are the compression's,
  the rest of the model is an exact copy, dtype, device, train/eval mode and ``requires_grad`` flags are
  kept, and the plain export computes the same function up to its rounding.

Always: the input model is not modified, torch's global generator, default dtype and grad mode and
mpmath's precision are unchanged, and the same call twice gives bitwise-equal modules.  Case count: about
1,600 (``pytest --collect-only -q tests/numerics/test_hostile_networks.py``).
"""

from __future__ import annotations

import copy
import math
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import mpmath
import numpy as np
import pytest
import torch
from torch import nn

from unicomp.errors import InputError
from unicomp.experiments._common import torch_threads
from unicomp.multiindex import num_moments
from unicomp.numerics.attention import CausalAttention, compress_heads, random_heads
from unicomp.numerics.finish import MAX_EXCESS_MOMENTS
from unicomp.numerics.networks import (
    SUPPORTED_ACTIVATIONS,
    WeightedMLP,
    compress_mlp,
    neuron_objects,
    random_subnetwork,
    to_plain,
)
from unicomp.verify import check_compression

N_IN, N_OUT, NEURONS = 3, 2, 30  # neuron objects in R^6 (m = n_out + n_in + 1)
E, HEAD_DIM, HEADS = 1, 2, 24  # head objects in R^8 (m = h (3e + o)), as in Fig. 7
DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


# ---------------------------------------------------------------------------------------------------------
# Models


def _mlp(dtype: torch.dtype = torch.float64, seed: int = 0, act: nn.Module | None = None,
         bias: tuple[bool, bool] = (True, True)) -> nn.Sequential:
    gen = torch.Generator().manual_seed(seed)
    hidden = nn.Linear(N_IN, NEURONS, bias=bias[0])
    output = nn.Linear(NEURONS, N_OUT, bias=bias[1])
    with torch.no_grad():
        for p in (*hidden.parameters(), *output.parameters()):
            p.copy_(torch.rand(p.shape, generator=gen) * 2 - 1)
    return nn.Sequential(hidden, nn.Tanh() if act is None else act, output).to(dtype)


def _attention(dtype: torch.dtype = torch.float64, seed: int = 0) -> CausalAttention:
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    layer = CausalAttention(E, HEADS, HEAD_DIM, readout="last", dtype=dtype)
    torch.random.set_rng_state(state)
    return layer


class Holder(nn.Module):
    """A model with ``block`` at ``encoder.<name>`` beside other modules."""

    def __init__(self, block: nn.Module, name: str = "mlp", dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        self.encoder = nn.Module()
        self.encoder.add_module("embed", nn.Linear(N_IN, N_IN, dtype=dtype))
        self.encoder.add_module(name, block)
        self.readout = nn.Linear(N_OUT, 1, dtype=dtype)


def _containers(block: nn.Module, dtype: torch.dtype) -> dict[str, tuple[nn.Module, str | None]]:
    """The same block placed in every supported way: name -> (model, layer)."""
    listed = nn.ModuleList([nn.Linear(1, 1, dtype=dtype), nn.Identity(), block])
    shared = nn.Module()
    shared.a = block
    shared.b = block
    return {
        "bare": (block, None),
        "empty-path": (block, ""),
        "attribute": (Holder(block, dtype=dtype), "encoder.mlp"),
        "module-list": (nn.Sequential(nn.Identity(), listed), "1.2"),
        "module-dict": (nn.ModuleDict({"ffn": block, "norm": nn.LayerNorm(2, dtype=dtype)}), "ffn"),
        "shared": (shared, "a"),
    }


# ---------------------------------------------------------------------------------------------------------
# Snapshots and the common harness


def freeze(value: Any) -> Any:
    """A comparable image of everything a call could change in ``value`` (bits, not values: NaN == NaN).

    A module gives its parameters and buffers, every submodule's train/eval mode and every parameter's
    ``requires_grad``; a tensor its dtype, shape, strides, flag and bytes.
    """
    if isinstance(value, nn.Module):
        return (
            type(value),
            freeze(dict(value.state_dict(keep_vars=True))),
            [(n, type(m), m.training) for n, m in value.named_modules(remove_duplicate=False)],
            [(n, p.requires_grad) for n, p in value.named_parameters(remove_duplicate=False)],
        )
    if isinstance(value, torch.Tensor):
        raw = value.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        return ("tensor", value.dtype, value.shape, value.stride(), value.requires_grad, value.device, raw)
    if isinstance(value, np.ndarray):
        return ("array", value.dtype, value.shape, value.tobytes())
    if isinstance(value, dict):
        return ("dict", type(value), [(k, freeze(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value), [freeze(v) for v in value])
    return ("object", type(value), repr(value))


def _global_state() -> Any:
    return freeze([torch.random.get_rng_state(), torch.get_default_dtype(), torch.is_grad_enabled(), mpmath.mp.dps])


def outcome(call: Callable[[], nn.Module], *inputs: Any) -> nn.Module | InputError:
    """Run ``call`` twice; the module it returns (bitwise the same both times) or the InputError it raises.

    Fails on any other exception, on a changed input, or on changed global state.
    """
    before = freeze(inputs)
    state = _global_state()
    try:
        first = call()
    except InputError as exc:
        result: nn.Module | InputError = exc
    else:
        assert freeze(first) == freeze(call())
        result = first
    assert freeze(inputs) == before
    assert _global_state() == state
    return result


def expect_error(result: nn.Module | InputError, pattern: str) -> None:
    assert isinstance(result, InputError), f"expected an error matching {pattern!r}, got a {type(result)}"
    assert re.search(pattern, str(result)), f"{pattern!r} not in {str(result)!r}"


# ---------------------------------------------------------------------------------------------------------
# Verification of a returned model


def _under(name: str, layer: str | None) -> bool:
    return bool(layer) and (name == layer or name.startswith(f"{layer}."))


def _rest_is_copied(model: nn.Module, out: nn.Module, layer: str | None) -> None:
    """Everything outside the block is an exact copy (values, modes, flags), not the same objects."""
    if not layer:
        return
    old = dict(model.named_modules())
    for name, module in out.named_modules():
        if not _under(name, layer):
            assert module.training == old[name].training and type(module) is type(old[name])
    mine = {n: p for n, p in model.named_parameters() if not _under(n.rsplit(".", 1)[0], layer)}
    theirs = {n: p for n, p in out.named_parameters() if not _under(n.rsplit(".", 1)[0], layer)}
    assert mine.keys() == theirs.keys()
    for n, p in mine.items():
        q = theirs[n]
        assert q is not p and torch.equal(q, p) and q.requires_grad == p.requires_grad and q.dtype == p.dtype


def _parts(block: nn.Module) -> tuple[nn.Linear, nn.Module, nn.Linear]:
    if isinstance(block, WeightedMLP):
        return block.hidden, block.activation, block.output
    assert isinstance(block, nn.Sequential)
    hidden, act, output = list(block)
    assert isinstance(hidden, nn.Linear) and isinstance(output, nn.Linear)
    return hidden, act, output


def _export_tolerance(dtype: torch.dtype, terms: int) -> float:
    """Relative bound on plain export vs weighted module, per unit of the sum of absolute products.

    Each side computes a sum of ``terms`` products plus a bias with error at most gamma_(terms + 1) times
    the sum of absolute products (Higham, Thm 3.1; gamma_n = n u / (1 - n u), u the unit roundoff), and
    c_j is rounded into a different factor on each side (sigma c vs c v), one more u each: in all at most
    2 gamma_(terms + 2).
    """
    u = torch.finfo(dtype).eps / 2
    n = terms + 2
    return 2 * n * u / (1 - n * u)


def verify_mlp(model: nn.Module, layer: str | None, out: nn.Module, width: int, compressed: bool) -> None:
    old = model.get_submodule(layer) if layer else model
    new = out.get_submodule(layer) if layer else out
    assert isinstance(new, WeightedMLP) and new.width == width
    hidden, act, output = _parts(old)
    objects = neuron_objects(old)
    if compressed:
        comp = new.compression
        assert comp is not None
        prior = old.weights.detach().to("cpu", torch.float64).numpy() if isinstance(old, WeightedMLP) else None
        check_compression(comp, objects, prior)
        indices, weights = comp.indices, comp.weights
    else:  # the random baseline: distinct original neurons, weights one
        rows = [int(np.flatnonzero((objects == row).all(axis=1))[0]) for row in neuron_objects(new)]
        indices, weights = np.asarray(rows), np.ones(width)
        assert len(set(rows)) == width
    np.testing.assert_array_equal(neuron_objects(new), objects[indices])  # exact copies of the neurons
    assert torch.equal(new.weights, torch.as_tensor(weights).to(new.weights.dtype))
    for part_new, part_old in ((new.hidden, hidden), (new.activation, act), (new.output, output)):
        assert part_new.training == part_old.training and type(part_new) is type(part_old)
        for (n, p), (_, q) in zip(part_new.named_parameters(), part_old.named_parameters(), strict=True):
            assert (p.dtype, p.device, p.requires_grad) == (q.dtype, q.device, q.requires_grad), n
    assert new.training == old.training
    assert new.weights.dtype == hidden.weight.dtype and new.weights.device == hidden.weight.device
    _rest_is_copied(model, out, layer)
    _check_export(out, layer, new)


def _check_export(out: nn.Module, layer: str | None, new: WeightedMLP) -> None:
    """to_plain(out) holds an nn.Sequential at the path computing the weighted block's function."""
    plain_model = to_plain(out)
    plain = plain_model.get_submodule(layer) if layer else plain_model
    assert isinstance(plain, nn.Sequential) and plain.training == new.training
    dtype = new.weights.dtype
    x = (torch.rand(16, N_IN, generator=torch.Generator().manual_seed(1)) * 2 - 1).to(dtype)
    with torch.no_grad():
        got, want = plain(x).double(), new(x).double()
        hidden = new.activation(new.hidden(x)).double() * new.weights.double()
        scale = hidden.abs() @ new.output.weight.double().abs().T + 1.0  # the bias enters once
    assert torch.all((got - want).abs() <= _export_tolerance(dtype, new.width) * scale)


# ---------------------------------------------------------------------------------------------------------
# A. Supported blocks in every container, dtype, mode and freezing


MODES = {
    "train": lambda model, block: model.train(),
    "eval": lambda model, block: model.eval(),
    "mixed": lambda model, block: (model.train(), block.eval(), _parts(block)[2].train()),
}
FROZEN = {
    "none": lambda model, block: None,
    "hidden": lambda model, block: _parts(block)[0].weight.requires_grad_(False),
    "all": lambda model, block: [p.requires_grad_(False) for p in model.parameters()],
}
STATES = [("train", "none"), ("eval", "hidden"), ("mixed", "all"), ("eval", "all")]
MLP_BLOCKS = {
    "plain": lambda dtype: _mlp(dtype),
    "weighted": lambda dtype: WeightedMLP.from_plain(
        _mlp(dtype), weights=np.random.default_rng(3).uniform(0.5, 2.0, NEURONS)
    ),
}


def _placed(kind: str, container: str, dtype: torch.dtype, state: tuple[str, str]) -> tuple[nn.Module, str | None]:
    block = MLP_BLOCKS[kind](dtype)
    model, layer = _containers(block, dtype)[container]
    MODES[state[0]](model, block)
    FROZEN[state[1]](model, block)
    return model, layer


@pytest.mark.parametrize("state", STATES, ids=["-".join(s) for s in STATES])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("container", list(_containers(nn.Identity(), torch.float64)))
@pytest.mark.parametrize("kind", list(MLP_BLOCKS))
@pytest.mark.parametrize("entry", ["compress_mlp", "random_subnetwork"])
def test_supported_mlp_blocks(entry: str, kind: str, container: str, dtype: torch.dtype,
                              state: tuple[str, str]) -> None:
    model, layer = _placed(kind, container, dtype, state)
    width = 9  # >= N_{6,1} = 7
    if entry == "compress_mlp":
        result = outcome(lambda: compress_mlp(model, degree=1, width=width, layer=layer), model)
    else:
        result = outcome(lambda: random_subnetwork(model, width, layer=layer, seed=2), model)
    assert isinstance(result, nn.Module)
    verify_mlp(model, layer, result, width, compressed=entry == "compress_mlp")
    if container == "shared":  # every reference to the block is the new one
        assert result.get_submodule("a") is result.get_submodule("b")


HEAD_STATES = {
    "train": lambda model, layer: None,
    "eval-query-frozen": lambda model, layer: (model.eval(), layer.query.requires_grad_(False)),
    "mixed-all-frozen": lambda model, layer: (model.train(), layer.eval(),
                                              [p.requires_grad_(False) for p in model.parameters()]),
}


@pytest.mark.parametrize("state", list(HEAD_STATES))
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("container", list(_containers(nn.Identity(), torch.float64)))
@pytest.mark.parametrize("entry", ["compress_heads", "random_heads"])
def test_supported_attention_blocks(entry: str, container: str, dtype: torch.dtype, state: str) -> None:
    layer = _attention(dtype)
    model, path = _containers(layer, dtype)[container]
    HEAD_STATES[state](model, layer)
    if entry == "compress_heads":
        result = outcome(lambda: compress_heads(model, degree=1, heads=10, layer=path), model)
    else:
        result = outcome(lambda: random_heads(model, 10, layer=path, seed=4), model)
    assert isinstance(result, nn.Module)
    verify_heads(model, path, result, 10, compressed=entry == "compress_heads")


# ---------------------------------------------------------------------------------------------------------
# B. Every supported activation, with and without biases

BIASES = [(True, True), (True, False), (False, True), (False, False)]


@pytest.mark.parametrize("bias", BIASES, ids=[f"bias{int(a)}{int(b)}" for a, b in BIASES])
@pytest.mark.parametrize("act", SUPPORTED_ACTIVATIONS, ids=lambda a: a.__name__)
def test_every_activation(act: type[nn.Module], bias: tuple[bool, bool]) -> None:
    model = _mlp(act=act(), bias=bias)
    result = outcome(lambda: compress_mlp(model, degree=1, width=9), model)
    assert isinstance(result, nn.Module)
    verify_mlp(model, None, result, 9, compressed=True)


# ---------------------------------------------------------------------------------------------------------
# C. Widths and degrees, against an oracle of the documented rule

def sizes(count: int) -> list[Any]:
    """Target sizes for ``count`` objects: around N_{m,k} and ``count``, huge, and of every wrong type."""
    return [0, -1, 1, 8, 9, count - 1, count, count + 1, 10**18, np.int64(12), 2.0, "10", True, None, math.nan]


DEGREES: list[Any] = [-1, 0, 1, 2, 3, 10**6, 10**18, np.int64(1), 2.5, "2", True, None]


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def size_oracle(size: Any, degree: Any, name: str, count: int, m: int) -> str | tuple[int, int]:
    """The one size rule (unicomp.validation.as_size): an error pattern naming an argument at fault, or the
    least and most objects kept (``None``: the smallest compression, at most N_{m,k} objects)."""
    size_ok = size is None or (_is_int(size) and size >= 1)
    bad = [n for n, ok in ((name, size_ok), ("degree", _is_int(degree) and degree >= 0)) if not ok]
    if bad:
        return "^(" + "|".join(bad) + ") must be"
    needed = num_moments(m, int(degree))
    if size is None:  # a recombination, whose guard refuses more than MAX_EXCESS_MOMENTS excess moments
        if needed > max(count, MAX_EXCESS_MOMENTS):
            return rf"^degree={degree} gives N_\(m,k\).*use degree <= \d+"
        return 1, needed
    problems = []
    if size > count:
        problems.append(rf"{name} must be at most the number of objects, {count}, got {size}")
    if size < needed:
        problems.append(rf"{name} must be at least N_\(m,k\) = C\(m\+k, k\) = {needed} .*largest feasible degree")
    if problems:
        return "^(" + "|".join(problems) + ")"
    return int(size), int(size)


@pytest.mark.parametrize("degree", DEGREES, ids=repr)
@pytest.mark.parametrize("width", sizes(NEURONS), ids=repr)
def test_mlp_widths_and_degrees(width: Any, degree: Any) -> None:
    model = _mlp(torch.float32)
    result = outcome(lambda: compress_mlp(model, degree=degree, width=width), model)
    want = size_oracle(width, degree, "width", NEURONS, N_OUT + N_IN + 1)
    if isinstance(want, str):
        expect_error(result, want)
    else:
        assert isinstance(result, WeightedMLP) and want[0] <= result.width <= want[1]
        verify_mlp(model, None, result, result.width, compressed=True)


def verify_heads(model: nn.Module, layer: str | None, out: nn.Module, heads: int, compressed: bool) -> None:
    old = model.get_submodule(layer) if layer else model
    new = out.get_submodule(layer) if layer else out
    assert isinstance(old, CausalAttention) and isinstance(new, CausalAttention) and new.num_heads == heads
    objects = old.head_objects()
    if compressed:
        comp = new.compression
        assert comp is not None
        check_compression(comp, objects, old.weights.detach().to("cpu", torch.float64).numpy())
        indices, weights = comp.indices, comp.weights
    else:
        rows = [int(np.flatnonzero((objects == row).all(axis=1))[0]) for row in new.head_objects()]
        indices, weights = np.asarray(rows), np.ones(heads)
        assert len(set(rows)) == heads
    np.testing.assert_array_equal(new.head_objects(), objects[indices])
    assert torch.equal(new.weights, torch.as_tensor(weights).to(new.weights.dtype))
    assert new.training == old.training and (new.readout, new.dims) == (old.readout, old.dims)
    for (n, p), (_, q) in zip(new.named_parameters(), old.named_parameters(), strict=True):
        assert (p.dtype, p.device, p.requires_grad) == (q.dtype, q.device, q.requires_grad), n
    _rest_is_copied(model, out, layer)
    plain_model = to_plain(out)
    plain = plain_model.get_submodule(layer) if layer else plain_model
    assert isinstance(plain, CausalAttention) and torch.all(plain.weights == 1)
    x = torch.randn(4, 5, E, generator=torch.Generator().manual_seed(1)).to(new.weights.dtype)
    with torch.no_grad():
        gap = (plain(x).double() - new(x).double()).abs().max()
        scale = float((new.weights.double()[:, None, None] * new.out.double().abs()).sum()) * float(
            new.value.double().abs().max()) * float(x.double().abs().max()) + 1.0
    # both sides form c_i O_i the same way; the bound allows the sums over heads and head dimensions
    # (heads * h products per output) to be rounded differently
    assert float(gap) <= _export_tolerance(new.weights.dtype, heads * HEAD_DIM) * scale


@pytest.mark.parametrize("degree", DEGREES, ids=repr)
@pytest.mark.parametrize("heads", sizes(HEADS), ids=repr)
def test_head_counts_and_degrees(heads: Any, degree: Any) -> None:
    layer = _attention(torch.float32)
    result = outcome(lambda: compress_heads(layer, degree=degree, heads=heads), layer)
    want = size_oracle(heads, degree, "heads", HEADS, HEAD_DIM * (3 * E + E))
    if isinstance(want, str):
        expect_error(result, want)
    else:
        assert isinstance(result, CausalAttention) and want[0] <= result.num_heads <= want[1]
        verify_heads(layer, None, result, result.num_heads, compressed=True)


SEEDS: list[Any] = [0, 7, np.int64(3), -1, 1.5, "1", None, True]


@pytest.mark.parametrize("seed", SEEDS, ids=repr)
@pytest.mark.parametrize("size", sizes(NEURONS), ids=repr)
@pytest.mark.parametrize("entry", ["random_subnetwork", "random_heads"])
def test_random_baselines(entry: str, size: Any, seed: Any) -> None:
    name = "width" if entry == "random_subnetwork" else "heads"
    count = NEURONS if entry == "random_subnetwork" else HEADS
    if entry == "random_subnetwork":
        model: nn.Module = _mlp()
        result = outcome(lambda: random_subnetwork(model, size, seed=seed), model)
    else:
        model = _attention()
        result = outcome(lambda: random_heads(model, size, seed=seed), model)
    bad = [n for n, v, low in ((name, size, 1), ("seed", seed, 0)) if not (_is_int(v) and v >= low)]
    if _is_int(size) and size > count:
        bad.append(name)
    if bad:
        expect_error(result, "^(" + "|".join(bad) + ") must be")
    else:
        assert isinstance(result, nn.Module)
        verify = verify_mlp if entry == "random_subnetwork" else verify_heads
        verify(model, None, result, int(size), compressed=False)


# ---------------------------------------------------------------------------------------------------------
# D. Unsupported modules, as the model and at a path

BAD_MLPS: dict[str, Callable[[], Any]] = {
    "linear": lambda: nn.Linear(2, 3),
    "deep": lambda: nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1)),
    "two-layers": lambda: nn.Sequential(nn.Linear(2, 4), nn.Linear(4, 1)),
    "softmax": lambda: nn.Sequential(nn.Linear(2, 4), nn.Softmax(dim=1), nn.Linear(4, 1)),
    "prelu": lambda: nn.Sequential(nn.Linear(2, 4), nn.PReLU(), nn.Linear(4, 1)),
    "dropout": lambda: nn.Sequential(nn.Linear(2, 4), nn.Dropout(), nn.Linear(4, 1)),
    "mismatch": lambda: nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(4, 1)),
    "conv": lambda: nn.Sequential(nn.Conv1d(1, 4, 3), nn.ReLU(), nn.Linear(4, 1)),
    "mixed-dtypes": lambda: nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1, dtype=torch.float64)),
    "complex": lambda: nn.Sequential(nn.Linear(2, 4, dtype=torch.complex64), nn.Identity(),
                                     nn.Linear(4, 1, dtype=torch.complex64)),
    "empty": lambda: nn.Sequential(),
    "attention": lambda: _attention(),
    "torch-mha": lambda: nn.MultiheadAttention(4, 2),
    "module": lambda: nn.Module(),
}
NOT_MODULES: dict[str, Callable[[], Any]] = {
    "none": lambda: None,
    "string": lambda: "encoder.mlp",
    "int": lambda: 3,
    "array": lambda: np.zeros((3, 3)),
    "tensor": lambda: torch.zeros(3, 3, requires_grad=True),
    "class": lambda: nn.Sequential,
    "state-dict": lambda: _mlp().state_dict(),
}
ENTRIES: dict[str, Callable[[Any, str | None], nn.Module]] = {
    "compress_mlp": lambda model, layer: compress_mlp(model, degree=1, width=9, layer=layer),
    "random_subnetwork": lambda model, layer: random_subnetwork(model, 2, layer=layer),
    "compress_heads": lambda model, layer: compress_heads(model, degree=0, heads=2, layer=layer),
    "random_heads": lambda model, layer: random_heads(model, 2, layer=layer),
}


UNSUPPORTED = [(entry, bad) for entry in ENTRIES for bad in BAD_MLPS
               if not (entry.endswith("heads") and bad == "attention")]  # supported there: covered above


@pytest.mark.parametrize("where", ["model", "path"])
@pytest.mark.parametrize(("entry", "bad"), UNSUPPORTED, ids=["-".join(c) for c in UNSUPPORTED])
def test_unsupported_modules(entry: str, bad: str, where: str) -> None:
    block = BAD_MLPS[bad]()
    model, layer = (block, None) if where == "model" else (Holder(block, "odd"), "encoder.odd")
    result = outcome(lambda: ENTRIES[entry](model, layer), model)
    name = "model" if where == "model" else r"layer 'encoder\.odd'"
    expect_error(result, rf"^{name}('s)? (must be|layers do not fit|parameters must be)")


@pytest.mark.parametrize("where", ["model", "path"])
@pytest.mark.parametrize("bad", list(NOT_MODULES))
@pytest.mark.parametrize("entry", [*ENTRIES, "to_plain"])
def test_not_modules(entry: str, bad: str, where: str) -> None:
    model = NOT_MODULES[bad]()
    layer = None if where == "model" else "encoder.mlp"
    if entry == "to_plain":
        result = outcome(lambda: to_plain(model), model)
    else:
        result = outcome(lambda: ENTRIES[entry](model, layer), model)
    expect_error(result, rf"model must be .*{type(model).__name__}")


def _uncopyable(kind: str, block: nn.Module) -> nn.Module:
    model = Holder(block)
    if kind == "non-leaf-tensor":
        model.cache = torch.ones(2, requires_grad=True) * 2
    else:
        setattr(model, "lock", threading.Lock())  # noqa: B010 - a plain attribute, not a module
    return model


@pytest.mark.parametrize("kind", ["non-leaf-tensor", "lock"])
@pytest.mark.parametrize("entry", [*ENTRIES, "to_plain"])
def test_models_that_cannot_be_copied(entry: str, kind: str) -> None:
    """The returned model is a copy; one that deepcopy refuses gives an error saying so, not a RuntimeError."""
    model = _uncopyable(kind, _attention() if entry.endswith("heads") else _mlp())
    if entry == "to_plain":
        result = outcome(lambda: to_plain(model), model)
        expect_error(result, r"^model cannot be copied to export it \(copy\.deepcopy failed: ")
    else:
        result = outcome(lambda: ENTRIES[entry](model, "encoder.mlp"), model)
        expect_error(result, r"^model cannot be copied to replace layer 'encoder\.mlp' \(copy\.deepcopy failed: ")


# ---------------------------------------------------------------------------------------------------------
# E. Missing and malformed paths

BAD_PATHS: dict[Any, str] = {
    "decoder": r"the model \(Holder\) has no submodule 'decoder' \(its submodules: 'encoder', 'readout'\)",
    "encoder.mlpx": r"'encoder' \(Module\) has no submodule 'mlpx' \(its submodules: 'embed', 'mlp'\)",
    "encoder.mlp.3": r"'encoder\.mlp' \(\w+\) has no submodule '3'",
    "encoder..mlp": r"'encoder' \(Module\) has no submodule ''",
    ".encoder": r"the model \(Holder\) has no submodule ''",
    "encoder.mlp.": r"'encoder\.mlp' \(\w+\) has no submodule ''",
    "encoder.embed.weight": r"'encoder\.embed' \(Linear\) has no submodule 'weight' \(its submodules: none\)",
    "Encoder": r"has no submodule 'Encoder'",
    " encoder": r"has no submodule ' encoder'",
    "encoder/mlp": r"has no submodule 'encoder/mlp'",
    "encoder.embed": r"layer 'encoder\.embed' must be",
    "readout": r"layer 'readout' must be",
    "encoder": r"layer 'encoder' must be",
    3: r"layer must be the dotted path.*got int",
    b"encoder.mlp": r"layer must be the dotted path.*got bytes",
    ("encoder", "mlp"): r"layer must be the dotted path.*got tuple",
    "__MODULE__": r"layer must be the dotted path.*got \w+; pass the module itself",
}


@pytest.mark.parametrize("path", list(BAD_PATHS), ids=repr)
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_bad_paths(entry: str, path: Any) -> None:
    block = _attention() if entry.endswith("heads") else _mlp()
    model = Holder(block)
    layer: Any = block if path == "__MODULE__" else path
    result = outcome(lambda: ENTRIES[entry](model, layer), model)
    expect_error(result, BAD_PATHS[path])


# ---------------------------------------------------------------------------------------------------------
# F. Options: scale_gradients and method

FLAGS: list[Any] = [True, False, np.bool_(False), "no", 0, 1, None, "True"]
METHODS: list[Any] = ["partition", "greedy", "nope", None]


@pytest.mark.parametrize("method", METHODS, ids=repr)
@pytest.mark.parametrize("flag", FLAGS, ids=repr)
@pytest.mark.parametrize("entry", ["compress_mlp", "compress_heads"])
def test_options(entry: str, flag: Any, method: Any) -> None:
    if entry == "compress_mlp":
        model: nn.Module = _mlp()
        result = outcome(lambda: compress_mlp(model, degree=1, width=9, scale_gradients=flag, method=method), model)
    else:
        model = _attention()
        result = outcome(lambda: compress_heads(model, degree=1, heads=9, scale_gradients=flag, method=method),
                         model)
    if not isinstance(flag, bool | np.bool_):
        expect_error(result, r"scale_gradients must be True or False")
    elif method not in ("partition", "greedy"):
        expect_error(result, r"method must be one of")
    else:
        assert isinstance(result, WeightedMLP | CausalAttention) and result.scale_gradients == bool(flag)
        verify = verify_mlp if entry == "compress_mlp" else verify_heads
        verify(model, None, result, 9, compressed=True)


PRECISIONS: list[Any] = [None, 20, 0, -1, "30", 2.5, True, 10**6, 10**18]


@pytest.mark.parametrize("precision", PRECISIONS, ids=repr)
@pytest.mark.parametrize("entry", ["compress_mlp", "compress_heads"])
def test_precision(entry: str, precision: Any) -> None:
    """Arbitrary-precision compressions: verified like float64 ones; a bad ``precision`` is named."""
    if entry == "compress_mlp":
        model: nn.Module = _mlp()
        result = outcome(lambda: compress_mlp(model, degree=1, width=9, precision=precision), model)
    else:
        model = _attention()
        result = outcome(lambda: compress_heads(model, degree=1, heads=9, precision=precision), model)
    if precision is not None and not (_is_int(precision) and 16 <= precision <= 10_000):
        expect_error(result, r"^precision must be")
    else:
        assert isinstance(result, WeightedMLP | CausalAttention) and result.compression is not None
        assert result.compression.precision == precision
        verify = verify_mlp if entry == "compress_mlp" else verify_heads
        verify(model, None, result, 9, compressed=True)


# ---------------------------------------------------------------------------------------------------------
# G. The plain export of whole models


def _export_models(dtype: torch.dtype) -> Iterator[tuple[str, nn.Module]]:
    weighted = WeightedMLP.from_plain(_mlp(dtype), [0, 4, 9], [2.0, 0.5, 7.0])
    heads = _attention(dtype).subset([1, 5, 6], [3.0, 0.25, 1.5])
    yield "weighted", weighted
    yield "weighted-eval", copy.deepcopy(weighted).eval()
    yield "heads", heads
    yield "in-model", Holder(copy.deepcopy(weighted), dtype=dtype)
    yield "heads-in-model", Holder(copy.deepcopy(heads), "attn", dtype=dtype).eval()
    both = Holder(copy.deepcopy(weighted), dtype=dtype)
    both.add_module("attn", copy.deepcopy(heads))
    yield "both", both
    yield "list", nn.ModuleList([copy.deepcopy(weighted), nn.Linear(2, 2, dtype=dtype), copy.deepcopy(weighted)])
    yield "nothing-weighted", Holder(_mlp(dtype), dtype=dtype)
    yield "plain", _mlp(dtype)


EXPORTS = [name for name, _ in _export_models(torch.float64)]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", EXPORTS)
def test_to_plain(name: str, dtype: torch.dtype) -> None:
    model = dict(_export_models(dtype))[name]
    result = outcome(lambda: to_plain(model), model)
    assert isinstance(result, nn.Module) and result is not model
    kinds = {type(m) for m in result.modules()}
    assert WeightedMLP not in kinds  # every weighted network exported
    weighted = {n: m for n, m in model.named_modules() if isinstance(m, WeightedMLP | CausalAttention)}
    for path, block in weighted.items():
        if isinstance(block, WeightedMLP):
            _check_export(model, path, block)
        else:
            plain = result.get_submodule(path)
            assert isinstance(plain, CausalAttention) and torch.all(plain.weights == 1)
            assert plain.training == block.training
    if not weighted:
        assert freeze(result) == freeze(model)


# ---------------------------------------------------------------------------------------------------------
# H. Tensors as indices and weights

TENSORS: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
    "int64": (lambda: torch.tensor([2, 5]), lambda: None),
    "int32": (lambda: torch.tensor([2, 5], dtype=torch.int32), lambda: None),
    "requires-grad": (lambda: [2, 5], lambda: torch.tensor([1.5, 2.5], requires_grad=True)),
    "float16": (lambda: [2, 5], lambda: torch.tensor([1.5, 2.5], dtype=torch.float16)),
    "bfloat16": (lambda: [2, 5], lambda: torch.tensor([1.5, 2.5], dtype=torch.bfloat16)),
    "strided": (lambda: torch.arange(6)[1::3], lambda: torch.tensor([1.5, 9.0, 2.5])[::2]),
    "float-indices": (lambda: torch.tensor([2.0, 5.0]), lambda: None),
    "negative-weight": (lambda: [2, 5], lambda: torch.tensor([1.5, -2.5], requires_grad=True)),
    "nan-weight": (lambda: [2, 5], lambda: torch.tensor([1.5, math.nan])),
    "2d-weights": (lambda: [2, 5], lambda: torch.ones(2, 1)),
}


@pytest.mark.parametrize("case", list(TENSORS))
@pytest.mark.parametrize("entry", ["from_plain", "subset"])
def test_tensor_indices_and_weights(entry: str, case: str) -> None:
    make_indices, make_weights = TENSORS[case]
    indices, weights = make_indices(), make_weights()
    model: nn.Module = _mlp() if entry == "from_plain" else _attention()
    if entry == "from_plain":
        result = outcome(lambda: WeightedMLP.from_plain(model, indices, weights), model, indices, weights)
    else:
        assert isinstance(model, CausalAttention)
        result = outcome(lambda: model.subset(indices, weights), model, indices, weights)
    if case == "float-indices":
        expect_error(result, "indices must be")
    elif case in ("negative-weight", "nan-weight", "2d-weights"):
        expect_error(result, "weights must be")
    else:
        assert isinstance(result, WeightedMLP | CausalAttention)
        want = np.ones(2) if weights is None else torch.as_tensor(weights).detach().double().numpy()
        np.testing.assert_array_equal(result.weights.double().numpy(), want)


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """One intra-op thread: the modules are tiny, and on a busy 2-core machine threads only contend."""
    with torch_threads(1):
        yield
