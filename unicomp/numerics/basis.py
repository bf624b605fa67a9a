r"""Numerically stable polynomial bases for moment matching.

A weighted point set :math:`\{(c_i, w_i)\}_{i=1}^N \subset \mathbb{R}^m` has moments of total degree
at most :math:`k`, one for every monomial :math:`w^e = \prod_a w_a^{e_a}` with :math:`|e| \le k`.  There
are

.. math:: N_{m,k} = \binom{m + k}{k}

of them (the zeroth, the total mass, included) -- :func:`~unicomp.multiindex.num_moments`, which with
:func:`~unicomp.multiindex.multi_indices` lives in the layer-neutral :mod:`unicomp.multiindex` and is
still importable from here.

Matching these moments is the same as matching :math:`\sum_i c_i P(w_i)` for every polynomial :math:`P` in
the space :math:`\Pi_k` of polynomials of total degree at most :math:`k`, so any basis of :math:`\Pi_k`
will do.  The raw monomials in the original coordinates are the worst choice numerically (their
Vandermonde-type matrices are ill-conditioned already at moderate :math:`k`).  :class:`ChebyshevBasis`
instead maps the points affinely onto :math:`[-1, 1]^m` (centre and half-width of their bounding box)
and evaluates tensor-product Chebyshev polynomials

.. math:: \Phi_e(w) = \prod_{a=1}^m T_{e_a}\!\left(\frac{w_a - o_a}{h_a}\right), \qquad |e| \le k,

which are bounded by one on the box.  The map from monomials to this basis is an invertible triangular
change of basis of :math:`\Pi_k`, hence the moment-matching problems are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.multiindex import multi_indices, num_moments
from unicomp.validation import as_degree, as_points

__all__ = ["ChebyshevBasis", "monomial_features"]


def monomial_features(points: ArrayLike, degree: int) -> NDArray[Any]:
    r"""Raw monomials :math:`w^e`, :math:`|e| \le k`, of each point in the original coordinates.

    This is the ill-conditioned basis of the paper's reference implementation; unicomp uses it only as
    an independent reference in tests and baselines.  Works for float arrays and for object arrays of
    :class:`mpmath.mpf`.

    Parameters
    ----------
    points : array_like, shape (N, m)
    degree : int

    Returns
    -------
    ndarray, shape (N, num_moments(m, degree))
    """
    pts = np.asarray(points)
    if pts.ndim == 1:
        pts = pts[:, None]
    exps = multi_indices(pts.shape[1], degree)
    powers = [_powers(pts[:, a], degree) for a in range(pts.shape[1])]
    out = powers[0][:, exps[:, 0]]
    for a in range(1, pts.shape[1]):
        out = out * powers[a][:, exps[:, a]]
    return out


def _powers(x: NDArray[Any], k: int) -> NDArray[Any]:
    cols = [np.ones_like(x)]
    for _ in range(k):
        cols.append(cols[-1] * x)
    return np.stack(cols, axis=1)


def _chebyshev(x: NDArray[Any], k: int) -> NDArray[Any]:
    """Columns T_0(x) .. T_k(x), shape (len(x), k + 1), by the three-term recurrence.

    Works for float arrays and for object arrays of :class:`mpmath.mpf`.
    """
    table = np.empty((k + 1, x.shape[0]), dtype=x.dtype)
    table[0] = 1
    if k >= 1:
        table[1] = x
    two_x = x + x
    for j in range(2, k + 1):
        table[j] = two_x * table[j - 1] - table[j - 2]
    return table.T


@lru_cache(maxsize=256)
def _split_last(m: int, k: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each exponent of ``multi_indices(m, k)``: the row of its first m-1 entries in
    ``multi_indices(m-1, k)`` and its last entry."""
    exps = multi_indices(m, k)
    if m == 1:
        return np.zeros(exps.shape[0], dtype=np.int64), exps[:, 0].copy()
    lookup = {tuple(row): i for i, row in enumerate(multi_indices(m - 1, k).tolist())}
    head = np.array([lookup[tuple(row)] for row in exps[:, :-1].tolist()], dtype=np.int64)
    return head, exps[:, -1].copy()


