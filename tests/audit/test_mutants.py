"""Planted defects (unicomp.audit.mutants): every binding swapped, everything restored."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import unicomp
from unicomp.audit import mutants
from unicomp.errors import InputError
from unicomp.verify.invariants import InvariantViolation, check_compression


def test_replace_swaps_every_binding_and_restores():
    compress_module = importlib.import_module("unicomp.numerics.compress")  # the package re-exports the function
    original = unicomp.compress
    plant = mutants.replace("unicomp.numerics.compress:compress", lambda orig: lambda *a, **k: "defect")
    with plant():
        assert unicomp.compress() == "defect" and compress_module.compress() == "defect"
    assert unicomp.compress is original and compress_module.compress is original


def test_replace_restores_after_an_error_and_rejects_bad_targets():
    original = unicomp.recombine
    with pytest.raises(ZeroDivisionError), mutants.replace("unicomp:recombine", lambda o: lambda *a, **k: 1 / 0)():
        unicomp.recombine()
    assert unicomp.recombine is original
    with pytest.raises(InputError, match=r"package\.module:attribute"):
        mutants.replace("unicomp.recombine", lambda o: o)
    with pytest.raises(InputError, match="no attribute"):
        mutants.replace("unicomp:no_such_function", lambda o: o)


def test_replace_on_a_class_attribute_restores_the_raw_descriptor():
    from unicomp.numerics.result import Compression

    raw = Compression.__dict__["summary"]
    with mutants.replace("unicomp.numerics.result:Compression.summary", lambda o: lambda self: "x")():
        assert Compression.summary(None) == "x"
    assert Compression.__dict__["summary"] is raw


@pytest.fixture(scope="module")
def cloud() -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, size=(400, 2))


@pytest.mark.parametrize("planter", [
    mutants.lowered_degree("unicomp.numerics.caratheodory:recombine"),
    mutants.perturbed_weights("unicomp.numerics.caratheodory:recombine"),
    mutants.random_subset("unicomp.numerics.caratheodory:recombine"),
])
def test_generic_defects_are_caught_by_the_compressions_own_verification(planter, cloud):
    """Each generic defect leaves a compression that still claims degree 4 but no longer keeps its moments."""
    with planter():
        comp = unicomp.recombine(cloud, degree=4)
    assert comp.degree == 4
    with pytest.raises(InvariantViolation):
        check_compression(comp, cloud)
    check_compression(unicomp.recombine(cloud, degree=4), cloud)  # and the real one passes, restored


def test_combined_plants_all():
    plant = mutants.combined(
        mutants.replace("unicomp:recombine", lambda o: lambda *a, **k: "r"),
        mutants.replace("unicomp:compress", lambda o: lambda *a, **k: "c"),
    )
    with plant():
        assert (unicomp.recombine(), unicomp.compress()) == ("r", "c")
    assert unicomp.recombine.__name__ == "recombine"
