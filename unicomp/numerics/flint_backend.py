r"""Arbitrary precision with rigorous error balls: the ``"flint"`` backend (python-flint, FLINT/Arb).

The working arrays are numpy ``object`` arrays of ``flint.arb`` balls :math:`[m \pm r]` at
``digits`` decimal digits.  Elementwise arithmetic is FLINT's C code (about 0.1 us an operation against
about 1.5 us for :mod:`mpmath`), and the small dense linear algebra of the reduction is
``flint.arb_mat.solve`` (at 50 digits a 66 x 66 solve takes about 10 ms against about 2 s with
mpmath, see ``benchmarks/results/recombine.md``).

Null space
----------
For :math:`A` of shape (M, n) and rank :math:`r`, choose :math:`r` items (rows of :math:`A`) and
:math:`r` features (columns) whose square block :math:`S` is invertible, and let :math:`F` be the chosen
features of the other items.  Then the columns of

.. math:: V = \begin{bmatrix} -S^{-1} F \\ I \end{bmatrix}

(rows permuted back) span :math:`\ker A^\top`.  The choice (and :math:`r`) comes from float64 QR
factorisations with column pivoting, which only *propose*: :math:`S^{-1}F` is solved at the working
precision by Arb's floating-point LU, and the result is accepted only if every entry of :math:`A^\top V`,
over all features, is below the null-vector tolerance at the working precision.  A rejected proposal with
more items than features is tried once more at full rank (float64 underestimates the rank of matrices
beyond its condition numbers).  Otherwise (a rank that float64 cannot see, e.g. two points 1e-20 apart) the
rank is decided at the working precision by the Gauss-Jordan elimination of
:class:`~unicomp.numerics.backends.MPMathBackend`.  Exactly rank-deficient
inputs (duplicated points, points on a line) pass the check and stay on the fast path.

Settling
--------
Ball arithmetic in the elimination itself would be useless: the radii grow by the wrapping effect of
interval Gaussian elimination (measured at 50 digits: from 1e-50 to 1e-18 in one 132 -> 66 elimination,
to 3e10 two rounds later) and Arb's comparisons are "certainly true" ones.  The kernel therefore
:meth:`~FlintBackend.settle`\ s its weights and null vectors (keeps the midpoints, i.e. working-precision
floating point) wherever float64 would round; only the input side of the verification keeps its radii.

Certification
-------------
Ball arithmetic makes every computed sum an enclosure of the exact sum.  :meth:`FlintBackend.residual_bound`
turns the column sums of the input and of the result into a certified upper bound of the relative moment
residual, and :func:`certify_residual` recomputes a two-sided enclosure of a :class:`Compression`'s residual
from the exact float64 inputs and its stored weights, independently of how it was computed.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import flint
import mpmath
import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError
from unicomp.numerics.backends import Array, MPMathBackend, NumpyArrayMixin, Scalar, stacked_null_vectors
from unicomp.numerics.basis import ChebyshevBasis
from unicomp.numerics.result import Compression
from unicomp.validation import as_points, as_weights

__all__ = ["FlintBackend", "ResidualEnclosure", "certify_residual"]

#: Extra bits over the run's precision for sums and certification: the stored weights are exact at the
#: run's precision, so only the roundings of the features and sums need the margin; 64 bits keep the
#: rounding of a running sum of up to 2^40 terms below 2^-24 units in the working last place.
_GUARD_BITS = 64

_as_arb = np.vectorize(flint.arb, otypes=[object])
_midpoint = np.frompyfunc(lambda x: x.mid() if type(x) is flint.arb else flint.arb(x), 1, 1)


def _bits(digits: int) -> int:
    """Binary precision matching ``digits`` decimal digits (mpmath's rule, so both backends agree)."""
    return mpmath.libmp.dps_to_prec(digits)


@contextlib.contextmanager
def _flint_precision(bits: int) -> Iterator[None]:
    """Run with ``flint.ctx.prec = bits``, restoring the caller's precision on every exit path."""
    previous = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        yield
    finally:
        flint.ctx.prec = previous


def _upper_float(ball: flint.arb) -> float:
    """The smallest float64 that is certainly >= every point of ``ball`` (infinity for a NaN ball)."""
    if not ball.is_finite():
        return math.inf
    top = ball.upper()
    value = float(top)
    while not flint.arb(value) >= top:
        value = math.nextafter(value, math.inf)
    return value


def _lower_float(ball: flint.arb) -> float:
    """The largest float64 that is certainly <= every point of ``ball`` (minus infinity for a NaN ball)."""
    if not ball.is_finite():
        return -math.inf
    bottom = ball.lower()
    value = float(bottom)
    while not flint.arb(value) <= bottom:
        value = math.nextafter(value, -math.inf)
    return value


def _to_arb_mat(values: NDArray[Any]) -> flint.arb_mat:
    return flint.arb_mat(values.tolist())


def _from_arb_mat(matrix: flint.arb_mat) -> NDArray[Any]:
    return np.array(matrix.entries(), dtype=object).reshape(matrix.nrows(), matrix.ncols())


def _solve(square: NDArray[Any], right: NDArray[Any]) -> NDArray[Any]:
    """``square^-1 right`` by Arb's floating-point LU at the working precision (no error balls: every
    caller checks the result's residual); ``ZeroDivisionError`` when ``square`` is numerically singular."""
    solution = _from_arb_mat(_to_arb_mat(square).solve(_to_arb_mat(right), algorithm="approx"))
    if not all(x.is_finite() for x in solution.flat):
        raise ZeroDivisionError("numerically singular matrix")
    return solution


class FlintBackend(NumpyArrayMixin):
    r"""Ball arithmetic through python-flint at ``digits`` significant decimal digits.

    Parameters
    ----------
    digits : int
        Working precision in decimal digits, at least 16.

    Notes
    -----
    ``tolerance``, ``pivot_fraction`` and ``null_residual_tolerance`` are the mpmath backend's (the same
    working epsilon :math:`10^{-\mathrm{digits}}`), so both backends accept the same results.
    """

    name = "flint"

    def __init__(self, digits: int) -> None:
        # Gauss-Jordan fallback of the null space; it also validates ``digits`` and supplies the rules.
        self._fallback = MPMathBackend(digits)
        self.digits: int | None = self._fallback.digits
        self.bits = _bits(int(digits))
        self.tolerance = self._fallback.tolerance
        self.pivot_fraction = self._fallback.pivot_fraction

    def context(self) -> contextlib.AbstractContextManager[None]:
        return _flint_precision(self.bits)

    def asarray(self, values: NDArray[Any]) -> NDArray[Any]:
        arr = np.asarray(values)
        if arr.dtype != object:
            arr = arr.astype(np.float64)
        return _as_arb(arr)

    def to_float(self, values: Array) -> NDArray[np.float64]:
        return np.array([float(v) for v in np.ravel(values)], dtype=np.float64).reshape(np.shape(values))

    def settle(self, values: Array) -> Array:
        """The midpoints of the balls: the working-precision floating-point values, radii dropped."""
        return _midpoint(values)

    def null_space(self, matrix: Array) -> NDArray[Any]:
        r"""Basis of :math:`\ker A^\top` for ``matrix`` :math:`A` of shape (M, n); see the module notes."""
        rows, cols = matrix.shape
        approx = self.to_float(matrix)
        _, r, perm = scipy.linalg.qr(approx.T, mode="economic", pivoting=True, check_finite=False)
        diagonal = np.abs(np.diag(r))
        # numpy.linalg.matrix_rank's float64 threshold.  It only proposes the pivots: a float64 rank equal
        # to rows or cols cannot exceed the true rank (the smallest singular value is then well above the
        # float64 rounding), and Arb and the residual test below check the proposed null vectors.
        cutoff = (diagonal[0] if diagonal.size else 0.0) * max(rows, cols) * np.finfo(np.float64).eps
        rank = int(np.count_nonzero(diagonal > cutoff))
        if rank == rows:
            return np.empty((rows, 0), dtype=object)
        basis = self._pivoted_null_space(matrix, approx, perm, rank) if rank > 0 else None
        if basis is None and rank < cols < rows:
            # float64 can also see too *low* a rank: a cell of 669 points at m = 2, k = 33 (condition number
            # 4e14) has float64 rank 590 of 595, and its proposal fails the check; full rank, solved by Arb,
            # passes it (1.8 s, against minutes of Gauss-Jordan).  With more rows than columns every
            # returned vector is checked, so a wrong guess only costs the solve.
            basis = self._pivoted_null_space(matrix, approx, perm, cols)
        if basis is None:
            with self._fallback.context():
                exact = np.vectorize(mpmath.mpf, otypes=[object])(matrix)
                basis = _as_arb(self._fallback.null_space(exact))
        return basis

    def _pivoted_null_space(
        self, matrix: NDArray[Any], approx: NDArray[np.float64], perm: NDArray[np.int64], rank: int
    ) -> NDArray[Any] | None:
        """:math:`[-S^{-1}F; I]` for the pivots ``perm[:rank]``, or ``None`` if the check rejects it."""
        rows, cols = matrix.shape
        pivots, free = perm[:rank], perm[rank:]
        equations = np.arange(cols)
        if rank < cols:  # rank deficient: also choose `rank` independent equations (features)
            equations = scipy.linalg.qr(approx[pivots], mode="r", pivoting=True, check_finite=False)[1][:rank]
        try:
            coefficients = _solve(matrix[np.ix_(pivots, equations)].T, matrix[np.ix_(free, equations)].T)
        except ZeroDivisionError:
            return None
        # A^T V = F - S X over all equations; a fresh null vector must pass the kernel's own test with a
        # thousandfold margin.
        gap = _to_arb_mat(matrix[pivots].T) * _to_arb_mat(coefficients) - _to_arb_mat(matrix[free].T)
        residual = np.abs(self.to_float(_from_arb_mat(gap))).max(initial=0.0)
        scale = np.abs(approx).max(initial=0.0) * max(1.0, np.abs(self.to_float(coefficients)).max(initial=0.0))
        if not residual <= self.null_residual_tolerance(rows) / 1000.0 * scale:
            return None
        basis = np.empty((rows, rows - rank), dtype=object)
        basis[:] = flint.arb(0)
        basis[pivots] = -coefficients
        basis[free, np.arange(rows - rank)] = flint.arb(1)
        return basis

    def null_vectors(self, rows: Array, count: int) -> NDArray[Any]:
        return stacked_null_vectors(self, rows, count)

    def column_sums(self, values: Array) -> list[Scalar]:
        r"""Ball sums of the columns: each encloses the exact sum of the column's balls.

        The running sums carry 64 guard bits, so their midpoints are accurately rounded like
        :func:`mpmath.fsum`.  Summed at the working precision they would be off by about :math:`\sqrt{N}`
        units in the last place, an error the polish then fits (measured at 50 digits, N = 2000, k = 10:
        the kept weights' true residual is 9.7e-51 with the guard bits, 3.0e-50 without).
        """
        with _flint_precision(self.bits + _GUARD_BITS):
            zero = flint.arb(0)
            return [sum(values[:, j], zero) for j in range(values.shape[1])]

    def null_residual_tolerance(self, rows: int) -> float:
        return self._fallback.null_residual_tolerance(rows)

    def lstsq(self, matrix: Array, rhs: Array) -> NDArray[Any]:
        r"""Least-squares (or minimum-norm) solution through the augmented system, solved by Arb.

        For :math:`A` of shape (r, s) with :math:`r \ge s`, :math:`x` solves
        :math:`\begin{bmatrix} I & A \\ A^\top & 0 \end{bmatrix} \begin{bmatrix} y \\ x \end{bmatrix}
        = \begin{bmatrix} b \\ 0 \end{bmatrix}` (:math:`y = b - Ax` the residual); for :math:`r < s`,
        :math:`\begin{bmatrix} I & A^\top \\ A & 0 \end{bmatrix} \begin{bmatrix} x \\ -z \end{bmatrix}
        = \begin{bmatrix} 0 \\ b \end{bmatrix}` gives the minimum-norm :math:`x = A^\top z`.  Unlike the
        normal equations, the augmented system does not square the condition number.  A square system is
        solved directly.  Raises ``ZeroDivisionError`` when the system is numerically singular.
        """
        r, s = matrix.shape
        column = np.asarray(rhs, dtype=object).reshape(r, 1)
        if r == s:
            return _solve(matrix, column)[:, 0]
        tall = r > s
        a = matrix if tall else matrix.T
        big, small = a.shape
        system = np.empty((big + small, big + small), dtype=object)
        system[:] = flint.arb(0)
        system[np.arange(big), np.arange(big)] = flint.arb(1)
        system[:big, big:] = a
        system[big:, :big] = a.T
        right = np.empty((big + small, 1), dtype=object)
        right[:] = flint.arb(0)
        if tall:
            right[:big] = column
        else:
            right[big:] = column
        solution = _solve(system, right)[:, 0]
        return solution[big:] if tall else solution[:big]

    def residual_bound(self, reference: list[Scalar], kept: list[Scalar], mass: Scalar) -> float | None:
        r"""Certified upper bound of :math:`\max_e |r_e - s_e| / \mathrm{mass}` from ball sums."""
        gaps = [abs(flint.arb(a) - flint.arb(b)) for a, b in zip(reference, kept, strict=True)]
        return _upper_float(functools.reduce(flint.arb.max, gaps) / flint.arb(mass))


@dataclass(frozen=True)
class ResidualEnclosure:
    r"""A certified enclosure :math:`[\text{lower}, \text{upper}]` of a compression's relative moment residual.

    Attributes
    ----------
    lower, upper : float
        Float64 bounds, rounded outwards, of :math:`\max_e |\sum_i c_i\Phi_e(w_i) - \sum_j c'_j
        \Phi_e(w_j)| / \sum_i c_i` for the exact inputs and the compression's exact stored weights.
    ball : str
        The Arb ball itself (midpoint and radius in decimal).
    bits : int
        Binary precision of the ball arithmetic.
    """

    lower: float
    upper: float
    ball: str
    bits: int

    def certifies(self, tolerance: float) -> bool:
        """Whether the residual is proved to be at most ``tolerance``."""
        return self.upper <= tolerance


def certify_residual(
    points: ArrayLike, weights: ArrayLike | None, compression: Compression
) -> ResidualEnclosure:
    r"""Enclose the moment residual of ``compression`` of ``points`` (with ``weights``) in ball arithmetic.

    Parameters
    ----------
    points : array_like, shape (N, m) or (N,)
        The compressed input (float64 values are exact binary numbers, so they are the exact input).
    weights : array_like, shape (N,), optional
        Its weights (default all one), exact likewise.
    compression : Compression
        Its result.  The kept weights are ``weights_mp`` when present (exact), else ``weights``.

    Returns
    -------
    ResidualEnclosure
        Certified bounds of the residual in ``compression.basis``, computed from scratch: features
        :math:`\Phi_e` of every input point and of the kept points, the weighted sums and their difference,
        all as Arb balls at ``compression.precision`` digits (53 bits for float64) plus 64 guard bits.
        Cost :math:`O(N N_{m,k})` ball operations (about 0.1 us each): 0.2 s for N = 2000, k = 10.

    Raises
    ------
    InputError
        ``points`` or ``weights`` do not match the compression's input.

    Examples
    --------
    >>> import numpy as np
    >>> from unicomp import recombine
    >>> pts = np.random.default_rng(0).uniform(-1, 1, size=(200, 2))
    >>> comp = recombine(pts, degree=4, precision=30)
    >>> enclosure = certify_residual(pts, None, comp)
    >>> enclosure.certifies(comp.tolerance), enclosure.lower <= enclosure.upper < 1e-25
    (True, True)
    """
    pts = as_points(points)
    w = as_weights(weights, pts.shape[0])
    if pts.shape[0] != compression.n_input or pts.shape[1] != compression.dim:
        raise InputError(
            f"points must have shape ({compression.n_input}, {compression.dim}) (the compressed input), "
            f"got {pts.shape}"
        )
    kept = compression.weights if compression.weights_mp is None else compression.weights_mp
    bits = (53 if compression.precision is None else _bits(compression.precision)) + _GUARD_BITS
    with _flint_precision(bits):
        basis = ChebyshevBasis(compression.degree, _as_arb(compression.basis.center),
                               _as_arb(compression.basis.half_width))
        features = basis(_as_arb(pts))
        exact_kept = np.array([flint.arb(v) for v in kept], dtype=object)
        reference = _as_arb(w) @ features
        result = exact_kept @ features[compression.indices]
        mass = sum(_as_arb(w), flint.arb(0))
        gaps = [abs(a - b) for a, b in zip(reference, result, strict=True)]
        ball = functools.reduce(flint.arb.max, gaps) / mass
        return ResidualEnclosure(lower=max(0.0, _lower_float(ball)), upper=_upper_float(ball),
                                 ball=ball.str(radius=True), bits=bits)
