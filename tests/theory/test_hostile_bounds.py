"""Hostile input against every bound calculator: each case is a verified value or a clear error naming the argument.

Every public calculator of :mod:`unicomp.theory.bounds` (the scaling corollaries included) and
:func:`~unicomp.theory.taylor.taylor_remainder` is called with one argument of an in-domain call replaced by each
value of :data:`HOSTILE` (NaN/inf, negative, zero, bool, str, None, complex, numpy scalars and arrays, Fraction,
Decimal, sympy numbers, huge integers), in float and in ``certified`` mode.  A case passes if

* it raises :class:`~unicomp.errors.InputError` or :class:`TypeError` whose message names the replaced argument
  before any list of the call's values, or
* it returns a value that agrees with an mpmath evaluation of the result's own formula at the exact arguments
  (60 digits; an independent code path: ``sympy.lambdify`` to mpmath, not the package's interval walk), an
  enclosure that contains it, or an integer threshold with its defining property checked exactly;

and in either case the inputs are not mutated, mpmath's precision is restored and a second call gives a
bitwise-equal result.
"""

from __future__ import annotations

import copy
import functools
import math
import re
import time
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp

from unicomp.errors import InputError
from unicomp.theory import bounds
from unicomp.theory._results import BoundResult
from unicomp.theory.taylor import taylor_remainder

# One in-domain call of each public calculator (modest values), the argument under attack replaced below.
BASE: dict[str, tuple[Callable[..., BoundResult], dict[str, Any]]] = {
    "packing_diameter": (bounds.packing_diameter, {"d": 10_000, "n": 11, "m": 3, "radius": 1.5}),
    "ball_error": (
        bounds.ball_error,
        {"d": 200, "diameter": 0.05, "k": 4, "m": 2, "rho": 1.0, "bound": 3.0, "lipschitz": 2.0},
    ),
    "rate_error": (bounds.rate_error, {"d": 64_000, "d_prime": 6_400, "k": 5, "m": 3}),
    "rate_size": (bounds.rate_size, {"d": 1e5, "eps": 1e-3, "k": 6, "m": 3}),
    "rate_exponent": (bounds.rate_exponent, {"k": 6, "m": 3, "sigma": 0.5}),
    "rate_min_degree": (bounds.rate_min_degree, {"m": 3, "sigma": 0.5}),
    "polylog_degree": (bounds.polylog_degree, {"n": 5000, "m": 2, "rho": 0.7}),
    "polylog_error": (bounds.polylog_error, {"d": 1e6, "d_prime": 2000, "m": 2, "rho": 0.7}),
    "polylog_size": (bounds.polylog_size, {"d": 1e6, "eps": 1e-9, "m": 2, "rho": 0.7}),
    "lower_bound": (bounds.lower_bound, {"d": 1e5, "d_prime": 300, "m": 2, "a": 0.5, "b": 2.0}),
    "lower_bound_size": (bounds.lower_bound_size, {"d": 1e5, "eps": 1e-8, "m": 3, "a": 0.5, "b": 2.0}),
    "lower_bound_degree": (bounds.lower_bound_degree, {"d_prime": 300, "m": 2}),
    "boost_min_degree": (bounds.boost_min_degree, {"m": 3, "sigma": 0.5, "alpha": 0.68}),
    "boosted_exponent": (bounds.boosted_exponent, {"alpha": 0.683, "sigma": 0.5}),
    "compressed_scaling_law": (
        bounds.compressed_scaling_law,
        {"d_prime": 300.0, "loss_floor": 0.01, "d0": 5.0, "alpha": 0.7, "sigma": 0.5},
    ),
    "stretched_exponential": (
        bounds.stretched_exponential,
        {"d_prime": 400.0, "m": 2, "rate": 0.3, "loss_floor": 0.02},
    ),
    "taylor_remainder": (taylor_remainder, {"radius": 0.2, "k": 5, "m": 2, "rho": 1.0, "bound": 4.0}),
}


def test_every_public_calculator_is_attacked() -> None:
    public = {n for n in bounds.__all__ if n[0].islower() and callable(getattr(bounds, n))} | {"taylor_remainder"}
    assert public == set(BASE)


