r"""Hypothesis strategies for property tests of compressions and of the theory's claims.

* :func:`weighted_point_clouds` -- weighted point sets :math:`\{(c_i, w_i)\} \subset \mathbb{R}^m`,
  including the degenerate families a recombination must survive (duplicated points, points on a line,
  zero weights, weights spanning many orders of magnitude, tight clusters far apart, fewer points than
  moments);
* :func:`deep_set_functions` -- analytic deep-set functions :math:`f = h(\sum_i c_i g(w_i))`
  (Assumption 1 of the paper) with a non-linear outer :math:`h`, as :class:`AnalyticDeepSet` objects (the
  paper's fixed test functions, :math:`h` the mean, are :mod:`unicomp.numerics.testfunctions`);
* :func:`symmetric_polynomials` -- random permutation-invariant polynomials of d objects (sympy), for
  the symbolic identities of Thm 1;
* :func:`small_networks` -- two-layer networks :math:`f(x) = \sum_j v_j \sigma(w_j \cdot x + b_j)` as
  plain arrays (:class:`TwoLayerNet`), whose neurons are the symmetric objects of Section 3.

All magnitudes are bounded and no NaN, infinity or subnormal is drawn (mathematical properties, not input
validation).  :func:`degenerate_family` builds the same families from a seed, without hypothesis, for
deterministic audits.

Examples
--------
>>> from hypothesis import given, settings
>>> @settings(max_examples=5, database=None)
... @given(weighted_point_clouds(max_points=20))
... def check(cloud):
...     points, weights = cloud
...     assert points.shape[0] == weights.shape[0] and weights.sum() > 0
>>> check()
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError

__all__ = [
    "FAMILIES",
    "AnalyticDeepSet",
    "TwoLayerNet",
    "deep_set_functions",
    "degenerate_family",
    "small_networks",
    "symmetric_polynomials",
    "uniform_ball",
    "weighted_point_clouds",
]

FAMILIES = ("generic", "duplicates", "line", "zero_weights", "skewed_weights", "clusters", "few_points")

Cloud = tuple[NDArray[np.float64], NDArray[np.float64]]


def _shape_family(kind: str, points: NDArray[np.float64], rng: np.random.Generator) -> Cloud:
    n, m = points.shape
    weights = np.asarray(rng.uniform(0.5, 2.0, size=n), dtype=np.float64)
    if kind == "duplicates":
        base = points[: max(1, n // 3)]
        points = base[rng.integers(0, base.shape[0], size=n)]
    elif kind == "line":
        direction = np.asarray(rng.normal(size=m), dtype=np.float64)
        direction = direction / np.linalg.norm(direction)
        points = points[:1] + np.outer(rng.uniform(-1, 1, size=n), direction)
    elif kind == "zero_weights":
        weights[rng.random(n) < 0.5] = 0.0
        weights[rng.integers(0, n)] = 1.0
    elif kind == "skewed_weights":
        weights = np.power(10.0, rng.uniform(-6, 6, size=n))
    elif kind == "clusters":
        centres = np.array([[-50.0] * m, [50.0] * m])
        points = centres[rng.integers(0, 2, size=n)] + 1e-3 * points
    elif kind == "few_points":
        points, weights = points[: max(1, min(n, m + 1))], weights[: max(1, min(n, m + 1))]
    elif kind != "generic":
        raise InputError(f"kind must be one of {FAMILIES}, got {kind!r}")
    return np.ascontiguousarray(points), weights


def uniform_ball(d: int, m: int, rng: np.random.Generator, radius: float = 1.0) -> NDArray[np.float64]:
    """``d`` points uniformly distributed in the ``m``-ball of ``radius`` around 0, shape (d, m).

    A uniform direction (normalised Gaussian) times a radius distributed as :math:`U^{1/m}`.
    """
    x = rng.normal(size=(d, m))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.asarray(radius * x * rng.random((d, 1)) ** (1.0 / m), dtype=np.float64)


def degenerate_family(kind: str, n: int, m: int, seed: int = 0) -> Cloud:
    """A weighted point cloud of one of :data:`FAMILIES`, from a seed.

    Parameters
    ----------
    kind : str
        One of :data:`FAMILIES`.
    n, m : int
        Number of points (before the family's own changes) and dimension.
    seed : int
        Seed of the generator.

    Returns
    -------
    points : ndarray, shape (n', m)
    weights : ndarray, shape (n',)

    >>> pts, w = degenerate_family("line", 50, 3)
    >>> int(np.linalg.matrix_rank(pts - pts[0]))
    1
    """
    rng = np.random.default_rng(seed)
    return _shape_family(kind, rng.uniform(-1, 1, size=(n, m)), rng)


@st.composite
def weighted_point_clouds(
    draw: st.DrawFn,
    *,
    min_points: int = 1,
    max_points: int = 60,
    dims: tuple[int, int] = (1, 3),
    degenerate: bool = True,
    max_abs: float = 10.0,
) -> Cloud:
    """Strategy for ``(points, weights)``: shape (n, m) and (n,), weights >= 0 with positive total.

    Parameters
    ----------
    min_points, max_points : int
        Range of n.
    dims : (int, int)
        Range of m (inclusive).
    degenerate : bool
        Draw from all :data:`FAMILIES` (default) or only generic clouds.
    max_abs : float
        Bound on the coordinates of the generic draw.
    """
    m = draw(st.integers(dims[0], dims[1]))
    n = draw(st.integers(min_points, max_points))
    elements = st.floats(-max_abs, max_abs, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    points = draw(hnp.arrays(np.float64, (n, m), elements=elements))
    kind = draw(st.sampled_from(FAMILIES if degenerate else ("generic",)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return _shape_family(kind, points, rng)


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


_INNER: dict[str, Callable[[NDArray[np.float64]], NDArray[np.float64]]] = {
    "exp": np.exp,
    "sigmoid": _sigmoid,
    "cos": np.cos,
    "pole": lambda z: 1.0 / (2.0 + z),
}
_OUTER: dict[str, Callable[[NDArray[np.float64]], NDArray[np.float64]]] = {
    "identity": lambda y: y,
    "sin": np.sin,
    "log1p_square": lambda y: np.log1p(y * y),
}


@dataclass(frozen=True)
class AnalyticDeepSet:
    r"""An analytic deep-set function :math:`f(c, w) = h\big(\sum_i c_i\, g(w_i)\big)`.

    :math:`g(w) = \frac{1}{q}\sum_{a=1}^{q} \psi(\langle x_a, w\rangle + b_a)` with an analytic
    :math:`\psi` (``inner``) and :math:`h` analytic (``outer``).  With ``inner="pole"`` the radius of
    convergence is finite (a pole where :math:`\langle x_a, w\rangle + b_a = -2`); keep
    :math:`|\langle x_a, w\rangle + b_a| < 2` there.

    Attributes
    ----------
    directions : ndarray, shape (q, m)
    offsets : ndarray, shape (q,)
    inner, outer : str
        Names of :math:`\psi` and :math:`h`.
    """

    directions: NDArray[np.float64]
    offsets: NDArray[np.float64]
    inner: str = "sigmoid"
    outer: str = "identity"

    def g(self, points: ArrayLike) -> NDArray[np.float64]:
        """Per-object values :math:`g(w_i)`, shape (N,)."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, self.directions.shape[1])
        return _INNER[self.inner](pts @ self.directions.T + self.offsets).mean(axis=1)

    def __call__(self, points: ArrayLike, weights: ArrayLike | None = None) -> float:
        """:math:`h(\\sum_i c_i g(w_i))` (weights default to one)."""
        values = self.g(points)
        c = np.ones_like(values) if weights is None else np.asarray(weights, dtype=np.float64)
        return float(_OUTER[self.outer](np.asarray(np.dot(c, values))))


@st.composite
def deep_set_functions(
    draw: st.DrawFn, m: int, *, inners: tuple[str, ...] = tuple(_INNER)
) -> AnalyticDeepSet:
    """Strategy for :class:`AnalyticDeepSet` on :math:`\\mathbb{R}^m` with 1..10 bounded directions."""
    q = draw(st.integers(1, 10))
    unit = st.floats(-1, 1, allow_nan=False, allow_subnormal=False)
    directions = draw(hnp.arrays(np.float64, (q, m), elements=unit))
    offsets = draw(hnp.arrays(np.float64, (q,), elements=unit)) * 0.5
    inner, outer = draw(st.sampled_from(inners)), draw(st.sampled_from(tuple(_OUTER)))
    return AnalyticDeepSet(directions, offsets, inner, outer)


@dataclass(frozen=True)
class TwoLayerNet:
    r"""A two-layer network :math:`f(x) = \sum_j v_j \sigma(w_j \cdot x + b_j)` as arrays.

    Attributes
    ----------
    v : ndarray, shape (width,)
    w : ndarray, shape (width, n_in)
    b : ndarray, shape (width,)
    activation : str
        ``"tanh"`` (analytic, Assumption 1) or ``"relu"`` (as in the paper's experiments).
    """

    v: NDArray[np.float64]
    w: NDArray[np.float64]
    b: NDArray[np.float64]
    activation: str = "tanh"

    @property
    def objects(self) -> NDArray[np.float64]:
        """The neurons as objects :math:`(v_j, w_j, b_j)`, shape (width, n_in + 2)."""
        return np.column_stack([self.v, self.w, self.b])

    def __call__(self, x: ArrayLike, weights: ArrayLike | None = None) -> NDArray[np.float64]:
        """Outputs at inputs ``x`` of shape (n, n_in); ``weights`` :math:`c_j` multiply the neurons."""
        pre = np.asarray(x, dtype=np.float64) @ self.w.T + self.b
        act = np.tanh(pre) if self.activation == "tanh" else np.maximum(pre, 0.0)
        c = np.ones_like(self.v) if weights is None else np.asarray(weights, dtype=np.float64)
        return act @ (c * self.v)


@st.composite
def small_networks(
    draw: st.DrawFn,
    *,
    max_width: int = 64,
    max_inputs: int = 3,
    activations: tuple[str, ...] = ("tanh", "relu"),
) -> TwoLayerNet:
    """Strategy for :class:`TwoLayerNet` with parameters in [-1, 1]."""
    width = draw(st.integers(1, max_width))
    n_in = draw(st.integers(1, max_inputs))
    unit = st.floats(-1, 1, allow_nan=False, allow_subnormal=False)
    v = draw(hnp.arrays(np.float64, (width,), elements=unit))
    w = draw(hnp.arrays(np.float64, (width, n_in), elements=unit))
    b = draw(hnp.arrays(np.float64, (width,), elements=unit))
    return TwoLayerNet(v, w, b, draw(st.sampled_from(activations)))


@st.composite
def symmetric_polynomials(
    draw: st.DrawFn, *, max_objects: int = 3, max_dim: int = 2, max_degree: int = 4, max_terms: int = 3
) -> tuple[sp.Expr, list[tuple[sp.Symbol, ...]]]:
    r"""Strategy for ``(poly, objects)``: a polynomial invariant under permuting the objects.

    A few random monomials :math:`\prod_{i,a} w_{i,a}^{n_{i,a}}` (total degree :math:`\le` ``max_degree``,
    integer coefficients) are symmetrised by summing over every permutation of the d objects.
    ``objects[i][a]`` is the symbol ``w{i}_{a}``.
    """
    d = draw(st.integers(1, max_objects))
    m = draw(st.integers(1, max_dim))
    objects = [tuple(sp.Symbol(f"w{i}_{a}") for a in range(m)) for i in range(d)]
    poly = sp.S.Zero
    for _ in range(draw(st.integers(1, max_terms))):
        budget = draw(st.integers(0, max_degree))
        exps = draw(st.lists(st.integers(0, budget), min_size=d * m, max_size=d * m))
        while sum(exps) > budget:
            exps[int(np.argmax(exps))] -= 1
        coeff = draw(st.integers(-5, 5).filter(bool))
        for perm in itertools.permutations(range(d)):
            poly += coeff * sp.Mul(*(objects[perm[i]][a] ** exps[i * m + a] for i in range(d) for a in range(m)))
    return sp.expand(poly), objects
