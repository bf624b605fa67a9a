"""Errata: each derivation reproduces its corrected form; numerical confirmation for Thm 7."""

from __future__ import annotations

import pytest
import sympy as sp

from unicomp.errors import InputError
from unicomp.theory import _symbols as S
from unicomp.theory.bounds import POLYLOG_DEGREE, boost_min_degree
from unicomp.theory.errata import (
    all_errata,
    boost_normalization,
    remez_step,
    thm7_degree_argmin,
    thm7_rho_placement,
    worked_example_sign,
)


def test_every_erratum_is_verified_and_differs_from_print() -> None:
    errata = all_errata()
    assert [e.id for e in errata] == ["thm7-rho", "lemma2-remez", "example-sign", "boost-normalization"]
    for e in errata:
        assert e.verified, e.id
        assert e.printed != e.corrected
        assert e.derivation and e.explanation


def test_thm7_corrected_is_the_calculator_formula() -> None:
    e = thm7_rho_placement()
    assert e.corrected == POLYLOG_DEGREE["corrected"]
    ratio = dict(e.derivation)["printed k_opt / corrected k_opt"]
    assert sp.simplify(ratio - S.rho ** (1 / S.m - 1)) == 0
    assert ratio.subs({S.m: 1}) == 1  # m = 1: both placements coincide


@pytest.mark.parametrize(("n", "m", "rho"), [(1e6, 2, 4.0), (1e6, 3, 8.0), (1e6, 2, 0.25), (1e7, 2, 2.0)])
def test_thm7_exact_argmin_follows_corrected_form(n: float, m: int, rho: float) -> None:
    k_best = thm7_degree_argmin(n, m, rho)
    corrected = float(POLYLOG_DEGREE["corrected"].subs({S.n: n, S.m: m, S.rho: rho}))
    printed = float(POLYLOG_DEGREE["printed"].subs({S.n: n, S.m: m, S.rho: rho}))
    # Leading-order asymptotics: the exact integer argmin is within 2% of the corrected form at these N
    # (the O(1/k) term and rounding), while the printed form is off by the factor rho^(1 - 1/m) >= 1.41.
    assert abs(k_best / corrected - 1) < 0.02
    assert abs(k_best / printed - 1) > 0.25
    with pytest.raises(InputError):
        thm7_degree_argmin(n, 0, rho)


def test_remez_extremal_example() -> None:
    steps = dict(remez_step().derivation)
    t3 = steps["extremal polynomial at x = 1: T_3(5/3)"]
    assert t3 == sp.chebyshevt(3, sp.Rational(5, 3)) == sp.Rational(365, 27)
    assert t3 > steps["printed bound (1/2) a(5/3)^3"]


def test_worked_example_exponents() -> None:
    e = worked_example_sign()
    steps = dict(e.derivation)
    assert steps["error exponent (E = d^x) with the corrected size"] == -S.alpha
    assert sp.simplify(steps["error exponent with the printed size"] - (2 + S.alpha)) == 0


def test_boost_normalization_numbers() -> None:
    e = boost_normalization()
    assert e.severity == "conservative"
    args = {S.m: 3, S.sigma: sp.Rational(1, 2), S.alpha: sp.Rational(68, 100)}
    assert sp.floor(e.printed.subs(args)) == boost_min_degree(3, 0.5, 0.68).value == 13
    assert sp.floor(e.corrected.subs(args)) == boost_min_degree(3, 0.5, 0.68, normalization="mean").value == 7
