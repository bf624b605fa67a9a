"""The one fit type and the one bootstrap: spreads checked against their closed forms, failures, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from unicomp.errors import ConvergenceError, InputError
from unicomp.numerics.bootstrap import LineFit, ScalingFit, fit_line, fit_loglog, mean_slope, percentile_bootstrap

X = np.linspace(0.0, 4.0, 9)
XC = X - X.mean()


def test_fit_recovers_a_known_slope_and_covers_it() -> None:
    rng = np.random.default_rng(0)
    y = 1.5 - 0.7 * X[:, None] + 0.05 * rng.standard_normal((9, 20))
    fit = fit_line(X, y, seed=1)
    # expected half-width 1.96 * 0.05 / sqrt(20 * 15) ~ 0.006 (seen 0.005); 0.05 only checks it is informative
    assert fit.low <= -0.7 <= fit.high and fit.half_width < 0.05
    assert fit.resampled == "replicates" and fit.boot.shape == (2000, 1)
    single = fit_line(X, y[:, 0], seed=1)
    assert single.low <= single.slope <= single.high and single.resampled == "residuals"


def test_stratified_spread_matches_its_closed_form() -> None:
    # Resampling s replicates independently at each x gives each mean the plug-in variance v_i / s
    # (v_i = population variance of row i), so Var*(slope) = sum_i xc_i^2 v_i / s / (sum xc^2)^2 exactly.
    # A paired or whole-curve resampling, or a wrong axis, gives a different spread.
    rng = np.random.default_rng(2)
    s = 6
    y = 2.0 + 0.3 * X[:, None] + rng.standard_normal((9, s)) * np.linspace(0.1, 1.0, 9)[:, None]
    fit = fit_line(X, y, n_boot=20000, seed=3)
    expected = np.sqrt(np.sum(XC**2 * y.var(axis=1) / s) / np.sum(XC**2) ** 2)
    # Monte Carlo: the relative standard error of a standard deviation from 20000 draws is ~0.5%; 3% is six of those.
    assert np.std(fit.boot[:, 0]) == pytest.approx(expected, rel=0.03)


def test_residual_spread_matches_its_closed_form() -> None:
    # Resampling the n residuals e_i adds iid noise of variance mean(e^2) (they sum to zero) at every x:
    # Var*(slope) = mean(e^2) / sum(xc^2).
    rng = np.random.default_rng(4)
    y = 1.0 - 2.0 * X + 0.2 * rng.standard_normal(X.size)
    fit = fit_line(X, y, n_boot=20000, seed=5)
    resid = y - (fit.intercept + fit.slope * X)
    expected = np.sqrt(np.mean(resid**2) / np.sum(XC**2))
    assert np.std(fit.boot[:, 0]) == pytest.approx(expected, rel=0.03)  # as above: ~6 Monte Carlo errors
    assert fit.rms_log_residual == pytest.approx(np.sqrt(np.mean(resid**2)), rel=1e-12)


def test_fit_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="two distinct"):
        fit_line([1, 1, 1], [1, 2, 3])
    with pytest.raises(InputError, match="shape"):
        fit_line([1, 2], [1, 2, 3])
    with pytest.raises(InputError, match="positive"):
        fit_loglog([1, 2, 3], [1, -1, 2])
    with pytest.raises(InputError, match="finite"):
        fit_line([1, 2, 3], [1, np.nan, 2])
    with pytest.raises(InputError, match="level"):
        fit_line([1, 2, 3], [1, 2, 4], level=1.0)
    with pytest.raises(InputError, match="n_boot must be a positive integer"):
        fit_line([1, 2, 3], [1, 2, 4], n_boot=0)


def test_mean_slope_ignores_prefactors_and_bootstraps_curves() -> None:
    x = np.array([1.0, 2.0, 4.0, 8.0])
    curves = [(x, a * x**3) for a in (1e-3, 1.0, 1e3)]
    fit = mean_slope(curves)
    # exact power laws: every per-curve slope is 3 up to float64 rounding of logs (seen 4e-16, spread 4e-15);
    # approx's default rel 1e-6 and the 1e-9 width are loose bounds on that rounding.
    assert fit.slope == pytest.approx(3.0) and fit.high - fit.low < 1e-9
    assert fit.resampled == "curves"
    spread = mean_slope([(x, x**p) for p in (1.0, 2.0, 3.0, 4.0)], n_boot=20000, seed=1)
    # The bootstrap mean of 4 slopes has plug-in sd sqrt(var / 4) = sqrt(1.25 / 4); 3% as above.
    assert np.std(spread.boot[:, 0]) == pytest.approx(np.sqrt(1.25 / 4), rel=0.03)
    with pytest.raises(InputError, match="at least two curves"):
        mean_slope(curves[:1])


def test_failed_refits_are_dropped_up_to_the_limit() -> None:
    sample = np.arange(10.0)

    def flaky(every: int):  # fails (nan) on every ``every``-th resample of the batch
        def statistic(s: np.ndarray, axis: int) -> np.ndarray:
            means = s.mean(axis=axis)
            means[::every] = np.nan
            return means
        return statistic

    boot, low, high = percentile_bootstrap((sample,), flaky(20), n_boot=1000, level=0.9, seed=0, what="flaky")
    assert boot.shape == (1, 950) and low[0] < high[0]
    with pytest.raises(ConvergenceError, match="only 800 of 1000"):
        percentile_bootstrap((sample,), flaky(5), n_boot=1000, level=0.9, seed=0, what="flaky")


def test_linefit_is_the_line_view_of_one_fit_type() -> None:
    fit = LineFit(1.5, 0.25, 1.4, 1.6, 0.95, 100)
    assert isinstance(fit, ScalingFit) and fit.model == "line"
    assert (fit.slope, fit.intercept, fit.low, fit.high, fit.level, fit.n_boot) == (1.5, 0.25, 1.4, 1.6, 0.95, 100)
    assert fit.half_width == pytest.approx(0.1)
    assert fit.as_dict() == {"slope": 1.5, "intercept": 0.25, "ci_low": 1.4, "ci_high": 1.6, "level": 0.95}
    assert str(fit) == "1.500 [1.400, 1.600]"
    assert fit.summary() == "line: slope = 1.5 [1.4, 1.6], intercept = 0.25 (95% CI over given)"
    assert fit.contains(slope=1.55) and not fit.contains(slope=1.7)
    assert fit == LineFit(1.5, 0.25, 1.4, 1.6, 0.95, 100, boot=np.ones((3, 1)))  # the draws do not enter ==
