"""Loss-landscape check: the weighted loss and gradient track the full ones, better as the degree grows."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from unicomp.errors import InputError
from unicomp.numerics.datasets import compress_dataset
from unicomp.numerics.landscape import landscape_gap


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny networks: one torch thread is fastest, and extra threads spin on a busy CI machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(3000, 2))
    y = np.sin(2 * x[:, 0]) * x[:, 1] + 0.3 * rng.standard_normal(3000)
    return x, y


def _mlp(activation: torch.nn.Module) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(2, 8), activation, torch.nn.Linear(8, 1))


def test_gap_shrinks_with_degree_for_an_analytic_model(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    net = _mlp(torch.nn.Tanh())
    gaps = []
    for k in (2, 4, 6, 8):
        ds = compress_dataset(x, y, degree=k, size=None)
        gaps.append(landscape_gap(net, x, y, ds, samples=16))
    loss_gaps = [g.max_loss_gap for g in gaps]
    grad_gaps = [g.max_grad_gap for g in gaps]
    assert all(b < a for a, b in itertools.pairwise(loss_gaps)), loss_gaps
    assert all(b < a for a, b in itertools.pairwise(grad_gaps)), grad_gaps
    # tanh is analytic: measured 1.2e-1 -> 5e-5 (loss) from k = 2 to 8; ask for two orders of magnitude.
    assert loss_gaps[-1] < 1e-2 * loss_gaps[0]
    assert grad_gaps[-1] < 1e-2 * grad_gaps[0]


def test_relu_gap_also_shrinks(data: tuple[np.ndarray, np.ndarray]) -> None:
    """ReLU is not analytic (the theory does not cover it), yet the gap falls, more slowly."""
    x, y = data
    net = _mlp(torch.nn.ReLU())
    low = landscape_gap(net, x, y, compress_dataset(x, y, degree=2, size=None), samples=16)
    high = landscape_gap(net, x, y, compress_dataset(x, y, degree=8, size=None), samples=16)
    assert high.max_loss_gap < 0.2 * low.max_loss_gap  # measured 1.35e-1 -> 6.2e-3
    assert high.max_grad_gap < 0.5 * low.max_grad_gap  # measured 4.6e-1 -> 5.5e-2


def test_polynomial_loss_has_no_gap(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    ds = compress_dataset(x, y, degree=2, size=None)
    gap = landscape_gap(torch.nn.Linear(2, 1), x, y, ds, radius=5.0, samples=8)
    # Squared error of an affine model is a quadratic in z: equal up to float64 rounding of ~3000 terms.
    assert gap.max_loss_gap < 1e-11
    assert gap.max_grad_gap < 1e-11
    assert gap.full_loss.shape == (8,) and np.all(gap.full_loss > 0)
    # A degree-1 compression cannot reproduce it: the check is able to fail.
    coarse = landscape_gap(torch.nn.Linear(2, 1), x, y, compress_dataset(x, y, degree=1, size=None), samples=8)
    assert coarse.max_loss_gap > 1e-3


def test_model_is_not_modified(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    net = _mlp(torch.nn.Tanh())
    before = [p.detach().clone() for p in net.parameters()]
    landscape_gap(net, x, y, compress_dataset(x, y, degree=1, size=None), samples=2, radius=3.0)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    assert next(net.parameters()).dtype == torch.float32


def test_bad_input(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    ds = compress_dataset(x, y, degree=1, size=None)
    net = torch.nn.Linear(2, 1)
    with pytest.raises(InputError, match="radius"):
        landscape_gap(net, x, y, ds, radius=0.0)
    with pytest.raises(InputError, match="columns"):
        landscape_gap(net, x[:, :1], y, ds)
    with pytest.raises(InputError, match="WeightedDataset"):
        landscape_gap(net, x, y, ds.compression)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"nn\.Module"):
        landscape_gap(lambda t: t, x, y, ds)  # type: ignore[arg-type]
