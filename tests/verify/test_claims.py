"""Claim checkers (unicomp.verify.claims): fits with intervals and the verdict rules."""

from __future__ import annotations

import numpy as np
import pytest

from unicomp import recombine
from unicomp.errors import InputError
from unicomp.numerics.compress import compress
from unicomp.verify import InvariantViolation
from unicomp.verify.claims import (
    LineFit,
    check_target_compression,
    closer_than_baseline,
    combine,
    compare_slope,
    compare_value,
    coverage_verdict,
    rounding_verdict,
    trajectory_gap,
    vanishing_error,
)


@pytest.mark.parametrize(("slope", "direction", "expected"), [
    (3.2, "at_least", "holds"), (2.9, "at_least", "holds with caveat"), (2.0, "at_least", "fails"),
    (-1.5, "at_most", "holds"), (-0.95, "at_most", "holds with caveat"), (0.5, "at_most", "fails"),
])
def test_compare_slope_three_ways(slope, direction, expected):
    fit = LineFit(slope, 0.0, slope - 0.2, slope + 0.2, 0.95, 100)
    bound = 3.0 if direction == "at_least" else -1.0
    assert compare_slope(fit, bound, direction=direction)[0] == expected


def test_compare_value_and_coverage():
    fit = LineFit(1.0, 0.0, 0.9, 1.1, 0.95, 100)
    assert compare_value(fit, 1.05)[0] == "holds"
    assert compare_value(fit, 1.15)[0] == "holds with caveat"
    assert compare_value(fit, 2.0)[0] == "fails"
    assert compare_value(fit, 1.15, tol=0.1)[0] == "holds"
    assert coverage_verdict(19, 20)[0] == "holds" and coverage_verdict(10, 20)[0] == "fails"
    with pytest.raises(InputError):
        coverage_verdict(3, 2)


def test_vanishing_error_and_combine():
    assert vanishing_error([10, 20, 40, 80], [1, 0.5, 0.26, 0.12])[0] == "holds"
    assert vanishing_error([10, 20, 40, 80], [1, 2, 4, 8])[0] == "fails"
    assert combine([("holds", "a"), ("fails", "b")])[0] == "fails"
    assert combine([("holds", "a")]) == ("holds", None, "a (1/1 sub-checks hold outright)")
    with pytest.raises(InputError):
        combine([])


def test_rounding_rule_and_trajectories():
    assert rounding_verdict(0.0, 0.0)[0] == "holds"
    assert rounding_verdict(1e-16, 1e-7)[0] == "holds"
    assert rounding_verdict(1e-3, 2e-3)[0] == "fails"
    gap = trajectory_gap([1.0, 0.5], [1.0, 0.6], [1.0, 0.9])
    # default approx: 0.6 - 0.5 is 0.1 only up to binary rounding (0.09999999999999998), ratio 4.000000000000001
    assert gap["max_gap"] == pytest.approx(0.1) and gap["ratio"] == pytest.approx(4.0)
    with pytest.raises(InputError):
        trajectory_gap([1.0, 0.5], [1.0])
    ref = np.array([[1.0, 0.5, 0.3], [1.0, 0.6, 0.4]])
    assert closer_than_baseline(ref, ref + 0.01, ref + 0.2)[0][0] == "holds"
    assert closer_than_baseline(ref, ref + 0.2, ref + 0.01)[0][0] == "fails"


def test_check_target_compression_accepts_algorithm1_and_catches_tampering():
    pts = np.random.default_rng(3).uniform(-1, 1, size=(600, 2))
    comp = compress(pts, degree=3, size=60)
    # float64 elimination leaves ~1e-16 relative moment error (seen 9e-17), well under the 1e-10 acceptance tol
    assert check_target_compression(comp, pts, size=60) < 1e-12
    with pytest.raises(InvariantViolation, match="target"):
        check_target_compression(comp, pts, size=50)
    shifted = pts.copy()
    shifted[comp.indices[0]] += 0.1  # the kept set no longer reproduces the moments
    with pytest.raises(InvariantViolation, match="moment"):
        check_target_compression(comp, shifted, size=60)
    small = recombine(pts, degree=2)  # at most N_mk: delegated to check_compression
    assert check_target_compression(small, pts, size=6) < 1e-12  # as above (seen 5e-17)
