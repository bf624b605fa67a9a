"""Every backend through one parametrised fixture: the protocol's contract, member by member, and the registry."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from unicomp.errors import InputError
from unicomp.numerics.backends import (
    Backend,
    Float64Backend,
    MPMathBackend,
    available_backends,
    get_backend,
    register_backend,
    registry,
)
from unicomp.numerics.basis import ChebyshevBasis

from .conftest import HAS_FLINT


def _eps(backend: Backend) -> float:
    """Unit roundoff of the working precision."""
    return 2.2e-16 if backend.digits is None else 10.0 ** (-backend.digits)


def _rank_deficient(rng: np.random.Generator) -> np.ndarray:
    """A 12 x 5 matrix of rank 4 (its last column is the sum of two others), first column ones."""
    a = rng.uniform(-1, 1, size=(12, 5))
    a[:, 0] = 1.0
    a[:, 4] = a[:, 1] + a[:, 2]
    return a


def test_is_a_backend(backend: Backend) -> None:
    assert isinstance(backend, Backend)
    assert backend.name in available_backends() or backend.name.startswith("torch")
    assert 0 < backend.pivot_fraction < 1e-3 and 0 < backend.tolerance < 1e-5


def test_conversion_round_trip_is_exact(backend: Backend) -> None:
    values = np.random.default_rng(0).normal(size=(7, 3))
    # float64 values are representable in every working type (torch float64 here): an exact round trip
    np.testing.assert_array_equal(backend.to_float(backend.asarray(values)), values)
    np.testing.assert_array_equal(backend.to_float(backend.settle(backend.asarray(values))), values)


def test_features_match_the_float64_basis(backend: Backend) -> None:
    pts = np.random.default_rng(1).uniform(-3, 5, size=(40, 2))
    basis = ChebyshevBasis.fit(pts, 4)
    working = basis if backend.digits is None else ChebyshevBasis(
        4, backend.asarray(basis.center), backend.asarray(basis.half_width))
    got = backend.to_float(backend.features(working, backend.asarray(pts)))
    # degree-4 recurrence: O(k^2) ulps of float64 at most (8e-15 relative to the bound one); 1e-13 is ~10x
    np.testing.assert_allclose(got, basis(pts), rtol=0, atol=1e-13)


def test_null_space_is_rank_revealing(backend: Backend) -> None:
    a = _rank_deficient(np.random.default_rng(2))
    null = backend.null_space(backend.asarray(a))
    v = backend.to_float(null)
    assert v.shape == (12, 12 - 4)
    # A^T V = 0 to the working precision of the solve (float64 SVD: ~1e-15; 100x that is our bound).
    assert np.max(np.abs(a.T @ v)) <= 100 * 12 * 2.2e-16 * np.max(np.abs(v))
    assert np.linalg.matrix_rank(v) == 8


def test_null_vectors_vanish_on_padding(backend: Backend) -> None:
    rng = np.random.default_rng(3)
    rows = rng.uniform(-1, 1, size=(3, 20, 6))
    rows[:, :, 0] = 1.0
    rows[1, 14:] = 0.0  # a problem of 14 real items, 6 rows of padding
    null = backend.to_float(backend.null_vectors(backend.asarray(rows), 8))
    assert null.shape == (3, 20, 8)
    np.testing.assert_array_equal(null[1, 14:], 0.0)
    for b in range(3):
        # null vectors of rows[b].T; float64 QR/elimination ~1e-15 relative, bound 1e-12 (a thousandfold)
        assert np.max(np.abs(np.einsum("mn,mq->nq", rows[b], null[b]))) <= 1e-12 * np.max(np.abs(null[b]))
        assert np.linalg.matrix_rank(null[b], tol=1e-8) == 8


def test_segment_and_group_sums(backend: Backend) -> None:
    rng = np.random.default_rng(4)
    values = rng.normal(size=(30, 3))
    segments = rng.integers(0, 5, size=30)
    got = backend.to_float(backend.segment_sum(backend.asarray(values), segments, 6))
    expected = np.zeros((6, 3))
    np.add.at(expected, segments, values)
    # 30 terms of size ~1: reordered float64 sums agree to ~30 ulps
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13)
    pts = rng.uniform(-1, 1, size=(50, 2))
    w = rng.uniform(0, 1, size=50)
    basis = ChebyshevBasis.fit(pts, 3)
    working = basis if backend.digits is None else ChebyshevBasis(
        3, backend.asarray(basis.center), backend.asarray(basis.half_width))
    sums = backend.to_float(backend.group_sums(working, backend.asarray(pts), backend.asarray(w), 8))
    np.testing.assert_allclose(sums, basis.group_sums(pts, w, 8), rtol=0, atol=1e-13)


def test_column_sums_are_accurately_rounded(backend: Backend) -> None:
    values = np.array([[1e16, 1.0], [1.0, 2.0], [-1e16, 3.0]])
    sums = backend.column_sums(backend.asarray(values))
    # naive float64 summation gives 0.0 for the first column; an accurate sum gives exactly 1
    assert [float(s) for s in sums] == [1.0, 6.0]


def test_lstsq_solves_over_and_underdetermined_systems(backend: Backend) -> None:
    rng = np.random.default_rng(5)
    tall = rng.normal(size=(8, 3))
    x = np.array([1.0, -2.0, 0.5])
    got = backend.to_float(backend.lstsq(backend.asarray(tall), backend.asarray(tall @ x)))
    # condition number ~3: the solution to ~1e-15 in float64; 1e-12 is a thousandfold
    np.testing.assert_allclose(got, x, rtol=0, atol=1e-12)
    wide = tall.T
    rhs = np.array([1.0, 2.0, 3.0])
    sol = backend.to_float(backend.lstsq(backend.asarray(wide), backend.asarray(rhs)))
    np.testing.assert_allclose(wide @ sol, rhs, rtol=0, atol=1e-12)
    # minimum norm: in the row space of `wide`
    np.testing.assert_allclose(sol, np.linalg.pinv(wide) @ rhs, rtol=0, atol=1e-12)


def test_arange_and_tolerances(backend: Backend) -> None:
    assert backend.to_float(backend.arange(4)).tolist() == [0, 1, 2, 3]
    assert backend.null_residual_tolerance(10) == pytest.approx(1000 * 10 * _eps(backend), rel=0.2)
    assert backend.residual_bound([1.0], [1.0], 1.0) is None or backend.name == "flint"


def test_mpmath_gauss_jordan_null_space_directly() -> None:
    backend = MPMathBackend(40)
    with backend.context():
        # A^T = [[1, 1, 1, 1], [0, 1, 2, 3]]: kernel spanned by (1, -2, 1, 0) and (2, -3, 0, 1) in RREF form
        a = backend.asarray(np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]]))
        null = backend.null_space(a)
        assert null.shape == (4, 2)
        expected = [[1, 2], [-2, -3], [1, 0], [0, 1]]
        assert all(null[i, j] == expected[i][j] for i in range(4) for j in range(2))
        # an exactly duplicated row: rank 1 with the 10^-(digits-5) pivot cut, not rank 2 from round-off
        third = mpmath.mpf(1) / 3
        dup = np.array([[third, 1], [third, 1], [third, 1]], dtype=object)
        assert backend.null_space(dup).shape == (3, 2)
        # trailing zero rows only appear in the last vectors (what null_vectors relies on)
        padded = np.vstack([a, backend.asarray(np.zeros((2, 2)))])
        basis = backend.null_space(padded)
        assert basis.shape == (6, 4) and all(x == 0 for x in basis[4:, :2].flat)


def test_mpmath_context_restores_precision() -> None:
    before = mpmath.mp.dps
    with pytest.raises(RuntimeError), MPMathBackend(60).context():
        assert mpmath.mp.dps == 60
        raise RuntimeError
    assert mpmath.mp.dps == before


def test_registry_rules() -> None:
    assert isinstance(get_backend(), Float64Backend)
    assert get_backend(30).name == ("flint" if HAS_FLINT else "mpmath")
    assert get_backend(30, "mpmath").name == "mpmath"
    ready = Float64Backend()
    assert get_backend(None, ready) is ready
    with pytest.raises(InputError, match="one of"):
        get_backend(None, "quad")
    with pytest.raises(InputError, match="precision must be None"):
        get_backend(30, "float64")
    with pytest.raises(InputError, match="needs precision"):
        get_backend(None, "mpmath")
    with pytest.raises(InputError, match="device is only used"):
        get_backend(None, "float64", "cpu")
    with pytest.raises(InputError, match=r"precision must be an integer in \[16, 10000\]"):
        get_backend(10, "mpmath")
    with pytest.raises(InputError, match="must be a name or a Backend"):
        get_backend(None, 3)  # type: ignore[arg-type]


def test_register_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))  # restored after the test
    register_backend("float64-copy", lambda digits, device: Float64Backend())
    assert isinstance(get_backend(None, "float64-copy"), Float64Backend)
    assert "float64-copy" in available_backends()
    with pytest.raises(InputError, match="non-empty string"):
        register_backend("", lambda digits, device: Float64Backend())
