"""Weighted datasets: moments of (x, y) kept, exact weighted loss for low-degree losses, torch views, I/O."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from unicomp.errors import InputError
from unicomp.numerics.datasets import (
    WeightedDataset,
    compress_dataset,
    concat_objects,
    weighted_mean,
    weighted_sampler,
)
from unicomp.numerics.result import Compression
from unicomp.verify import check_compression


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(2000, 2))
    # Units differ on purpose: the target is ~100x larger than the inputs.
    y = 100.0 * (np.sin(3 * x[:, :1]) + x[:, 1:] ** 2) + 30.0 * rng.standard_normal((2000, 1))
    return x, y


@pytest.mark.parametrize("standardize", [True, False])
def test_recombined_dataset_keeps_moments(data: tuple[np.ndarray, np.ndarray], standardize: bool) -> None:
    x, y = data
    ds = compress_dataset(x, y, degree=3, size=None, standardize=standardize)
    objects = np.concatenate([x, y], axis=1)
    check_compression(ds.compression, ds.standardize(objects))
    assert len(ds) == ds.compression.size <= 20  # N_{3,3} = 20
    np.testing.assert_array_equal(ds.inputs, x[ds.indices])
    np.testing.assert_array_equal(ds.targets, y[ds.indices])
    np.testing.assert_array_equal(ds.objects, objects[ds.indices])
    # mass (the degree-0 moment) is kept by each elimination step up to float64 rounding (seen <= 2e-16)
    assert float(ds.weights.sum()) == pytest.approx(2000, rel=1e-12)
    if not standardize:
        np.testing.assert_array_equal(ds.center, 0.0)
        np.testing.assert_array_equal(ds.scale, 1.0)


def test_weighted_loss_is_exact_for_polynomial_losses(data: tuple[np.ndarray, np.ndarray]) -> None:
    """Squared error of a linear model is a degree-2 polynomial of z = (x, y): degree 2 reproduces it."""
    x, y = data
    ds = compress_dataset(x, y, degree=2, size=None)
    rng = np.random.default_rng(2)
    for _ in range(5):
        theta, bias = rng.normal(size=2) * 50, rng.normal() * 10
        full = np.mean((x @ theta + bias - y[:, 0]) ** 2)
        weighted = ds.loss((ds.inputs @ theta + bias - ds.targets[:, 0]) ** 2)
        # Only rounding separates them: sums of ~2000 terms of size ~1e4, relative error ~1e-12 (seen 1e-16);
        # 1e-9 also covers the compression's verified moment tolerance of 1e-10 (relative).
        assert float(weighted) == pytest.approx(full, rel=1e-9)
    # ... while a degree-3 quantity is not reproduced by degree 2 (the check above can fail).
    cubic = ds.loss(ds.targets[:, 0] ** 3)
    # 1e-3 is 1e6 x the rounding level above, so only a genuine miss passes (seen 0.12 relative).
    assert abs(float(cubic) - np.mean(y[:, 0] ** 3)) > 1e-3 * abs(np.mean(y[:, 0] ** 3))


def test_save_and_load(tmp_path: Path, data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    ds = compress_dataset(x, y, degree=2, size=None)
    path = ds.save(tmp_path / "sub" / "ds.npz")
    back = WeightedDataset.load(path)
    for name in ("inputs", "targets", "weights", "center", "scale", "indices"):
        np.testing.assert_array_equal(getattr(back, name), getattr(ds, name))
    comp = Compression.load(path)  # the file is also a compression file
    assert comp.n_input == 2000 and comp.degree == 2
    with np.load(path) as raw:
        np.testing.assert_array_equal(raw["points"], ds.objects)
    ds.compression.save(tmp_path / "plain.npz")
    with pytest.raises(InputError, match="not a weighted dataset"):
        WeightedDataset.load(tmp_path / "plain.npz")
    assert not list(tmp_path.glob("**/*.tmp*"))  # no temporary file left behind


def test_torch_views(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    ds = compress_dataset(x, y, degree=2, size=None)
    tds = ds.to_torch()
    xi, yi, wi = tds[0]
    assert xi.shape == (2,) and yi.shape == (1,) and wi.dtype == torch.float32
    assert float(wi) == pytest.approx(ds.weights[0], rel=1e-6)  # float32 rounding
    values = torch.arange(len(ds), dtype=torch.float64, requires_grad=True)
    out = weighted_mean(values, ds.weights)
    out.backward()
    assert values.grad is not None
    # float64: autograd forms w * (1 / sum w) instead of w / sum w, a couple of ulps (seen 2e-16)
    np.testing.assert_allclose(values.grad.numpy(), ds.weights / ds.weights.sum(), rtol=1e-12)


def test_sampler_frequencies_follow_weights() -> None:
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    draws = np.array(list(weighted_sampler(weights, 40000, seed=3)))
    freq = np.bincount(draws, minlength=4) / draws.size
    p = weights / weights.sum()
    # Binomial standard error at n = 40000 is <= 0.0025; 5 standard errors leave no room for flukes.
    np.testing.assert_allclose(freq, p, atol=5 * np.sqrt(0.25 / 40000))
    again = np.array(list(weighted_sampler(weights, 100, seed=3)))
    np.testing.assert_array_equal(again, draws[:100])  # same seed, same order


def test_dataset_sampler_draws_original_size(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    ds = compress_dataset(x, y, degree=1, size=None)
    assert len(list(ds.sampler())) == 2000
    assert set(ds.sampler(500)) <= set(range(len(ds)))


def test_bad_input() -> None:
    with pytest.raises(InputError, match="same number of rows"):
        concat_objects(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(InputError, match="targets must be finite"):
        compress_dataset(np.zeros((3, 2)), [1.0, np.nan, 2.0], degree=1, size=None)
    with pytest.raises(InputError, match="weights must have shape"):
        weighted_mean(np.ones(3), np.ones(2))
    with pytest.raises(InputError, match="non-negative"):
        weighted_sampler([1.0, -1.0], 3)
    with pytest.raises(InputError, match="num_samples"):
        weighted_sampler([1.0, 1.0], 0)


def test_target_size_keeps_moments(data: tuple[np.ndarray, np.ndarray]) -> None:
    """Algorithm 1 to d' = 200 rows (more than N_{3,3} = 20): the moments of the standardised rows are kept."""
    x, y = data
    ds = compress_dataset(x, y, degree=3, size=200, seed=1)
    assert len(ds) == 200 and ds.compression.method == "partition"
    check_compression(ds.compression, ds.standardize(np.concatenate([x, y], axis=1)))
    with pytest.raises(InputError, match="size"):
        compress_dataset(x, y, degree=3, size=10)  # below N_{3,3} = 20


