"""The backends on numpy arrays: float64 with LAPACK, and mpmath numbers in object arrays."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import mpmath
import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from unicomp.numerics.backends.protocol import Array, NumpyArrayMixin, Scalar, stacked_null_vectors
from unicomp.validation import as_int

__all__ = ["MAX_PRECISION", "Float64Backend", "MPMathBackend"]

#: Most decimal digits accepted for ``precision``.  The cost of one operation grows faster than linearly
#: in the digits and a reduction does millions of them: at 10**6 digits a 200-point degree-2
#: recombination had not finished its feature matrix after 8 s.
MAX_PRECISION = 10_000
#: Smallest normal float64.  The tolerances below are float64 numbers; past about 310 digits the working
#: epsilon 10^-digits underflows, so they stop at this floor (residuals are reported in float64 as well,
#: so a smaller tolerance could not be checked).
_FLOOR = float(np.finfo(np.float64).tiny)


def _epsilon_power(digits: int, slack: int) -> float:
    """``10**-(digits - slack)`` as a float64, at least :data:`_FLOOR` (never zero)."""
    return max(_FLOOR, 10.0 ** (-(digits - slack)))


class Float64Backend(NumpyArrayMixin):
    """IEEE double precision with LAPACK linear algebra."""

    name = "float64"
    #: Default bound on the relative moment residual (residual / total mass).  Features are bounded by
    #: one, so a well-conditioned reduction lands near N_{m,k} * 1e-16; 1e-10 leaves four orders of
    #: magnitude for the growth of rounding errors across elimination steps before we refuse a result.
    tolerance = 1e-10
    #: Kernel-vector entries below this fraction of the largest are treated as round-off (about 500 ulps).
    pivot_fraction = 1e-13

    def context(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def asarray(self, values: NDArray[Any]) -> NDArray[np.float64]:
        return np.asarray(values, dtype=np.float64)

    def to_float(self, values: Array) -> NDArray[np.float64]:
        return np.asarray(values, dtype=np.float64)

    def null_space(self, matrix: Array) -> NDArray[np.float64]:
        rows, cols = matrix.shape
        u, s, _ = scipy.linalg.svd(matrix, full_matrices=True, check_finite=False)
        # Rank threshold as in numpy.linalg.matrix_rank: singular values below s_max * max(M, n) * eps.
        cutoff = (s[0] if s.size else 0.0) * max(rows, cols) * np.finfo(np.float64).eps
        rank = int(np.count_nonzero(s > cutoff))
        return np.array(u[:, rank:])

    def null_vectors(self, rows: Array, count: int) -> NDArray[np.float64]:
        # Columns n .. n+count-1 of the complete QR factor are orthogonal to the range of rows[b] whatever
        # its rank; Householder reflectors built from columns that vanish on the padding rows leave those
        # rows untouched, so the columns n .. a_b - 1 vanish there.
        n = rows.shape[2]
        return np.linalg.qr(rows, mode="complete")[0][:, :, n : n + count].copy()

    def column_sums(self, values: Array) -> list[Scalar]:
        return [math.fsum(values[:, j]) for j in range(values.shape[1])]

    def null_residual_tolerance(self, rows: int) -> float:
        # A freshly computed SVD kernel vector has |A^T v| of order eps * rows * |A| |v|; a thousandfold
        # growth from the rank-one updates is tolerated before refactorising.
        return 1000.0 * rows * float(np.finfo(np.float64).eps)

    def lstsq(self, matrix: Array, rhs: Array) -> NDArray[np.float64]:
        return np.asarray(scipy.linalg.lstsq(matrix, rhs, check_finite=False)[0])


class MPMathBackend(NumpyArrayMixin):
    """Arbitrary precision through :mod:`mpmath` at ``digits`` significant decimal digits."""

    name = "mpmath"

    def __init__(self, digits: int) -> None:
        digits = as_int(digits, "precision", minimum=16, maximum=MAX_PRECISION)
        self.digits: int | None = digits
        #: Five digits are left for the rounding errors of the reduction (as in mpmath's own tests).
        self.tolerance = _epsilon_power(digits, 5)
        #: The float64 rule (about 500 units in the last place) at the working precision.
        self.pivot_fraction = _epsilon_power(digits, 3)

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        with mpmath.workdps(self.digits):
            yield

    def asarray(self, values: NDArray[Any]) -> NDArray[Any]:
        arr = np.asarray(values)
        if arr.dtype == object:
            return np.vectorize(mpmath.mpf, otypes=[object])(arr)
        return np.vectorize(lambda v: mpmath.mpf(float(v)), otypes=[object])(arr)

    def to_float(self, values: Array) -> NDArray[np.float64]:
        return np.array([float(v) for v in np.ravel(values)], dtype=np.float64).reshape(np.shape(values))

    def null_space(self, matrix: Array) -> NDArray[Any]:
        """Null space of ``matrix.T`` by Gauss-Jordan elimination with partial pivoting.

        A pivot smaller than ``10**(-digits + 5)`` times the largest entry counts as zero, which makes
        the rank decision robust for the exactly rank-deficient inputs (duplicates, points on a
        subvariety) the reduction meets.  Basis vector ``j`` has a one at the ``j``-th free column and
        zeros at the other free columns, so trailing zero rows of ``matrix`` (free columns of
        ``matrix.T``) only appear in the last vectors.
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
        pivot_set = set(pivots)
        free = [c for c in range(cols) if c not in pivot_set]
        basis = np.empty((cols, len(free)), dtype=object)
        basis[:] = mpmath.mpf(0)
        for j, f in enumerate(free):
            basis[f, j] = mpmath.mpf(1)
            for i, p in enumerate(pivots):
                basis[p, j] = -reduced[i, f]
        return basis

    def null_vectors(self, rows: Array, count: int) -> NDArray[Any]:
        return stacked_null_vectors(self, rows, count)

    def column_sums(self, values: Array) -> list[Scalar]:
        return [mpmath.fsum(values[:, j]) for j in range(values.shape[1])]

    def null_residual_tolerance(self, rows: int) -> float:
        # Same rule as in float64 with the working epsilon 10^-digits.
        return 1000.0 * rows * _epsilon_power(self.digits or 0, 0)

    def lstsq(self, matrix: Array, rhs: Array) -> NDArray[Any]:
        rows, cols = matrix.shape
        if rows < cols:  # underdetermined: minimum-norm solution x = A^T (A A^T)^-1 b
            gram = mpmath.matrix((matrix @ matrix.T).tolist())
            y = mpmath.lu_solve(gram, mpmath.matrix(list(rhs)))
            return matrix.T @ np.array([y[i] for i in range(rows)], dtype=object)
        solution, _ = mpmath.qr_solve(mpmath.matrix(matrix.tolist()), mpmath.matrix(list(rhs)))
        return np.array([solution[i] for i in range(cols)], dtype=object)
