r"""The symmetric test functions of the paper's error-scaling experiments (Figs. 2 and 8).

Both are deep-set functions (Assumption 1) with :math:`h` the normalised sum,

.. math:: f(c, w) = \frac{1}{\sum_i c_i} \sum_i c_i\, g(w_i), \qquad
          g(w) = \frac{1}{A} \sum_{a=1}^{A} s(\langle w, x_a \rangle),

with :math:`A = 10` directions :math:`x_a` drawn uniformly from :math:`[-1, 1]^m`:

* Fig. 2: :math:`s = \sigma`, the logistic sigmoid (entire up to the poles at :math:`\pm i\pi`);
* Fig. 8: :math:`s(t) = 1/(a_0 + t)`, a pole at distance :math:`a_0 - \|w\|_\infty \|x\|_1` from the data,
  :math:`a_0 = 1.05` for :math:`m = 1` and :math:`2.05` for :math:`m = 2` (so :math:`m + 0.05` in general).

The error of a compression is :math:`E = |f(c', w) - f(c, w)|`, both sums normalised by the input's total
mass (which the compression keeps).  Every function is available in float64 and, for the experiments that
go below :math:`10^{-16}`, in mpmath at any number of digits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import mpmath
import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError
from unicomp.numerics.result import Compression
from unicomp.validation import as_points, as_positive_int, as_weights

__all__ = ["DeepSetFunction", "pole_function", "sigmoid_function"]

Kind = Literal["sigmoid", "pole"]


@dataclass(frozen=True)
class DeepSetFunction:
    r"""A symmetric function :math:`f(c, w) = \sum_i c_i g(w_i) / \sum_i c_i` of a weighted point set.

    Attributes
    ----------
    kind : {"sigmoid", "pole"}
        The scalar function :math:`s` (see the module notes).
    directions : ndarray, shape (A, m)
        The directions :math:`x_a`.
    shift : float
        :math:`a_0` of the pole function (unused for the sigmoid).

    Examples
    --------
    >>> import numpy as np
    >>> f = sigmoid_function(2, seed=0)
    >>> round(float(f.value(np.zeros((3, 2)))), 12)
    0.5
    >>> g = pole_function(1)
    >>> g.shift
    1.05
    """

    kind: Kind
    directions: NDArray[np.float64]
    shift: float = 0.0

    @property
    def dim(self) -> int:
        """Dimension :math:`m` of the objects."""
        return int(self.directions.shape[1])

    def g(self, points: ArrayLike) -> NDArray[np.float64]:
        """:math:`g(w_i)` in float64, shape (d,), for points of shape (d, m)."""
        pts = self._points(points)
        t = pts @ self.directions.T
        if self.kind == "sigmoid":
            s = 0.5 * (1.0 + np.tanh(0.5 * t))  # overflow-free logistic
        else:
            s = 1.0 / (self.shift + t)
        return s.mean(axis=1)

    def g_mp(self, points: ArrayLike, digits: int) -> NDArray[Any]:
        """:math:`g(w_i)` in mpmath at ``digits`` decimal digits (float64 inputs taken exactly), shape (d,)."""
        pts = self._points(points)
        with mpmath.workdps(as_positive_int(digits, "digits")):
            x = [[mpmath.mpf(float(v)) for v in row] for row in self.directions]
            shift = mpmath.mpf(self.shift)
            count = mpmath.mpf(len(x))
            out = np.empty(pts.shape[0], dtype=object)
            for i, row in enumerate(pts.tolist()):
                w = [mpmath.mpf(v) for v in row]
                total = mpmath.mpf(0)
                for xa in x:
                    t = mpmath.fdot(w, xa)
                    total += 1 / (1 + mpmath.exp(-t)) if self.kind == "sigmoid" else 1 / (shift + t)
                out[i] = total / count
        return out

    def value(self, points: ArrayLike, weights: ArrayLike | None = None) -> float:
        """:math:`f(c, w)` in float64 (accurately summed)."""
        pts = self._points(points)
        w = as_weights(weights, pts.shape[0])
        return math.fsum(w * self.g(pts)) / math.fsum(w)

    def error(self, compression: Compression, points: ArrayLike, weights: ArrayLike | None = None) -> Any:
        r"""The compression's error :math:`|f(c', w) - f(c, w)|` on this function.

        In float64 for a float64 compression (a float); in mpmath at the compression's precision otherwise
        (an ``mpf``, so values far below :math:`10^{-16}` are kept).
        """
        pts = self._points(points)
        w = as_weights(weights, pts.shape[0])
        kept = compression.take(pts)
        if compression.precision is None:
            original = math.fsum(w * self.g(pts))
            reduced = math.fsum(compression.weights * self.g(kept))
            return abs(reduced - original) / math.fsum(w)
        digits = compression.precision
        with mpmath.workdps(digits):
            cw = compression.weights_mp if compression.weights_mp is not None else compression.weights
            original = mpmath.fsum(mpmath.mpf(float(a)) * b for a, b in zip(w, self.g_mp(pts, digits), strict=True))
            reduced = mpmath.fsum(mpmath.mpf(a) * b for a, b in zip(cw, self.g_mp(kept, digits), strict=True))
            return abs(reduced - original) / mpmath.fsum(mpmath.mpf(float(a)) for a in w)

    def analytic_constants(self) -> tuple[float, float]:
        r"""Radius :math:`\rho` and bound :math:`M` with :math:`|g| \le M` on every polydisc of radius
        :math:`\rho` about a real point (for :func:`unicomp.theory.bounds.ball_error`, Thm 3).

        Sigmoid: on :math:`|\operatorname{Im} z| \le \pi/2` we have
        :math:`\operatorname{Re} e^{-z} \ge 0`, so :math:`|1 + e^{-z}| \ge 1` and :math:`|\sigma(z)| \le 1`;
        a polydisc of radius :math:`\rho = \pi / (2 \max_a \|x_a\|_1)` keeps
        :math:`|\operatorname{Im} \langle w, x_a \rangle| \le \pi/2`.  Defined for the sigmoid only (the
        pole function's constants depend on where the polydisc is centred).
        """
        if self.kind != "sigmoid":
            raise InputError("analytic_constants is defined for the sigmoid function only")
        return math.pi / (2 * float(np.abs(self.directions).sum(axis=1).max())), 1.0

    def _points(self, points: ArrayLike) -> NDArray[np.float64]:
        pts = as_points(points)
        if pts.shape[1] != self.dim:
            raise InputError(f"points must have {self.dim} columns to match the directions, got {pts.shape[1]}")
        return pts


def _directions(m: int, count: int, seed: int) -> NDArray[np.float64]:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(as_positive_int(count, "n_directions"),
                                                                 as_positive_int(m, "m")))


def sigmoid_function(m: int, n_directions: int = 10, seed: int = 0) -> DeepSetFunction:
    r"""The Fig. 2 function: :math:`g(w) = \frac{1}{10}\sum_a \sigma(\langle w, x_a\rangle)`,
    :math:`x_a \sim U[-1, 1]^m` drawn with ``seed``."""
    return DeepSetFunction("sigmoid", _directions(m, n_directions, seed))


def pole_function(m: int, shift: float | None = None, n_directions: int = 10, seed: int = 0) -> DeepSetFunction:
    r"""The Fig. 8 function: :math:`g(w) = \frac{1}{10}\sum_a 1/(a_0 + \langle w, x_a\rangle)`.

    ``shift`` :math:`a_0` defaults to :math:`m + 0.05` (1.05 for :math:`m=1`, 2.05 for :math:`m=2`, as in
    the paper), which keeps the pole outside :math:`[-1,1]^m` for every direction in :math:`[-1,1]^m`.
    """
    a0 = m + 0.05 if shift is None else float(shift)
    if not a0 > m:
        raise InputError(f"shift must exceed m = {m} so that the pole stays off [-1, 1]^m, got {a0}")
    return DeepSetFunction("pole", _directions(m, n_directions, seed), a0)
