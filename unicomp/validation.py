"""Argument checks shared by every layer.

Each helper either returns a clean value (an array of the expected shape and dtype, an ``int``) or raises
:class:`~unicomp.errors.InputError` naming the argument and what was expected.  Nothing here uses
``assert``: checks must survive ``python -O``.
"""

from __future__ import annotations

from math import comb
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError

__all__ = [
    "as_array",
    "as_degree",
    "as_index_weights",
    "as_int",
    "as_points",
    "as_positive_int",
    "as_seed",
    "as_size",
    "as_weights",
    "largest_degree",
]

#: dtype kinds read as real numbers: bool (as 0/1), signed and unsigned integers, floats.
_REAL_KINDS = "biuf"


def as_array(values: Any, name: str) -> NDArray[Any]:
    """``values`` as a numpy array, read without copying where possible; never mutated.

    A torch tensor is detached from its autograd graph and moved to the host (numpy and scikit-learn
    accept tensors the same way through ``__array__``, which refuses tensors that require grad);
    bfloat16, which numpy lacks, is widened to float32 exactly.

    Raises
    ------
    InputError
        If numpy cannot read ``values`` as an array (ragged nesting, for instance).
    """
    if type(values).__module__.startswith("torch") and hasattr(values, "detach"):
        tensor = values.detach().cpu()
        if str(tensor.dtype) == "torch.bfloat16":
            tensor = tensor.float()
        values = tensor.resolve_conj().numpy()
    try:
        return np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric array: {exc}") from None


def _real(arr: NDArray[Any], name: str, shape: str) -> NDArray[np.float64]:
    """A real-valued array as float64; complex, object and string arrays are refused, not cast."""
    if arr.dtype.kind not in _REAL_KINDS:
        raise InputError(f"{name} must be a real numeric array of shape {shape}, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def as_points(points: ArrayLike, name: str = "points") -> NDArray[np.float64]:
    """Validate a point set and return it as a float64 array of shape (N, m).

    A 1-D array of length N is read as N points in one dimension.  Lists, numpy arrays of any real
    dtype (bool as 0/1) and torch tensors (detached, see :func:`as_array`) are accepted.

    Raises
    ------
    InputError
        If the input is not real numeric (complex, object and string arrays are refused), is empty, has
        more than two dimensions, or holds NaN or infinity.
    """
    arr = as_array(points, name)
    if arr.dtype.kind not in _REAL_KINDS:
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


def as_weights(weights: ArrayLike | None, n: int | None, name: str = "weights") -> NDArray[np.float64]:
    """Validate non-negative weights for ``n`` points (``None``: any length); ``None`` weights mean all ones.

    Any real dtype is read (bool as 0/1); complex, object and string arrays are refused rather than
    cast (numpy would drop an imaginary part with only a warning, and parse strings).

    Raises
    ------
    InputError
        On a non-real dtype, a length mismatch (or not 1-D), NaN or infinity, a negative entry, or an
        all-zero vector.
    """
    if weights is None:
        if n is None:
            raise InputError(f"{name} must be given")
        return np.ones(n)
    shape = "(N,)" if n is None else f"({n},)"
    arr = _real(as_array(weights, name), name, shape)
    if arr.ndim != 1 or (n is not None and arr.shape != (n,)):
        raise InputError(f"{name} must have shape {shape} to match the points, got {arr.shape}")
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
    idx = as_array(indices, "indices")
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise InputError(f"indices must be a non-empty 1-D integer array, got {idx!r}")
    if np.any(idx < 0) or np.any(idx >= n):
        raise InputError(f"indices must be integers in [0, {n}), got {idx.tolist()}")
    w = np.ones(idx.size) if weights is None else _real(as_array(weights, "weights"), "weights", f"({idx.size},)")
    if w.shape != idx.shape or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise InputError(f"weights must be {idx.size} finite positive numbers, got {w!r}")
    return idx.astype(np.int64), w


def as_seed(seed: Any, name: str = "seed") -> np.random.Generator:
    """A random generator from a seed: a non-negative integer, or a :class:`numpy.random.Generator`.

    As in numpy and scikit-learn, a ``Generator`` is used as is (its state advances), an integer seeds a
    fresh one, so the same integer always gives the same draws.

    Raises
    ------
    InputError
        Naming ``name`` for anything else (a negative integer, a float, ``None``, a bool).

    Examples
    --------
    >>> int(as_seed(3).integers(10)) == int(np.random.default_rng(3).integers(10))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(
            f"{name} must be a non-negative integer or a numpy.random.Generator, got {seed!r} ({type(seed).__name__})"
        )
    return np.random.default_rng(int(seed))


def largest_degree(m: int, size: int) -> int:
    r"""The largest degree :math:`k` with :math:`N_{m,k} = \binom{m+k}{k} \le` ``size`` (0 when ``size`` is 1).

    Examples
    --------
    >>> largest_degree(2, 10), largest_degree(2, 9), largest_degree(11, 78)
    (3, 2, 2)
    """
    k = 0
    while comb(m + k + 1, k + 1) <= size:
        k += 1
    return k


def as_size(size: Any, *, m: int, degree: int, count: int, name: str = "size") -> int | None:
    r"""Validate a target size :math:`d'` for ``count`` objects in :math:`\mathbb{R}^m` at degree :math:`k`.

    The one rule of every compression (points, data sets, networks): ``None`` asks for the smallest
    compression (a recombination, at most :math:`N_{m,k}` objects); an integer must satisfy
    :math:`N_{m,k} \le d' \le` ``count``.  As numpy's ``choice(replace=False)`` and scikit-learn's
    ``n_components``/``n_clusters``, a size above the number of objects is an error rather than being
    silently clamped; ``size = count`` keeps every object (with positive weight) as it is.

    Raises
    ------
    InputError
        Naming ``name`` with the remedy: below :math:`N_{m,k}`, the largest feasible degree for that size
        or ``size=None``; above ``count``, the number of objects.
    """
    if size is None:
        return None
    target = as_positive_int(size, name)
    n = comb(m + degree, degree)
    if target < n:
        k = largest_degree(m, target)
        raise InputError(
            f"{name} must be at least N_(m,k) = C(m+k, k) = {n} for m={m}, degree={degree}, got {target}: "
            f"with {name}={target} the largest feasible degree is {k} (N_(m,{k}) = {comb(m + k, k)}), "
            f"or pass {name}=None for the smallest compression at degree {degree} (at most {n} objects)"
        )
    if target > count:
        raise InputError(
            f"{name} must be at most the number of objects, {count}, got {target} "
            f"({name}={count} keeps every object; {name}=None gives the smallest compression)"
        )
    return target
