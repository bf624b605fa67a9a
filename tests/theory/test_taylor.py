"""Deep-set Taylor expansion against explicit objects; the Cauchy remainder bound against exact remainders."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from unicomp.errors import InputError
from unicomp.theory.taylor import centred_moment, deep_set_expansion, taylor_remainder


def test_expansion_matches_explicit_objects() -> None:
    a, b, y, t = sp.symbols("a b y t")
    g = sp.exp(a) * (1 + b) ** 2
    h = y**3 - 2 * y
    center = (sp.Rational(1, 3), sp.Rational(-1, 2))
    d = 3
    us = [sp.symbols(f"u{i}_0:2") for i in range(d)]
    order = 3
    ex = deep_set_expansion(h, y, g, [a, b], center, order=order, d=d)
    f = h.subs(y, sum(g.subs({a: center[0] + t * u[0], b: center[1] + t * u[1]}) for u in us))
    moments = {}
    for e in ex.taylor:
        moments[centred_moment(e)] = sp.Add(*(u[0] ** e[0] * u[1] ** e[1] for u in us)) / d
    for j in range(order + 1):
        explicit = sp.diff(f, t, j).subs(t, 0) / sp.factorial(j)
        from_moments = ex.coefficients[j].xreplace(moments).subs(centred_moment((0, 0)), 1)
        assert sp.simplify(sp.expand(explicit - from_moments)) == 0


@pytest.mark.parametrize("k", [1, 2, 3])
def test_order_k_plus_one_coefficient(k: int) -> None:
    # Thm 3's step: the t^(k+1) coefficient is d h'(y0) <a_{k+1}, mu_{k+1}> plus lower-order moments only.
    x1, x2, y = sp.symbols("x1 x2 y")
    d = sp.Symbol("d", positive=True)
    g = 1 / (2 - x1 - 3 * x2)
    h = sp.sin(y)
    ex = deep_set_expansion(h, y, g, [x1, x2], [0, 0], order=k + 1, d=d)
    top, rest = ex.split(k + 1)
    assert sp.expand(top + rest - ex.coefficients[k + 1]) == 0
    assert max(ex.moment_orders(rest), default=0) <= k
    # Independent Taylor coefficients of g at 0: a_e = (|e| choose e) 3^e2 / 2^(|e|+1).
    expected = sp.S.Zero
    for e in ex.taylor:
        if sum(e) == k + 1:
            a_e = sp.binomial(k + 1, e[1]) * sp.Integer(3) ** e[1] / sp.Integer(2) ** (k + 2)
            expected += a_e * centred_moment(e)
    assert sp.expand(top - d * sp.cos(d / 2) * expected) == 0


def test_expansion_rejects_bad_input() -> None:
    x, y = sp.symbols("x y")
    with pytest.raises(InputError, match="center"):
        deep_set_expansion(y, y, x, [x], [0, 1], order=2)
    with pytest.raises(InputError, match="order"):
        deep_set_expansion(y, y, x, [x], [0], order=0)
    ex = deep_set_expansion(y, y, x, [x], [0], order=2)
    with pytest.raises(InputError, match="j must be"):
        ex.top_term(3)


@pytest.mark.parametrize("k", [0, 2, 5])
def test_remainder_bound_one_dimension(k: int) -> None:
    # g(x) = 1/(A - x) about 0: analytic on the disc of radius rho < A with |g| <= 1/(A - rho); the exact
    # remainder of the degree-k Taylor polynomial at x = r is (r/A)^(k+1) / (A - r).
    mpmath.mp.dps = 30
    big_a, r = mpmath.mpf(2), mpmath.mpf("0.3")
    exact = (r / big_a) ** (k + 1) / (big_a - r)
    for rho in ("0.5", "1", "1.9"):
        rho_f = float(rho)
        bound = taylor_remainder(float(r), k, 1, rho_f, 1 / (2 - rho_f), certified=True).value
        assert exact <= bound.b
    # Not vacuous: for this g the Cauchy estimate loses exactly (A/rho)^(k+1) (A - r)/((A - rho)(1 - r/rho)),
    # so the ratio bound/exact must equal that (rtol: float64 evaluation of the bound).
    rho_m = mpmath.mpf("1.9")
    bound = taylor_remainder(0.3, k, 1, 1.9, 1 / (2 - 1.9)).value
    loss = (big_a / rho_m) ** (k + 1) * (big_a - r) / ((big_a - rho_m) * (1 - r / rho_m))
    assert bound / float(exact) == pytest.approx(float(loss), rel=1e-12)


def test_remainder_bound_two_dimensions() -> None:
    # g(w) = 1/(A - w1 - w2): analytic on the polydisc of radius rho < A/2 with |g| <= 1/(A - 2 rho).
    mpmath.mp.dps = 30
    big_a, rho = 3, 1.2
    for u in ((0.3, 0.4), (0.5, 0.0), (-0.2, 0.45)):
        s = mpmath.mpf(u[0]) + mpmath.mpf(u[1])
        radius = float(mpmath.sqrt(mpmath.mpf(u[0]) ** 2 + mpmath.mpf(u[1]) ** 2))
        for k in (1, 3, 6):
            exact = abs((s / big_a) ** (k + 1) / (big_a - s))
            assert exact <= taylor_remainder(radius, k, 2, rho, 1 / (big_a - 2 * rho)).value


def test_remainder_domain() -> None:
    with pytest.raises(InputError, match=r"sqrt\(m\) \* radius < rho"):
        taylor_remainder(0.8, 2, 2, 1.0, 1.0)
    with pytest.raises(InputError, match="k to be an integer"):
        taylor_remainder(0.1, 2.5, 2, 1.0, 1.0)
