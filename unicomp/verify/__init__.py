"""Property layer: invariants, claim checkers and the audit registry, importable by anyone's tests.

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
from unicomp.verify.registry import CLAIMS, VERDICTS, Claim, Finding, Registry, get_claim
from unicomp.verify.report import verdict_table, write_report

__all__ = [
    "CLAIMS",
    "VERDICTS",
    "Claim",
    "Finding",
    "InvariantReport",
    "InvariantViolation",
    "LineFit",
    "Registry",
    "check_compression",
    "check_target_compression",
    "closer_than_baseline",
    "combine",
    "compare_slope",
    "compare_value",
    "coverage_verdict",
    "fit_line",
    "fit_loglog",
    "get_claim",
    "mean_slope",
    "rounding_verdict",
    "trajectory_gap",
    "vanishing_error",
    "verdict_table",
    "write_report",
]
