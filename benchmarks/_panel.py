r"""The clouds and the panel of test functions of the quality benchmark (``bench_quality.py``).

Clouds (:func:`cloud`), :math:`d` points in :math:`\mathbb{R}^m`, drawn from
``numpy.random.default_rng([seed, m, kind number])``:

* ``"uniform"``: uniform on :math:`[-1, 1]^m`;
* ``"gaussian"``: standard normal;
* ``"clustered"``: a mixture of ``BLOBS`` = 4 tight Gaussian blobs, centres uniform on :math:`[-1, 1]^m`,
  standard deviation ``BLOB_STD`` = 0.05 per coordinate, each point in a blob chosen uniformly.

Functions (:func:`panel`): deep-set functions :math:`f(c, w) = \sum_i c_i g(w_i) / \sum_i c_i`.  So that each
:math:`g` varies by :math:`O(1)` over every cloud whatever its spread, :math:`g` is evaluated on the
*standardised* points :math:`z = (w - \mu) / \sigma` (:math:`\mu, \sigma` the cloud's coordinate-wise mean and
standard deviation, fixed once per cloud), and with :math:`A` = ``DIRECTIONS`` = 10 directions
:math:`a_j` uniform on :math:`[-1, 1]^m` and offsets :math:`b_j` uniform on :math:`[-1, 1]`:

==============  ===================================================================================
``sigmoid``     :math:`\frac1A \sum_j \sigma(a_j \cdot z)` (the paper's Fig. 2 function,
                :func:`unicomp.numerics.testfunctions.sigmoid_function`)
``softplus``    :math:`\frac1A \sum_j \log(1 + e^{a_j \cdot z})`
``tanh``        :math:`\frac1A \sum_j \tanh(a_j \cdot z + b_j)`
``bumps``       :math:`\frac1B \sum_{l} \exp(-\|z - x_l\|^2 / 2)`, ``BUMPS`` = 5 centres :math:`x_l`
                standard normal
``poly``        :math:`\frac1A \sum_j (a_j \cdot z + b_j)^{k+2}` (degree :math:`k + 2`: not matched by the
                moments of order :math:`\le k`)
``ridge_prod``  :math:`\frac1A \sum_j \tanh(a_j \cdot z)\, \sigma(a'_j \cdot z)` (a product of two
                nonlinear ridge functions, :math:`a'_j` a second set of directions)
==============  ===================================================================================

The parameters are drawn from ``numpy.random.default_rng([seed, m, function number])``, ``seed`` the
cloud's seed: every function is fixed before any compression runs and never depends on a result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
from scipy.special import expit

from unicomp.numerics.testfunctions import sigmoid_function

KINDS = ("uniform", "gaussian", "clustered")
FUNCTIONS = ("sigmoid", "softplus", "tanh", "bumps", "poly", "ridge_prod")
BLOBS = 4
BLOB_STD = 0.05
DIRECTIONS = 10
BUMPS = 5

G = Callable[[np.ndarray], np.ndarray]


def cloud(m: int, kind: str, seed: int, d: int) -> np.ndarray:
    """The ``kind`` cloud of ``d`` points in dimension ``m`` for ``seed`` (see the module notes)."""
    rng = np.random.default_rng([seed, m, KINDS.index(kind)])
    if kind == "uniform":
        return rng.uniform(-1.0, 1.0, size=(d, m))
    if kind == "gaussian":
        return rng.standard_normal((d, m))
    centres = rng.uniform(-1.0, 1.0, size=(BLOBS, m))
    return centres[rng.integers(BLOBS, size=d)] + BLOB_STD * rng.standard_normal((d, m))


def cloud_hash(points: np.ndarray) -> str:
    """Short SHA-256 of the cloud's float64 bytes (cache key: a changed generator cannot reuse a result)."""
    return hashlib.sha256(np.ascontiguousarray(points, dtype=np.float64).tobytes()).hexdigest()[:16]


def _ridge(kind: str, rng: np.random.Generator, m: int, k: int) -> G:
    """:math:`z \\mapsto` the mean over ``DIRECTIONS`` ridges of the named shape (module table)."""
    a = rng.uniform(-1.0, 1.0, size=(DIRECTIONS, m))
    b = rng.uniform(-1.0, 1.0, size=DIRECTIONS)
    if kind == "softplus":
        return lambda z: np.logaddexp(0.0, z @ a.T).mean(axis=1)
    if kind == "tanh":
        return lambda z: np.tanh(z @ a.T + b).mean(axis=1)
    if kind == "poly":
        return lambda z: ((z @ a.T + b) ** (k + 2)).mean(axis=1)
    second = rng.uniform(-1.0, 1.0, size=(DIRECTIONS, m))
    return lambda z: (np.tanh(z @ a.T) * expit(z @ second.T)).mean(axis=1)


def _bumps(rng: np.random.Generator, m: int) -> G:
    centres = rng.standard_normal((BUMPS, m))
    return lambda z: np.exp(-0.5 * ((z[:, None, :] - centres) ** 2).sum(axis=2)).mean(axis=1)


def panel(points: np.ndarray, seed: int, k: int, draw: int = 0) -> dict[str, G]:
    """The panel's :math:`g` for this cloud: ``{name: g}``, each mapping points (n, m) to values (n,).

    ``draw`` > 0 gives another member of each family (parameters from ``[seed, m, number, draw]``); draw 0 is
    the panel's own function.
    """
    m = points.shape[1]
    mean, std = points.mean(axis=0), points.std(axis=0)
    out: dict[str, G] = {}
    for number, name in enumerate(FUNCTIONS):
        rng = np.random.default_rng([seed, m, number] + ([draw] if draw else []))
        inner: G
        if name == "sigmoid":
            inner = sigmoid_function(m, seed=int(rng.integers(2**31))).g
        elif name == "bumps":
            inner = _bumps(rng, m)
        else:
            inner = _ridge(name, rng, m, k)
        out[name] = _standardised(inner, mean, std)
    return out


def _standardised(inner: G, mean: np.ndarray, std: np.ndarray) -> G:
    """:math:`w \\mapsto` ``inner((w - mean) / std)``."""
    return lambda w: inner((np.asarray(w) - mean) / std)
