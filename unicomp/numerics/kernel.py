r"""The one Caratheodory elimination kernel: null-space elimination with one pivot rule, batched.

Problem
-------
Items :math:`j` with feature vectors :math:`a_j \in \mathbb{R}^n` (rows of :math:`A`) and weights
:math:`c_j > 0`.  For a null vector :math:`v` of :math:`A^\top` the update :math:`c \leftarrow c - t v`
with :math:`t = \min_{v_j > 0} c_j / v_j` keeps :math:`A^\top c`, keeps :math:`c \ge 0` and zeroes the
weight at the minimising index :math:`p` (the *pivot*).  The later null vectors :math:`u` are replaced by
:math:`u - (u_p / v_p) v`, which stay in the kernel and vanish at :math:`p`, so one factorisation serves
every removal (the paper's Algorithm 2 recomputes one null vector per removal).

Pivot rule (the only one in the package): entries :math:`v_j \le` ``pivot_fraction`` :math:`\max|v|` are
round-off and never pivots; of :math:`v` and :math:`-v` (both kernel vectors; a kernel vector of a matrix
whose first column is the constant feature sums to zero, so at least one sign has positive entries) the
one with the smaller step :math:`t` is used -- the step moves mass :math:`t\|v\|_1`, the factor
:math:`\sum_i |c_i - c'_i|` of the Thm 3 bound, so the rule removes an item at the least cost; the pivot
is the first index of the smallest ratio :math:`c_j / v_j`.

Entry points
------------
:func:`eliminate`
    A batch of independent problems (padded to a common size), removing a prescribed number of items
    from each; the null vectors come from :meth:`Backend.null_vectors` (a batched complete QR in float64),
    and the updates of the later vectors are applied in blocks (a BLAS-3 update).
:func:`caratheodory`
    One problem reduced to at most :math:`\operatorname{rank} A` items: rank-revealing null space
    (:meth:`Backend.null_space`), the same sweep with a check of every updated vector, and a
    refactorisation on the remaining items when rounding has built up.

Everything runs in the backend's array namespace (numpy float64, numpy object arrays of mpmath or flint
numbers, torch tensors on any device).  Each null vector is passed through :meth:`Backend.settle` when its
step uses it, the weights after every step and the later vectors after every block (a ball-arithmetic
backend drops its radii there; the identity otherwise).  Settling at the use matters: Arb's LU leaves radii
that grow with the conditioning, and a ball wider than its midpoint fails every "certainly greater"
comparison of the pivot rule and of the weights' signs (m = 2, k = 17 at 40 digits lost 118 extra items
in one level before).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from unicomp.numerics.backends import Array, Backend

__all__ = ["caratheodory", "eliminate"]

#: Eliminations applied to the remaining null vectors at once in a batch (a BLAS-3 update); the value of the
#: former compress.eliminate_batch (see benchmarks/results/compress_tuning.md).
BLOCK = 24


def _mask(backend: Backend, values: Array) -> Array:
    """A comparison result as a boolean array (numpy object comparisons give object arrays)."""
    return np.asarray(values, dtype=bool) if backend.xp is np else values


def eliminate(backend: Backend, rows: Array, weights: Array, removals: NDArray[np.int64],
              null: Array | None = None) -> Array:
    r"""Caratheodory elimination on a batch of small problems, removing an exact count from each.

    Parameters
    ----------
    backend : Backend
        Number type and array namespace.
    rows : Array, shape (B, M, n)
        Problem :math:`b` has items ``rows[b, :a_b]`` (feature vectors, first column the constant one);
        rows past :math:`a_b` are zero padding.
    weights : Array, shape (B, M)
        Positive weights of the items, zero on padding.
    removals : ndarray of int, shape (B,)
        How many items to remove from each problem, :math:`r_b \le a_b - n`.
    null : Array, shape (B, M, max r_b), optional
        Null vectors to use (default :meth:`Backend.null_vectors`, a complete QR in float64); the greedy
        steps pass the first vector of the rank-revealing :meth:`Backend.null_space`.

    Returns
    -------
    Array, shape (B, M)
        New non-negative weights with ``rows[b].T @ new[b] == rows[b].T @ weights[b]`` up to rounding and
        :math:`r_b` more zeros (fewer only when a null vector vanishes numerically; padding stays zero).

    Notes
    -----
    Step :math:`j` uses null vector :math:`j` of every problem with :math:`j < r_b` (see the module notes).
    Cost :math:`O(B M n^2)` for the factorisations and :math:`O(B M r^2)` for the sweep.
    """
    steps = int(np.max(removals)) if removals.size else 0
    if steps == 0:
        return weights
    if null is None:
        null = backend.null_vectors(rows, steps)
    out, _ = _sweep(backend, rows, weights, null, removals, check=False)
    return out


def caratheodory(matrix: Array, weights: Array, backend: Backend) -> Array:
    r"""Reduce one problem to at most :math:`\operatorname{rank}(A)` items, :math:`A^\top c` kept.

    Parameters
    ----------
    matrix : Array, shape (M, n)
        Row :math:`j` is the feature vector of item :math:`j`.
    weights : Array, shape (M,)
        Non-negative weights.
    backend : Backend
        Number type and array namespace.

    Returns
    -------
    Array, shape (M,)
        New non-negative weights with ``matrix.T @ new == matrix.T @ weights`` (up to rounding) and at
        most ``rank(matrix)`` non-zeros.
    """
    c = weights * 1
    while True:
        support = np.flatnonzero(backend.to_float(c) > 0)
        sub = matrix[support]
        null = backend.null_space(sub)
        count = int(null.shape[1])
        if count == 0:
            return c
        new, stale = _sweep(backend, sub[None], c[support][None], null[None], np.array([count]), check=True)
        c[support] = new[0]
        if not bool(stale[0]):
            return c


def _sweep(backend: Backend, rows: Array, weights: Array, null: Array, removals: NDArray[np.int64],
           *, check: bool) -> tuple[Array, NDArray[np.bool_]]:
    """Use the null vectors ``null`` (B, M, q) of each ``rows[b].T`` to remove ``removals[b]`` items.

    With ``check`` every updated vector is tested against ``null_residual_tolerance``; a problem whose
    vector fails stops there and is reported stale (its caller refactorises).  Returns the new weights
    and the stale flags.
    """
    xp = backend.xp
    batch, steps = rows.shape[0], int(np.max(removals))
    c = weights * 1
    index = backend.arange(batch)
    remaining = backend.asarray(removals.astype(np.float64))
    stale = np.zeros(batch, dtype=bool)
    limit = None
    if check:
        scale = backend.to_float(xp.amax(xp.abs(rows.reshape(batch, -1)), axis=1))
        limit = backend.null_residual_tolerance(rows.shape[1]) * scale
    # One problem: the rank-one updates of all later vectors are as cheap as a block update.
    width = steps if batch == 1 else BLOCK
    for s0 in range(0, steps, width):
        s1 = min(steps, s0 + width)
        block = null[:, :, s0:s1]
        picks, lives = [], []
        for j in range(s1 - s0):
            v = backend.settle(block[:, :, j])
            if limit is not None and s0 + j > 0:
                newly = _failing(backend, rows, v, limit) & (removals > s0 + j) & ~stale
                if np.any(newly):  # stop those problems: their caller refactorises
                    stale |= newly
                    halt = _mask(backend, backend.asarray(stale.astype(np.float64)) > 0)
                    remaining = xp.where(halt, 0 * remaining, remaining)
            live = _mask(backend, remaining > s0 + j)
            c, v, pick, live = _step(backend, c, v, index, live)
            _eliminate_at(backend, block[:, :, j + 1 :], v, index, pick, live)
            picks.append(pick)
            lives.append(live)
        if s1 < steps:
            _block_update(backend, null[:, :, s1:], block, index, picks, lives)
            null[:, :, s1:] = backend.settle(null[:, :, s1:])
    return c, stale


def _failing(backend: Backend, rows: Array, v: Array, limit: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Problems whose vector ``v`` is no longer a null vector of ``rows.T`` (relative to its size)."""
    xp = backend.xp
    big = backend.to_float(xp.amax(xp.abs(v), axis=1))
    residual = backend.to_float(xp.amax(xp.abs(xp.matmul(v[:, None, :], rows)[:, 0, :]), axis=1))
    return (residual > limit * big) & (big > 0)


