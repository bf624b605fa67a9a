"""Hostile-input corpus for the reduction entry points (issue 12, point 2).

Generated systematically: every kind of point set (dtypes, layouts, containers, scales, degenerate sets) and
every kind of weights is run through every entry point that takes it -- :func:`recombine`, :func:`compress`
(both methods, default size), :func:`reduce`, :func:`compress_dataset`, a small local
:func:`compress_sharded` and :meth:`ChebyshevBasis.fit` -- and every bad argument (points, weights, degree,
size, precision, tol, seed, method, chunk size) through every entry point that has it.

Each case ends in one of two outcomes:

* a result verified independently of the code that made it (:func:`unicomp.verify.check_compression`:
  exact sums of the Chebyshev and of the scaled monomial moments, the mass, the support size), computed twice
  with bitwise-equal results, with the inputs unchanged and the global state (mpmath precision, torch
  defaults, numpy error handling) as it was;
* a :class:`~unicomp.errors.InputError` (a ``ValueError``) or ``TypeError`` whose message names the argument.

Nothing else (no other exception, no warning: pytest turns warnings into errors here, no hang: every case is
small).  The number of cases is printed by ``pytest --collect-only -q tests/test_hostile_numerics.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from math import comb
from typing import Any

import mpmath
import numpy as np
import pytest
import torch
from distributed import Client, LocalCluster

from unicomp import InputError, compress, recombine, reduce
from unicomp.numerics.basis import ChebyshevBasis
from unicomp.numerics.datasets import WeightedDataset, compress_dataset
from unicomp.numerics.distributed import compress_sharded
from unicomp.numerics.result import Compression
from unicomp.verify import check_compression

RNG = np.random.default_rng(12)
BASE = RNG.uniform(-1, 1, (40, 2))
DEGREE = 2
SIZE = 12  # N_(2,2) = 6 <= 12 <= 40 points: a real Algorithm-1 run on every valid 2-D set of 40


@dataclass(frozen=True)
class Case:
    """An input as the user passes it, and the float64 values it stands for."""

    value: Any
    expected: np.ndarray


def _points() -> dict[str, Case]:
    """Valid point sets: every dtype, layout and container, degenerate sets, extreme scales."""
    ints = RNG.integers(-5, 6, (40, 2))
    big = np.zeros((80, 4))
    big[::2, ::2] = BASE
    readonly = BASE.copy()
    readonly.flags.writeable = False
    t = np.linspace(-1, 1, 40)
    cases = {
        "float64": BASE,
        "float32": BASE.astype(np.float32),
        "float16": BASE.astype(np.float16),
        "int64": ints,
        "int8": ints.astype(np.int8),
        "uint16": (ints + 5).astype(np.uint16),
        "bool": RNG.random((40, 2)) < 0.5,
        "fortran": np.asfortranarray(BASE),
        "non-contiguous": big[::2, ::2],
        "read-only": readonly,
        "one-dimensional": BASE[:, 0],
        "one point": BASE[:1],
        "two points": BASE[:2],
        "duplicates": np.repeat(BASE[:5], 8, axis=0),
        "all equal": np.tile(BASE[:1], (40, 1)),
        "collinear": np.column_stack([t, 2 * t - 1]),
        "scale 1e150": BASE * 1e150,
        "scale 1e-150": BASE * 1e-150,
        "offset 1e8": BASE * 1e-3 + 1e8,
        "mixed scales": BASE * np.array([1e120, 1e-120]),
        "subnormal": BASE * 1e-310,
        "three dimensions": RNG.uniform(-1, 1, (40, 3)),
    }
    out = {name: Case(arr, np.asarray(arr, dtype=np.float64).reshape(len(arr), -1)) for name, arr in cases.items()}
    out["list"] = Case(BASE.tolist(), BASE)
    out["tuple of tuples"] = Case(tuple(map(tuple, BASE.tolist())), BASE)
    out["torch float64"] = Case(torch.tensor(BASE), BASE)
    out["torch float32"] = Case(torch.tensor(BASE, dtype=torch.float32), BASE.astype(np.float32).astype(np.float64))
    out["torch requires_grad"] = Case(torch.tensor(BASE, requires_grad=True), BASE)
    return out


def _weights() -> dict[str, Case]:
    """Valid weights for ``BASE``: dtypes, containers, zeros, extreme (but representable) magnitudes."""
    ints = RNG.integers(0, 4, 40)
    ints[0] = 1
    one_hot = np.zeros(40)
    one_hot[7] = 2.5
    cases = {
        "float64": RNG.uniform(0.1, 2, 40),
        "int with zeros": ints,
        "bool mask": RNG.random(40) < 0.6,
        "float32": RNG.uniform(0.1, 2, 40).astype(np.float32),
        "one positive": one_hot,
        "tiny 1e-150": RNG.uniform(0.1, 2, 40) * 1e-150,
        "huge 1e150": RNG.uniform(0.1, 2, 40) * 1e150,
        "spread 1e-100..1e100": 10.0 ** RNG.uniform(-100, 100, 40),
        "near the top 1e306": np.full(40, 1e306),
    }
    out = {name: Case(arr, np.asarray(arr, dtype=np.float64)) for name, arr in cases.items()}
    w = RNG.uniform(0.1, 2, 40)
    out["list"] = Case(w.tolist(), w)
    out["torch requires_grad"] = Case(torch.tensor(w, requires_grad=True), w)
    return out


POINTS = _points()
WEIGHTS = _weights()


def _snapshot(value: Any) -> Any:
    """A deep copy to compare against after the call (inputs must never be mutated)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else repr(value)


