r"""Scaling-law fits with bootstrap confidence intervals (paper, Sec. 4 and Figs. 2, 5, 8).

Three models, all fitted to the logarithm of the measured quantity (the curves span decades, and a fit in
linear space would only see the first points):

* :func:`fit_power_law`: :math:`L(d) = L_0 + a\, d^{-\alpha}` (a data or width scaling law);
* :func:`fit_stretched_exponential`: :math:`L(d) = L_0 + b\, e^{-\alpha' d^{1/m}}` (the polylogarithmic
  compression regime, Thm 7);
* :func:`fit_loglog_slope`: :math:`E = C d^{-\alpha}`, the least-squares slope of :math:`\log E` against
  :math:`\log d` (the error-scaling experiments).

Each takes the measurements as one curve, shape (n,), or one curve per seed, shape (seeds, n), and returns
a :class:`~unicomp.numerics.bootstrap.ScalingFit`.  The point estimate is fitted to the average curve; the
confidence interval is a percentile bootstrap (:func:`~unicomp.numerics.bootstrap.percentile_bootstrap`)
over seeds (resample whole seed rows with replacement, average, refit), or over the points of the curve
when only one is given.  The non-linear fits run scipy's trust-region least squares from several starts
and keep the best.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Literal

import numpy as np
import scipy.optimize
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import ConvergenceError, InputError
from unicomp.numerics.bootstrap import ScalingFit, percentile_bootstrap

__all__ = ["fit_loglog_slope", "fit_power_law", "fit_stretched_exponential"]

Average = Literal["mean", "geometric"]

# A fitter maps (x, averaged y, warm start or None) to a _Fit; it raises ConvergenceError.
# Refits in the bootstrap start from the point fit's internal parameters (``warm``) only.
_Fit = tuple[NDArray[np.float64], NDArray[np.float64], float]  # (params, internal params, rms log residual)
_Fitter = Callable[[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None], _Fit]


def _as_curves(
    x: ArrayLike, y: ArrayLike, min_points: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate ``x`` (n,) positive and ``y`` (n,) or (seeds, n) positive; returns x and y as (seeds, n)."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.ndim != 1 or xs.shape[0] < min_points:
        raise InputError(f"x must be a 1-D array of at least {min_points} values, got shape {xs.shape}")
    if ys.ndim == 1:
        ys = ys[None, :]
    if ys.ndim != 2 or ys.shape[1] != xs.shape[0]:
        raise InputError(f"y must have shape ({xs.shape[0]},) or (seeds, {xs.shape[0]}), got {np.shape(y)}")
    for name, arr in (("x", xs), ("y", ys)):
        if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
            raise InputError(f"{name} must be finite and positive (the fit is in log space)")
    if np.unique(xs).shape[0] < min_points:
        raise InputError(f"x must hold at least {min_points} distinct values")
    return xs, ys


def _average(ys: NDArray[np.float64], how: Average) -> NDArray[np.float64]:
    if how == "mean":
        return ys.mean(axis=0)
    if how == "geometric":
        return np.exp(np.log(ys).mean(axis=0))
    raise InputError(f"average must be 'mean' or 'geometric', got {how!r}")


def _bootstrap(
    fitter: _Fitter,
    xs: NDArray[np.float64],
    ys: NDArray[np.float64],
    names: tuple[str, ...],
    model: str,
    *,
    average: Average,
    n_boot: int,
    level: float,
    seed: int,
) -> ScalingFit:
    """Point fit on the average curve, then :func:`percentile_bootstrap` over seeds (or over points)."""
    params, warm, rms = fitter(xs, _average(ys, average), None)
    by_seed = ys.shape[0] > 1
    failed = np.full(len(names), np.nan)

    def refit(rows: NDArray[np.int64]) -> NDArray[np.float64]:
        if by_seed:
            bx, by = xs, _average(ys[rows], average)
        else:
            cols = np.sort(rows)
            if np.unique(cols).shape[0] < len(names) + 1:
                return failed  # too few distinct points to determine the parameters
            bx, by = xs[cols], ys[0, cols]
        try:
            return fitter(bx, by, warm)[0]
        except ConvergenceError:
            return failed

    def statistic(units: NDArray[np.int64], axis: int) -> NDArray[np.float64]:
        return np.stack([refit(row) for row in units.reshape(-1, units.shape[axis])], axis=-1)

    boot, lo, hi = percentile_bootstrap(
        (np.arange(ys.shape[0] if by_seed else xs.shape[0]),), statistic,
        n_boot=n_boot, level=level, seed=seed, what=model,
    )
    return ScalingFit(
        model=model,
        params={n: float(v) for n, v in zip(names, params, strict=True)},
        ci={n: (float(a), float(b)) for n, a, b in zip(names, lo, hi, strict=True)},
        level=float(level),
        rms_log_residual=rms,
        resampled="seeds" if by_seed else "points",
        n_boot=int(n_boot),
        boot=boot.T,
    )


def _saturating_fitter(
    transform: Callable[[NDArray[np.float64]], NDArray[np.float64]], rates: tuple[float, ...], max_rate: float
) -> _Fitter:
    r"""Fitter of :math:`\log(L_0 + A e^{-r (t - \bar t)})` with :math:`t` = ``transform(x)``.

    Parameters ``(log L0, log A, r)`` are fitted by bounded least squares from a grid of starts; the
    returned vector is ``(L0, A e^{r \bar t}, r)``, the amplitude referred to :math:`t = 0` (``inf`` if
    that overflows float64).
    """

    def fit(x: NDArray[np.float64], y: NDArray[np.float64], warm: NDArray[np.float64] | None) -> _Fit:
        t = transform(x)
        t_ref = float(np.mean(t))
        ly = np.log(y)

        def residual(p: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.logaddexp(p[0], p[1] - p[2] * (t - t_ref)) - ly

        y_min = float(np.min(y))
        bounds = (
            [np.log(y_min) - 60.0, np.log(y_min) - 60.0, 0.0],
            [np.log(np.max(y)) + 1.0, 60.0, max_rate],
        )
        starts = [] if warm is None else [np.clip(warm, bounds[0], bounds[1])]
        if warm is None:
            for rate, frac in itertools.product(rates, (1e-4, 0.5, 0.95)):
                excess = np.maximum(y - frac * y_min, 1e-300)
                la = float(np.clip(np.mean(np.log(excess)), bounds[0][1] + 1, 59.0))
                starts.append(np.array([np.log(frac * y_min), la, rate]))
        best: scipy.optimize.OptimizeResult | None = None
        for start in starts:
            res = scipy.optimize.least_squares(residual, start, bounds=bounds, method="trf", x_scale="jac")
            if res.success and (best is None or res.cost < best.cost):
                best = res
        if best is None:
            raise ConvergenceError("no start of the least-squares fit converged")
        p = best.x
        amplitude = p[1] + p[2] * t_ref  # log amplitude at t = 0
        rms = float(np.sqrt(2 * best.cost / t.shape[0]))
        with np.errstate(over="ignore"):
            return np.array([np.exp(p[0]), np.exp(amplitude), p[2]]), p, rms

    return fit


def fit_power_law(
    x: ArrayLike,
    y: ArrayLike,
    *,
    average: Average = "mean",
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
    max_alpha: float = 20.0,
) -> ScalingFit:
    r"""Fit :math:`L(d) = L_0 + a\, d^{-\alpha}` in log space, with bootstrap confidence intervals.

    Parameters
    ----------
    x : array_like, shape (n,)
        The sizes :math:`d` (positive).
    y : array_like, shape (n,) or (seeds, n)
        The losses (positive), one row per seed.
    average : {"mean", "geometric"}
        How the seed rows are averaged into the curve that is fitted.
    n_boot : int
        Bootstrap resamples.
    level : float
        Confidence level of the percentile intervals.
    seed : int
        Seed of the bootstrap resampling.
    max_alpha : float
        Upper bound of the exponent search.

    Returns
    -------
    ScalingFit
        ``params`` has ``L0``, ``a``, ``alpha``.

    Notes
    -----
    The residuals are :math:`\log \bar L(d_i) - \log(L_0 + a d_i^{-\alpha})`, minimised over
    :math:`(\log L_0, \log a', \alpha)` with :math:`a' = a\, \bar d^{-\alpha}` referred to the geometric
    mean :math:`\bar d` of the sizes (this decouples amplitude and exponent), by
    ``scipy.optimize.least_squares`` from starts :math:`\alpha \in \{0.1, 0.5, 1, 2, 4\}` and
    :math:`L_0 \in \{10^{-4}, 0.5, 0.95\} \min \bar L`.  Scaling laws (paper, Sec. 4):
    :math:`L = L_0 + (d_0/d)^\alpha`, so :math:`a = d_0^\alpha`.

    Examples
    --------
    >>> import numpy as np
    >>> d = 2.0 ** np.arange(6, 16)
    >>> fit = fit_power_law(d, 0.01 + 3.0 * d ** -0.7, n_boot=20)
    >>> round(fit.params["alpha"], 6), round(fit.params["L0"], 6)
    (0.7, 0.01)
    """
    xs, ys = _as_curves(x, y, min_points=4)
    fitter = _saturating_fitter(np.log, rates=(0.1, 0.5, 1.0, 2.0, 4.0), max_rate=max_alpha)
    return _bootstrap(
        fitter,
        xs,
        ys,
        ("L0", "a", "alpha"),
        "power_law",
        average=average,
        n_boot=n_boot,
        level=level,
        seed=seed,
    )


def fit_stretched_exponential(
    x: ArrayLike,
    y: ArrayLike,
    *,
    m: float,
    average: Average = "mean",
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
    max_rate: float = 100.0,
) -> ScalingFit:
    r"""Fit :math:`L(d) = L_0 + b\, e^{-\alpha' d^{1/m}}` in log space, with bootstrap confidence intervals.

    Parameters
    ----------
    x : array_like, shape (n,)
        The sizes :math:`d`.
    y : array_like, shape (n,) or (seeds, n)
        The losses (positive).
    m : float
        The object dimension in the exponent :math:`d^{1/m}` (fixed, not fitted).
    average, n_boot, level, seed
        As in :func:`fit_power_law`.
    max_rate : float
        Upper bound of :math:`\alpha'`.

    Returns
    -------
    ScalingFit
        ``params`` has ``L0``, ``b``, ``alpha_prime``.

    Notes
    -----
    With :math:`t = d^{1/m}` this is the power-law fit with :math:`\log d` replaced by :math:`t`: the
    residuals
    :math:`\log \bar L - \log(L_0 + b' e^{-\alpha'(t - \bar t)})` are minimised over
    :math:`(\log L_0, \log b', \alpha')`, :math:`\bar t` the mean of the :math:`t_i`.  The form is the
    compressed scaling law of Thm 7 / Sec. 4 for :math:`d' = O(\log^m d)`.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.linspace(16, 900, 12)
    >>> fit = fit_stretched_exponential(d, 0.02 + 5.0 * np.exp(-0.4 * np.sqrt(d)), m=2, n_boot=20)
    >>> round(fit.params["alpha_prime"], 6), round(fit.params["b"], 5)
    (0.4, 5.0)
    """
    if not (isinstance(m, int | float) and m > 0):
        raise InputError(f"m must be a positive number, got {m!r}")
    xs, ys = _as_curves(x, y, min_points=4)
    fitter = _saturating_fitter(lambda v: v ** (1.0 / m), rates=(0.01, 0.1, 0.5, 2.0), max_rate=max_rate)
    return _bootstrap(
        fitter,
        xs,
        ys,
        ("L0", "b", "alpha_prime"),
        "stretched_exponential",
        average=average,
        n_boot=n_boot,
        level=level,
        seed=seed,
    )


def _slope_fitter(x: NDArray[np.float64], y: NDArray[np.float64], warm: NDArray[np.float64] | None) -> _Fit:
    lx, ly = np.log(x), np.log(y)
    slope, intercept = np.polyfit(lx, ly, 1)
    rms = float(np.sqrt(np.mean((intercept + slope * lx - ly) ** 2)))
    return np.array([-slope, np.exp(intercept)]), np.array([slope, intercept]), rms


def fit_loglog_slope(
    x: ArrayLike,
    y: ArrayLike,
    *,
    average: Average = "geometric",
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> ScalingFit:
    r"""Fit :math:`E = C\, d^{-\alpha}` by least squares of :math:`\log E` on :math:`\log d`.

    Parameters
    ----------
    x : array_like, shape (n,)
    y : array_like, shape (n,) or (seeds, n)
    average : {"geometric", "mean"}
        How seed rows are averaged (default geometric: the mean of :math:`\log E`, which is what a
        log-log fit estimates).
    n_boot, level, seed
        As in :func:`fit_power_law`.

    Returns
    -------
    ScalingFit
        ``params`` has ``alpha`` (minus the slope) and ``C``.

    Notes
    -----
    .. math::

        \hat\alpha = -\frac{\sum_i (\ell_i - \bar\ell)(\log E_i - \overline{\log E})}
                            {\sum_i (\ell_i - \bar\ell)^2}, \qquad \ell_i = \log d_i.

    Examples
    --------
    >>> import numpy as np
    >>> d = 1000.0 * 2.0 ** np.arange(7)
    >>> fit = fit_loglog_slope(d, 3.0 * d ** -1.5, n_boot=10)
    >>> round(fit.params["alpha"], 9), round(fit.params["C"], 6)
    (1.5, 3.0)
    """
    xs, ys = _as_curves(x, y, min_points=3)
    return _bootstrap(
        _slope_fitter,
        xs,
        ys,
        ("alpha", "C"),
        "loglog_slope",
        average=average,
        n_boot=n_boot,
        level=level,
        seed=seed,
    )
