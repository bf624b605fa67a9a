"""Tests of one training run: weighted losses, the cosine schedule, dtype and device, input checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from unicomp.errors import InputError
from unicomp.numerics.paired import paired_runs
from unicomp.numerics.torch_backend import resolve_device
from unicomp.numerics.train_config import TrainConfig, TrainData
from unicomp.numerics.train_loop import train


def small_mlp(seed: int = 0, width: int = 8) -> nn.Sequential:
    """A 2 -> width -> 1 tanh network with seeded initialisation."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, width), nn.Tanh(), nn.Linear(width, 1))


def sample_data(n: int = 40, seed: int = 1) -> TrainData:
    """``n`` points of U[-1, 1]^2 with targets sin(3 x1) x2."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=gen) * 2 - 1
    return TrainData(x, torch.sin(3 * x[:, :1]) * x[:, 1:])


def test_integer_weights_equal_duplicated_rows_full_batch() -> None:
    """Full batch, weighting="loss": weights c_j = 2 act exactly like repeating row j twice."""
    base = sample_data(12)
    w = torch.tensor([2.0] * 4 + [1.0] * 8, dtype=torch.float64)
    weighted = TrainData(base.inputs, base.targets, w)
    rows = torch.cat([torch.arange(12), torch.arange(4)])
    duplicated = TrainData(base.inputs[rows], base.targets[rows])
    cfg = TrainConfig(optimizer="adam", lr=1e-2, epochs=6, dtype="float64", device="cpu")
    runs = paired_runs(small_mlp(), {"w": weighted, "dup": duplicated}, cfg, probe=base.inputs)
    # Same sums in a different order: float64 rounding only.
    np.testing.assert_allclose(runs.gap("w", "dup"), 0.0, atol=1e-12)
    np.testing.assert_allclose(runs["w"].eval_train_loss, runs["dup"].eval_train_loss, rtol=1e-12)


def test_weighted_mean_loss_in_minibatches() -> None:
    """A batch loss is sum c_j l_j / sum c_j; zero-weight rows change nothing."""
    base = sample_data(8)
    w = torch.tensor([1.0, 0.0] * 4, dtype=torch.float64)
    keep = torch.arange(0, 8, 2)
    cfg = TrainConfig(optimizer="sgd", lr=0.1, epochs=1, dtype="float64", device="cpu", cosine=False)
    a, b = small_mlp(), small_mlp()
    train(a, TrainData(base.inputs, base.targets, w), cfg)
    train(b, TrainData(base.inputs[keep], base.targets[keep]), cfg)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=1e-13, atol=1e-15)  # float64 rounding only


def test_cosine_schedule_by_hand() -> None:
    """Loss w^2 at x=1: w <- w(1 - 2 eta_s) with eta_0 = eta, eta_1 = eta/2 (cos(pi/2) = 0)."""
    model = nn.Linear(1, 1, bias=False).double()
    with torch.no_grad():
        model.weight.fill_(1.0)
    data = TrainData(torch.ones(1, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64))
    traj = train(model, data, TrainConfig(optimizer="sgd", lr=0.1, epochs=2, dtype="float64", device="cpu"))
    # float64, a handful of roundings (eta_1 = 0.1 * 0.5 * (1 + cos(pi/2)), cos(pi/2) = 6e-17, not 0);
    # rel 1e-14 is ~45 ulps.
    assert float(model.weight.detach()) == pytest.approx(0.8 * 0.9, rel=1e-14)
    # The recorded losses are w^2 before each step and at the evaluation epochs 0, 1, 2 (same roundings).
    np.testing.assert_allclose(traj.train_loss, [1.0, 0.8**2], rtol=1e-14)
    np.testing.assert_allclose(traj.eval_train_loss, [1.0, 0.8**2, (0.8 * 0.9) ** 2], rtol=1e-14)


def test_float64_and_device_are_applied() -> None:
    model = small_mlp()
    traj = train(model, sample_data(8), TrainConfig(epochs=1, dtype="float64", device=torch.device("cpu")))
    assert all(p.dtype == torch.float64 and p.device.type == "cpu" for p in model.parameters())
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert traj.name == "run" and traj.outputs.shape == (0,) and np.isnan(traj.test_loss).all()
    assert set(traj.to_dict()) == {"name", "epochs", "train_loss", "eval_train_loss", "test_loss", "metrics",
                                   "seconds"}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.gpu
def test_cuda_run() -> None:  # pragma: no cover - GPU only
    model = small_mlp()
    traj = train(model, sample_data(8), TrainConfig(epochs=1, device="cuda"))
    assert next(model.parameters()).device.type == "cuda"
    assert np.isfinite(traj.train_loss[0])


def test_bad_calls_raise() -> None:
    cfg = TrainConfig(epochs=1, device="cpu")
    with pytest.raises(InputError, match="model"):
        train(lambda x: x, sample_data(), cfg)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="TrainData"):
        train(small_mlp(), (np.zeros((4, 2)), np.zeros(4)), cfg)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="TrainData"):
        train(small_mlp(), sample_data(), cfg, test=sample_data().inputs)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="probe"):
        train(small_mlp(), sample_data(), cfg, probe={"x": 1})  # type: ignore[arg-type]