def _unchanged(value: Any, before: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return _unchanged(value.detach().numpy(), before.numpy()) and value.grad is None
    if not isinstance(value, np.ndarray):
        return repr(value) == before
    numeric = value.dtype.kind in "biufc"
    return value.dtype == before.dtype and bool(np.array_equal(value, before, equal_nan=numeric))


def _global_state() -> tuple[Any, ...]:
    return (mpmath.mp.dps, torch.get_default_dtype(), torch.is_grad_enabled(), tuple(sorted(np.geterr().items())))


@contextlib.contextmanager
def _guarded(*inputs: Any) -> Iterator[None]:
    """Inputs unchanged and global state restored, whatever the call did."""
    before = [_snapshot(v) for v in inputs]
    state = _global_state()
    yield
    assert all(_unchanged(v, b) for v, b in zip(inputs, before, strict=True)), "an input was mutated"
    assert _global_state() == state, "global state changed"


def _same(a: Compression, b: Compression) -> bool:
    return np.array_equal(a.indices, b.indices) and np.array_equal(a.weights, b.weights) and a.residual == b.residual


def _verify(comp: Compression, points: np.ndarray, weights: np.ndarray | None, limit: int) -> None:
    """The result carries the input's moments (independent exact sums), on at most ``limit`` points."""
    w = np.ones(points.shape[0]) if weights is None else weights
    check_compression(comp, points, w, max_size=max(limit, 1))
    assert np.all(comp.weights > 0) and np.all(np.isfinite(comp.weights))
    assert np.all(w[comp.indices] > 0), "a zero-weight point was kept"
    assert comp.n_input == points.shape[0]


def _n_mk(points: np.ndarray, degree: int = DEGREE) -> int:
    return comb(points.shape[1] + degree, degree)


# ---- valid inputs: a verified result, twice the same ----

CALLS: dict[str, Callable[..., Compression]] = {
    "recombine": lambda p, w: recombine(p, w, degree=DEGREE),
    "compress default size": lambda p, w: compress(p, w, degree=DEGREE),
    "compress partition": lambda p, w: compress(p, w, degree=DEGREE, size=SIZE),
    "compress greedy": lambda p, w: compress(p, w, degree=DEGREE, size=SIZE, method="greedy"),
    "reduce": lambda p, w: reduce(p, w, degree=DEGREE, size=SIZE, seed=np.random.default_rng(1)),
}


def _expected_limit(call: str, points: np.ndarray) -> int | None:
    """Support bound of a valid call, or ``None`` when the size rule makes it an error."""
    n_mk = _n_mk(points)
    if call in ("recombine", "compress default size"):
        return n_mk
    return SIZE if n_mk <= SIZE <= points.shape[0] else None


def _run_valid(call: str, points: Case, weights: Case | None) -> None:
    w_value = None if weights is None else weights.value
    w_expected = None if weights is None else weights.expected
    limit = _expected_limit(call, points.expected)
    with _guarded(points.value, w_value):
        if limit is None:  # the one size rule: N_mk <= size <= N
            with pytest.raises(InputError, match="size must be"):
                CALLS[call](points.value, w_value)
            return
        first = CALLS[call](points.value, w_value)
        second = CALLS[call](points.value, w_value)
    assert _same(first, second), "not deterministic"
    _verify(first, points.expected, w_expected, limit)
    positive = int(np.count_nonzero(w_expected)) if w_expected is not None else points.expected.shape[0]
    if call == "compress partition" or call == "compress greedy":
        assert first.size <= min(SIZE, positive)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("points", POINTS)
def test_valid_points(call: str, points: str) -> None:
    _run_valid(call, POINTS[points], None)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("weights", WEIGHTS)
def test_valid_weights(call: str, weights: str) -> None:
    _run_valid(call, Case(BASE, BASE), WEIGHTS[weights])


@pytest.mark.parametrize("points", ["float64", "int64", "duplicates", "collinear", "one-dimensional", "scale 1e150"])
@pytest.mark.parametrize("weights", [None, "int with zeros", "spread 1e-100..1e100"])
def test_valid_inputs_in_arbitrary_precision(points: str, weights: str | None) -> None:
    case = POINTS[points]
    w = None if weights is None else WEIGHTS[weights]
    w_value = None if w is None else w.value
    with _guarded(case.value, w_value):
        first = recombine(case.value, w_value, degree=DEGREE, precision=20)
        second = recombine(case.value, w_value, degree=DEGREE, precision=20)
    assert _same(first, second) and first.precision == 20
    _verify(first, case.expected, None if w is None else w.expected, _n_mk(case.expected))


@pytest.mark.parametrize("size", [None, SIZE])
@pytest.mark.parametrize("points", POINTS)
def test_valid_datasets(points: str, size: int | None) -> None:
    """The points as inputs, a 1-D target made from them: a moment-keeping weighted subset, 1-D targets."""
    case = POINTS[points]
    y = case.expected.sum(axis=1) ** 2
    objects = np.column_stack([case.expected, y])
    m = objects.shape[1]
    with _guarded(case.value, y):
        if size is not None and not comb(m + DEGREE, DEGREE) <= size <= objects.shape[0]:
            with pytest.raises(InputError, match="size must be"):
                compress_dataset(case.value, y, degree=DEGREE, size=size)
            return
        first = compress_dataset(case.value, y, degree=DEGREE, size=size)
        second = compress_dataset(case.value, y, degree=DEGREE, size=size)
    assert isinstance(first, WeightedDataset) and _same(first.compression, second.compression)
    assert first.targets.shape == (len(first),) and first.weights.sum() == pytest.approx(objects.shape[0], rel=1e-12)
    assert first.inputs.ndim == np.ndim(case.expected if points != "one-dimensional" else case.expected[:, 0])
    limit = comb(m + DEGREE, DEGREE) if size is None else size
    _verify(first.compression, first.standardize(objects), None, limit)


@pytest.mark.parametrize("points", POINTS)
def test_valid_basis_fit(points: str) -> None:
    case = POINTS[points]
    basis = ChebyshevBasis.fit(case.expected, DEGREE)
    features = basis(case.expected)
    # Features of the box's own points lie in [-1, 1] up to rounding of the affine map (a few ulps).
    assert np.all(np.isfinite(features)) and np.max(np.abs(features)) <= 1 + 1e-12
    assert features.shape == (case.expected.shape[0], _n_mk(case.expected))


# ---- bad arguments: a clear InputError or TypeError naming the argument ----

BAD_POINTS: dict[str, Any] = {
    "nan": np.where(np.eye(40, 2) > 0, np.nan, BASE),
    "inf": np.where(np.eye(40, 2) > 0, np.inf, BASE),
    "-inf": np.where(np.eye(40, 2) > 0, -np.inf, BASE),
    "empty": np.zeros((0, 2)),
    "no coordinates": np.zeros((40, 0)),
    "three axes": np.zeros((4, 5, 2)),
    "scalar": 3.0,
    "complex": BASE + 0j,
    "object": BASE.astype(object),
    "strings": BASE.astype(str),
    "ragged": [[1.0, 2.0], [3.0]],
    "None": None,
    "torch complex": torch.tensor(BASE + 0j),
}

BAD_WEIGHTS: dict[str, Any] = {
    "short": np.ones(39),
    "two-dimensional": np.ones((40, 1)),
    "scalar": 1.0,
    "negative": np.where(np.arange(40) == 3, -1.0, 1.0),
    "nan": np.where(np.arange(40) == 3, np.nan, 1.0),
    "inf": np.where(np.arange(40) == 3, np.inf, 1.0),
    "all zero": np.zeros(40),
    "complex": np.ones(40) + 0j,
    "strings": np.array(["1"] * 40),
    "object": np.ones(40, dtype=object),
    "mass beyond float64": np.full(40, 1e307),
    "subnormal result": np.full(40, 5e-324),
    "torch nan": torch.full((40,), float("nan")),
}

BAD_DEGREES: dict[str, Any] = {
    "-1": -1, "2.5": 2.5, "2.0": 2.0, "np.float64": np.float64(2), "True": True, "'2'": "2", "None": None,
    "10**6": 10**6,
}
BAD_SIZES: dict[str, Any] = {
    "0": 0, "-3": -3, "2.5": 2.5, "True": True, "'12'": "12", "np.float64": np.float64(12), "below N_mk": 5,
    "above N": 41,
}
BAD_PRECISIONS: dict[str, Any] = {"0": 0, "5": 5, "15": 15, "20.0": 20.0, "True": True, "'50'": "50", "10**6": 10**6}
BAD_TOLS: dict[str, Any] = {
    "0": 0, "-1e-3": -1e-3, "nan": float("nan"), "inf": float("inf"), "True": True, "'1e-3'": "1e-3",
    "[1e-3]": [1e-3],
}
BAD_SEEDS: dict[str, Any] = {
    "-1": -1, "1.5": 1.5, "'a'": "a", "None": None, "True": True, "RandomState": np.random.RandomState(0),
}
BAD_METHODS: dict[str, Any] = {"kmeans": "kmeans", "None": None, "3": 3}

ENTRIES: dict[str, Callable[..., Any]] = {
    "recombine": lambda points=BASE, weights=None, degree=DEGREE, **kw: recombine(points, weights, degree=degree, **kw),
    "compress": lambda points=BASE, weights=None, degree=DEGREE, size=SIZE, **kw: compress(
        points, weights, degree=degree, size=size, **kw),
    "reduce": lambda points=BASE, weights=None, degree=DEGREE, size=SIZE, **kw: reduce(
        points, weights, degree=degree, size=size, **kw),
    "compress_dataset": lambda points=BASE, degree=DEGREE, size=SIZE, **kw: compress_dataset(
        points, BASE[:, 0], degree=degree, size=size, **kw),
}
WITH = {
    "points": ["recombine", "compress", "reduce", "compress_dataset"],
    "weights": ["recombine", "compress", "reduce"],
    "degree": ["recombine", "compress", "reduce", "compress_dataset"],
    "size": ["compress", "reduce", "compress_dataset"],
    "precision": ["recombine", "compress", "reduce", "compress_dataset"],
    "tol": ["recombine", "compress", "reduce"],
    "seed": ["compress", "reduce", "compress_dataset"],
    "method": ["compress", "reduce", "compress_dataset"],
}
#: The argument's name as the message says it (compress_dataset calls its points "inputs").
NAMES = {("points", "compress_dataset"): "inputs"}


def _bad_cases() -> Iterator[Any]:
    table = {"points": BAD_POINTS, "weights": BAD_WEIGHTS, "degree": BAD_DEGREES, "size": BAD_SIZES,
             "precision": BAD_PRECISIONS, "tol": BAD_TOLS, "seed": BAD_SEEDS, "method": BAD_METHODS}
    for argument, values in table.items():
        for entry in WITH[argument]:
            for label, value in values.items():
                yield pytest.param(entry, argument, value, id=f"{entry}-{argument}-{label}")
    for label, value in {"0": 0, "2.5": 2.5, "True": True}.items():
        yield pytest.param("recombine", "chunk_size", value, id=f"recombine-chunk_size-{label}")


@pytest.mark.parametrize(("entry", "argument", "value"), list(_bad_cases()))
def test_bad_arguments_name_themselves(entry: str, argument: str, value: Any) -> None:
    name = NAMES.get((argument, entry), argument)
    with _guarded(value), pytest.raises((InputError, TypeError)) as err:
        ENTRIES[entry](**{argument: value})
    assert name in str(err.value), f"the message does not name {name!r}: {err.value}"


# ---- ChebyshevBasis.fit (unicomp/numerics/basis.py) ----


@pytest.mark.parametrize("points", ["nan", "inf", "empty", "complex", "strings", "ragged", "None"])
def test_basis_fit_bad_points(points: str) -> None:
    with pytest.raises(InputError, match="points"):
        ChebyshevBasis.fit(BAD_POINTS[points], DEGREE)


# ---- compress_sharded on a small local (threaded) cluster ----


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                     scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"}) as cluster,
        Client(cluster) as cl,
    ):
        yield cl


