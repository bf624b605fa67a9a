r"""Helpers of the scaling group (FIG2, FIG8, POLYLOG, STRETCHED): error curves against a size, the
authors' per-trial errors, and the "within half a degree step" rule.

Error curves are compared through the mean of :math:`\log E` at each size (the geometric mean of the
error, the statistic the authors' exponents are fitted to).  Trials are independent at every size (a fresh
cloud per trial and size), so the bootstrap resamples trials *within* each size (stratified).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError
from unicomp.verify.claims import Outcome

__all__ = ["CurveBoot", "authors_fig2", "band_verdict", "curve_boot", "difference_interval", "form_verdict",
           "line_boot"]


@dataclass(frozen=True)
class CurveBoot:
    r"""Slope and level of :math:`\overline{\log E}` against :math:`\log x`, with bootstrap replicates.

    Attributes
    ----------
    x : ndarray
        The sizes.
    slope : float
        Least-squares slope of the per-size mean of :math:`\log E` against :math:`\log x`.
    level : float
        Mean over the sizes of the per-size mean of :math:`\log E` (the curve's height).
    slopes, levels : ndarray, shape (n_boot,)
        The same from stratified bootstrap resamples.
    """

    x: NDArray[np.float64]
    slope: float
    level: float
    slopes: NDArray[np.float64]
    levels: NDArray[np.float64]

    def slope_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Percentile interval of the slope."""
        lo, hi = np.quantile(self.slopes, [(1 - level) / 2, (1 + level) / 2])
        return float(lo), float(hi)


def line_boot(x: ArrayLike, samples: Sequence[NDArray[np.float64]], *, n_boot: int = 2000,
              seed: int = 0) -> CurveBoot:
    r"""Bootstrap the least-squares slope and the level of the per-abscissa means of ``samples`` against ``x``.

    Parameters
    ----------
    x : array_like, length n >= 2
        Abscissae (at least two distinct).
    samples : sequence of arrays
        ``samples[j]``: independent finite replicates at ``x[j]`` (counts may differ); resampled within
        each abscissa (stratified).
    n_boot : int
        Resamples.
    seed : int
        Seed of the resampling.

    Returns
    -------
    CurveBoot
        With ``x`` as given.

    Examples
    --------
    >>> c = line_boot([0.0, 1.0, 2.0], [np.array([1.0, 1.2]), np.array([3.0, 3.2]), np.array([5.0, 5.2])])
    >>> round(c.slope, 6), round(float(c.slopes.min()), 6), round(float(c.slopes.max()), 6)
    (2.0, 1.9, 2.1)
    """
    xs = np.asarray(x, dtype=np.float64)
    if xs.size < 2 or len(samples) != xs.size or np.unique(xs).size < 2:
        raise InputError("line_boot needs at least two distinct abscissae and one sample array per abscissa")
    ys = [np.asarray(s, dtype=np.float64).reshape(-1) for s in samples]
    if any(a.size == 0 or not np.all(np.isfinite(a)) for a in ys):
        raise InputError("line_boot needs at least one finite replicate per abscissa")
    rng = np.random.default_rng(seed)
    boot = np.column_stack([a[rng.integers(0, a.size, size=(n_boot, a.size))].mean(axis=1) for a in ys])
    means = np.array([a.mean() for a in ys])
    xc = xs - xs.mean()
    slope = float((means - means.mean()) @ xc / (xc @ xc))
    slopes = (boot - boot.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)
    return CurveBoot(xs, slope, float(means.mean()), slopes, boot.mean(axis=1))


def curve_boot(x: ArrayLike, samples: Sequence[NDArray[np.float64]], *, n_boot: int = 2000,
               seed: int = 0) -> CurveBoot:
    r""":func:`line_boot` of :math:`\log E` against :math:`\log x` (``x`` and the errors positive); the
    result's ``x`` is the sizes.

    Examples
    --------
    >>> x = [1.0, 2.0, 4.0]
    >>> c = curve_boot(x, [np.array([1.0, 1.0]), np.array([0.25, 0.25]), np.array([1 / 16, 1 / 16])])
    >>> round(c.slope, 6), round(float(c.slopes.std()), 6)
    (-2.0, 0.0)
    """
    xs = np.asarray(x, dtype=np.float64)
    arrays = [np.asarray(s, dtype=np.float64) for s in samples]
    if np.any(xs <= 0) or any(np.any(a <= 0) for a in arrays):
        raise InputError("curve_boot needs positive sizes and errors")
    fit = line_boot(np.log(xs), [np.log(a) for a in arrays], n_boot=n_boot, seed=seed)
    return CurveBoot(xs, fit.slope, fit.level, fit.slopes, fit.levels)


def difference_interval(a: NDArray[np.float64], b: NDArray[np.float64], level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of ``a - b`` for independent bootstrap replicates of two estimates."""
    lo, hi = np.quantile(np.asarray(a) - np.asarray(b), [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def band_verdict(low: float, high: float, band: tuple[float, float], *, what: str,
                 below: str = "fails") -> Outcome:
    r"""Verdict for "the interval [low, high] of a difference lies in ``band``".

    ``band = (a, b)`` with :math:`a < 0 < b` is the largest difference the rule accepts (for an exponent
    or a log level: half the step to the neighbouring degree, so "inside" means "closer to the asked degree
    than to its neighbours").

    * the whole interval above ``b`` -> ``"fails"``; the whole interval below ``a`` -> ``below``
      (``"fails"``, or ``"holds with caveat"`` where being below is better, not wrong);
    * the interval inside the band -> ``"holds"``;
    * the interval crosses an edge of the band but stays inside the doubled band (it excludes a whole
      degree step) -> ``"holds with caveat"``;
    * otherwise (it reaches a whole step away: the measurement cannot tell neighbouring degrees apart)
      -> ``"inconclusive"``.

    >>> band_verdict(-0.1, 0.1, (-0.25, 0.25), what="x")[0], band_verdict(0.3, 0.6, (-0.25, 0.25), what="x")[0]
    ('holds', 'fails')
    >>> band_verdict(-0.2, 0.4, (-0.25, 0.25), what="x")[0], band_verdict(-0.6, 0.4, (-0.25, 0.25), what="x")[0]
    ('holds with caveat', 'inconclusive')
    """
    a, b = band
    if not (a < 0 < b and low <= high):
        raise InputError(f"band_verdict needs a < 0 < b and low <= high, got band {band}, [{low}, {high}]")
    text = f"{what}: [{low:+.3f}, {high:+.3f}] vs accepted [{a:+.3f}, {b:+.3f}]"
    if low > b:
        return "fails", text + " (the whole interval is beyond the band)"
    if high < a:
        return below, text + " (the whole interval is below the band)"
    if a <= low and high <= b:
        return "holds", text
    if 2 * a <= low and high <= 2 * b:
        return "holds with caveat", text + " (the interval crosses the band's edge but excludes a whole step)"
    return "inconclusive", text + " (the interval reaches a whole step: neighbouring degrees not told apart)"


def authors_fig2(columns: Mapping[str, NDArray], *, floor: float) -> dict[str, dict[int, NDArray[np.float64]]]:
    r"""The authors' Fig. 2 errors per case: ``"m=..,k=.."`` -> {d: |orig - comp| of each trial}.

    ``columns`` is their CSV (``m, k, d, orig, comp``; one row per trial).  Sizes are kept only up to the
    first at which some trial's error is at or below ``floor`` (float64 rounding, not compression error:
    from there on the curve carries no slope information).
    """
    err = np.abs(np.asarray(columns["orig"], dtype=float) - np.asarray(columns["comp"], dtype=float))
    m_col, k_col, d_col = (np.asarray(columns[c], dtype=float).astype(int) for c in ("m", "k", "d"))
    out: dict[str, dict[int, NDArray[np.float64]]] = {}
    for m, k in sorted(set(zip(m_col.tolist(), k_col.tolist(), strict=True))):
        rows: dict[int, NDArray[np.float64]] = {}
        for d in sorted(set(d_col[(m_col == m) & (k_col == k)].tolist())):
            e = err[(m_col == m) & (k_col == k) & (d_col == d)]
            if np.any(e <= floor):
                break
            rows[d] = e
        out[f"m={m},k={k}"] = rows
    return out


def _rms_residual(x: NDArray[np.float64], ys: NDArray[np.float64]) -> NDArray[np.float64]:
    """RMS residual of the least-squares line through each row of ``ys`` against ``x``."""
    design = np.column_stack([np.ones_like(x), x])
    coef = np.linalg.lstsq(design, ys.T, rcond=None)[0]
    return np.sqrt(np.mean((ys - (design @ coef).T) ** 2, axis=1))


def form_verdict(x_claimed: ArrayLike, x_alternative: ArrayLike,
                 samples: Sequence[NDArray[np.float64]], *, claimed: str, alternative: str,
                 n_boot: int = 2000, seed: int = 0) -> tuple[Outcome, dict[str, Any]]:
    r"""Which straight line fits the per-abscissa means of ``samples`` (e.g. :math:`\log E`) better: against
    ``x_claimed`` or against ``x_alternative``.

    The RMS residuals of the two least-squares lines are compared on stratified bootstrap replicates of
    the means: ``"holds"`` if the 95% interval of (claimed - alternative) is below 0, ``"fails"`` if it is
    above 0 (the alternative fits better beyond the noise), ``"inconclusive"`` if it contains 0 (over this
    range the two forms are not told apart).

    >>> t = np.arange(1.0, 9.0)
    >>> ys = [np.array([-2.0 * v - 0.01, -2.0 * v + 0.01]) for v in t]
    >>> form_verdict(t, np.log(t), ys, claimed="exp", alternative="power")[0][0]
    'holds'
    """
    xc, xa = np.asarray(x_claimed, dtype=np.float64), np.asarray(x_alternative, dtype=np.float64)
    boot = line_boot(xc, samples, n_boot=n_boot, seed=seed)  # validates the shapes
    rng = np.random.default_rng(seed)
    ys = [np.asarray(a, dtype=np.float64).reshape(-1) for a in samples]
    reps = np.column_stack([a[rng.integers(0, a.size, size=(n_boot, a.size))].mean(axis=1) for a in ys])
    means = np.array([a.mean() for a in ys])[None, :]
    rms_c, rms_a = float(_rms_residual(xc, means)[0]), float(_rms_residual(xa, means)[0])
    lo, hi = np.quantile(_rms_residual(xc, reps) - _rms_residual(xa, reps), [0.025, 0.975])
    numbers = {"rms_claimed": rms_c, "rms_alternative": rms_a, "diff_ci": [float(lo), float(hi)],
               "slope_claimed": boot.slope}
    text = (f"RMS residual {claimed} {rms_c:.3f} vs {alternative} {rms_a:.3f} "
            f"(difference [{lo:+.3f}, {hi:+.3f}], 95% bootstrap)")
    if hi < 0:
        return ("holds", text), numbers
    if lo > 0:
        return ("fails", text + f": the {alternative} fits better"), numbers
    return ("inconclusive", text + ": the two forms are not told apart over this range"), numbers
