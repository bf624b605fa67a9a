"""The Fig. 2 and Fig. 8 test functions in float64 and mpmath, and the error of a compression on them."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from unicomp.errors import InputError
from unicomp.numerics.compress import compress
from unicomp.numerics.testfunctions import pole_function, sigmoid_function


@pytest.mark.parametrize("make", [sigmoid_function, pole_function])
def test_float64_matches_mpmath(make) -> None:
    f = make(2, seed=1)
    pts = np.random.default_rng(0).uniform(-1, 1, size=(50, 2))
    exact = np.array([float(v) for v in f.g_mp(pts, 40)])
    # a sum of 10 terms, each within a few ulps; the pole function's terms are at most 1/0.05 = 20
    np.testing.assert_allclose(f.g(pts), exact, rtol=1e-14)


def test_sigmoid_has_no_overflow_and_the_right_shape() -> None:
    f = sigmoid_function(3, n_directions=4, seed=2)
    assert f.directions.shape == (4, 3)
    g = f.g(np.full((2, 3), 1e4))
    assert np.all(np.isfinite(g)) and np.all((g >= 0) & (g <= 1))


def test_pole_shift_defaults_and_check() -> None:
    assert pole_function(1).shift == 1.05 and pole_function(2).shift == 2.05
    with pytest.raises(InputError, match="shift"):
        pole_function(2, shift=1.5)


def test_error_of_a_compression_float64_and_high_precision() -> None:
    pts = np.random.default_rng(3).uniform(-1, 1, size=(400, 1))
    f = pole_function(1, seed=4)
    comp = compress(pts, degree=8, size=40)
    e64 = f.error(comp, pts)
    naive_error = abs(f.value(pts[:40]) - f.value(pts))  # the paper's baseline: the first 40 points
    assert isinstance(e64, float) and 0 <= e64 < naive_error
    hp = compress(pts, degree=8, size=40, precision=40)
    e_hp = f.error(hp, pts)
    assert isinstance(e_hp, mpmath.mpf)
    # Same algorithm, same kept set (the high-precision run refines the weights only); the float64 error
    # is the exact one plus float64 rounding of the weights and sums (~1e-15).
    assert hp.indices.tolist() == comp.indices.tolist()
    assert abs(float(e_hp) - e64) <= 1e-13


def test_analytic_constants_only_for_the_sigmoid() -> None:
    rho, bound = sigmoid_function(2, seed=0).analytic_constants()
    assert 0 < rho <= np.pi / 2 and bound == 1.0
    with pytest.raises(InputError, match="sigmoid"):
        pole_function(1).analytic_constants()


def test_dimension_mismatch() -> None:
    with pytest.raises(InputError, match="columns"):
        sigmoid_function(2).g(np.zeros((3, 3)))
