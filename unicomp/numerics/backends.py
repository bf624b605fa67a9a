r"""Arithmetic backends: the few primitives the recombination needs, in float64 or arbitrary precision.

The reduction (:mod:`unicomp.numerics.caratheodory`) is written once against numpy arrays; the entries
are either float64 or :class:`mpmath.mpf` objects (numpy ``object`` dtype), and numpy's elementwise
arithmetic, comparisons, ``argmin``, ``outer`` and ``add.reduceat`` work on both.  What differs is
collected here:

* converting inputs to the working number type;
* a basis of the null space :math:`\{v : A^\top v = 0\}` of a small matrix (LAPACK SVD in float64;
  Gauss-Jordan elimination with partial pivoting in mpmath, which is far faster than mpmath's SVD);
* accurate column sums for the residual (``math.fsum`` / ``mpmath.fsum``);
* the working precision and the default tolerance.

Use :func:`get_backend` to obtain one; the mpmath backend sets the working precision only inside its
:meth:`~MPMathBackend.context` manager, so the caller's ``mpmath.mp.dps`` is restored on every exit
path, exceptions included.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any, Protocol

import mpmath
import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from unicomp.errors import InputError

__all__ = ["Backend", "Float64Backend", "MPMathBackend", "get_backend"]


class Backend(Protocol):
    """What the recombination needs from a number type."""

    name: str
    digits: int | None
    tolerance: float
    pivot_fraction: float

    def context(self) -> contextlib.AbstractContextManager[None]:
        """Context in which the backend's arithmetic runs at its working precision."""

    def asarray(self, values: NDArray[np.float64]) -> NDArray[Any]:
        """Convert float64 values (exactly) to the working number type."""

    def null_space(self, matrix: NDArray[Any]) -> NDArray[Any]:
        """Columns spanning ``{v : matrix.T @ v = 0}``, shape (M, M - rank) for ``matrix`` of shape (M, n)."""

    def column_sums(self, values: NDArray[Any]) -> list[Any]:
        """Accurately rounded sums of each column of a 2-D array."""

    def null_residual_tolerance(self, rows: int) -> float:
        """Largest accepted ``max|A^T v| / (max|A| max|v|)`` for a kernel vector of a ``rows``-row matrix."""

    def lstsq(self, matrix: NDArray[Any], rhs: NDArray[Any]) -> NDArray[Any]:
        """Least-squares solution of ``matrix @ x = rhs`` (``matrix`` of shape (n, s), n >= s) by QR/SVD."""

    def to_float(self, values: NDArray[Any]) -> NDArray[np.float64]:
        """Round to float64."""