@dataclass(frozen=True)
class ChebyshevBasis:
    r"""Tensor-product Chebyshev basis of :math:`\Pi_k` on an axis-aligned box.

    Parameters
    ----------
    degree : int
        Largest total degree :math:`k`.
    center : ndarray, shape (m,)
        Centre :math:`o` of the box.
    half_width : ndarray, shape (m,)
        Half side lengths :math:`h > 0` of the box.

    Notes
    -----
    Feature :math:`e` of a point :math:`w` is :math:`\prod_a T_{e_a}((w_a - o_a)/h_a)`; on the box every
    feature lies in :math:`[-1, 1]` and feature 0 is identically one, so the weighted feature sum of a
    set with total mass :math:`W` is bounded by :math:`W` entrywise.  That makes ``residual / mass`` a
    scale-free accuracy measure.

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0.0, 1.0], [2.0, 3.0]])
    >>> basis = ChebyshevBasis.fit(pts, degree=1)
    >>> basis(pts).tolist()
    [[1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]
    """

    degree: int
    center: NDArray[Any]
    half_width: NDArray[Any]

    @classmethod
    def fit(cls, points: ArrayLike, degree: int) -> ChebyshevBasis:
        """The basis on the bounding box of ``points`` (shape (N, m)); a flat side gets half-width 1.

        Halves are taken before adding so that boxes as wide as the float64 range do not overflow.
        Real numeric input is validated (:func:`~unicomp.validation.as_points`: finite, non-empty,
        :class:`~unicomp.errors.InputError` naming ``points`` otherwise); an object array of mpmath numbers
        (the high-precision path) is taken as it is.
        """
        degree = as_degree(degree)
        arr: NDArray[Any]
        if isinstance(points, np.ndarray) and points.dtype == object and points.ndim == 2 and points.size:
            arr = points
        else:
            arr = as_points(points)
        lo = arr.min(axis=0)
        hi = arr.max(axis=0)
        center = lo / 2 + hi / 2
        half = hi / 2 - lo / 2
        half = np.where(half > 0, half, np.ones_like(half))
        return cls(degree=int(degree), center=center, half_width=half)

    @property
    def dim(self) -> int:
        """Dimension :math:`m` of the points."""
        return int(np.shape(self.center)[0])

    @property
    def exponents(self) -> NDArray[np.int64]:
        """The multi-indices of the features, shape (size, m)."""
        return multi_indices(self.dim, self.degree)

    @property
    def size(self) -> int:
        """Number of features, :math:`N_{m,k}`."""
        return num_moments(self.dim, self.degree)

    def scale(self, points: NDArray[Any]) -> NDArray[Any]:
        """Map points affinely so that the box becomes :math:`[-1, 1]^m`."""
        return (points - self.center) / self.half_width

    def __call__(self, points: NDArray[Any]) -> NDArray[Any]:
        """Features of ``points`` (shape (N, m)), shape (N, size); keeps float or mpf object dtype."""
        return _tensor_features(self.scale(points), self.degree)

    def group_sums(self, points: NDArray[Any], weights: NDArray[Any], group_size: int) -> NDArray[Any]:
        r"""Weighted feature sums of consecutive groups of ``group_size`` rows (the last may be shorter).

        Returns
        -------
        ndarray, shape (ceil(N / group_size), size)
            Row :math:`g` is :math:`\sum_{i \in g} c_i \Phi(w_i)`.

        Notes
        -----
        Never forms the :math:`N \times N_{m,k}` feature matrix: with :math:`H` the features of the first
        :math:`m-1` coordinates (degree :math:`\le k`) and :math:`T` the Chebyshev table of the last
        coordinate, each group's sums are the entries :math:`|e'| + j \le k` of the small matrix product
        :math:`H_g^\top \operatorname{diag}(c_g) T_g`, computed for all groups in one batched ``matmul``.
        """
        u = self.scale(points)
        count, m = u.shape
        groups = -(-count // group_size)
        pad = groups * group_size - count
        last = _chebyshev(u[:, -1], self.degree) * weights[:, None]
        if m == 1:
            head = np.ones((count, 1), dtype=last.dtype)
        else:
            head = _tensor_features(u[:, :-1], self.degree)
        if pad:
            last = np.concatenate([last, np.zeros((pad, last.shape[1]), dtype=last.dtype)])
            head = np.concatenate([head, np.zeros((pad, head.shape[1]), dtype=head.dtype)])
        last = last.reshape(groups, group_size, -1)
        head = head.reshape(groups, group_size, -1)
        products = np.matmul(head.transpose(0, 2, 1), last)
        head_idx, last_idx = _split_last(m, self.degree)
        return products[:, head_idx, last_idx]


def _tensor_features(u: NDArray[Any], k: int) -> NDArray[Any]:
    """Tensor-Chebyshev features of already scaled coordinates ``u`` (shape (N, m))."""
    exps = multi_indices(u.shape[1], k)
    out = _chebyshev(u[:, 0], k)[:, exps[:, 0]]
    for a in range(1, u.shape[1]):
        out *= _chebyshev(u[:, a], k)[:, exps[:, a]]
    return out