def _pivot(backend: Backend, c: Array, v: Array) -> tuple[Array, Array, Array]:
    r"""The pivot rule on the last axis: returns the signed vector(s), the ratios and the pivot(s).

    Entries at most ``pivot_fraction * max|v|`` are not candidates.  Both :math:`v` and :math:`-v` are
    null vectors; the sign kept is the one whose step :math:`t = \min_{v_j > 0} c_j / v_j` is smaller
    (the least mass moved, :math:`t\,\|v\|_1`, which multiplies the Thm 3 bound of the step), ties and
    a side without candidates going to the other sign; the pivot is the first index of the smallest ratio
    ``c / v`` (infinite where no candidate).
    """
    xp = backend.xp
    cut = xp.amax(xp.abs(v), axis=-1, keepdims=True) * backend.pivot_fraction

    def ratios_of(signed: Array) -> Array:
        positive = _mask(backend, signed > cut)
        return xp.where(positive, c / xp.where(positive, signed, 1.0 + 0 * signed), float("inf"))

    up, down = ratios_of(v), ratios_of(-v)
    flip = _mask(backend, xp.amin(down, axis=-1, keepdims=True) < xp.amin(up, axis=-1, keepdims=True))
    ratios = xp.where(flip, down, up)
    return xp.where(flip, -v, v), ratios, xp.argmin(ratios, axis=-1)


