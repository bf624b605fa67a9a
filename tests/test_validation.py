"""Argument checks shared by every layer: clean values through, and an InputError naming the argument."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from unicomp.errors import InputError
from unicomp.validation import (
    as_array,
    as_degree,
    as_index_weights,
    as_int,
    as_points,
    as_positive_int,
    as_seed,
    as_size,
    as_weights,
    largest_degree,
)


@pytest.mark.parametrize("value", [0, 3, np.int64(7), np.int32(2), np.uint8(5)])
def test_as_int_returns_python_int(value: object) -> None:
    out = as_int(value, "k")
    assert type(out) is int and out == int(value)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (True, {}, r"k must be a non-negative integer, got True \(bool\)"),
        (2.0, {}, r"k must be a non-negative integer, got 2.0 \(float\)"),
        ("3", {}, r"k must be a non-negative integer, got '3' \(str\)"),
        (None, {}, r"k must be a non-negative integer, got None \(NoneType\)"),
        (np.float64(1), {}, r"got np.float64\(1.0\)"),
        (-1, {}, r"k must be a non-negative integer, got -1$"),
        (0, {"minimum": 1}, r"k must be a positive integer, got 0$"),
        (15, {"minimum": 16}, r"k must be an integer >= 16, got 15$"),
        (11, {"minimum": 1, "maximum": 10}, r"k must be an integer in \[1, 10\], got 11$"),
    ],
)
def test_as_int_rejects_with_the_argument_name(value: object, kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(InputError, match=message):
        as_int(value, "k", **kwargs)


def test_degree_and_positive_int_are_the_same_check() -> None:
    assert as_degree(0) == 0 and as_positive_int(1, "size") == 1
    with pytest.raises(InputError, match="degree must be a non-negative integer"):
        as_degree(-2)
    with pytest.raises(InputError, match="size must be a positive integer"):
        as_positive_int(0, "size")
    with pytest.raises(InputError, match="size must be a positive integer"):
        as_positive_int(2.5, "size")


def test_as_points_shapes_and_dtype() -> None:
    assert as_points([1, 2, 3]).shape == (3, 1)
    out = as_points(np.array([[1, 2]], dtype=np.int32))
    assert out.dtype == np.float64 and out.tolist() == [[1.0, 2.0]]
    assert as_points([[True, False]]).tolist() == [[1.0, 0.0]]


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([["a", "b"]], "real numeric array"),
        (np.array([1, None], dtype=object), "real numeric array"),
        (np.zeros((2, 2, 2)), r"shape \(N, m\) or \(N,\), got shape \(2, 2, 2\)"),
        (np.zeros((0, 2)), "at least one point"),
        (np.zeros((3, 0)), "at least one coordinate"),
        ([[0.0, np.nan], [1.0, 2.0]], r"pts must be finite; found nan at index \(0, 1\)"),
        ([[0.0, 1.0], [np.inf, 2.0]], r"found inf at index \(1, 0\)"),
    ],
)
def test_as_points_rejects(points: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        as_points(points, "pts")  # type: ignore[arg-type]


def test_as_weights_default_and_checks() -> None:
    assert as_weights(None, 3).tolist() == [1.0, 1.0, 1.0]
    assert as_weights([0, 2.5, 1], 3).tolist() == [0.0, 2.5, 1.0]
    cases: list[tuple[Any, str]] = [
        ([1.0, 2.0], r"shape \(3,\) to match the points, got \(2,\)"),
        ([1.0, np.nan, 1.0], "entry 1 is nan"),
        ([1.0, -0.5, 1.0], "non-negative; entry 1 is -0.5"),
        ([0.0, 0.0, 0.0], "total mass is zero"),
        (["x", 1, 2], "real numeric array"),
    ]
    for bad, message in cases:
        with pytest.raises(InputError, match=message):
            as_weights(bad, 3)


def test_as_index_weights() -> None:
    idx, w = as_index_weights([2, 0], None, 3)
    assert idx.dtype == np.int64 and idx.tolist() == [2, 0] and w.tolist() == [1.0, 1.0]
    assert as_index_weights(np.array([1]), [0.5], 3)[1].tolist() == [0.5]
    bad_subsets: list[tuple[Any, Any, str]] = [
        ([], None, "non-empty 1-D integer array"),
        ([0.0, 1.0], None, "non-empty 1-D integer array"),
        ([[0, 1]], None, "non-empty 1-D integer array"),
        ([0, 3], None, r"integers in \[0, 3\)"),
        ([-1], None, r"integers in \[0, 3\)"),
        ([0, 1], [1.0], "2 finite positive numbers"),
        ([0, 1], [1.0, 0.0], "2 finite positive numbers"),
        ([0, 1], [1.0, np.inf], "2 finite positive numbers"),
    ]
    for indices, weights, message in bad_subsets:
        with pytest.raises(InputError, match=message):
            as_index_weights(indices, weights, 3)


# ---- issue 12 ----


def test_torch_tensors_are_read_detached_and_never_changed() -> None:
    torch = pytest.importorskip("torch")
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert as_points(t).tolist() == [[1.0, 2.0], [3.0, 4.0]] and t.requires_grad and t.grad is None
    assert as_weights(torch.ones(2, dtype=torch.bfloat16, requires_grad=True), 2).tolist() == [1.0, 1.0]
    assert as_array(torch.arange(3), "x").tolist() == [0, 1, 2]


@pytest.mark.parametrize("bad", [np.ones(3) + 0j, np.array(["1", "2", "3"]), np.ones(3, dtype=object)])
def test_weights_of_a_non_real_dtype_are_refused_not_cast(bad: np.ndarray) -> None:
    message = rf"weights must be a real numeric array of shape \(3,\), got dtype {bad.dtype}"
    with pytest.raises(InputError, match=message):
        as_weights(bad, 3)


def test_weights_of_any_length() -> None:
    assert as_weights([1, 2], None).tolist() == [1.0, 2.0]
    with pytest.raises(InputError, match=r"shape \(N,\)"):
        as_weights(np.ones((2, 2)), None)


def test_as_seed() -> None:
    gen = np.random.default_rng(5)
    assert as_seed(gen) is gen
    assert as_seed(np.int64(5)).integers(1000) == np.random.default_rng(5).integers(1000)
    for bad in (-1, 1.5, None, True, "3"):
        with pytest.raises(InputError, match=r"seed must be a non-negative integer or a numpy\.random\.Generator"):
            as_seed(bad)


@pytest.mark.parametrize(("m", "size", "k"), [(1, 1, 0), (1, 7, 6), (2, 5, 1), (2, 6, 2), (11, 78, 2), (11, 77, 1)])
def test_largest_degree(m: int, size: int, k: int) -> None:
    from math import comb

    assert largest_degree(m, size) == k and comb(m + k, k) <= size < comb(m + k + 1, k + 1)


def test_as_size_is_the_one_size_rule() -> None:
    assert as_size(None, m=2, degree=3, count=5) is None
    assert as_size(10, m=2, degree=3, count=10) == 10
    with pytest.raises(InputError, match=r"at least N_\(m,k\) = C\(m\+k, k\) = 10 .*largest feasible degree is 2 "
                       r"\(N_\(m,2\) = 6\), or pass size=None"):
        as_size(9, m=2, degree=3, count=100)
    with pytest.raises(InputError, match=r"width must be at most the number of objects, 100, got 101"):
        as_size(101, m=2, degree=3, count=100, name="width")
    with pytest.raises(InputError, match="size must be a positive integer"):
        as_size(2.0, m=2, degree=3, count=100)
