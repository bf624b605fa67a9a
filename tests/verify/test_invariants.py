"""check_compression: a genuine compression passes; each invariant, broken on purpose, is reported."""

from __future__ import annotations

import dataclasses
from typing import Any

import mpmath
import numpy as np
import pytest

from unicomp import InputError, UnicompError, recombine
from unicomp.multiindex import num_moments
from unicomp.numerics.basis import ChebyshevBasis
from unicomp.numerics.result import Compression
from unicomp.verify.invariants import InvariantViolation, check_compression

PTS = np.random.default_rng(7).uniform(-2.0, 3.0, size=(400, 2))
W = np.random.default_rng(8).uniform(0.5, 2.0, size=400)
COMP = recombine(PTS, W, degree=3)


def _tampered(**changes: Any) -> Compression:
    return dataclasses.replace(COMP, **changes)


def test_genuine_compression_passes_and_reports() -> None:
    report = check_compression(COMP, PTS, W)
    assert report.size == COMP.indices.size <= report.max_size == num_moments(2, 3)
    # float64 elimination: relative moment errors at the rounding level (seen ~1e-16), far below the tolerance.
    assert max(report.mass_error, report.chebyshev_residual, report.monomial_residual) < 1e-13
    assert report.tolerance == COMP.tolerance


def test_monomial_error_never_exceeds_chebyshev_error() -> None:
    # The docstring's argument: each scaled-monomial moment error is a convex combination of Chebyshev
    # moment errors.  With weights perturbed by up to 1e-3 (errors far above rounding) it must hold up to
    # the rounding of the exact sums (relative 1e-12 is generous for fsum-rounded sums of ~10 terms).
    rng = np.random.default_rng(1)
    noisy = _tampered(weights=COMP.weights * (1 + 1e-3 * rng.uniform(-1, 1, COMP.weights.size)), residual=0.0)
    report = check_compression(noisy, PTS, W, tol=1.0)
    assert 1e-6 < report.chebyshev_residual
    assert report.monomial_residual <= report.chebyshev_residual * (1 + 1e-12)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"indices": COMP.indices[::-1].copy()}, "strictly increasing"),
        ({"indices": np.r_[COMP.indices[:1], COMP.indices[:-1]]}, "strictly increasing"),
        ({"indices": np.r_[COMP.indices[:-1], 400]}, "out of range"),
        ({"indices": COMP.indices.astype(float)}, "1-D integer array"),
        ({"weights": np.r_[COMP.weights[:-1], -COMP.weights[-1]]}, "strictly positive"),
        ({"weights": COMP.weights[:-1]}, "weights shape"),
        ({"weights": COMP.weights * (1 + 1e-6)}, "total mass changed"),
        ({"residual": 1.0}, "reported residual"),
        ({"n_input": 399}, "n_input"),
    ],
    ids=["unsorted", "duplicate", "out-of-range", "float-indices", "negative", "short", "mass", "reported",
         "n_input"],
)
def test_each_broken_invariant_is_named(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvariantViolation, match=message):
        check_compression(_tampered(**changes), PTS, W)


def test_moved_point_breaks_the_moments_and_support_bound_is_enforced() -> None:
    moved = PTS.copy()
    moved[COMP.indices[0]] += 0.05
    with pytest.raises(InvariantViolation, match="moment residual"):
        check_compression(COMP, moved, W)
    with pytest.raises(InvariantViolation, match="exceeds the allowed"):
        check_compression(COMP, PTS, W, max_size=COMP.indices.size - 1)


def test_zero_weight_input_point_must_not_be_kept() -> None:
    w = W.copy()
    w[COMP.indices[0]] = 0.0
    with pytest.raises(InvariantViolation, match="zero-weight input point"):
        check_compression(COMP, PTS, w)


def test_arbitrary_precision_compression_is_checked_at_its_precision() -> None:
    comp = recombine(PTS[:60], degree=2, precision=30)
    report = check_compression(comp, PTS[:60])
    # 30-digit arithmetic: the recomputed residual is at the 1e-30 level (tolerance follows the precision).
    assert report.chebyshev_residual < 1e-25
    assert comp.weights_mp is not None
    bad = comp.weights_mp.copy()
    bad[0] = bad[0] * (1 + mpmath.mpf(10) ** -20)
    with pytest.raises(InvariantViolation, match=r"residual|mass"):
        check_compression(dataclasses.replace(comp, weights_mp=bad), PTS[:60])


