"""Newton–Girard and the multivariate fundamental theorem: exact identities and round trips."""

from __future__ import annotations

import itertools

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from unicomp.errors import InputError
from unicomp.theory.symmetric import (
    elementary_in_power_sums,
    elementary_symbol,
    expand_power_sums,
    moment,
    moment_expression,
    power_sum,
    power_sum_expression,
    power_sum_in_elementary,
    power_sum_symbol,
    reduce_power_sum,
    reduce_tensor_moment,
    tensor_moment,
)


def make_objects(d: int, m: int) -> list[tuple[sp.Symbol, ...]]:
    return [tuple(sp.symbols(f"w{i}_0:{m}")) for i in range(d)]


def elementary(xs: list[sp.Symbol], j: int) -> sp.Expr:
    """e_j from its definition, the coefficient of t**j in prod_i (1 + x_i t)."""
    t = sp.Symbol("t")
    return sp.Poly(sp.prod(1 + x * t for x in xs), t).coeff_monomial(t**j)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_newton_girard_both_directions(n: int) -> None:
    xs = list(sp.symbols(f"x0:{n}"))
    e_vals = {elementary_symbol(j): elementary(xs, j) for j in range(1, 9)}
    p_vals = {power_sum_symbol(j): sum(x**j for x in xs) for j in range(1, 9)}
    for k in range(1, 9):
        assert sp.expand(power_sum_in_elementary(k).xreplace(e_vals) - p_vals[power_sum_symbol(k)]) == 0
        assert sp.expand(power_sum_in_elementary(k, nvars=n).xreplace(e_vals) - p_vals[power_sum_symbol(k)]) == 0
        assert sp.expand(elementary_in_power_sums(k).xreplace(p_vals) - e_vals[elementary_symbol(k)]) == 0


def test_newton_girard_inverse_maps() -> None:
    for k in range(1, 9):
        composed = power_sum_in_elementary(k).xreplace(
            {elementary_symbol(j): elementary_in_power_sums(j) for j in range(1, k + 1)}
        )
        assert sp.expand(composed) == power_sum_symbol(k)


def test_newton_girard_against_sympy_symmetrize() -> None:
    # Independent check: sympy's own symmetrize writes p_4 in the elementary polynomials of 4 variables.
    xs = sp.symbols("x0:4")
    sym, remainder, defs = sp.polys.polyfuncs.symmetrize(sum(x**4 for x in xs), *xs, formal=True)
    assert remainder == 0
    mine = power_sum_in_elementary(4, nvars=4).xreplace({elementary_symbol(j): s for j, (s, _) in enumerate(defs, 1)})
    assert sp.expand(mine - sym) == 0


def test_fundamental_theorem_example() -> None:
    (x1, y1), (x2, y2) = objs = make_objects(2, 2)
    poly = x1 * y1 * (x2**2 + y2) + x2 * y2 * (x1**2 + y1)
    expr = power_sum_expression(poly, objs)
    assert expr.atoms(sp.Function) <= {power_sum(e) for e in [(1, 1), (2, 0), (0, 1), (3, 1), (1, 2)]}
    assert expand_power_sums(expr, objs) == sp.expand(poly)


def test_not_symmetric_raises() -> None:
    (x1,), (x2,), (x3,) = objs = make_objects(3, 1)
    with pytest.raises(InputError, match="not symmetric"):
        power_sum_expression(x1**2 + x2, objs)
    # Invariant under the swap (0 1) but not under the cycle.
    with pytest.raises(InputError, match="cycling"):
        power_sum_expression(x1 + x2, objs)
    with pytest.raises(InputError, match="polynomial"):
        power_sum_expression(sp.exp(x1 + x2 + x3), objs)
    with pytest.raises(InputError, match="same positive length"):
        power_sum_expression(x1, [(x1,), (x2, x3)])


def test_symbolic_coefficients_are_allowed() -> None:
    (x1,), (x2,) = objs = make_objects(2, 1)
    a = sp.Symbol("a")
    expr = power_sum_expression(a * x1 * x2 + x1 + x2, objs)
    assert expand_power_sums(expr, objs) == sp.expand(a * x1 * x2 + x1 + x2)


@st.composite
def symmetric_polynomials(draw: st.DrawFn) -> tuple[sp.Expr, list[tuple[sp.Symbol, ...]]]:
    d = draw(st.integers(1, 4))
    m = draw(st.integers(1, 3))
    objs = make_objects(d, m)
    flat = [s for o in objs for s in o]
    n_terms = draw(st.integers(1, 3))
    seed = sp.S.Zero
    for _ in range(n_terms):
        degree = draw(st.integers(0, 5))
        exps = draw(st.lists(st.integers(0, len(flat) - 1), min_size=degree, max_size=degree))
        coeff = draw(st.integers(-5, 5).filter(bool))
        seed += coeff * sp.Mul(*(flat[i] for i in exps))
    # Symmetrise over all permutations of the objects (d <= 4: at most 24).
    poly = sp.S.Zero
    for perm in itertools.permutations(range(d)):
        mapping = {s: objs[perm[i]][a] for i, o in enumerate(objs) for a, s in enumerate(o)}
        poly += seed.xreplace(mapping)
    return sp.expand(poly), objs


@given(symmetric_polynomials())
def test_round_trip_through_power_sums(case: tuple[sp.Expr, list[tuple[sp.Symbol, ...]]]) -> None:
    poly, objs = case
    expr = power_sum_expression(poly, objs)
    assert expand_power_sums(expr, objs) == poly


@given(symmetric_polynomials())
def test_round_trip_through_tensor_moments(case: tuple[sp.Expr, list[tuple[sp.Symbol, ...]]]) -> None:
    # Thm 1: the same polynomial in p_1..p_d only (entries p(f) with |f| <= d).
    poly, objs = case
    d = len(objs)
    expr = moment_expression(poly, objs)
    orders = {sum(int(a) for a in f.args) for f in expr.atoms(sp.Function)}
    assert orders <= set(range(1, d + 1))
    back = expr.xreplace({f: power_sum(f.args) / d for f in expr.atoms(sp.Function)})
    assert expand_power_sums(back, objs) == poly


@pytest.mark.parametrize(("d", "m"), [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2)])
def test_high_moments_reduce_to_first_d(d: int, m: int) -> None:
    objs = make_objects(d, m)
    for k in (d + 1, d + 2):
        for e, expr in reduce_tensor_moment(k, d, m).items():
            orders = {sum(int(a) for a in f.args) for f in expr.atoms(sp.Function)}
            assert orders <= set(range(1, d + 1))
            as_sums = expr.xreplace({f: power_sum(f.args) / d for f in expr.atoms(sp.Function)})
            assert expand_power_sums(as_sums, objs) == sp.expand(expand_power_sums(power_sum(e), objs) / d)


def test_reduce_power_sum_small_orders_unchanged() -> None:
    assert reduce_power_sum([1, 1], 3) == power_sum((1, 1))
    with pytest.raises(InputError, match="non-zero"):
        reduce_power_sum([0, 0], 2)


def test_tensor_moment_entries_are_normalised_power_sums() -> None:
    objs = make_objects(3, 2)
    p3 = tensor_moment(objs, 3)
    assert p3.shape == (2, 2, 2)
    for idx in itertools.product(range(2), repeat=3):
        e = [idx.count(a) for a in range(2)]
        assert p3[idx] == sp.expand(expand_power_sums(power_sum(e), objs) / 3)
    assert moment((1, 2)) != power_sum((1, 2))
