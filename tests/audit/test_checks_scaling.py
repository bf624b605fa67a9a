"""Helpers of the scaling group (FIG2, FIG8, POLYLOG, STRETCHED): small cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from unicomp.audit.checks._scaling import authors_fig2, band_verdict, curve_boot, form_verdict, line_boot
from unicomp.audit.checks.polylog import approximation_bound
from unicomp.audit.checks.stretched import path_degree
from unicomp.errors import InputError
from unicomp.numerics.basis import num_moments
from unicomp.numerics.testfunctions import pole_function, sigmoid_function


def test_curve_boot_recovers_a_power_law_and_its_noise() -> None:
    rng = np.random.default_rng(0)
    x = np.array([1000.0, 2000.0, 4000.0, 8000.0])
    samples = [x_ ** -1.5 * np.exp(0.3 * rng.standard_normal(40)) for x_ in x]
    c = curve_boot(x, samples, seed=1)
    lo, hi = c.slope_interval()
    # 40 replicates with log-sd 0.3 over log(8) = 2.08: slope se ~ 0.3 / sqrt(40 * 2.4) = 0.03
    assert lo < -1.5 < hi and hi - lo < 0.2
    assert c.level == pytest.approx(np.mean([np.log(s).mean() for s in samples]))


def test_line_boot_resamples_within_each_abscissa() -> None:
    c = line_boot([0.0, 1.0], [np.array([0.0, 0.0]), np.array([1.0, 3.0])], n_boot=500, seed=0)
    # only the second abscissa varies: its resampled mean is 1, 2 or 3, so the slope is one of those
    assert c.slope == 2.0 and set(np.round(c.slopes, 12)) <= {1.0, 2.0, 3.0}


def test_line_boot_rejects_bad_input() -> None:
    with pytest.raises(InputError):
        line_boot([1.0, 1.0], [np.array([1.0]), np.array([2.0])])
    with pytest.raises(InputError):
        curve_boot([1.0, 2.0], [np.array([1.0]), np.array([0.0])])


@pytest.mark.parametrize(("low", "high", "expected"), [
    (-0.1, 0.1, "holds"),
    (0.3, 0.6, "fails"),           # wholly above the band
    (-0.6, -0.3, "fails"),         # wholly below, below="fails"
    (-0.2, 0.4, "holds with caveat"),
    (-0.6, 0.4, "inconclusive"),   # reaches a whole step on the low side
])
def test_band_verdict(low: float, high: float, expected: str) -> None:
    assert band_verdict(low, high, (-0.25, 0.25), what="d")[0] == expected


def test_band_verdict_better_side_can_be_a_caveat() -> None:
    assert band_verdict(-0.6, -0.3, (-0.25, 0.25), what="d", below="holds with caveat")[0] == "holds with caveat"
    with pytest.raises(InputError):
        band_verdict(0.0, 1.0, (0.1, 0.2), what="d")


def test_form_verdict_tells_a_power_law_from_a_stretched_exponential() -> None:
    rng = np.random.default_rng(3)
    sizes = np.array([30.0, 50.0, 80.0, 130.0, 200.0, 320.0])
    t = np.sqrt(sizes)
    power = [-2.0 * np.log(s) + 0.02 * rng.standard_normal(5) for s in sizes]
    stretched = [-1.5 * v + 0.02 * rng.standard_normal(5) for v in t]
    assert form_verdict(t, np.log(sizes), stretched, claimed="s", alternative="p")[0][0] == "holds"
    assert form_verdict(t, np.log(sizes), power, claimed="s", alternative="p")[0][0] == "fails"
    flat = [rng.standard_normal(5) for _ in t]  # no trend: neither line explains anything the other does not
    assert form_verdict(t, np.log(sizes), flat, claimed="s", alternative="p")[0][0] == "inconclusive"


def test_authors_fig2_groups_trials_and_stops_at_the_floor() -> None:
    cols = {"m": np.array([2, 2, 2, 2, 2, 2.0]), "k": np.array([1, 1, 1, 1, 1, 1.0]),
            "d": np.array([1000, 1000, 2000, 2000, 4000, 8000.0]),
            "orig": np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
            "comp": np.array([0.5 + 1e-6, 0.5 - 2e-6, 0.5 + 1e-7, 0.5 + 3e-7, 0.5, 0.5 + 1e-9])}
    rows = authors_fig2(cols, floor=1e-14)["m=2,k=1"]
    assert sorted(rows) == [1000, 2000]  # d = 4000 has an exact tie: that size and all larger are dropped
    assert np.allclose(np.sort(rows[1000]), [1e-6, 2e-6], rtol=1e-6)


def test_approximation_bound_falls_with_the_degree_and_bounds_a_polynomial_exactly() -> None:
    f = pole_function(1, seed=0)
    bounds = [approximation_bound(f, k) for k in (2, 6, 10)]
    assert bounds[0] > bounds[1] > bounds[2] > 0
    # a degree-k interpolant is exact for g = s(<w, x>) only in the limit; for the sigmoid at m = 2 the
    # bound must still be tiny at k = 12 (entire function: super-geometric decay)
    assert approximation_bound(sigmoid_function(2, seed=0), 12) < 1e-6


def test_path_degree_is_the_largest_with_half_the_size() -> None:
    for size in (31, 49, 95, 200):
        k = path_degree(size)
        assert num_moments(2, k) <= size / 2 < num_moments(2, k + 1)


def test_fig2_rule_is_fitted_where_the_compression_keeps_the_claims_ratio() -> None:
    from unicomp.audit.checks.fig2 import _our_rule

    # m = 5, k = 5: N = 252, so d' = 0.1 d only from d = 4000 on; below, d' = N and the error is smaller
    ds = [1000, 2000, 4000, 8000, 16000, 32000]
    rng = np.random.default_rng(0)
    rule = 6 / 5 + 0.5
    on_rule = np.array([d ** -rule for d in ds])
    errors = np.exp(rng.normal(0.0, 0.02, (8, len(ds)))) * on_rule
    errors[:, :2] *= [0.05, 0.3]  # the two sizes compressed to N > 0.1 d: flatter over the whole window
    verdict, text = _our_rule("m=5,k=5", ds, errors, 0.1, "ours", seed=1)
    assert verdict == "holds" and "fitted on d >= 4000" in text
    whole = curve_boot(ds, [errors[:, j] for j in range(len(ds))], n_boot=200, seed=1)
    assert -whole.slope < rule - 0.5 / 5  # what the rule would have seen on the whole window
    verdict, text = _our_rule("m=5,k=6", ds, errors, 0.1, "ours", seed=1)  # N = 462: d >= 8000, 3 sizes
    assert "fitted on d >= 8000" in text
    assert _our_rule("m=5,k=6", ds[:4], errors[:, :4], 0.1, "ours", seed=1)[0] == "inconclusive"


def _fig8_rows(errors: dict[int, list[float]], last: int) -> list[dict]:
    """Rows of one sweep (m = 1, degrees 1..last tried, the best at the last degree, d' = 500)."""
    return [{"d": d, "best_error": e, "resolution": 1e-16, "floor": 1e-14, "saturated": False, "size": 500,
             "best_degree": last, "tried": [(k, e * 2.0 ** (last - k)) for k in range(1, last + 1)]}
            for d, trials in errors.items() for e in trials]


@pytest.mark.parametrize(("growing", "size", "cap", "expected"), [
    (True, 7, 40, "fails"),  # complete: k = 7 has N_{1,7} = 8 > d' moments, every admissible degree tried
    (True, 500, 40, "inconclusive"),  # k = 7 admissible and untried (a refusal): the growth is of upper bounds
    (True, 500, 6, "inconclusive"),  # the cap reached at the best degree: still falling, an upper bound too
    (False, 500, 40, "holds with caveat"),
    (False, 7, 40, "holds"),
])
def test_fig8_incomplete_searches_cannot_fail_the_growth(growing: bool, size: int, cap: int, expected: str) -> None:
    from unicomp.audit.checks.fig8 import _ours

    factor = 10.0 if growing else 0.5
    errors = {d: [1e-9 * factor**j, 1.2e-9 * factor**j] for j, d in enumerate((1000, 2000, 4000, 8000))}
    rows = [r | {"size": size} for r in _fig8_rows(errors, 6)]
    outcome, entry = _ours("m=1", rows, 0, {"m": 1, "max_degree": cap, "step": 1, "patience": None})
    assert outcome[0] == expected
    assert len(entry["incomplete"]) == (0 if size == 7 else len(rows))