def test_invariant_violation_is_a_unicomp_error_and_an_assertion_error() -> None:
    # Regression: it was only an AssertionError; `except UnicompError` must catch it, and pytest and the
    # audit's kill rule (which treat AssertionError as a failed check) must keep seeing it.
    assert issubclass(InvariantViolation, UnicompError) and issubclass(InvariantViolation, AssertionError)
    with pytest.raises(UnicompError):
        check_compression(_tampered(residual=1.0), PTS, W)


@pytest.mark.parametrize("compression", [None, "result.npz", 3, {"indices": [0]}, COMP.indices],
                         ids=["None", "str", "int", "dict", "array"])
def test_not_a_compression_is_a_type_error(compression: Any) -> None:
    with pytest.raises(TypeError, match="compression must be a Compression"):
        check_compression(compression, PTS, W)


@pytest.mark.parametrize("tol", [-1e-10, 0.0, float("nan"), float("inf"), True, "1e-10", 1j, [1e-10]], ids=repr)
def test_bad_tol_is_an_argument_error(tol: Any) -> None:
    # A negative or NaN tol is the caller's mistake, not a broken compression.
    with pytest.raises(InputError, match="tol must be"):
        check_compression(COMP, PTS, W, tol=tol)


@pytest.mark.parametrize("max_size", [-1, 2.5, "10", True], ids=repr)
def test_bad_max_size_is_an_argument_error(max_size: Any) -> None:
    with pytest.raises(InputError, match="max_size"):
        check_compression(COMP, PTS, W, max_size=max_size)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # unsigned indices: their differences wrap around, so an unsorted set looked increasing
        ({"indices": COMP.indices[::-1].astype(np.uint64)}, "strictly increasing"),
        ({"indices": np.r_[COMP.indices[:-1], 2**62]}, "out of range"),
        ({"indices": np.r_[-1, COMP.indices[1:]]}, "out of range"),
        ({"info": {"target_size": "many"}}, "target_size"),
        ({"info": {"target_size": 2.7}}, "target_size"),
        ({"degree": -1}, "degree"),
        ({"degree": 2.7}, "degree"),
        ({"precision": 0}, "precision"),
        ({"tolerance": float("nan")}, "tolerance"),
        ({"basis": ChebyshevBasis.fit(np.c_[PTS, PTS[:, :1]], 3)}, "basis"),
    ],
    ids=["uint-unsorted", "huge-index", "negative-index", "target-text", "target-float", "degree-negative",
         "degree-float", "precision-zero", "tolerance-nan", "basis-dim"],
)
def test_malformed_fields_are_violations_not_crashes(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvariantViolation, match=message):
        check_compression(_tampered(**changes), PTS, W)


def test_float_weights_must_agree_with_the_exact_weights() -> None:
    # At a precision the moments are summed from weights_mp; the float64 weights a user reads must be
    # their roundings, else they were never checked.
    comp = recombine(PTS[:60], degree=2, precision=30)
    with pytest.raises(InvariantViolation, match="round to the float64 weights"):
        check_compression(dataclasses.replace(comp, weights=comp.weights * (1 + 1e-9)), PTS[:60])
    with pytest.raises(InvariantViolation, match="weights_mp shape"):
        check_compression(dataclasses.replace(comp, weights_mp=comp.weights_mp[:-1]), PTS[:60])


def test_points_outside_the_basis_box_are_named() -> None:
    # A fresh result's box is the input's bounding box.  A far-away box used to overflow the features
    # (a RuntimeWarning, or OverflowError in fsum) instead of naming the fault.
    far = ChebyshevBasis(3, COMP.basis.center + 1e300, COMP.basis.half_width)
    with pytest.raises(InvariantViolation, match="outside the basis box"):
        check_compression(_tampered(basis=far), PTS, W)
    shrunk = ChebyshevBasis(3, COMP.basis.center, COMP.basis.half_width * 1e-200)
    with pytest.raises(InvariantViolation, match="outside the basis box"):
        check_compression(_tampered(basis=shrunk), PTS, W)
