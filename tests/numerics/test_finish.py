"""The one finishing step: tol validated everywhere, one basis convention, exact rescaling, polish, the error."""

from __future__ import annotations

import numpy as np
import pytest

from unicomp import PrecisionError, compress, compress_sharded, recombine, reduce
from unicomp.errors import InputError
from unicomp.numerics.backends import Float64Backend, MPMathBackend
from unicomp.numerics.basis import ChebyshevBasis
from unicomp.numerics.finish import finish, polish, prepare, reference_moments, resolve_tolerance

CALLS = {
    "recombine": lambda pts, w, **kw: recombine(pts, w, degree=2, **kw),
    "compress": lambda pts, w, **kw: compress(pts, w, degree=2, size=20, **kw),
    "reduce": lambda pts, w, **kw: reduce(pts, w, degree=2, **kw),
}


@pytest.mark.parametrize("bad", [0.0, -1e-3, float("inf"), float("nan"), "1e-8", True])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_tol_is_validated_by_every_reduction(name: str, bad: object) -> None:
    pts = np.random.default_rng(0).uniform(-1, 1, size=(50, 2))
    with pytest.raises(InputError, match="tol must be a positive finite number"):
        CALLS[name](pts, None, tol=bad)


def test_sharded_validates_tol_before_starting_a_cluster() -> None:
    # client=42 would be rejected when the cluster is opened; tol is rejected first (no Dask needed)
    with pytest.raises(InputError, match="tol must be"):
        compress_sharded([np.zeros((3, 2))], degree=1, client=42, tol=-1.0)


def test_default_tolerances_come_from_the_backend() -> None:
    assert resolve_tolerance(None, Float64Backend()) == 1e-10
    assert resolve_tolerance(None, MPMathBackend(30)) == pytest.approx(1e-25)
    assert resolve_tolerance(3, Float64Backend()) == 3.0


@pytest.mark.parametrize("name", sorted(CALLS))
def test_basis_is_the_box_of_all_input_points(name: str) -> None:
    rng = np.random.default_rng(1)
    pts = rng.uniform(-1, 1, size=(60, 2))
    pts[0] = [5.0, -7.0]  # outside the others' box, with weight zero
    w = rng.uniform(0.5, 2, size=60)
    w[0] = 0.0
    comp = CALLS[name](pts, w)
    assert 0 not in comp.indices
    box = ChebyshevBasis.fit(pts, 2)
    np.testing.assert_array_equal(comp.basis.center, box.center)
    np.testing.assert_array_equal(comp.basis.half_width, box.half_width)


@pytest.mark.parametrize("exponent", [-990, 990])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_extreme_weights_are_scaled_exactly(name: str, exponent: int) -> None:
    rng = np.random.default_rng(2)
    pts = rng.uniform(-1, 1, size=(60, 2))
    w = rng.uniform(0.5, 2, size=60)
    comp = CALLS[name](pts, np.ldexp(w, exponent))  # weights near 1e-298 / 1e298, exactly 2^e w
    reference = CALLS[name](pts, w)
    # the internal rescaling by a power of two is exact, so the very same reduction runs: bit-identical
    np.testing.assert_array_equal(comp.indices, reference.indices)
    np.testing.assert_array_equal(comp.weights, np.ldexp(reference.weights, exponent))
    assert comp.residual == reference.residual


def test_whole_input_keeps_exact_weights_and_reductions_are_polished() -> None:
    pts = np.random.default_rng(3).uniform(-1, 1, size=(40, 2))
    w = np.random.default_rng(4).uniform(0.5, 2, size=40)
    whole = compress(pts, w, degree=2, size=40)
    np.testing.assert_array_equal(whole.weights, w)  # no polish of an input kept whole
    backend, prep = Float64Backend(), prepare(pts, w, 2, None, Float64Backend())
    basis = prep.box
    reference = reference_moments(backend, basis, pts, prep.scaled_weights)
    rough = compress(pts, w, degree=2, size=10)
    kept = np.ldexp(rough.weights, -prep.exponent) * (1 + 1e-9)  # a perturbed result (relative 1e-9)
    feats = basis(pts[rough.indices])
    polished = polish(reference, feats, kept, backend)
    before = np.max(np.abs(feats.T @ kept - np.array(reference)))
    after = np.max(np.abs(feats.T @ polished - np.array(reference)))
    # one refinement step recovers float64 accuracy: from ~1e-8 (the perturbation) to ~1e-15
    assert before > 1e-9 and after < 1e-13


def test_precision_error_names_the_remedy() -> None:
    pts = np.random.default_rng(5).uniform(-1, 1, size=(40, 2))
    prep = prepare(pts, None, 2, 1e-12, Float64Backend())
    reference = reference_moments(Float64Backend(), prep.box, pts, prep.scaled_weights)
    kept = np.arange(10)
    with pytest.raises(PrecisionError, match=r"exceeds the tolerance 1\.0e-12.*pass precision=<digits>"):
        finish(Float64Backend(), prep, prep.box, reference, 40.0, kept, pts[kept], np.full(10, 4.0),
               method="test", timings={}, info={}, what="test")
    with pytest.raises(PrecisionError, match="use fewer shards"):
        finish(Float64Backend(), prep, prep.box, reference, 40.0, kept, pts[kept], np.full(10, 4.0),
               method="test", timings={}, info={}, hint="use fewer shards")
