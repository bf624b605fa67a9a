"""Argument checks shared by every layer.

Each helper either returns a clean value (an array of the expected shape and dtype, an ``int``) or raises
:class:`~unicomp.errors.InputError` naming the argument and what was expected.  Nothing here uses
``assert``: checks must survive ``python -O``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError

__all__ = ["as_degree", "as_points", "as_positive_int", "as_weights"]


def as_points(points: ArrayLike, name: str = "points") -> NDArray[np.float64]:
    """Validate a point set and return it as a float64 array of shape (N, m).

    A 1-D array of length N is read as N points in one dimension.

    Raises
    ------
    InputError
        If the input is not numeric, is empty, has more than two dimensions, or holds NaN or infinity.
    """
    try:
        arr = np.asarray(points)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric array of shape (N, m) or (N,): {exc}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or arr.dtype == np.bool_
    ):
        raise InputError(f"{name} must be a real numeric array of shape (N, m) or (N,), got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InputError(f"{name} must have shape (N, m) or (N,), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise InputError(f"{name} must hold at least one point, got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise InputError(f"{name} must have at least one coordinate per point, got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise InputError(f"{name} must be finite; found {arr[tuple(bad)]} at index {tuple(int(b) for b in bad)}")
    return arr


def as_weights(weights: ArrayLike | None, n: int, name: str = "weights") -> NDArray[np.float64]:
    """Validate non-negative weights for ``n`` points; ``None`` means all ones.

    Raises
    ------
    InputError
        On a length mismatch, NaN or infinity, a negative entry, or an all-zero vector.
    """
    if weights is None:
        return np.ones(n)
    try:
        arr = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a real array of shape ({n},): {exc}") from None
    if arr.shape != (n,):
        raise InputError(f"{name} must have shape ({n},) to match the points, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        i = int(np.argmin(np.isfinite(arr)))
        raise InputError(f"{name} must be finite; entry {i} is {arr[i]}")
    if np.any(arr < 0):
        i = int(np.argmax(arr < 0))
        raise InputError(f"{name} must be non-negative; entry {i} is {arr[i]}")
    if not np.any(arr > 0):
        raise InputError(f"{name} must have at least one positive entry (the total mass is zero)")
    return arr


def as_degree(degree: Any, name: str = "degree") -> int:
    """Validate a polynomial degree: a non-negative Python or numpy integer (``bool`` is rejected)."""
    if isinstance(degree, bool) or not isinstance(degree, int | np.integer):
        raise InputError(f"{name} must be a non-negative integer, got {degree!r} ({type(degree).__name__})")
    if degree < 0:
        raise InputError(f"{name} must be a non-negative integer, got {degree}")
    return int(degree)


def as_positive_int(value: Any, name: str) -> int:
    """Validate a positive integer (``bool`` is rejected)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
