r"""Arithmetic backends: one protocol for every number type the reduction runs in, and their registry.

The reduction (the elimination kernel :mod:`unicomp.numerics.kernel`, the tree and partition phases, the
finishing step :mod:`unicomp.numerics.finish`) is written once against :class:`Backend`.  A backend owns
its *working arrays* (``Array`` below): numpy float64 arrays (``"float64"``), numpy ``object`` arrays of
arbitrary-precision numbers (``"mpmath"``, ``"flint"``) or torch tensors on a device (``"torch"``).  The
kernel manipulates them through the array namespace :attr:`Backend.xp` (``numpy`` or ``torch``):
elementwise arithmetic, comparisons, ``abs``, ``amax``, ``any``, ``where``, ``argmin``, ``stack``,
``matmul`` and indexing with integer arrays.  Everything that differs between number types is a method.

Contract of each member
-----------------------
``name``
    Registry name (``"float64"``, ``"mpmath"``, ``"flint"``, ``"torch"``).
``digits``
    Decimal digits of an arbitrary-precision backend, ``None`` for hardware floats.
``tolerance``
    Default bound on the relative moment residual (residual / total mass) a result must meet.
``pivot_fraction``
    A null-vector entry below this fraction of the vector's largest entry is round-off and never chosen
    as the pivot (about 500 units in the last place of the working precision).
``xp``
    Array namespace the kernel calls (``numpy`` for numpy and object arrays, ``torch`` for tensors).
``context()``
    Context manager inside which the arithmetic runs at the working precision (mpmath sets
    ``mp.dps`` there and restores it on every exit path).  Every other method is called inside it.
``asarray(values)``
    A numpy array (float64, or ``object`` holding this backend's numbers) as a working array.  Float64
    inputs are converted exactly.
``to_float(values)``
    A working array rounded to a numpy float64 array (on the host).
``to_host(values)``
    A working array as a numpy array without rounding: float64 for hardware floats, ``object`` for
    arbitrary-precision numbers.  Used for the bookkeeping the drivers do on the host.
``features(basis, points)``
    :math:`\Phi(w)` of working-array ``points`` (shape (P, m)) in a
    :class:`~unicomp.numerics.basis.ChebyshevBasis`, shape (P, N_mk), as a working array.
``null_space(matrix)``
    Rank-revealing basis of :math:`\{v : A^\top v = 0\}` for one matrix ``A`` of shape (M, n): shape
    (M, M - rank), the rank decided at the working precision.
``null_vectors(rows, count)``
    Batched: ``count`` null vectors of each ``rows[b].T`` (``rows`` of shape (B, M, n)), shape
    (B, M, count), writable.  Trailing all-zero rows are padding (a real row is never zero: the constant
    feature is 1); the vectors must vanish on them.  A problem with fewer than ``count`` null vectors on
    its real rows gets zero columns for the missing ones (the kernel skips a zero vector).
``group_sums(basis, points, weights, group_size)``
    Weighted feature sums :math:`\sum_{i \in g} c_i \Phi(w_i)` of consecutive groups of ``group_size``
    rows of working-array ``points`` (the last group may be shorter), shape (ceil(P / group_size), N_mk);
    the streamed first round of the recombination (numpy backends use
    :meth:`~unicomp.numerics.basis.ChebyshevBasis.group_sums`, which never forms the feature matrix).
``settle(values)``
    ``values`` as plain floating-point numbers of the working precision: the identity for float64,
    mpmath and torch; a ball-arithmetic backend (flint) drops the radii and keeps the midpoints.  The
    kernel settles the weights and the pivot vector after every step and the later null vectors after
    every block (interval Gaussian elimination would otherwise blow the radii up); the reference moments
    are never settled, so a certified bound stays certified.
``segment_sum(values, segments, count)``
    Sum the rows of ``values`` (shape (P, n)) into ``count`` rows by the numpy int64 ``segments`` (P,).
``arange(count)``
    ``0 .. count-1`` as an integer array of the working array type (same device), for batch indexing.
``column_sums(values)``
    Accurately rounded sums of each column of a 2-D working array, as a list of scalars (Python floats,
    ``mpmath.mpf``, ``flint.arb`` ...).
``null_residual_tolerance(rows)``
    Largest accepted :math:`\max|A^\top v| / (\max|A| \max|v|)` for an updated kernel vector of a
    ``rows``-row matrix before the kernel refactorises.
``lstsq(matrix, rhs)``
    Least-squares (minimum-norm when underdetermined) solution of ``matrix @ x = rhs`` by a backward-stable
    method (QR/SVD); may raise ``ValueError``, ``ZeroDivisionError`` or ``numpy.linalg.LinAlgError`` when
    the system is numerically singular.
``residual_bound(reference, kept, mass)``
    A *certified* upper bound of :math:`\max_e |r_e - s_e| / \text{mass}` from the ``column_sums`` of the
    input (``reference``) and of the result (``kept``), or ``None`` when the backend cannot certify
    (float64, mpmath, torch).  A ball-arithmetic backend returns the upper end of the enclosure.

Registry
--------
:func:`get_backend` maps a name (or ``None``) and a precision to a backend.  ``precision=None`` without a
name gives float64; a precision without a name gives the fastest registered high-precision backend:
``"flint"`` (``FlintBackend(digits)`` in :mod:`unicomp.numerics.flint_backend`) when python-flint is
importable, else ``"mpmath"``.  ``"torch"`` (``TorchBackend(device=...)`` in
:mod:`unicomp.numerics.torch_backend`) is imported only when asked for.  :func:`register_backend` adds
more.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import mpmath
import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from unicomp.errors import InputError

if TYPE_CHECKING:
    from unicomp.numerics.basis import ChebyshevBasis

__all__ = [
    "Array",
    "Backend",
    "Float64Backend",
    "MPMathBackend",
    "NumpyArrayMixin",
    "available_backends",
    "get_backend",
    "register_backend",
    "stacked_null_vectors",
]

#: A working array: a numpy array (float64 or object) or a torch tensor, depending on the backend.
Array = Any
#: An element of a working array (float, mpmath.mpf, flint.arb, 0-d tensor).
Scalar = Any


@runtime_checkable
class Backend(Protocol):
    """What the reduction needs from a number type (see the module notes for each member's contract)."""

    name: str
    digits: int | None
    tolerance: float
    pivot_fraction: float
    xp: ModuleType

    def context(self) -> contextlib.AbstractContextManager[None]: ...

    def asarray(self, values: NDArray[Any]) -> Array: ...

    def to_float(self, values: Array) -> NDArray[np.float64]: ...

    def to_host(self, values: Array) -> NDArray[Any]: ...

    def features(self, basis: ChebyshevBasis, points: Array) -> Array: ...

    def null_space(self, matrix: Array) -> Array: ...

    def null_vectors(self, rows: Array, count: int) -> Array: ...

    def group_sums(self, basis: ChebyshevBasis, points: Array, weights: Array, group_size: int) -> Array: ...

    def settle(self, values: Array) -> Array: ...

    def segment_sum(self, values: Array, segments: NDArray[np.int64], count: int) -> Array: ...

    def arange(self, count: int) -> Array: ...

    def column_sums(self, values: Array) -> list[Scalar]: ...

    def null_residual_tolerance(self, rows: int) -> float: ...

    def lstsq(self, matrix: Array, rhs: Array) -> Array: ...

    def residual_bound(self, reference: list[Scalar], kept: list[Scalar], mass: Scalar) -> float | None: ...


class NumpyArrayMixin:
    """The members shared by the backends whose working arrays are numpy arrays (float64 or object).

    A backend class on object arrays (mpmath, flint) inherits these and adds the arithmetic ones.
    """

    xp: ModuleType = np
    digits: int | None = None

    def to_host(self, values: Array) -> NDArray[Any]:
        return np.asarray(values)

    def features(self, basis: ChebyshevBasis, points: Array) -> Array:
        return basis(points)

    def group_sums(self, basis: ChebyshevBasis, points: Array, weights: Array, group_size: int) -> Array:
        return basis.group_sums(points, weights, group_size)

    def settle(self, values: Array) -> Array:
        return values

    def segment_sum(self, values: Array, segments: NDArray[np.int64], count: int) -> Array:
        out = np.zeros((count, values.shape[1]), dtype=values.dtype)
        if values.dtype == object:
            out[:] = values.flat[0] * 0 if values.size else 0
        np.add.at(out, segments, values)
        return out

    def arange(self, count: int) -> Array:
        return np.arange(count)

    def residual_bound(self, reference: list[Scalar], kept: list[Scalar], mass: Scalar) -> float | None:
        return None


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
        return 1000.0 * rows * 10.0 ** (-(self.digits or 0))

    def lstsq(self, matrix: Array, rhs: Array) -> NDArray[Any]:
        rows, cols = matrix.shape
        if rows < cols:  # underdetermined: minimum-norm solution x = A^T (A A^T)^-1 b
            gram = mpmath.matrix((matrix @ matrix.T).tolist())
            y = mpmath.lu_solve(gram, mpmath.matrix(list(rhs)))
            return matrix.T @ np.array([y[i] for i in range(rows)], dtype=object)
        solution, _ = mpmath.qr_solve(mpmath.matrix(matrix.tolist()), mpmath.matrix(list(rhs)))
        return np.array([solution[i] for i in range(cols)], dtype=object)


def stacked_null_vectors(backend: Backend, rows: Array, count: int) -> NDArray[Any]:
    """``null_vectors`` from per-problem ``null_space`` of the real (non-zero) rows, zero-padded.

    For backends whose ``null_space`` works one matrix at a time (object arrays).
    """
    batch, size, _ = rows.shape
    zero = rows.flat[0] * 0 if rows.size else 0
    out = np.empty((batch, size, count), dtype=rows.dtype)
    out[:] = zero
    for b in range(batch):
        real = int(np.flatnonzero(np.any(rows[b] != 0, axis=1)).max(initial=-1)) + 1
        null = backend.null_space(rows[b, :real])[:, :count]
        out[b, :real, : null.shape[1]] = null
    return out


@dataclass(frozen=True)
class _Entry:
    """A registered backend: its factory (or ``"module:attribute"`` to import lazily) and its kind."""

    factory: Callable[..., Backend] | str
    high_precision: bool


_REGISTRY: dict[str, _Entry] = {
    "float64": _Entry(lambda digits, device: Float64Backend(), high_precision=False),
    "mpmath": _Entry(lambda digits, device: MPMathBackend(digits), high_precision=True),
    "flint": _Entry("unicomp.numerics.flint_backend:FlintBackend", high_precision=True),
    "torch": _Entry("unicomp.numerics.torch_backend:TorchBackend", high_precision=False),
}
#: The Python package each lazily imported backend needs (checked before importing it).
_REQUIRES = {"flint": "flint", "torch": "torch"}
#: Order in which a precision without a backend name picks a high-precision backend.
_HIGH_PRECISION_ORDER = ("flint", "mpmath")


def register_backend(name: str, factory: Callable[..., Backend], *, high_precision: bool = False) -> None:
    """Make ``factory(digits, device)`` available as ``get_backend(name=name)``.

    A ``high_precision`` backend takes ``digits`` (decimal digits) and is considered, after the built-in
    order (flint, mpmath), for a precision without a name only if registered under one of those names.
    """
    if not isinstance(name, str) or not name:
        raise InputError(f"backend name must be a non-empty string, got {name!r}")
    _REGISTRY[name] = _Entry(factory, high_precision)


def _importable(name: str) -> bool:
    """Whether backend ``name`` can be built here (its optional dependency is installed)."""
    module = _REQUIRES.get(name)
    return module is None or importlib.util.find_spec(module) is not None


def available_backends() -> list[str]:
    """Names of the registered backends whose dependencies are installed."""
    return [name for name in _REGISTRY if _importable(name) and _factory_or_none(name) is not None]


def _factory_or_none(name: str) -> Callable[..., Backend] | None:
    entry = _REGISTRY[name]
    if not isinstance(entry.factory, str):
        return entry.factory
    module_name, attribute = entry.factory.split(":")
    try:
        cls = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        return None
    return lambda digits, device: cls(digits) if entry.high_precision else cls(device=device)


def get_backend(precision: int | None = None, name: str | Backend | None = None, device: Any = None) -> Backend:
    """The backend for a precision and an optional name (or a ready :class:`Backend`, returned as is).

    Parameters
    ----------
    precision : int, optional
        Decimal digits of an arbitrary-precision run; ``None`` for hardware floats.
    name : str or Backend, optional
        ``"float64"``, ``"mpmath"``, ``"flint"``, ``"torch"`` or a registered name.  ``None``: float64
        without ``precision``, else ``"flint"`` when python-flint is importable, else ``"mpmath"``.
    device : str or torch.device, optional
        Only for ``"torch"`` (default: CUDA when available, see
        :func:`unicomp.numerics.torch_backend.resolve_device`).

    Raises
    ------
    InputError
        Unknown name, a missing optional dependency, a precision given to a hardware-float backend (or
        missing for a high-precision one), or a device given to a backend without devices.
    """
    if name is not None and not isinstance(name, str):
        if isinstance(name, Backend):
            return name
        raise InputError(f"backend must be a name or a Backend, got {name!r}")
    if name is None:
        name = "float64" if precision is None else next(
            n for n in _HIGH_PRECISION_ORDER if _importable(n) and _factory_or_none(n) is not None
        )
    if name not in _REGISTRY:
        raise InputError(f"backend must be one of {sorted(_REGISTRY)}, got {name!r}")
    entry = _REGISTRY[name]
    if entry.high_precision and precision is None:
        raise InputError(f"backend {name!r} needs precision=<decimal digits>")
    if not entry.high_precision and precision is not None:
        raise InputError(f"backend {name!r} works in hardware floats; precision must be None, got {precision!r}")
    if device is not None and name != "torch":
        raise InputError(f"device is only used by the torch backend, got device={device!r} for {name!r}")
    factory = _factory_or_none(name) if _importable(name) else None
    if factory is None:
        extra = {"flint": "flint", "torch": "torch"}.get(name, name)
        raise InputError(f"backend {name!r} is not available: install the extra, pip install 'unicomp[{extra}]'")
    return factory(precision, device)
