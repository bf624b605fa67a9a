r"""Multi-indices of monomials: the layer-neutral counting that theory and numerics share.

A weighted point set :math:`\{(c_i, w_i)\}_{i=1}^N \subset \mathbb{R}^m` has one moment of total degree at
most :math:`k` for every exponent vector :math:`e \in \mathbb{N}_0^m` with :math:`|e| = \sum_a e_a \le k`
(the monomial :math:`w^e = \prod_a w_a^{e_a}`).  There are

.. math:: N_{m,k} = \binom{m + k}{k}

of them, the zeroth (the total mass) included: :func:`num_moments` counts them and :func:`multi_indices`
lists them.  The symbolic layer (:mod:`unicomp.theory`) and the numeric layer (:mod:`unicomp.numerics`)
both import from here, so neither depends on the other.
"""

from __future__ import annotations

from functools import lru_cache
from math import comb

import numpy as np
from numpy.typing import NDArray

from unicomp.errors import InputError
from unicomp.validation import as_degree

__all__ = ["multi_indices", "num_moments"]


def num_moments(m: int, k: int) -> int:
    r"""Number of monomials of total degree at most ``k`` in ``m`` variables.

    Parameters
    ----------
    m : int
        Dimension of the objects, :math:`m \ge 1`.
    k : int
        Degree, :math:`k \ge 0`.

    Returns
    -------
    int
        :math:`N_{m,k} = \binom{m+k}{k}`, the zeroth moment included.

    Raises
    ------
    InputError
        If ``m`` is not an integer at least 1 or ``k`` not a non-negative integer.

    Examples
    --------
    >>> num_moments(2, 10)
    66
    >>> num_moments(4, 5)
    126
    """
    m = as_degree(m, "m")
    k = as_degree(k, "k")
    if m < 1:
        raise InputError(f"m must be at least 1, got {m}")
    return comb(m + k, k)


def _compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    """All ``parts``-tuples of non-negative integers summing to ``total``, in descending lexicographic order."""
    if parts == 1:
        return [(total,)]
    return [(first, *rest) for first in range(total, -1, -1) for rest in _compositions(total - first, parts - 1)]


@lru_cache(maxsize=256)
def _multi_indices_cached(m: int, k: int) -> NDArray[np.int64]:
    rows = [row for total in range(k + 1) for row in _compositions(total, m)]
    arr = np.array(rows, dtype=np.int64).reshape(len(rows), m)
    arr.setflags(write=False)
    return arr


def multi_indices(m: int, k: int) -> NDArray[np.int64]:
    """All exponent vectors of total degree at most ``k`` in ``m`` variables, in graded order.

    Rows are sorted by total degree, and within one degree in descending lexicographic order, so the
    first row is the zero vector (the mass) and rows ``1..m`` are the unit vectors (the means).

    Parameters
    ----------
    m : int
        Number of variables, at least 1.
    k : int
        Largest total degree, at least 0.

    Returns
    -------
    ndarray of int64, shape (num_moments(m, k), m)
        Read-only array of exponents (cached: repeated calls return the same array).

    Raises
    ------
    InputError
        As :func:`num_moments`.

    Examples
    --------
    >>> multi_indices(2, 2).tolist()
    [[0, 0], [1, 0], [0, 1], [2, 0], [1, 1], [0, 2]]
    """
    num_moments(m, k)  # validates
    return _multi_indices_cached(int(m), int(k))