# The attack values, by family.  Lists and arrays are built fresh for each case (see ``fresh``).
HOSTILE: dict[str, Any] = {
    "nan": float("nan"),
    "inf": float("inf"),
    "-inf": float("-inf"),
    "np.nan32": np.float32("nan"),
    "-1": -1,
    "-1.5": -1.5,
    "-tiny": -5e-324,
    "0": 0,
    "0.0": 0.0,
    "-0.0": -0.0,
    "subnormal": 5e-324,
    "half": 0.5,
    "two": 2,
    "True": True,
    "False": False,
    "np.True_": np.bool_(True),
    "str": "3",
    "bytes": b"3",
    "None": None,
    "complex": 2 + 0j,
    "np.complex": np.complex128(1 + 1j),
    "np.float16": np.float16(2.5),
    "np.float32": np.float32(3.0),
    "np.int8": np.int8(3),
    "np.uint64": np.uint64(7),
    "np.longdouble": np.longdouble(2),
    "0-d": np.array(4.0),
    "1-d": np.array([2.0, 3.0]),
    "2-d column": np.array([[3], [4]]),
    "empty": np.array([]),
    "list": [3, 4],
    "ragged": [[1], [1, 2]],
    "bool array": np.array([True, False]),
    "object array": np.array([Fraction(7, 2), 3], dtype=object),
    "Fraction": Fraction(7, 2),
    "Fraction 1/3": Fraction(1, 3),
    "Fraction tiny": Fraction(1, 10**400),
    "Decimal": Decimal("2.5"),
    "Decimal nan": Decimal("NaN"),
    "sp.Integer": sp.Integer(3),
    "sp.Rational": sp.Rational(7, 3),
    "sp.Float": sp.Float("0.25"),
    "sp.pi": sp.pi,
    "sp.oo": sp.oo,
    "sp.nan": sp.nan,
    "sp.Symbol": sp.Symbol("x"),
    "sp.I": sp.I,
    "2**64": 2**64,
    "1e20 int": 10**20,
    "1e400 int": 10**400,
    "-1e400 int": -(10**400),
    "1e5000 int": 10**5000,
    "1e300": 1e300,
    "dict": {"a": 1},
    "object": object(),
}


def fresh(value: Any) -> Any:
    """A copy of an attack value, so no case sees another's (possibly mutated) input."""
    return copy.deepcopy(value) if isinstance(value, list | np.ndarray | dict) else value


#: The attack values that are real numbers (possibly out of domain): these also run with ``certified=True``
#: (the others are rejected while the arguments are read, before the mode matters).
NUMERIC = {
    "-1", "-1.5", "0", "0.0", "-0.0", "subnormal", "half", "two", "np.float16", "np.float32", "np.int8",
    "np.uint64", "np.longdouble", "0-d", "1-d", "2-d column", "list", "object array", "Fraction", "Fraction 1/3",
    "Fraction tiny", "Decimal", "sp.Integer", "sp.Rational", "sp.Float", "2**64", "1e20 int", "1e400 int",
    "-1e400 int", "1e300",
}
CASES = [
    pytest.param(name, arg, key, certified, id=f"{name}-{arg}={key}" + ("-certified" if certified else ""))
    for name, (fn, base) in BASE.items()
    for arg in base
    for key in HOSTILE
    for certified in ((False, True) if key in NUMERIC and "certified" in fn.__code__.co_varnames else (False,))
]


def to_mpf(q: Any) -> mpmath.mpf:
    return mpmath.mpf(int(q.p)) / int(q.q)


def reference(res: BoundResult, idx: tuple[int, ...]) -> mpmath.mpf:
    """The result's formula at its exact arguments (entry ``idx``), evaluated by mpmath at the working precision."""
    symbols = list(res.arguments)
    values = [np.asarray(res.arguments[s], dtype=object) for s in symbols]
    values = np.broadcast_arrays(*values)
    return mpmath_function(res.formula, tuple(symbols))(*(to_mpf(v[idx]) for v in values))


