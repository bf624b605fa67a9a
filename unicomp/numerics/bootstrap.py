r"""Fits with bootstrap confidence intervals: the one fit type and the one resampling routine.

Every fit in unicomp returns a :class:`ScalingFit`: point estimates ``params``, percentile intervals ``ci``
and the bootstrap estimates behind them.  A straight line :math:`y = a + s x` (:func:`fit_line`,
:func:`fit_loglog`, :func:`mean_slope`) is the :class:`LineFit` view of the same record, with ``slope``,
``intercept`` and the slope's interval ``low``, ``high``; the scaling laws of
:mod:`unicomp.numerics.fitting` fill it with their own parameters.

Every interval comes from :func:`percentile_bootstrap`, a thin layer over :func:`scipy.stats.bootstrap`
(percentile method).  What is resampled follows how the data were measured:

* replicates drawn independently at every abscissa (``y`` of shape ``(n, s)`` in :func:`fit_line`): each
  abscissa's replicates are resampled on their own (a stratified bootstrap), the line refitted to the means;
* a single curve (:func:`fit_line` with ``y`` of shape ``(n,)``): the residuals of the least-squares line
  are resampled (a residual bootstrap, defined with as few as three points);
* replicate curves as units (:func:`mean_slope`; whole seed rows in :mod:`unicomp.numerics.fitting`);
* the points of one curve (pairs bootstrap; :mod:`unicomp.numerics.fitting` without seeds).

A refit that fails (a non-linear fit that does not converge) is dropped; if more than
:data:`MAX_FAILED` of them fail, :class:`~unicomp.errors.ConvergenceError` is raised.  The interval at level
:math:`1 - \alpha` is the pair of :math:`\alpha/2` and :math:`1 - \alpha/2` quantiles of the estimates.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import ConvergenceError, InputError
from unicomp.validation import as_positive_int

__all__ = ["MAX_FAILED", "LineFit", "ScalingFit", "fit_line", "fit_loglog", "mean_slope", "percentile_bootstrap"]

#: Fraction of bootstrap refits allowed to fail before the interval is declared unreliable.
MAX_FAILED = 0.1


@dataclass(frozen=True)
class ScalingFit:
    r"""A fitted model with bootstrap confidence intervals.

    Attributes
    ----------
    model : str
        ``"power_law"``, ``"stretched_exponential"``, ``"loglog_slope"`` or ``"line"``.
    params : dict of str to float
        Point estimates (e.g. ``L0``, ``a``, ``alpha``; ``slope``, ``intercept`` for a line).
    ci : dict of str to (float, float)
        Percentile bootstrap intervals at ``level`` (for a line: of the slope only).
    level : float
        Confidence level of ``ci``.
    rms_log_residual : float
        Root-mean-square residual of the point fit in the space it is fitted in: natural log of the
        measured quantity for the scaling laws, the given ordinates for a line (``nan`` when not measured).
    resampled : str
        What the bootstrap resampled: ``"seeds"``, ``"points"``, ``"replicates"``, ``"residuals"`` or
        ``"curves"``.
    n_boot : int
        Bootstrap resamples drawn.
    boot : ndarray, shape (successful resamples, len(ci))
        The successful bootstrap estimates, columns in the order of ``ci``.
    """

    model: str
    params: dict[str, float]
    ci: dict[str, tuple[float, float]]
    level: float
    rms_log_residual: float
    resampled: str
    n_boot: int
    boot: NDArray[np.float64] = field(repr=False, compare=False)

    def contains(self, **true_values: float) -> bool:
        """Whether every given parameter lies in its interval, e.g. ``fit.contains(alpha=0.7)``."""
        return all(self.ci[name][0] <= value <= self.ci[name][1] for name, value in true_values.items())

    def summary(self) -> str:
        """One line: each parameter, with its interval where it has one."""
        pct = round(100 * self.level)
        parts = [
            f"{k} = {v:.4g}" + (f" [{self.ci[k][0]:.4g}, {self.ci[k][1]:.4g}]" if k in self.ci else "")
            for k, v in self.params.items()
        ]
        return f"{self.model}: " + ", ".join(parts) + f" ({pct}% CI over {self.resampled})"


class LineFit(ScalingFit):
    r"""A least-squares line :math:`y = a + s x` with a bootstrap interval for the slope.

    The :class:`ScalingFit` of model ``"line"``, built from its numbers:
    ``LineFit(slope, intercept, low, high, level, n_boot)``.

    Attributes
    ----------
    slope, intercept : float
        Point estimates.
    low, high : float
        Bootstrap percentile interval of the slope.
    level : float
        Confidence level of the interval.
    n_boot : int
        Number of bootstrap resamples.
    """

    def __init__(
        self,
        slope: float,
        intercept: float,
        low: float,
        high: float,
        level: float,
        n_boot: int,
        *,
        resampled: str = "given",
        rms_residual: float = float("nan"),
        boot: NDArray[np.float64] | None = None,
    ) -> None:
        super().__init__(
            model="line",
            params={"slope": float(slope), "intercept": float(intercept)},
            ci={"slope": (float(low), float(high))},
            level=float(level),
            rms_log_residual=float(rms_residual),
            resampled=resampled,
            n_boot=int(n_boot),
            boot=np.empty((0, 1)) if boot is None else boot,
        )

    @property
    def slope(self) -> float:
        """Point estimate of the slope."""
        return self.params["slope"]

    @property
    def intercept(self) -> float:
        """Point estimate of the intercept."""
        return self.params["intercept"]

    @property
    def low(self) -> float:
        """Lower end of the slope's interval."""
        return self.ci["slope"][0]

    @property
    def high(self) -> float:
        """Upper end of the slope's interval."""
        return self.ci["slope"][1]

    @property
    def half_width(self) -> float:
        """Half the interval's width."""
        return 0.5 * (self.high - self.low)

    def as_dict(self) -> dict[str, float]:
        """Plain numbers for a report."""
        return {"slope": self.slope, "intercept": self.intercept, "ci_low": self.low, "ci_high": self.high,
                "level": self.level}

    def __str__(self) -> str:
        return f"{self.slope:.3f} [{self.low:.3f}, {self.high:.3f}]"


