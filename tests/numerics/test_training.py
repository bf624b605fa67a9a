"""The documented training API: every public name is importable from unicomp.numerics.training.

The façade defines nothing itself; each name is the object of the module that does its job, so that a
defect planted through the façade (the audit's mutants swap ``unicomp.numerics.training:make_optimizer``)
reaches the training loop.
"""

from __future__ import annotations

import importlib

from unicomp.numerics import paired, torch_backend, train_config, train_loop, training

JOB_MODULES = (train_config, train_loop, paired, torch_backend)


def test_every_public_name_comes_from_its_job_module() -> None:
    owners = {name: next((m.__name__ for m in JOB_MODULES if name in m.__all__), None) for name in training.__all__}
    assert {name: owner for name, owner in owners.items() if owner is None} == {}
    for name, owner in owners.items():
        assert getattr(training, name) is getattr(importlib.import_module(str(owner)), name), name


def test_the_documented_names_are_exported() -> None:
    documented = {"OPTIMIZERS", "PairedRuns", "TrainConfig", "TrainData", "Trajectory", "batch_schedule",
                  "make_optimizer", "paired_runs", "plot_trajectories", "resolve_device", "squared_error", "train",
                  "LossFn", "Callback"}
    assert documented <= set(training.__all__)


def test_the_loop_uses_the_names_the_facade_exports() -> None:
    # The audit swaps every binding of these objects; the loop must hold the same objects, not copies.
    assert train_loop.make_optimizer is training.make_optimizer
    assert train_loop.batch_schedule is training.batch_schedule
    assert paired.train is training.train
