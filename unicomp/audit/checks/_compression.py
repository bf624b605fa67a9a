r"""Helpers shared by the compression-theory checks (TCHAKALOFF, BALL, PACKING, RATE, LOWER).

* :func:`subset_error` -- the error of the unnormalised sum :math:`\sum_i g(w_i)` on a uniformly random
  subset of the same size with equal weights :math:`d/d'` (the naive baseline of every error claim);
* :func:`chebyshev_grid` -- a tensor grid of Chebyshev extreme points on which the maximum of a polynomial
  bounds its supremum over :math:`[-1, 1]^m` (Ehlich--Zeller), for LOWER's normalisation over the domain;
* :func:`printed_agrees` -- a bound calculator of :mod:`unicomp.theory.bounds` against the printed formula;
* planted defects for the group's ``MUTANTS``: :func:`degree_lowered` (a degree clamped and reported),
  :func:`random_cluster` (the greedy search returning a random cluster), :func:`random_cells` and
  :func:`random_neighbours` (the partition method's cells and fine clusters drawn at random),
  :func:`bound_shifted` and
  :func:`bound_scaled` (a bound calculator off by one or by a factor).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError
from unicomp.numerics.cluster import set_diameters
from unicomp.numerics.result import Compression
from unicomp.theory import BoundResult

__all__ = [
    "bound_scaled",
    "bound_shifted",
    "chebyshev_grid",
    "degree_lowered",
    "random_cells",
    "random_cluster",
    "random_neighbours",
    "subset_error",
]


def subset_error(g: NDArray[np.float64], size: int, rng: np.random.Generator) -> float:
    r"""Error of a uniformly random ``size``-subset with equal weights on :math:`\sum_i g(w_i)`.

    .. math:: \Bigl|\sum_{i=1}^d g(w_i) - \frac{d}{d'} \sum_{j \in S} g(w_j)\Bigr|, \quad |S| = d',

    both sums accurately rounded (``math.fsum``).

    >>> subset_error(np.ones(10), 5, np.random.default_rng(0))
    0.0
    """
    d = g.shape[0]
    if not 1 <= size <= d:
        raise InputError(f"size must lie in [1, {d}], got {size}")
    pick = rng.choice(d, size=size, replace=False)
    return abs(math.fsum(g) - math.fsum(g[pick]) * d / size)


def chebyshev_grid(m: int, degree: int, oversample: int = 8) -> tuple[NDArray[np.float64], float]:
    r"""Tensor grid of Chebyshev extreme points of :math:`[-1, 1]^m` and its supremum factor.

    With :math:`M = ` ``oversample`` :math:`\cdot k` points :math:`\cos(j\pi/M)`, :math:`j = 0..M`, per axis,
    a polynomial of degree :math:`\le k` in each variable satisfies (Ehlich--Zeller, one axis at a time)

    .. math:: \sup_{[-1,1]^m} |p| \le \cos\Bigl(\frac{k\pi}{2M}\Bigr)^{-m} \max_{\text{grid}} |p| ,

    so ``factor * max`` is a rigorous upper bound on the supremum (``factor`` = 1.0196 per axis at the
    default oversampling of 8).

    Returns
    -------
    nodes : ndarray, shape ((M+1)^m, m)
    factor : float

    >>> nodes, factor = chebyshev_grid(2, 3)
    >>> nodes.shape, round(factor, 4)
    ((625, 2), 1.0396)
    """
    if m < 1 or degree < 0 or oversample < 1:
        raise InputError(f"need m >= 1, degree >= 0 and oversample >= 1, got {m}, {degree}, {oversample}")
    big = oversample * max(int(degree), 1)
    axis = np.cos(np.pi * np.arange(big + 1) / big)
    nodes = np.stack(np.meshgrid(*([axis] * m), indexing="ij"), axis=-1).reshape(-1, m)
    return nodes, float(math.cos(max(int(degree), 1) * math.pi / (2 * big)) ** -m)


# Planted defects shared by the group's MUTANTS (factories for ``unicomp.audit.mutants.replace``; the generic
# ones -- a degree lowered but reported as asked, perturbed weights, a random subset -- are in that module).

def degree_lowered(orig: Callable[..., Compression]) -> Callable[..., Compression]:
    """``recombine`` or ``compress`` matching the moments of degree k - 1 only, and reporting k - 1 (a degree
    silently clamped: :func:`~unicomp.verify.check_compression` trusts the reported degree, so only a check
    at the degree asked for, ``check_compression(..., degree=k)``, or the measurement itself can see it)."""
    def lowered(*args: Any, degree: int, **kwargs: Any) -> Compression:
        return orig(*args, degree=max(int(degree) - 1, 0), **kwargs)
    return lowered


def bound_shifted(by: int) -> Callable[[Callable[..., BoundResult]], Callable[..., BoundResult]]:
    """Factory: an integer-valued bound calculator whose value is moved by ``by`` (an off-by-one)."""
    def make(orig: Callable[..., BoundResult]) -> Callable[..., BoundResult]:
        def shifted(*args: Any, **kwargs: Any) -> BoundResult:
            result = orig(*args, **kwargs)
            return dataclasses.replace(result, value=np.asarray(result.value, dtype=np.int64) + by)
        return shifted
    return make


def bound_scaled(factor: float) -> Callable[[Callable[..., BoundResult]], Callable[..., BoundResult]]:
    """Factory: a bound calculator whose value is multiplied by ``factor`` (a constant off by a factor)."""
    def make(orig: Callable[..., BoundResult]) -> Callable[..., BoundResult]:
        def scaled(*args: Any, **kwargs: Any) -> BoundResult:
            result = orig(*args, **kwargs)
            return dataclasses.replace(result, value=np.asarray(result.value, dtype=np.float64) * factor)
        return scaled
    return make


Found = tuple[float, NDArray[np.int64]]


def random_cluster(orig: Callable[..., Found]) -> Callable[..., Found]:
    """Factory for ``NearestClusterSearch.best``: a uniformly random active subset instead of the smallest."""
    def best(self: Any) -> Found:
        active = np.flatnonzero(self.mask)
        pick = np.sort(np.random.default_rng(self.count).choice(active, size=self.size, replace=False))
        return float(set_diameters(self.points, pick[None])[0]), pick
    return best


def random_cells(orig: Callable[..., tuple[NDArray[np.int64], NDArray[np.int64]]],
                 ) -> Callable[..., tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Factory for ``compact_partition``: the same cell sizes, filled with a random permutation of the points."""
    def partition(points: NDArray[np.float64], n_cells: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        order, offsets = orig(points, n_cells)
        return np.random.default_rng(order.shape[0]).permutation(order.shape[0]).astype(np.int64), offsets
    return partition


def random_neighbours(orig: Callable[..., Any]) -> Callable[..., Any]:
    """Factory for the fine phase's neighbour lists (``unicomp.numerics.fine._candidates``): each active point
    keeps itself first and gets distinct random active points as its "nearest neighbours" (the points after it
    in a random cyclic order), distances increasing."""
    def candidates(state: Any, mask: NDArray[np.bool_], width: int, count: int) -> Any:
        neighbours, dist, centres = orig(state, mask, width, count)
        rng = np.random.default_rng(count)
        cycle = rng.permutation(centres.shape[0])
        where = np.empty_like(cycle)
        where[cycle] = np.arange(cycle.shape[0])
        steps = (where[:, None] + np.arange(neighbours.shape[1])[None, :]) % cycle.shape[0]
        return centres[cycle[steps]], np.sort(rng.random(dist.shape), axis=1), centres
    return candidates


#: Two float64 evaluations of one printed formula (sympy-lambdified in unicomp.theory.bounds, direct numpy in
#: a check) differ by a few ulps; 1e-12 relative leaves a thousandfold margin and sees any changed constant.
PRINTED_RTOL = 1e-12


def printed_agrees(calculated: ArrayLike, printed: ArrayLike, what: str) -> tuple[str, str]:
    """Outcome of "the project's bound calculator equals the paper's printed formula evaluated here".

    A check that confirms a bound from data cannot see a calculator weakened by a constant (it confirms the
    weaker statement), so every calculator a verdict relies on is compared with the printed formula.

    >>> printed_agrees([1.0, 2.0], [1.0, 2.0], "f")[0], printed_agrees([1.0, 1.0], [1.0, 2.0], "f")[0]
    ('holds', 'fails')
    """
    calc = np.asarray(calculated, dtype=np.float64)
    ref = np.asarray(printed, dtype=np.float64)
    if np.allclose(calc, ref, rtol=PRINTED_RTOL, atol=0.0):
        return "holds", f"{what} equals the printed formula at {ref.size} points"
    worst = float(np.max(np.abs(calc - ref) / np.abs(ref)))
    return "fails", f"{what} differs from the printed formula (largest relative difference {worst:.2g})"