def percentile_bootstrap(
    samples: Sequence[NDArray[Any]],
    statistic: Callable[..., NDArray[np.float64]],
    *,
    n_boot: int,
    level: float,
    seed: int,
    what: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    r"""Percentile bootstrap of ``statistic``, each sample resampled independently (:func:`scipy.stats.bootstrap`).

    Parameters
    ----------
    samples : sequence of 1-D arrays, each of at least two observations
        Resampled with replacement, each on its own (``paired=False``).
    statistic : callable
        ``statistic(*resamples, axis=-1)`` with each resample of shape ``(batch, len(sample))``; returns
        shape ``(batch,)`` or ``(k, batch)`` (``k`` estimates per resample), ``nan`` for a failed refit.
    n_boot : int
        Resamples.
    level : float
        Confidence level, in (0, 1).
    seed : int
        Seed of the resampling.
    what : str
        Name used in the error message.

    Returns
    -------
    boot : ndarray, shape (k, successful resamples)
    low, high : ndarray, shape (k,)
        The :math:`(1 - \text{level})/2` and :math:`(1 + \text{level})/2` quantiles of ``boot``.

    Raises
    ------
    InputError
        For ``n_boot`` not a positive integer or ``level`` outside (0, 1).
    ConvergenceError
        If more than :data:`MAX_FAILED` of the resamples fail.
    """
    n_boot = as_positive_int(n_boot, "n_boot")
    if not 0 < level < 1:
        raise InputError(f"level must lie in (0, 1), got {level!r}")
    with warnings.catch_warnings():
        # scipy warns when its own interval is nan (failed refits); the interval is computed below without them.
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
        result = scipy.stats.bootstrap(
            tuple(samples), statistic, n_resamples=n_boot, vectorized=True, paired=False,
            confidence_level=level, method="percentile", rng=np.random.default_rng(seed),
        )
    dist = np.atleast_2d(np.asarray(result.bootstrap_distribution, dtype=np.float64))
    boot = dist[:, ~np.any(np.isnan(dist), axis=0)]
    if boot.shape[1] < (1 - MAX_FAILED) * n_boot:
        raise ConvergenceError(
            f"{what}: only {boot.shape[1]} of {n_boot} bootstrap refits succeeded; measure more points or seeds"
        )
    tail = (1 - level) / 2
    low, high = np.quantile(boot, [tail, 1 - tail], axis=1)
    return boot, low, high


def _lstsq(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float]:
    design = np.column_stack([np.ones_like(x), x])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    return float(coef[1]), float(coef[0])


def fit_line(
    x: ArrayLike, y: ArrayLike, *, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> LineFit:
    r"""Fit a line to ``y`` against ``x`` with a bootstrap interval for the slope.

    Parameters
    ----------
    x : array_like, shape (n,)
        Abscissae, at least two distinct values.
    y : array_like, shape (n,) or (n, s)
        Ordinates; with a second axis, ``s >= 2`` replicates (seeds) per abscissa, measured independently
        at each abscissa.
    n_boot : int
        Bootstrap resamples.
    level : float
        Confidence level of the interval, in (0, 1).
    seed : int
        Seed of the resampling.

    Returns
    -------
    LineFit
        Fitted to the per-abscissa means; ``resampled`` is ``"replicates"`` (stratified bootstrap) or
        ``"residuals"`` (one curve).  The interval is widened, if needed, to contain the point estimate.

    Notes
    -----
    The slope of means :math:`\bar y_i` is :math:`\hat s = \sum_i (x_i - \bar x)(\bar y_i - \bar{\bar y}) /
    \sum_i (x_i - \bar x)^2`, computed for every resample at once.

    Examples
    --------
    >>> fit = fit_line([0, 1, 2, 3], [1.0, 3.1, 4.9, 7.0])
    >>> round(fit.slope, 2), fit.low <= fit.slope <= fit.high
    (1.98, True)
    """
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    ys = np.asarray(y, dtype=np.float64)
    if ys.ndim == 1:
        ys = ys[:, None]
    if ys.ndim != 2 or ys.shape[0] != xs.shape[0]:
        raise InputError(f"y must have shape ({xs.shape[0]},) or ({xs.shape[0]}, s), got {np.shape(y)}")
    if np.unique(xs).size < 2:
        raise InputError("x needs at least two distinct values to fit a line")
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        raise InputError("x and y must be finite")
    means = ys.mean(axis=1)
    slope, intercept = _lstsq(xs, means)
    fitted = intercept + slope * xs
    xc = xs - xs.mean()

    def slope_of(curves: NDArray[np.float64]) -> NDArray[np.float64]:
        return (curves - curves.mean(axis=-1, keepdims=True)) @ xc / (xc @ xc)

    if ys.shape[1] > 1:
        boot, low, high = percentile_bootstrap(
            tuple(ys), lambda *rows, axis: slope_of(np.stack([r.mean(axis=axis) for r in rows], axis=-1)),
            n_boot=n_boot, level=level, seed=seed, what="fit_line",
        )
        resampled = "replicates"
    else:
        boot, low, high = percentile_bootstrap(
            (means - fitted,), lambda r, axis: slope_of(fitted + r),
            n_boot=n_boot, level=level, seed=seed, what="fit_line",
        )
        resampled = "residuals"
    rms = float(np.sqrt(np.mean((means - fitted) ** 2)))
    return LineFit(slope, intercept, min(float(low[0]), slope), max(float(high[0]), slope), level, n_boot,
                   resampled=resampled, rms_residual=rms, boot=boot.T)


def fit_loglog(x: ArrayLike, y: ArrayLike, **kwargs: float) -> LineFit:
    """:func:`fit_line` of ``log y`` against ``log x`` (natural logs); ``x`` and ``y`` must be positive.

    Unlike :func:`unicomp.numerics.fitting.fit_loglog_slope` (whole-curve bootstrap over seeds), the
    replicates here may be independent at every abscissa (a fresh random set per size), and a single
    short curve gets a residual bootstrap, which stays defined with three or four points.

    >>> round(fit_loglog([1, 2, 4, 8], [3.0, 0.75, 0.1875, 0.046875]).slope, 6)
    -2.0
    """
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if np.any(xs <= 0) or np.any(ys <= 0):
        raise InputError("fit_loglog needs positive x and y")
    return fit_line(np.log(xs), np.log(ys), **kwargs)  # type: ignore[arg-type]


def mean_slope(
    curves: Sequence[tuple[ArrayLike, ArrayLike]], *, log: bool = True, n_boot: int = 2000,
    level: float = 0.95, seed: int = 0,
) -> LineFit:
    """Mean of per-curve least-squares slopes, with a bootstrap interval over the curves.

    For replicate curves that share their abscissae up to a per-curve factor (one random shape per
    seed, swept over a scale): each curve gets its own intercept, so the spread of the prefactors
    between seeds does not leak into the slope's interval.

    Parameters
    ----------
    curves : sequence of (x, y)
        One pair of 1-D arrays per replicate, at least two replicates (lengths may differ, at least two
        distinct x each).
    log : bool
        Fit ``log y`` against ``log x`` (default) or ``y`` against ``x``.
    n_boot, level, seed
        As in :func:`fit_line`.

    Returns
    -------
    LineFit
        ``intercept`` is the mean of the per-curve intercepts; ``resampled`` is ``"curves"``.

    >>> x = np.array([1.0, 2.0, 4.0])
    >>> round(mean_slope([(x, 3 * x**2), (x, 5 * x**2.2)]).slope, 6)
    2.1
    """
    slopes, intercepts = [], []
    for x, y in curves:
        xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if log:
            if np.any(xs <= 0) or np.any(ys <= 0):
                raise InputError("mean_slope with log=True needs positive x and y")
            xs, ys = np.log(xs), np.log(ys)
        if np.unique(xs).size < 2:
            raise InputError("every curve needs at least two distinct x values")
        s, a = _lstsq(xs, ys)
        slopes.append(s)
        intercepts.append(a)
    if len(slopes) < 2:
        raise InputError(f"mean_slope needs at least two curves to bootstrap over, got {len(slopes)}")
    arr = np.asarray(slopes)
    boot, low, high = percentile_bootstrap(
        (arr,), lambda s, axis: s.mean(axis=axis), n_boot=n_boot, level=level, seed=seed, what="mean_slope"
    )
    mean = float(arr.mean())
    return LineFit(mean, float(np.mean(intercepts)), min(float(low[0]), mean), max(float(high[0]), mean), level,
                   n_boot, resampled="curves", boot=boot.T)
