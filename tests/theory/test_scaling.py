"""Scaling-law corollaries (unicomp.theory.scaling): each checked against Thm 4 or the law it comes from."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Literal

import mpmath
import numpy as np
import pytest

from unicomp.errors import InputError
from unicomp.theory.bounds import rate_exponent
from unicomp.theory.scaling import (
    boost_min_degree,
    boosted_exponent,
    compressed_scaling_law,
    stretched_exponential,
)

Norm = Literal["sum", "mean"]


@pytest.mark.parametrize("m", [1, 2, 3, 5])
@pytest.mark.parametrize("sigma", [Fraction(1, 2), Fraction(1, 3), Fraction(2, 3), Fraction(9, 10)])
@pytest.mark.parametrize("alpha", [Fraction(68, 100), Fraction(1), Fraction(1, 7)])
def test_boost_min_degree_is_where_thm4_error_falls_below_the_gap(m: int, sigma: Fraction, alpha: Fraction) -> None:
    # Independent route: Thm 4 at d' = d^sigma gives an error of order d^beta, beta = rate_exponent(k, m, sigma),
    # for the summed loss and d^(beta - 1) for the mean loss (the weights sum to d).  The degree must make it
    # o(d^-alpha), the loss gap: count k up until beta (or beta - 1) < -alpha, with beta computed exactly.
    for norm, shift in (("sum", 0), ("mean", 1)):
        k = 0
        while not Fraction(str(rate_exponent(k, m, sigma).exact())) - shift < -alpha:
            k += 1
        assert boost_min_degree(m, sigma, alpha, normalization=norm).value == k  # type: ignore[arg-type]


def test_paper_boost_example() -> None:
    # Sec. 5 / Fig. 5: m = 3, sigma = 1/2, alpha = 0.68 -> the paper says k >= 13: 3 (1 + 1.68 / 0.5) = 13.08.
    assert boost_min_degree(3, 0.5, 0.68).value == 13
    assert boost_min_degree(3, 0.5, 0.68, normalization="mean").value == 7  # 3 (1 + 0.68 / 0.5) = 7.08
    # A threshold that is an integer: k + 1 > 4 exactly, so k = 4 (not 3).
    assert boost_min_degree(1, 0.5, 0.5).value == 4


def test_compressed_law_is_the_original_law_at_the_original_size() -> None:
    # L(d) = L_0 + (d_0/d)^alpha evaluated at d = d'^(1/sigma), by hand.
    d_prime, l0, d0, alpha, sigma = 300.0, 0.01, 5.0, 0.7, 0.5
    by_hand = l0 + (d0 / d_prime ** (1 / sigma)) ** alpha
    # float64, a few operations on moderate numbers: agreement to ~1e-15 relative, 1e-13 leaves room.
    assert compressed_scaling_law(d_prime, l0, d0, alpha, sigma).value == pytest.approx(by_hand, rel=1e-13)


def test_boosted_exponent_is_the_slope_of_the_compressed_law() -> None:
    alpha, sigma = 0.683, 0.4
    sizes = np.array([100.0, 1e4])
    gap = compressed_scaling_law(sizes, 0.0, 5.0, alpha, sigma).value
    slope = np.diff(np.log(gap))[0] / np.diff(np.log(sizes))[0]
    # an exact power law: the log-log slope is -alpha/sigma up to rounding of two logs (~1e-15).
    assert -slope == pytest.approx(boosted_exponent(alpha, sigma).value, rel=1e-12)
    assert boosted_exponent(alpha, sigma).value == pytest.approx(1.7075, rel=1e-15)  # 0.683 / 0.4, by hand


def test_stretched_exponential_is_the_power_law_at_polylog_size() -> None:
    # Notes: with d' = c log^m d, (1/d)^alpha = exp(-alpha c^(-1/m) d'^(1/m)), i.e. rate alpha c^(-1/m).
    m, c, alpha, d = 2, 3.0, 0.7, 1e5
    d_prime = c * np.log(d) ** m
    rate = alpha * c ** (-1 / m)
    assert stretched_exponential(d_prime, m, rate, 0.02).value == pytest.approx(0.02 + d**-alpha, rel=1e-12)


def test_certified_enclosure_contains_the_value_by_hand() -> None:
    enclosure = stretched_exponential(400.0, 2, 0.3, 0.02, certified=True).value
    with mpmath.workdps(40):
        exact = mpmath.mpf("0.02") + mpmath.exp(-6)
    assert enclosure.a <= exact <= enclosure.b


@pytest.mark.parametrize(
    ("call", "condition"),
    [
        (lambda: boost_min_degree(3, 1.0, 0.5), "0 < sigma < 1"),
        (lambda: boost_min_degree(3, 0.5, 0.0), "alpha > 0"),
        (lambda: boost_min_degree(2.5, 0.5, 0.5), "m to be an integer"),
        (lambda: boost_min_degree(0, 0.5, 0.5), "m >= 1"),
        (lambda: boost_min_degree(3, 0.5, 0.5, normalization="median"), "normalization must be"),  # type: ignore[arg-type]
        (lambda: boosted_exponent(0.7, 0.0), "0 < sigma < 1"),
        (lambda: compressed_scaling_law(0.0, 0.0, 1.0, 1.0, 0.5), "d_prime > 0"),
        (lambda: compressed_scaling_law(10.0, 0.0, -1.0, 1.0, 0.5), "d0 > 0"),
        (lambda: stretched_exponential(100.0, 2, 0.0), "rate > 0"),
        (lambda: stretched_exponential(-1.0, 2, 1.0), "d_prime > 0"),
    ],
)
def test_out_of_domain_names_the_condition(call: Callable[[], object], condition: str) -> None:
    with pytest.raises(InputError) as info:
        call()
    assert condition in str(info.value)
