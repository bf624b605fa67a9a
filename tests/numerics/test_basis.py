"""The Chebyshev basis and its equivalence with raw monomials."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from numpy.polynomial import chebyshev as C

from unicomp.multiindex import multi_indices
from unicomp.numerics.basis import ChebyshevBasis, monomial_features


def test_chebyshev_features_match_numpy_chebval() -> None:
    rng = np.random.default_rng(0)
    pts = rng.uniform(-3, 5, size=(50, 3))
    basis = ChebyshevBasis.fit(pts, 4)
    feats = basis(pts)
    u = basis.scale(pts)
    assert np.all(np.abs(u) <= 1 + 1e-15)  # (x - center) / half_width at the box's ends: 1 up to a few ulps
    for col, e in enumerate(basis.exponents):
        expected = np.ones(len(pts))
        for a, ea in enumerate(e):
            expected = expected * C.chebval(u[:, a], [0] * ea + [1])
        # Same three-term recurrence evaluated two ways; agreement to a few ulps of values <= 1.
        np.testing.assert_allclose(feats[:, col], expected, rtol=0, atol=1e-13)


def test_flat_coordinate_gets_unit_half_width() -> None:
    pts = np.array([[1.0, 2.0], [3.0, 2.0]])
    basis = ChebyshevBasis.fit(pts, 2)
    assert basis.half_width.tolist() == [1.0, 1.0]
    assert basis.center.tolist() == [2.0, 2.0]


def _monomial_to_chebyshev(m: int, k: int) -> np.ndarray:
    """Exact (up to rounding) matrix B with monomials(u) = chebyshev(u) @ B, built from poly2cheb."""
    exps = multi_indices(m, k)
    index = {tuple(e): i for i, e in enumerate(exps.tolist())}
    out = np.zeros((len(exps), len(exps)))
    for j, e in enumerate(exps.tolist()):
        per_dim = [C.poly2cheb([0] * ea + [1]) for ea in e]
        for f in exps.tolist():
            if all(fa < len(p) for fa, p in zip(f, per_dim, strict=True)):
                out[index[tuple(f)], j] = np.prod([p[fa] for fa, p in zip(f, per_dim, strict=True)])
    return out


@pytest.mark.parametrize(("m", "k"), [(1, 6), (2, 5), (3, 3)])
def test_chebyshev_and_monomials_span_the_same_space(m: int, k: int) -> None:
    """Matching Chebyshev moments == matching raw monomial moments (same polynomial space).

    monomials(u) = chebyshev(u) @ B with B triangular in the graded order and non-zero diagonal, so B is
    invertible and either set of moments determines the other.
    """
    rng = np.random.default_rng(1)
    pts = rng.uniform(-1, 1, size=(200, m))
    basis = ChebyshevBasis(degree=k, center=np.zeros(m), half_width=np.ones(m))
    b = _monomial_to_chebyshev(m, k)
    # float64: each column of B sums |entries| <= 1 (poly2cheb of u^t is non-negative, summing to 1), features
    # are <= 1, so the product is off by ~N_{m,k} <= 21 ulps plus the recurrence's few: ~1e-14; atol 100x that.
    np.testing.assert_allclose(basis(pts) @ b, monomial_features(pts, k), rtol=0, atol=1e-12)
    degrees = multi_indices(m, k).sum(axis=1)
    # A monomial of degree t only uses Chebyshev terms of degree <= t: B[i, j] == 0 when deg_i > deg_j.
    assert np.all(b[degrees[:, None] > degrees[None, :]] == 0)
    assert np.all(np.diag(b) != 0)
    assert np.linalg.matrix_rank(b) == len(degrees)


def test_basis_evaluates_mpmath_objects() -> None:
    with mpmath.workdps(40):
        pts = np.array([[mpmath.mpf(1) / 3, mpmath.mpf(2) / 7]], dtype=object)
        basis = ChebyshevBasis(degree=3, center=np.array([0, 0], dtype=object),
                               half_width=np.array([1, 1], dtype=object))
        feats = basis(pts)
        # T_3(1/3) = 4/27 - 1 = -23/27 exactly; check at 40 digits.
        col = [tuple(e) for e in basis.exponents.tolist()].index((3, 0))
        # 40-digit working precision: two digits of slack for the recurrence's roundings
        assert abs(feats[0, col] - mpmath.mpf(-23) / 27) < mpmath.mpf(10) ** -38


@pytest.mark.parametrize(("m", "k", "n"), [(1, 3, 10), (2, 4, 257), (3, 2, 64)])
def test_group_sums_equal_summed_features(m: int, k: int, n: int) -> None:
    rng = np.random.default_rng(2)
    pts = rng.uniform(-1, 1, size=(n, m))
    w = rng.uniform(0, 1, size=n)
    basis = ChebyshevBasis.fit(pts, k)
    expected = np.add.reduceat(basis(pts) * w[:, None], np.arange(0, n, 16), axis=0)
    # Two summation orders of at most 16 terms bounded by 1: rounding differences below 1e-13.
    np.testing.assert_allclose(basis.group_sums(pts, w, 16), expected, rtol=0, atol=1e-13)