def _step(backend: Backend, c: Array, v: Array, index: Array, live: Array) -> tuple[Array, Array, Array, Array]:
    """One elimination step of every live problem, by :func:`_pivot`.

    Returns the new weights, the (possibly flipped) vectors, the pivots and the problems that removed an
    item (a vector without an entry above the round-off cut removes nothing).
    """
    xp = backend.xp
    if c.shape[0] == 1:
        return _step_single(backend, c, v, live)
    v, ratios, pick = _pivot(backend, c, v)
    step = ratios[index, pick]
    live = live & _mask(backend, step < float("inf"))
    step = xp.where(live, step, 0.0 * c[:, 0])
    c = c - step[:, None] * v
    c[index[live], pick[live]] = 0.0
    c = xp.where(_mask(backend, c > 0), c, 0.0 * c)
    return backend.settle(c), v, pick, live


def _step_single(backend: Backend, c: Array, v: Array, live: Array) -> tuple[Array, Array, Array, Array]:
    """:func:`_step` for a batch of one problem, with scalar pivots (the same rule, less overhead)."""
    xp = backend.xp
    vs, ratios, pick = _pivot(backend, c[0], v[0])
    p = int(pick)
    step = ratios[p]
    if not (bool(live[0]) and step < float("inf")):
        return c, vs[None], pick[None], live & False
    out = c[0] - step * vs
    out[p] = 0.0
    out = xp.where(_mask(backend, out > 0), out, 0.0 * out)
    return backend.settle(out)[None], vs[None], pick[None], live


def _eliminate_at(backend: Backend, rest: Array, v: Array, index: Array, pick: Array, live: Array) -> None:
    """``rest[b] -= v[b] rest[b, pick_b] / v[b, pick_b]`` for live problems, so ``rest`` vanishes there."""
    if rest.shape[2] == 0:
        return
    xp = backend.xp
    if rest.shape[0] == 1:  # one problem: a scalar pivot
        if bool(live[0]):
            p = int(pick[0])
            rest[0] -= v[0][:, None] * (rest[0, p] / v[0, p])[None, :]
            rest[0, p] = 0.0
        return
    pivot = xp.where(live, v[index, pick], 1.0 + 0 * v[:, 0])
    coef = rest[index, pick] / pivot[:, None]
    coef = xp.where(live[:, None], coef, 0.0 * coef)
    rest -= v[:, :, None] * coef[:, None, :]
    rest[index[live], pick[live]] = 0.0


def _block_update(backend: Backend, rest: Array, block: Array, index: Array, picks: list[Any],
                  lives: list[Any]) -> None:
    r"""Apply a block of eliminations to the later null vectors at once (a rank-:math:`b` update).

    The steps :math:`i = 1..b` used vectors :math:`v_i` (as updated within the block) at pivots
    :math:`p_i`; applied one by one they subtract :math:`\sum_i \alpha_i v_i` with
    :math:`\sum_{l \le i} v_l[p_i]\, \alpha_l = u[p_i]`, a lower-triangular system
    (:math:`v_l[p_i] = 0` for :math:`l > i`).  A problem whose step :math:`i` was idle gets
    :math:`\alpha_i = 0`.
    """
    xp = backend.xp
    tri = xp.stack([block[index, p] for p in picks], axis=1)  # (B, b, b): tri[:, i, l] = v_l[p_i]
    rhs = xp.stack([rest[index, p] for p in picks], axis=1)  # (B, b, R')
    alphas: list[Any] = []
    for i, live in enumerate(lives):
        acc = rhs[:, i]
        for l_, a in enumerate(alphas):
            acc = acc - tri[:, i, l_][:, None] * a
        diag = xp.where(live, tri[:, i, i], 1.0 + 0.0 * tri[:, i, i])
        alphas.append(xp.where(live[:, None], acc / diag[:, None], 0.0 * acc))
    rest -= xp.matmul(block, xp.stack(alphas, axis=1))
    for p, live in zip(picks, lives, strict=True):
        rest[index[live], p[live]] = 0.0
