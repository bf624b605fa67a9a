"""The :class:`Backend` protocol (its contract is in :mod:`unicomp.numerics.backends`) and shared members."""

from __future__ import annotations

import contextlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from unicomp.numerics.basis import ChebyshevBasis

__all__ = ["Array", "Backend", "NumpyArrayMixin", "Scalar", "stacked_null_vectors"]

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


