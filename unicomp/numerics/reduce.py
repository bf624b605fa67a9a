r"""The one entry point that decides between global recombination and compression to a target size."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from unicomp.numerics.backends import Backend
from unicomp.numerics.compress import Method, compress
from unicomp.numerics.diagnostics import CompressSettings
from unicomp.numerics.result import Compression

__all__ = ["reduce"]


def reduce(
    points: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    degree: int,
    size: int | None = None,
    method: Method = "partition",
    precision: int | None = None,
    seed: int | np.random.Generator = 0,
    tol: float | None = None,
    backend: str | Backend | None = None,
    device: Any = None,
    progress: bool = False,
    settings: CompressSettings | None = None,
) -> Compression:
    r"""Keep the moments of degree :math:`\le k` on a weighted subset: the fewest points, or ``size`` of them.

    Parameters
    ----------
    points, weights, degree, precision, tol, backend, device
        As for :func:`~unicomp.numerics.caratheodory.recombine` and
        :func:`~unicomp.numerics.compress.compress`.
    size : int, optional
        ``None``: recombination to at most :math:`N_{m,k} = \binom{m+k}{k}` points (Tchakaloff,
        :func:`~unicomp.numerics.caratheodory.recombine`).  Otherwise the target
        :math:`N_{m,k} \le d' \le N` of Algorithm 1 (:func:`~unicomp.numerics.compress.compress`, small
        clusters reduced one after another, for the error bound of Thm 3); a target at least the number of
        positive weights keeps every such point with its weight, a target above the number of points
        :math:`N` is an error.
    method, seed, progress, settings
        Algorithm 1 only (see :func:`~unicomp.numerics.compress.compress`).

    Returns
    -------
    Compression
        Verified against the input's moments (``method`` tells which algorithm ran).

    Raises
    ------
    InputError
        Bad arguments (see the two functions).
    PrecisionError
        The verified residual exceeds ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from unicomp import reduce
    >>> pts = np.random.default_rng(0).uniform(-1, 1, size=(2000, 2))
    >>> reduce(pts, degree=3).method, reduce(pts, degree=3, size=200).size
    ('recombine', 200)
    """
    return compress(points, weights, degree=degree, size=size, method=method, precision=precision, seed=seed,
                    progress=progress, tol=tol, backend=backend, device=device, settings=settings)
