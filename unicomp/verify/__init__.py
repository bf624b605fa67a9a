"""Property layer, importable by anyone's tests: invariants and the verdict rules of the claim checks.

The hypothesis strategies live in :mod:`unicomp.verify.strategies` (hypothesis is a development
dependency, so they are not imported here).
"""

from unicomp.verify.claims import (
    LineFit,
    check_target_compression,
    closer_than_baseline,
    combine,
    compare_slope,
    compare_value,
    coverage_verdict,
    fit_line,
    fit_loglog,
    mean_slope,
    rounding_verdict,
    trajectory_gap,
    vanishing_error,
)
from unicomp.verify.invariants import InvariantReport, InvariantViolation, check_compression

__all__ = [
    "InvariantReport",
    "InvariantViolation",
    "LineFit",
    "check_compression",
    "check_target_compression",
    "closer_than_baseline",
    "combine",
    "compare_slope",
    "compare_value",
    "coverage_verdict",
    "fit_line",
    "fit_loglog",
    "mean_slope",
    "rounding_verdict",
    "trajectory_gap",
    "vanishing_error",
]