class Float64Backend:
    """IEEE double precision with LAPACK linear algebra."""

    name = "float64"
    digits: int | None = None
    #: Default bound on the relative moment residual (residual / total mass).  Features are bounded by
    #: one, so a well-conditioned reduction lands near N_{m,k} * 1e-16; 1e-10 leaves four orders of
    #: magnitude for the growth of rounding errors across elimination steps before we refuse a result.
    tolerance = 1e-10
    #: Kernel-vector entries below this fraction of the largest are treated as round-off (about 500 ulps).
    pivot_fraction = 1e-13

    def context(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def asarray(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(values, dtype=np.float64)

    def null_space(self, matrix: NDArray[Any]) -> NDArray[np.float64]:
        rows, cols = matrix.shape
        u, s, _ = scipy.linalg.svd(matrix, full_matrices=True, check_finite=False)
        # Rank threshold as in numpy.linalg.matrix_rank: singular values below s_max * max(M, n) * eps.
        cutoff = (s[0] if s.size else 0.0) * max(rows, cols) * np.finfo(np.float64).eps
        rank = int(np.count_nonzero(s > cutoff))
        return np.array(u[:, rank:])

    def column_sums(self, values: NDArray[Any]) -> list[float]:
        return [math.fsum(values[:, j]) for j in range(values.shape[1])]

    def null_residual_tolerance(self, rows: int) -> float:
        # A freshly computed SVD kernel vector has |A^T v| of order eps * rows * |A| |v|; a thousandfold
        # growth from the rank-one updates is tolerated before refactorising.
        return 1000.0 * rows * float(np.finfo(np.float64).eps)

    def lstsq(self, matrix: NDArray[Any], rhs: NDArray[Any]) -> NDArray[np.float64]:
        return np.asarray(scipy.linalg.lstsq(matrix, rhs, check_finite=False)[0])

    def to_float(self, values: NDArray[Any]) -> NDArray[np.float64]:
        return np.asarray(values, dtype=np.float64)


class MPMathBackend:
    """Arbitrary precision through :mod:`mpmath` at ``digits`` significant decimal digits."""

    name = "mpmath"

    def __init__(self, digits: int) -> None:
        if isinstance(digits, bool) or not isinstance(digits, int | np.integer) or digits < 16:
            raise InputError(f"precision must be an integer number of decimal digits >= 16, got {digits!r}")
        self.digits: int | None = int(digits)
        #: Five digits are left for the rounding errors of the reduction (as in mpmath's own tests).
        self.tolerance = 10.0 ** (-(int(digits) - 5))
        #: The float64 rule (about 500 units in the last place) at the working precision.
        self.pivot_fraction = 10.0 ** (-(int(digits) - 3))

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        with mpmath.workdps(self.digits):
            yield

    def asarray(self, values: NDArray[np.float64]) -> NDArray[Any]:
        arr = np.asarray(values)
        if arr.dtype == object:
            return np.vectorize(mpmath.mpf, otypes=[object])(arr)
        return np.vectorize(lambda v: mpmath.mpf(float(v)), otypes=[object])(arr)

    def null_space(self, matrix: NDArray[Any]) -> NDArray[Any]:
        """Null space of ``matrix.T`` by Gauss-Jordan elimination with partial pivoting.

        A pivot smaller than ``10**(-digits + 5)`` times the largest entry counts as zero, which makes
        the rank decision robust for the exactly rank-deficient inputs (duplicates, points on a
        subvariety) the reduction meets.
        """
        reduced = matrix.T.copy()
        rows, cols = reduced.shape
        scale = max((abs(x) for x in reduced.flat), default=mpmath.mpf(0))
        cutoff = scale * mpmath.mpf(10) ** (-(self.digits or 0) + 5)
        pivots: list[int] = []
        r = 0
        for c in range(cols):
            if r == rows:
                break
            column = np.abs(reduced[r:, c])
            p = r + int(np.argmax(column))
            if column[p - r] <= cutoff:
                reduced[r:, c] = 0
                continue
            if p != r:
                reduced[[r, p]] = reduced[[p, r]]
            reduced[r, c:] = reduced[r, c:] / reduced[r, c]
            factors = reduced[:, c].copy()
            factors[r] = 0
            reduced[:, c:] -= np.outer(factors, reduced[r, c:])
            pivots.append(c)
            r += 1
        free = [c for c in range(cols) if c not in set(pivots)]
        basis = np.empty((cols, len(free)), dtype=object)
        basis[:] = mpmath.mpf(0)
        for j, f in enumerate(free):
            basis[f, j] = mpmath.mpf(1)
            for i, p in enumerate(pivots):
                basis[p, j] = -reduced[i, f]
        return basis

    def column_sums(self, values: NDArray[Any]) -> list[Any]:
        return [mpmath.fsum(values[:, j]) for j in range(values.shape[1])]

    def null_residual_tolerance(self, rows: int) -> float:
        # Same rule as in float64 with the working epsilon 10^-digits.
        return 1000.0 * rows * 10.0 ** (-(self.digits or 0))

    def lstsq(self, matrix: NDArray[Any], rhs: NDArray[Any]) -> NDArray[Any]:
        solution, _ = mpmath.qr_solve(mpmath.matrix(matrix.tolist()), mpmath.matrix(list(rhs)))
        return np.array([solution[i] for i in range(matrix.shape[1])], dtype=object)

    def to_float(self, values: NDArray[Any]) -> NDArray[np.float64]:
        return np.array([float(v) for v in np.ravel(values)], dtype=np.float64).reshape(np.shape(values))


def get_backend(precision: int | None) -> Float64Backend | MPMathBackend:
    """The float64 backend for ``precision=None``, else mpmath at ``precision`` decimal digits."""
    if precision is None:
        return Float64Backend()
    return MPMathBackend(precision)