@functools.lru_cache(maxsize=64)
def mpmath_function(formula: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> Callable[..., mpmath.mpf]:
    return sp.lambdify(symbols, formula, modules="mpmath")


def check_float(value: float, ref: mpmath.mpf) -> None:
    if abs(ref) > mpmath.mpf(np.finfo(np.float64).max):
        assert value == math.copysign(math.inf, float(ref))  # the exact value overflows float64: inf is its rounding
    elif abs(ref) < mpmath.mpf(np.finfo(np.float64).tiny):
        # subnormal range: float64 holds the value only to an absolute 2**-1074, and float() rounds it to that.
        assert abs(mpmath.mpf(value) - ref) <= mpmath.mpf(2) ** -1074
    else:
        # _results accepts a float64 value that agrees with the extended-precision evaluation to 2**-45 and
        # otherwise reads it from an enclosure (<= 1 ulp); 2**-44 adds the extended evaluation's own error.
        assert abs(mpmath.mpf(value) - ref) <= abs(ref) * mpmath.mpf(2) ** -44, (value, ref)


def check_integer(name: str, res: BoundResult, value: int, idx: tuple[int, ...]) -> None:
    args = {str(s): np.broadcast_to(np.asarray(v, dtype=object), np.shape(res.value))[idx] for s, v in
            res.arguments.items()}
    if name == "lower_bound_degree":
        m, dp = int(args["m"]), args["d'"]
        # the smallest k with C(m + k, m) > d', checked exactly on both sides
        assert math.comb(m + value, m) > dp
        assert value == 0 or math.comb(m + value - 1, m) <= dp
        return
    # floor(threshold): value <= threshold < value + 1, the threshold evaluated exactly by sympy
    threshold = res.formula.args[0].subs({s: np.broadcast_to(np.asarray(v, dtype=object), np.shape(res.value))[idx]
                                          for s, v in res.arguments.items()})
    assert value <= threshold < value + 1


def check_result(name: str, res: BoundResult, certified: bool) -> None:
    values = np.asarray(res.value, dtype=object)
    # 60 digits beyond the largest argument's (x**(1/m) - 1 with m = 10**400 starts 400 digits down)
    exact = [q for v in res.arguments.values() for q in np.asarray(v, dtype=object).ravel()]
    digits = max(max(abs(int(q.p)), int(q.q)).bit_length() for q in exact) * 0.30103
    with mpmath.workdps(60 + int(digits)):
        for idx in np.ndindex(*values.shape):
            v = values[idx]
            if isinstance(v, int | np.integer):
                check_integer(name, res, int(v), idx)
                continue
            ref = reference(res, idx)
            if certified:
                # the reference is itself rounded (60 digits beyond the arguments'): allow that slack around it
                slack = abs(ref) * mpmath.mpf(10) ** -55
                assert mpmath.mpf(v.a) - slack <= ref <= mpmath.mpf(v.b) + slack, (v, ref)
            else:
                assert isinstance(v, float | np.floating)
                check_float(float(v), ref)


def same(a: Any, b: Any) -> bool:
    a_arr, b_arr = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if a_arr.shape != b_arr.shape:
        return False
    for x, y in zip(a_arr.ravel(), b_arr.ravel(), strict=True):
        if isinstance(x, float | np.floating):
            if np.float64(x).tobytes() != np.float64(y).tobytes():
                return False
        elif isinstance(x, mpmath.ctx_iv.ivmpf):
            if (x.a, x.b) != (y.a, y.b):
                return False
        elif x != y:
            return False
    return True


def names_argument(message: str, arg: str) -> bool:
    """The argument is named in the message itself, not only in the list of the call's values."""
    head = message.split("; violated")[0]
    return re.search(rf"(?<![\w']){re.escape(arg)}(?![\w'])", head) is not None


@pytest.mark.parametrize(("name", "arg", "key", "certified"), CASES)
def test_hostile_argument(name: str, arg: str, key: str, certified: bool) -> None:
    fn, base = BASE[name]
    kwargs = {**base, arg: fresh(HOSTILE[key])}
    kept = copy.deepcopy(kwargs)
    if certified:
        kwargs["certified"] = True
    prec, iv_prec = mpmath.mp.prec, mpmath.iv.prec
    start = time.perf_counter()
    try:
        res = fn(**kwargs)
    except (InputError, TypeError) as exc:
        assert names_argument(str(exc), arg), str(exc)
        outcome: Any = type(exc)
    else:
        check_result(name, res, certified)
        outcome = res.value
    # a guard against hangs: every case is a few sympy substitutions or interval walks (well under 1 s here)
    assert time.perf_counter() - start < 5.0
    assert (mpmath.mp.prec, mpmath.iv.prec) == (prec, iv_prec)
    for k, v in kept.items():  # inputs not mutated
        if isinstance(v, np.ndarray) and v.dtype != object:
            assert kwargs[k].dtype == v.dtype and kwargs[k].tobytes() == v.tobytes()
        elif isinstance(v, list | dict | np.ndarray):
            assert np.asarray(kwargs[k], dtype=object).tolist() == np.asarray(v, dtype=object).tolist()
    if not isinstance(outcome, type):
        assert same(fn(**kwargs).value, outcome)


# The issue's reproducers (issue 12), each against the statement evaluated by hand in mpmath (written here, not
# taken from the package's formulas).
mp = mpmath.mpf
REPRODUCERS: list[tuple[Callable[[], BoundResult], Callable[[], mpmath.mpf]]] = [
    # Thm 7 corrected: rho (m! N)^(1/m) / e; 171! overflows float64 (was inf, exact 24.59)
    (
        lambda: bounds.polylog_degree(1000, 171, 1.0),
        lambda: mpmath.exp((mpmath.loggamma(172) + mpmath.log(1000)) / 171 - 1),
    ),
    # Thm 7: d d'^(1 - 1/m) exp(-k_opt(d')); exp(-k_opt) underflows (was 0.0, exact 0.0199)
    (
        lambda: bounds.polylog_error(1e6, 1e5, 200, 1.0),
        lambda: mp(10) ** 6 * mp(10) ** (5 * (1 - mp(1) / 200))
        * mpmath.exp(-mpmath.exp((mpmath.loggamma(201) + 5 * mpmath.log(10)) / 200 - 1)),
    ),
    # Lemma 1: 4R / ((d/(N-1) - 1)^(1/m) - 1) = 4 / expm1(log(2) / 1e17) (was inf)
    (lambda: bounds.packing_diameter(3, 2, 10**17, 1.0), lambda: 4 / mpmath.expm1(mpmath.log(2) / mp(10) ** 17)),
    # Thm 8: (log(A d / eps) / B)^m = log(1e312) (was inf, exact 718.4)
    (lambda: bounds.lower_bound_size(1e6, 1e-6, 1, a=1e300), lambda: 312 * mpmath.log(10)),
    # Thm 4 with arguments near float64's limit: d d'^(1 - (k+1)/m) = 1e300 * 1e299^(-1.1) (was OverflowError
    # for k = 2000, m = 1000, which is now an InputError: N_{1000,2000} > 1e299)
    (lambda: bounds.rate_error(1e300, 1e299, 20, 10), lambda: mp(10) ** 300 * mp(10) ** (-299 * mp("1.1"))),
    # exact arguments of every kind: a Fraction, a sympy Rational, an int above int64 and one above 1.8e308
    (lambda: bounds.rate_error(Fraction(1000), sp.Rational(100), 5, 2), lambda: mp("0.1")),
    (lambda: bounds.rate_error(10**20, 10**10, 5, 2), lambda: mp(1)),
    (lambda: bounds.rate_error(10**400, 10**200, 5, 2), lambda: mp(1)),
    # Thm 4 corollary at an exactly zero exponent: 1 + (5/6)(1 - 11/5) = 0 (float64 gave -2.2e-16)
    (lambda: bounds.rate_exponent(10, 5, Fraction(5, 6)), lambda: mp(0)),
    # Lemma 1 where x^(1/m) - 1 cancels in float64 (was 5.77077532e10, off in the 7th digit)
    (lambda: bounds.packing_diameter(3, 2, 10**10, 1.0), lambda: 4 / mpmath.expm1(mpmath.log(2) / mp(10) ** 10)),
]


@pytest.mark.parametrize(("call", "expected"), REPRODUCERS)
def test_issue_reproducers(call: Callable[[], BoundResult], expected: Callable[[], mpmath.mpf]) -> None:
    with mpmath.workdps(50):
        ref = expected()
        value = call().value
        assert isinstance(value, float)
        # the value is read from an enclosure or checked against extended precision: within 2**-44 (see check_float)
        assert abs(mpmath.mpf(value) - ref) <= abs(ref) * mpmath.mpf(2) ** -44


@pytest.mark.parametrize(
    ("call", "condition"),
    [
        (lambda: bounds.rate_error(Fraction(1000), 1000, 5, 2), "d_prime < d"),  # was AttributeError
        (lambda: bounds.rate_error(10**20, 10**20, 5, 2), "d_prime < d"),  # was AttributeError
        (lambda: bounds.rate_error(1e300, 1e299, 2000, 1000), "d_prime >= N_{m,k}"),  # was OverflowError
        (lambda: bounds.ball_error(10, 0.8, 3, 2, 1.0, 1.0, 1.0), "sqrt(m) * diameter < rho"),  # said r
        (lambda: bounds.ball_error(10, -0.1, 3, 2, 1.0, 1.0, 1.0), "diameter >= 0"),
        (lambda: taylor_remainder(-0.1, 3, 2, 1.0, 1.0), "radius >= 0"),  # said r
        (lambda: bounds.packing_diameter(10**5000, 11, 2, 1.0), "below 10**1000"),
    ],
)
def test_issue_errors(call: Callable[[], Any], condition: str) -> None:
    with pytest.raises(InputError) as info:
        call()
    assert condition in str(info.value)


def test_lower_bound_degree_is_direct() -> None:
    # was > 10 s (one degree at a time through sympy); the bisection makes O(log k) comparisons
    start = time.perf_counter()
    assert bounds.lower_bound_degree(10**5, 1).value == 10**5  # C(1 + k, 1) = k + 1 > 1e5 first at k = 1e5
    k = bounds.lower_bound_degree(10**300, 3).value
    assert math.comb(3 + k, 3) > 10**300 >= math.comb(2 + k, 3)
    assert time.perf_counter() - start < 2.0  # milliseconds here; 2 s leaves room for a loaded CI machine


def test_exact_integer_beyond_float64_is_read_exactly() -> None:
    # 10**400 + 1 is not 10**400: the exact argument is kept (it was rejected as "must be finite")
    res = bounds.rate_exponent(10**400 + 1, 10**400, 0.5)
    assert res.arguments[sp.Symbol("k", integer=True, nonnegative=True)] == 10**400 + 1
    assert res.exact() == 1 + sp.Rational(1, 2) * (1 - sp.Rational(10**400 + 2, 10**400))


def test_exact_value_refuses_an_astronomical_factorial() -> None:
    # the float value and the enclosure of polylog_degree at m = 10**20 come from the interval walk in
    # milliseconds; the exact value would need sympy to compute (10**20)! digit by digit
    res = bounds.polylog_degree(1000, 10**20, 1.0)
    assert math.isfinite(res.value)
    with pytest.raises(InputError, match="certified=True"):
        res.exact()
    assert bounds.polylog_degree(1000, 3, 1.0).exact() == sp.root(6000, 3) / sp.E


OPTIONS = [
    (bounds.polylog_degree, BASE["polylog_degree"][1], "form"),
    (bounds.polylog_error, BASE["polylog_error"][1], "form"),
    (bounds.polylog_size, BASE["polylog_size"][1], "form"),
    (bounds.boost_min_degree, BASE["boost_min_degree"][1], "normalization"),
]


@pytest.mark.parametrize(("fn", "base", "option"), OPTIONS)
@pytest.mark.parametrize("value", ["typo", "", "CORRECTED", None, 1, ["sum"], {"form": 1}, b"sum"])
def test_hostile_option(fn: Callable[..., BoundResult], base: dict[str, Any], option: str, value: Any) -> None:
    # a string option outside its choices (an unhashable one included) is an InputError naming the option
    with pytest.raises(InputError, match=f"{option} must be"):
        fn(**base, **{option: value})


def test_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    # a plain tensor is read like the numpy array it converts to; one that requires grad is refused by name
    res = bounds.rate_error(torch.tensor([64_000.0, 32_000.0]), 6_400, 5, 3)
    assert res.value.tolist() == [10.0, 5.0]  # d / d' exactly: 64000 / 6400 and 32000 / 6400
    with pytest.raises(InputError, match="d_prime"):
        bounds.rate_error(64_000, torch.tensor(6_400.0, requires_grad=True), 5, 3)