# ---- issue 12 (each test failed on the code before the fix) ----


def test_one_dimensional_targets_stay_one_dimensional() -> None:
    """A 1-D y came back as (n, 1): (pred - targets) then broadcast to an n x n matrix."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (400, 2))
    y = x[:, 0] - x[:, 1] ** 2
    ds = compress_dataset(x, y, degree=2)  # size defaults to None: the smallest compression
    assert ds.compression.method == "recombine"
    assert ds.targets.shape == ds.weights.shape == (len(ds),) and ds.inputs.shape == (len(ds), 2)
    assert ds.objects.shape == (len(ds), 3)
    # Degree-2 moments of (x, y) are kept, so the weighted mean of y^2 is the data's (1e-12: the 1e-10
    # residual tolerance times the feature-to-monomial conversion on standardised data).
    assert float(ds.loss(ds.targets**2)) == pytest.approx(float(np.mean(y**2)), rel=1e-12)
    one_x = compress_dataset(x[:, 0], y, degree=2, size=40)
    assert one_x.inputs.shape == (40,) and one_x.targets.shape == (40,)


@pytest.mark.parametrize("scale", [1e200, 1e-200, 2.0**664, 2.0**-664])
def test_standardising_extreme_data_neither_overflows_nor_underflows(scale: float) -> None:
    """At 1e200 the std overflowed and 3 rows were kept with moments off by 29%."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (300, 2))
    y = x[:, 0] + 0.5 * x[:, 1]
    ds = compress_dataset(x * scale, y, degree=2, size=30)
    unit = compress_dataset(x, y, degree=2, size=30)
    assert len(ds) == 30
    if np.frexp(scale)[0] == 0.5:  # a power of two scales exactly: the same decisions, bitwise
        assert np.array_equal(ds.indices, unit.indices) and np.array_equal(ds.weights, unit.weights)
    assert np.all(np.isfinite(ds.scale)) and np.all(ds.scale > 0)
    check_compression(ds.compression, ds.standardize(np.column_stack([x * scale, y])))


def test_sampler_checks_weights_like_every_entry_point() -> None:
    for bad, match in [(np.ones((2, 2)), r"shape \(N,\)"), (np.array([1.0, -1.0]), "non-negative; entry 1"),
                       (np.ones(3) + 1j, "real numeric array")]:
        with pytest.raises(InputError, match=match):
            weighted_sampler(bad, 4)
    with pytest.raises(InputError, match="seed must be a non-negative integer"):
        weighted_sampler(np.ones(3), 4, seed=-2)


def test_torch_targets_that_require_grad_are_read_detached() -> None:
    x = torch.linspace(-1, 1, 100, dtype=torch.float64, requires_grad=True)
    ds = compress_dataset(x, 2 * x, degree=2)
    plain = compress_dataset(x.detach().numpy(), 2 * x.detach().numpy(), degree=2)
    assert np.array_equal(ds.indices, plain.indices) and ds.targets.shape == (len(ds),)