SHARD_INPUTS = ["float64", "float32", "int64", "list", "torch requires_grad", "duplicates", "scale 1e150", "fortran"]


@pytest.mark.parametrize("size", [None, SIZE])
@pytest.mark.parametrize("points", SHARD_INPUTS)
def test_sharded_valid(client: Client, points: str, size: int | None) -> None:
    case = POINTS[points]
    half = len(case.expected) // 2
    value = case.value
    shards = [value[:half], value[half:]]
    with _guarded(value):
        first = compress_sharded(shards, degree=DEGREE, size=size, client=client)
        second = compress_sharded(shards, degree=DEGREE, size=size, client=client)
    assert _same(first, second)
    _verify(first, case.expected, None, _n_mk(case.expected) if size is None else size)


@pytest.mark.parametrize(
    ("shards", "kwargs", "name"),
    [
        pytest.param([BASE, BAD_POINTS["nan"]], {}, "shards[1]", id="nan shard"),
        pytest.param([BASE, BASE + 0j], {}, "shards[1]", id="complex shard"),
        pytest.param([BASE, BASE[:, :1]], {}, "columns", id="mismatched columns"),
        pytest.param([], {}, "shards", id="no shards"),
        pytest.param("x.npy", {}, "shards", id="a string"),
        pytest.param([BASE], {"size": 81}, "size", id="size above N"),
        pytest.param([BASE], {"size": 5}, "size", id="size below N_mk"),
        pytest.param([BASE], {"seed": -1}, "seed", id="negative seed"),
        pytest.param([BASE], {"tol": True}, "tol", id="tol True"),
        pytest.param([BASE], {"oversample": 0.5}, "oversample", id="oversample below one"),
        pytest.param([BASE], {"degree": 2.5}, "degree", id="float degree"),
    ],
)
def test_sharded_bad(client: Client, shards: Any, kwargs: dict[str, Any], name: str) -> None:
    args = {"degree": DEGREE, "client": client} | kwargs
    with pytest.raises((InputError, TypeError)) as err:
        compress_sharded(shards, **args)
    assert name in str(err.value)
