"""The Compression result type: derived attributes, take / weighted_sum, summary, save / load round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from unicomp import Compression, InputError, recombine
from unicomp.numerics.basis import ChebyshevBasis


@pytest.fixture(scope="module")
def points() -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, size=(300, 2))


def test_derived_attributes(points: np.ndarray) -> None:
    comp = recombine(points, degree=3)
    assert comp.dim == 2 and comp.num_moments == 10 and comp.size == comp.indices.shape[0] <= 10
    assert comp.mass == pytest.approx(300.0, rel=1e-12)  # the mass is a moment: kept to the residual (~1e-16)
    np.testing.assert_array_equal(comp.take(points), points[comp.indices])
    values = points[:, 0] ** 2
    # x^2 is a moment of degree 2 <= 3: the weighted sum reproduces it to the residual times the mass
    assert comp.weighted_sum(values) == pytest.approx(values.sum(), rel=1e-12)
    with pytest.raises(InputError, match="300 rows"):
        comp.take(points[:10])


def test_summary_and_dict(points: np.ndarray) -> None:
    comp = recombine(points, degree=2)
    assert comp.summary().startswith("recombine: 300 -> ") and "certified" not in comp.summary()
    data = comp.to_dict()
    assert data["residual_bound"] is None and data["n_input"] == 300 and data["method"] == "recombine"
    certified = Compression(comp.indices, comp.weights, comp.degree, comp.residual, comp.tolerance, None,
                            comp.n_input, comp.basis, "x", residual_bound=2.5e-17)
    assert "certified <= 2.500e-17" in certified.summary()


def test_save_load_round_trip(points: np.ndarray, tmp_path: Path) -> None:
    comp = recombine(points, degree=3, precision=30)
    path = comp.save(tmp_path / "c.npz", points=points)
    back = Compression.load(path)
    np.testing.assert_array_equal(back.indices, comp.indices)
    np.testing.assert_array_equal(back.weights, comp.weights)
    assert back.precision == 30 and back.residual == comp.residual and back.residual_bound == comp.residual_bound
    assert all(a == b for a, b in zip(back.weights_mp, comp.weights_mp, strict=True))  # exact mantissas
    assert isinstance(back.basis, ChebyshevBasis) and back.basis.degree == 3
    with np.load(path) as data:
        np.testing.assert_array_equal(data["points"], points[comp.indices])
    bounded = Compression(comp.indices, comp.weights, 3, comp.residual, comp.tolerance, None, 300, comp.basis,
                          "x", residual_bound=1e-40)
    assert Compression.load(bounded.save(tmp_path / "b.npz")).residual_bound == 1e-40
