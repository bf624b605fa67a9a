"""The flint (python-flint / Arb) backend: protocol, linear algebra, recombination and its certificate."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import mpmath
import numpy as np
import pytest

flint = pytest.importorskip("flint")

from unicomp import InputError, recombine  # noqa: E402
from unicomp.numerics.backends import Backend, MPMathBackend, get_backend  # noqa: E402
from unicomp.numerics.basis import ChebyshevBasis  # noqa: E402
from unicomp.numerics.flint_backend import FlintBackend, certify_residual  # noqa: E402
from unicomp.numerics.kernel import eliminate  # noqa: E402
from unicomp.verify import check_compression  # noqa: E402


def _features(backend: FlintBackend, pts: np.ndarray, degree: int) -> np.ndarray:
    basis = ChebyshevBasis(degree, backend.asarray(np.zeros(pts.shape[1])), backend.asarray(np.ones(pts.shape[1])))
    return backend.features(basis, backend.asarray(pts))


def _max_abs(values: np.ndarray) -> float:
    return max((abs(float(v)) for v in np.ravel(values)), default=0.0)


def _mpmath_residual(pts: np.ndarray, comp, digits: int = 80) -> mpmath.mpf:
    """The relative moment residual of ``comp`` (unit input weights) by an independent route: mpmath
    features at ``digits`` digits and accurately rounded sums (no Arb involved)."""
    kept = comp.weights if comp.weights_mp is None else comp.weights_mp
    with mpmath.workdps(digits):
        mp = np.vectorize(mpmath.mpf, otypes=[object])
        basis = ChebyshevBasis(comp.degree, mp(comp.basis.center), mp(comp.basis.half_width))
        feats = basis(mp(pts))
        weights = np.array([mpmath.mpf(w) for w in kept], dtype=object)
        gaps = [
            abs(mpmath.fsum(feats[:, e]) - mpmath.fsum(weights * feats[comp.indices, e]))
            for e in range(feats.shape[1])
        ]
        return max(gaps) / len(pts)


def test_is_a_backend_and_rejects_bad_digits() -> None:
    assert isinstance(FlintBackend(30), Backend)
    for bad in (15, True, 16.5, "50"):
        with pytest.raises(InputError, match="precision must be"):
            FlintBackend(bad)


def test_chosen_for_a_precision_unless_another_is_named() -> None:
    assert get_backend(50).name == "flint"
    assert get_backend(50, "mpmath").name == "mpmath"
    assert get_backend(50, "flint").digits == 50


def test_context_sets_and_restores_the_precision() -> None:
    before = flint.ctx.prec
    backend = FlintBackend(50)
    with pytest.raises(RuntimeError), backend.context():
        assert flint.ctx.prec == backend.bits == mpmath.libmp.dps_to_prec(50)
        raise RuntimeError
    assert flint.ctx.prec == before


def test_asarray_is_exact_and_settle_drops_radii() -> None:
    backend = FlintBackend(30)
    with backend.context():
        x = backend.asarray(np.array([0.1, -3.5e-300, 1e300]))
        assert all(v.rad() == 0 for v in x)
        assert [float(v) for v in x] == [0.1, -3.5e-300, 1e300]
        third = backend.asarray(np.ones(2)) / 3
        assert all(v.rad() > 0 for v in third)
        settled = backend.settle(third)
        assert all(v.rad() == 0 and v.mid() == t.mid() for v, t in zip(settled, third, strict=True))


def test_null_space_of_a_full_rank_matrix() -> None:
    backend = FlintBackend(50)
    with backend.context():
        feats = _features(backend, np.random.default_rng(0).uniform(-1, 1, (132, 2)), 10)
        null = backend.null_space(feats)
        assert null.shape == (132, 66)
        # The kernel's own acceptance test for a fresh vector (null_residual_tolerance / 1000).
        assert _max_abs(feats.T @ null) <= backend.null_residual_tolerance(132) / 1000 * _max_abs(null)
        assert FlintBackend(50).null_space(feats[:66]).shape == (66, 0)


@pytest.mark.parametrize("case", ["duplicates", "line"])
def test_null_space_of_exactly_rank_deficient_matrices(case: str) -> None:
    """Duplicated points (rank 60) and points on a line (degree-10 polynomials of one variable: rank 11)."""
    backend = FlintBackend(50)
    rng = np.random.default_rng(1)
    if case == "duplicates":
        pts, rank = np.repeat(rng.uniform(-1, 1, (60, 2)), 2, axis=0), 60
    else:
        t = rng.uniform(-1, 1, 100)
        pts, rank = np.stack([t, t / 2], axis=1), 11
    with backend.context():
        feats = _features(backend, pts, 10)
        null = backend.null_space(feats)
        assert null.shape == (len(pts), len(pts) - rank)
        assert _max_abs(feats.T @ null) <= backend.null_residual_tolerance(len(pts)) / 1000 * _max_abs(null)


def test_null_space_of_a_matrix_float64_sees_as_rank_deficient(monkeypatch: pytest.MonkeyPatch) -> None:
    """70 random points at degree 60 (m = 1): condition number 1.2e16, float64 rank 58 of 61, full rank at
    50 digits.  The full-rank proposal solved by Arb must pass the check, without Gauss-Jordan."""
    backend = FlintBackend(50)

    def no_gauss_jordan(matrix: np.ndarray) -> np.ndarray:
        raise AssertionError("the Gauss-Jordan fallback ran")

    monkeypatch.setattr(backend._fallback, "null_space", no_gauss_jordan)
    pts = np.random.default_rng(2).uniform(-1, 1, (70, 1))
    with backend.context():
        feats = _features(backend, pts, 60)
        null = backend.null_space(feats)
        assert null.shape == (70, 9)
        assert _max_abs(feats.T @ null) <= backend.null_residual_tolerance(70) / 1000 * _max_abs(null)


def test_null_space_rank_is_decided_at_the_working_precision() -> None:
    """Two points 1e-20 apart: rank deficient in float64, full rank (no null vector) at 50 digits."""
    backend = FlintBackend(50)
    pts = np.concatenate([np.random.default_rng(2).uniform(-1, 1, (60, 2)), [[0.0, 0.0], [1e-20, 0.0]]])
    with backend.context():
        assert backend.null_space(_features(backend, pts, 10)).shape == (62, 0)


@pytest.mark.parametrize("shape", [(66, 66), (66, 40), (40, 66)])
def test_lstsq_matches_mpmath(shape: tuple[int, int]) -> None:
    """Square, overdetermined (least squares) and underdetermined (minimum norm) systems."""
    rng = np.random.default_rng(3)
    a, b = rng.uniform(-1, 1, shape), rng.uniform(-1, 1, shape[0])
    flint_backend, mp_backend = FlintBackend(50), MPMathBackend(50)
    with flint_backend.context():
        x = flint_backend.lstsq(flint_backend.asarray(a), flint_backend.asarray(b))
    with mp_backend.context():
        y = mp_backend.lstsq(mp_backend.asarray(a), mp_backend.asarray(b))
        # Both backward stable at 50 digits; these matrices have condition numbers below 1e3.
        assert max(abs(mpmath.mpf(u) - v) for u, v in zip(x, y, strict=True)) < 1e-44


def test_residual_bound_encloses_the_gap() -> None:
    backend = FlintBackend(50)
    with backend.context():
        gap = flint.arb(1) / 3 * flint.arb(10) ** -40
        bound = backend.residual_bound([flint.arb(1), flint.arb(2)], [flint.arb(1) + gap, flint.arb(2)], flint.arb(2))
    # The sums are of order one at 169 bits: their balls, and so the bound's slack, are a few units in the
    # last place, 2**-168 ~ 3e-51 each.
    assert 1 / 6 * 1e-40 <= bound <= 1 / 6 * 1e-40 + 1e-49


def test_recombine_agrees_with_the_mpmath_backend() -> None:
    pts = np.random.default_rng(4).uniform(-1, 1, size=(300, 2))
    fast = recombine(pts, degree=6, precision=40)
    slow = recombine(pts, degree=6, precision=40, backend="mpmath")
    assert fast.size == slow.size == 28
    for comp in (fast, slow):
        assert check_compression(comp, pts).chebyshev_residual <= 1e-35  # 10^-(digits - 5)
    assert slow.residual_bound is None
    assert fast.residual_bound is not None and fast.residual_bound <= fast.tolerance
    # The same 28 moments from two different kept sets: each within the tolerance of the exact ones.
    assert _mpmath_residual(pts, fast) <= 1e-35 and _mpmath_residual(pts, slow) <= 1e-35


@pytest.mark.parametrize("precision", [None, 30])
def test_certified_enclosure_contains_the_mpmath_measured_residual(precision: int | None) -> None:
    pts = np.random.default_rng(5).uniform(-1, 1, size=(400, 2))
    comp = recombine(pts, degree=5, precision=precision)
    enclosure = certify_residual(pts, None, comp)
    measured = _mpmath_residual(pts, comp)
    assert enclosure.lower <= measured <= enclosure.upper
    assert enclosure.certifies(comp.tolerance)
    if precision is not None:
        assert comp.residual_bound >= measured


@pytest.mark.parametrize("case", ["duplicates", "line", "tiny weights", "zero weights"])
def test_degenerate_inputs_are_reduced_and_certified(case: str) -> None:
    """Rank-deficient features (duplicates: rank 28 = N_{2,6}; a line: rank 7, the polynomials of degree 6
    in one variable), weights near the float64 underflow, and zero weights (never kept)."""
    rng = np.random.default_rng(11)
    t = rng.uniform(-1, 1, 300)
    pts, weights, rank = rng.uniform(-1, 1, (300, 2)), None, 28
    if case == "duplicates":
        pts = np.repeat(rng.uniform(-1, 1, (100, 2)), 3, axis=0)
    elif case == "line":
        pts, rank = np.stack([t, t / 2], axis=1), 7
    elif case == "tiny weights":
        weights = rng.uniform(size=300) * 1e-300
    else:
        weights = np.where(t > 0, 1.0, 0.0)
    comp = recombine(pts, weights, degree=6, precision=30)
    assert comp.size <= rank
    if weights is not None:
        assert np.all(np.asarray(weights)[comp.indices] > 0)
    assert comp.residual_bound <= comp.tolerance
    assert certify_residual(pts, weights, comp).certifies(comp.tolerance)


def test_a_saved_compression_certifies_the_same(tmp_path: Path) -> None:
    """The file keeps the exact weights, so the enclosure recomputed after loading is the same ball."""
    pts = np.random.default_rng(12).uniform(-1, 1, size=(300, 2))
    comp = recombine(pts, degree=5, precision=30)
    loaded = type(comp).load(comp.save(tmp_path / "comp.npz"))
    assert certify_residual(pts, None, loaded) == certify_residual(pts, None, comp)


def test_planted_defect_fails_the_certificate() -> None:
    """A weight changed by one part in 1e30 moves the constant moment by ~1e-32 of the mass: far above the
    1e-35 tolerance, so the certificate must refuse it (and its lower bound proves the defect)."""
    pts = np.random.default_rng(6).uniform(-1, 1, size=(300, 2))
    comp = recombine(pts, degree=6, precision=40)
    assert certify_residual(pts, None, comp).certifies(comp.tolerance)
    with mpmath.workdps(60):
        weights_mp = np.array([mpmath.mpf(w) for w in comp.weights_mp], dtype=object)
        weights_mp[0] *= 1 + mpmath.mpf(10) ** -30
    planted = certify_residual(pts, None, dataclasses.replace(comp, weights_mp=weights_mp))
    assert not planted.certifies(comp.tolerance)
    assert planted.lower > comp.tolerance


def test_certify_rejects_other_points() -> None:
    pts = np.random.default_rng(7).uniform(-1, 1, size=(100, 2))
    comp = recombine(pts, degree=3)
    with pytest.raises(InputError, match="points must have shape"):
        certify_residual(pts[:50], None, comp)


@pytest.mark.slow
def test_target_case_is_certified() -> None:
    """Issue 14 target: N = 2000, m = 2, k = 10 at 50 digits, residual <= 1e-45, certified."""
    pts = np.random.default_rng(0).uniform(-1, 1, size=(2000, 2))
    comp = recombine(pts, degree=10, precision=50)
    assert comp.residual <= 1e-45
    assert comp.residual_bound <= 1e-45
    assert certify_residual(pts, None, comp).upper <= 1e-45


@pytest.mark.parametrize("batch", [1, 2])
def test_null_vectors_with_wide_balls_are_settled_before_use(batch: int) -> None:
    # Arb's LU gives null vectors whose radii grow with the conditioning (the module notes: up to 1e-18 at
    # 50 digits); the kernel must use their midpoints.  Radii twice the midpoints make every "certainly
    # greater" comparison false, so an unsettled vector offers no pivot and removes nothing (batch 2 takes
    # the batched step, batch 1 the single-problem one).
    backend = FlintBackend(40)
    rng = np.random.default_rng(9)
    pts = rng.uniform(-1, 1, size=(batch, 20, 2))
    rows = np.stack([ChebyshevBasis.fit(p, 2)(p) for p in pts])
    weights = rng.uniform(0.5, 2.0, size=(batch, 20))
    removals = np.full(batch, 14)
    with backend.context():
        arows, aweights = backend.asarray(rows), backend.asarray(weights)
        null = backend.null_vectors(arows, 14)
        wide = np.vectorize(lambda x: flint.arb(x.mid(), 2 * abs(x.mid())), otypes=[object])(null)
        out = backend.to_float(eliminate(backend, arows, aweights, removals, null=wide))
    assert (out > 0).sum(axis=1).tolist() == [6] * batch
    # sums of 20 terms of size <= 2 rounded to float64 from 40-digit weights: ~1e-15; 1e-12 leaves 1000x
    np.testing.assert_allclose(np.einsum("bmn,bm->bn", rows, out), np.einsum("bmn,bm->bn", rows, weights),
                               rtol=0, atol=1e-12)


def test_high_degree_at_40_digits_keeps_the_moments() -> None:
    # m = 2, k = 17, d = 1000: one tree level of 342 barycentres whose Arb null vectors carry wide radii;
    # before the kernel settled each vector at its use, the sweep zeroed 289 of 342 groups (not 171) and the
    # result lost its moments (residual 0.79, PrecisionError)
    pts = np.random.default_rng(0).uniform(-1, 1, size=(1000, 2))
    comp = recombine(pts, degree=17, precision=40)
    assert comp.size == 171
    assert comp.residual <= comp.tolerance and comp.residual_bound <= comp.tolerance
