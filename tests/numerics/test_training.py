"""Tests of the paired-run machinery: batch order, weighted losses and samplers, schedule, dtype, plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from torch import nn

from unicomp.errors import InputError
from unicomp.numerics.training import (
    OPTIMIZERS,
    TrainConfig,
    TrainData,
    batch_schedule,
    make_optimizer,
    paired_runs,
    plot_trajectories,
    resolve_device,
    train,
)


def _mlp(seed: int = 0, width: int = 8) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, width), nn.Tanh(), nn.Linear(width, 1))


def _data(n: int = 40, seed: int = 1) -> TrainData:
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=gen) * 2 - 1
    return TrainData(x, torch.sin(3 * x[:, :1]) * x[:, 1:])


def test_batch_schedule_is_a_seeded_partition() -> None:
    a = batch_schedule(10, 3, batch_size=4, seed=7)
    b = batch_schedule(10, 3, batch_size=4, seed=7)
    assert [x.tolist() for x in a] == [x.tolist() for x in b]
    assert [len(x) for x in a] == [4, 4, 2]
    assert sorted(np.concatenate(a).tolist()) == list(range(10))
    other_epoch = batch_schedule(10, 4, batch_size=4, seed=7)
    assert np.concatenate(other_epoch).tolist() != np.concatenate(a).tolist()


def test_weighted_sampler_follows_the_weights() -> None:
    w = np.array([0.0, 1.0, 3.0])
    draws = np.concatenate(batch_schedule(3, 0, batch_size=None, seed=0, weights=w, samples_per_epoch=40000))
    counts = np.bincount(draws, minlength=3)
    assert counts[0] == 0
    # 40000 Bernoulli(3/4) draws: the frequency has standard deviation ~0.002; 0.01 is five of them.
    assert abs(counts[2] / counts.sum() - 0.75) < 0.01


def test_integer_weights_equal_duplicated_rows_full_batch() -> None:
    """Full batch, weighting="loss": weights c_j = 2 act exactly like repeating row j twice."""
    base = _data(12)
    w = torch.tensor([2.0] * 4 + [1.0] * 8, dtype=torch.float64)
    weighted = TrainData(base.inputs, base.targets, w)
    rows = torch.cat([torch.arange(12), torch.arange(4)])
    duplicated = TrainData(base.inputs[rows], base.targets[rows])
    cfg = TrainConfig(optimizer="adam", lr=1e-2, epochs=6, dtype="float64", device="cpu")
    runs = paired_runs(_mlp(), {"w": weighted, "dup": duplicated}, cfg, probe=base.inputs)
    # Same sums in a different order: float64 rounding only.
    np.testing.assert_allclose(runs.gap("w", "dup"), 0.0, atol=1e-12)
    np.testing.assert_allclose(runs["w"].eval_train_loss, runs["dup"].eval_train_loss, rtol=1e-12)


def test_weighted_mean_loss_in_minibatches() -> None:
    """A batch loss is sum c_j l_j / sum c_j; zero-weight rows change nothing."""
    base = _data(8)
    w = torch.tensor([1.0, 0.0] * 4, dtype=torch.float64)
    keep = torch.arange(0, 8, 2)
    cfg = TrainConfig(optimizer="sgd", lr=0.1, epochs=1, dtype="float64", device="cpu", cosine=False)
    a, b = _mlp(), _mlp()
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
    train(model, data, TrainConfig(optimizer="sgd", lr=0.1, epochs=2, dtype="float64", device="cpu"))
    # float64, a handful of roundings (eta_1 = 0.1 * 0.5 * (1 + cos(pi/2)), cos(pi/2) = 6e-17, not 0);
    # rel 1e-14 is ~45 ulps.
    assert float(model.weight.detach()) == pytest.approx(0.8 * 0.9, rel=1e-14)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_identical_runs_have_zero_gap_and_record_everything(optimizer: str) -> None:
    data, test = _data(32), _data(16, seed=5)
    cfg = TrainConfig(
        optimizer=optimizer, lr=1e-3, epochs=4, batch_size=8, device="cpu", eval_epochs=[0, 2, 4]
    )
    runs = paired_runs(
        {"a": _mlp(), "b": _mlp()}, data, cfg, test=test, probe=test.inputs, callbacks={"one": lambda m: 1.0}
    )
    assert runs.names() == ["a", "b"]
    traj = runs["a"]
    assert traj.epochs.tolist() == [0, 2, 4]
    assert traj.train_loss.shape == (4,) and traj.test_loss.shape == (3,)
    assert traj.outputs.shape == (3, 16, 1)
    assert traj.metrics["one"].tolist() == [1.0, 1.0, 1.0]
    assert np.all(np.isfinite(traj.test_loss))
    np.testing.assert_array_equal(runs.gap("a", "b"), 0.0)  # same init, same batches: bit-identical
    assert traj.test_loss[-1] != traj.test_loss[0]  # training moved the parameters


def test_different_models_have_a_positive_gap_and_inputs_are_untouched() -> None:
    a, b = _mlp(0), _mlp(1)
    before = [p.clone() for p in a.parameters()]
    data = _data(16)
    runs = paired_runs({"a": a, "b": b}, data, TrainConfig(epochs=1, device="cpu"), probe=data.inputs)
    assert np.all(runs.gap("a", "b") > 0)
    assert np.all(runs.gap("a", "b", relative=True) > 0)
    for p, q in zip(a.parameters(), before, strict=True):
        assert torch.equal(p, q)


def test_float64_and_device_are_applied() -> None:
    model = _mlp()
    train(model, _data(8), TrainConfig(epochs=1, dtype="float64", device="cpu"))
    assert all(p.dtype == torch.float64 and p.device.type == "cpu" for p in model.parameters())
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.gpu
def test_cuda_run() -> None:  # pragma: no cover - GPU only
    model = _mlp()
    traj = train(model, _data(8), TrainConfig(epochs=1, device="cuda"))
    assert next(model.parameters()).device.type == "cuda"
    assert np.isfinite(traj.train_loss[0])


def test_plot_returns_axes() -> None:
    import matplotlib.pyplot as plt

    data = _data(8)
    runs = paired_runs({"a": _mlp()}, data, TrainConfig(epochs=2, device="cpu"), test=data)
    ax = plot_trajectories(runs)
    assert len(ax.get_lines()) == 1
    ax2 = plot_trajectories(runs, key="train_loss")
    assert ax2.get_lines()[0].get_xdata().tolist() == [1, 2]
    plt.close("all")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"lr": -1.0}, "lr"),
        ({"epochs": 1.5}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"weighting": "both"}, "weighting"),
        ({"dtype": "float16"}, "dtype"),
        ({"epochs": 2, "eval_epochs": [3]}, "eval_epochs"),
    ],
)
def test_bad_configs_raise(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        TrainConfig(**kwargs)  # type: ignore[arg-type]


def test_bad_data_and_calls_raise() -> None:
    with pytest.raises(InputError, match="rows"):
        TrainData(torch.zeros(3, 1), torch.zeros(2, 1))
    with pytest.raises(InputError, match="weights"):
        TrainData(torch.zeros(2, 1), torch.zeros(2, 1), torch.tensor([1.0, -1.0]))
    with pytest.raises(InputError, match="optimizer"):
        make_optimizer("nope", _mlp().parameters(), 0.1)
    with pytest.raises(InputError, match="mapping"):
        paired_runs(_mlp(), _data(), TrainConfig())
    runs = paired_runs({"a": _mlp()}, _data(), TrainConfig(epochs=1, device="cpu"))
    with pytest.raises(InputError, match="probe"):
        runs.gap("a", "a")
