"""Property layer: invariants, hypothesis strategies and claim checkers, importable by anyone's tests."""

from unicomp.verify.invariants import InvariantReport, InvariantViolation, check_compression

__all__ = ["InvariantReport", "InvariantViolation", "check_compression"]
