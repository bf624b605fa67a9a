"""Tests of what a training run is given: samples, configuration, optimisers, mini-batches, default loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unicomp.errors import InputError
from unicomp.numerics.train_config import (
    OPTIMIZERS,
    TrainConfig,
    TrainData,
    as_tensor,
    batch_schedule,
    make_optimizer,
    squared_error,
)


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


def test_squared_error_is_the_per_sample_mean_over_outputs() -> None:
    pred = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    target = torch.tensor([[0.0, 0.0], [3.0, -1.0]])
    assert squared_error(pred, target).tolist() == [2.5, 5.0]  # (1 + 4) / 2 and (9 + 1) / 2, exact


def test_make_optimizer_by_case_insensitive_name() -> None:
    params = [torch.nn.Parameter(torch.zeros(3))]
    for name, cls in OPTIMIZERS.items():
        opt = make_optimizer(name.upper(), params, 0.25)
        assert type(opt) is cls and opt.param_groups[0]["lr"] == 0.25
    assert make_optimizer("sgd", params, 0.1, momentum=0.5).param_groups[0]["momentum"] == 0.5


def test_data_move_keeps_integer_targets() -> None:
    data = TrainData(np.zeros((4, 2)), torch.arange(4), weights=[1, 2, 3, 4])  # type: ignore[arg-type]
    moved = data.to(torch.device("cpu"), torch.float32)
    assert moved.inputs.dtype == torch.float32 and moved.targets.dtype == torch.int64
    assert moved.weights is not None and moved.weights.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert len(moved) == 4


def test_config_evaluation_epochs_and_device() -> None:
    assert TrainConfig(epochs=3).evaluation_epochs().tolist() == [0, 1, 2, 3]
    assert TrainConfig(epochs=5, eval_epochs=[5, 0, 5]).evaluation_epochs().tolist() == [0, 5]
    assert TrainConfig(device=torch.device("cpu")).device == torch.device("cpu")
    assert TrainConfig(dtype="float64").torch_dtype == torch.float64


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"lr": -1.0}, "lr"),
        ({"epochs": 1.5}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"weighting": "both"}, "weighting"),
        ({"dtype": "float16"}, "dtype"),
        ({"device": 0}, "device"),
        ({"epochs": 2, "eval_epochs": [3]}, "eval_epochs"),
    ],
)
def test_bad_configs_raise(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        TrainConfig(**kwargs)  # type: ignore[arg-type]


def test_bad_data_and_optimizers_raise() -> None:
    with pytest.raises(InputError, match="rows"):
        TrainData(torch.zeros(3, 1), torch.zeros(2, 1))
    with pytest.raises(InputError, match="weights"):
        TrainData(torch.zeros(2, 1), torch.zeros(2, 1), torch.tensor([1.0, -1.0]))
    with pytest.raises(InputError, match="weights"):
        TrainData(torch.zeros(2, 1), torch.zeros(2, 1), torch.tensor([1.0]))
    with pytest.raises(InputError, match="inputs"):
        TrainData(object(), torch.zeros(2, 1))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="probe"):
        as_tensor({"a": 1}, "probe")
    with pytest.raises(InputError, match="optimizer"):
        make_optimizer("nope", [torch.nn.Parameter(torch.zeros(1))], 0.1)
