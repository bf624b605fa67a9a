"""Tests of paired runs: shared initialisation and batches, function-space gaps, plots, argument checks."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from tests.numerics.test_train_loop import sample_data, small_mlp
from unicomp.errors import InputError
from unicomp.numerics.paired import paired_runs, plot_trajectories
from unicomp.numerics.train_config import OPTIMIZERS, TrainConfig


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_identical_runs_have_zero_gap_and_record_everything(optimizer: str) -> None:
    data, test = sample_data(32), sample_data(16, seed=5)
    cfg = TrainConfig(
        optimizer=optimizer, lr=1e-3, epochs=4, batch_size=8, device="cpu", eval_epochs=[0, 2, 4]
    )
    runs = paired_runs(
        {"a": small_mlp(), "b": small_mlp()}, data, cfg, test=test, probe=test.inputs,
        callbacks={"one": lambda m: 1.0},
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
    assert set(runs.to_dict()) == {"a", "b"}


def test_one_module_starts_every_run_from_the_same_initialisation() -> None:
    data = sample_data(16)
    model = small_mlp()
    runs = paired_runs(model, {"x": data, "y": data}, TrainConfig(epochs=2, batch_size=4, device="cpu"),
                       probe=data.inputs)
    np.testing.assert_array_equal(runs.gap("x", "y"), 0.0)  # bit-identical copies of one module
    assert runs.models["x"] is not model and runs.models["y"] is not runs.models["x"]


def test_different_models_have_a_positive_gap_and_inputs_are_untouched() -> None:
    a, b = small_mlp(0), small_mlp(1)
    before = [p.clone() for p in a.parameters()]
    data = sample_data(16)
    runs = paired_runs({"a": a, "b": b}, data, TrainConfig(epochs=1, device="cpu"), probe=data.inputs)
    assert np.all(runs.gap("a", "b") > 0)
    assert np.all(runs.gap("a", "b", relative=True) > 0)
    for p, q in zip(a.parameters(), before, strict=True):
        assert torch.equal(p, q)


def test_plot_returns_axes() -> None:
    import matplotlib.pyplot as plt

    data = sample_data(8)
    runs = paired_runs({"a": small_mlp()}, data, TrainConfig(epochs=2, device="cpu"), test=data)
    ax = plot_trajectories(runs)
    assert len(ax.get_lines()) == 1
    ax2 = plot_trajectories(runs, key="train_loss")
    assert ax2.get_lines()[0].get_xdata().tolist() == [1, 2]
    with pytest.raises(InputError, match="key"):
        plot_trajectories(runs.trajectories, key="nope")
    plt.close("all")


def test_bad_calls_raise() -> None:
    with pytest.raises(InputError, match="mapping"):
        paired_runs(small_mlp(), sample_data(), TrainConfig())
    with pytest.raises(InputError, match="keys"):
        paired_runs({"a": small_mlp()}, {"b": sample_data()}, TrainConfig())
    runs = paired_runs({"a": small_mlp()}, sample_data(), TrainConfig(epochs=1, device="cpu"))
    with pytest.raises(InputError, match="probe"):
        runs.gap("a", "a")
