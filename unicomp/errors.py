"""Exceptions raised by unicomp.

Every failure that a user can cause or fix has its own class, so research code can catch exactly what it
expects:

* :class:`InputError` -- an argument has the wrong shape, type or value.  It is a :class:`ValueError`, so
  code written against plain numpy conventions still catches it.
* :class:`PrecisionError` -- the computation ran but could not reach the requested accuracy in the
  working precision; the message names the remedy (usually ``precision=`` for arbitrary precision).
* :class:`ConvergenceError` -- an iterative procedure (a fit, a search) did not converge.
* :class:`InvariantViolation` -- a compression broke one of its invariants (raised by
  :func:`~unicomp.verify.invariants.check_compression`).  It is also an :class:`AssertionError`, so pytest
  reports it as a failed test and ``except AssertionError`` code keeps catching it.
"""

from __future__ import annotations

__all__ = ["ConvergenceError", "InputError", "InvariantViolation", "PrecisionError", "UnicompError"]


class UnicompError(Exception):
    """Base class of every exception raised on purpose by unicomp."""


class InputError(UnicompError, ValueError):
    """An argument was invalid; the message names the argument and what was expected."""


class PrecisionError(UnicompError, ArithmeticError):
    """The requested accuracy is out of reach in the working precision."""


class ConvergenceError(UnicompError, RuntimeError):
    """An iterative method stopped before meeting its convergence criterion."""


class InvariantViolation(UnicompError, AssertionError):
    """A compression broke one of its invariants; the message lists every invariant that failed."""
