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

__all__ = ["as_degree", "as_index_weights", "as_int", "as_points", "as_positive_int", "as_weights"]


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


def as_int(value: Any, name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    """Validate an integer in ``[minimum, maximum]`` and return it as a Python ``int``.

    The one integer check of the package: Python and numpy integers pass, ``bool`` (an ``int`` subclass
    that is never meant as a count), floats (even whole ones) and strings do not.

    Parameters
    ----------
    value : object
        The argument to check.
    name : str
        The argument's name, used in the error message.
    minimum : int
        Smallest allowed value (0: a non-negative integer, 1: a positive one).
    maximum : int, optional
        Largest allowed value; ``None`` for no upper limit.

    Raises
    ------
    InputError
        Naming ``name``, the allowed range and the value received.

    Examples
    --------
    >>> as_int(np.int64(3), "k")
    3
    >>> as_int(0, "size", minimum=1)
    Traceback (most recent call last):
    ...
    unicomp.errors.InputError: size must be a positive integer, got 0
    """
    if minimum == 0 and maximum is None:
        wanted = "a non-negative integer"
    elif minimum == 1 and maximum is None:
        wanted = "a positive integer"
    elif maximum is None:
        wanted = f"an integer >= {minimum}"
    else:
        wanted = f"an integer in [{minimum}, {maximum}]"
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{name} must be {wanted}, got {value!r} ({type(value).__name__})")
    if value < minimum or (maximum is not None and value > maximum):
        raise InputError(f"{name} must be {wanted}, got {value!r}")
    return int(value)


def as_degree(degree: Any, name: str = "degree") -> int:
    """Validate a polynomial degree: :func:`as_int` with ``minimum=0``."""
    return as_int(degree, name, minimum=0)


def as_positive_int(value: Any, name: str) -> int:
    """Validate a positive integer (a size, a count): :func:`as_int` with ``minimum=1``."""
    return as_int(value, name, minimum=1)


def as_index_weights(
    indices: ArrayLike, weights: ArrayLike | None, n: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Validate a subset of ``n`` objects given by ``indices`` with positive ``weights`` (``None``: all ones).

    Returns
    -------
    indices : ndarray of int64, shape (s,)
    weights : ndarray of float64, shape (s,)

    Raises
    ------
    InputError
        If ``indices`` is not a non-empty 1-D integer array with entries in ``[0, n)``, or ``weights`` are
        not ``s`` finite positive numbers.
    """
    idx = np.asarray(indices)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise InputError(f"indices must be a non-empty 1-D integer array, got {idx!r}")
    if np.any(idx < 0) or np.any(idx >= n):
        raise InputError(f"indices must be integers in [0, {n}), got {idx.tolist()}")
    w = np.ones(idx.size) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != idx.shape or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise InputError(f"weights must be {idx.size} finite positive numbers, got {w!r}")
    return idx.astype(np.int64), w
