r"""The result type of every bound calculator, and the one evaluator behind all of them.

A calculator in :mod:`unicomp.theory.bounds` or :mod:`unicomp.theory.scaling` holds its statement as a
single sympy expression.  :func:`evaluate` turns that expression into numbers in one of three ways, and
never from a second, hand-typed copy of the formula:

* float64, vectorised over broadcast numpy arrays (``sympy.lambdify``).  Where float64 cannot carry the
  computation -- an argument beyond its range (an exact integer above 1.8e308), or an intermediate step
  that overflows or underflows although the result is modest (:math:`171!` inside
  :math:`(171!\, N)^{1/171}`) -- the same expression is enclosed in interval arithmetic at growing precision
  (mpmath's exponent range is unbounded) and the float64 value is read from the enclosure;
* exact integers for threshold results (``floor`` of an exact rational, evaluated by sympy);
* ``certified=True``: an :mod:`mpmath.iv` interval that encloses the exact value, obtained by walking the
  expression with every symbol bound to the interval of its exact argument, at :data:`CERTIFIED_DPS` digits
  or more where the arguments need it.

Arguments are read exactly: integers as integers (of any size), a ``float`` as the decimal it prints as
(``0.68`` is :math:`17/25`), :class:`fractions.Fraction`, :class:`decimal.Decimal` and sympy rationals as
themselves.  The exact value of a result is therefore ``formula.subs(arguments)``, and the float and
interval values are evaluations of that one number.  Domain conditions are decided on the exact arguments.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from numpy.typing import NDArray

from unicomp.errors import InputError, PrecisionError
from unicomp.theory._symbols import BY_ARGUMENT

__all__ = [
    "CERTIFIED_DPS",
    "EXACT_FACTORIAL_MAX",
    "MAX_DIGITS",
    "Arguments",
    "BoundResult",
    "Statement",
    "as_exact",
    "as_fraction",
    "evaluate",
    "int_array",
    "interval_value",
]

#: Working precision (decimal digits) of certified interval evaluations (raised where the arguments need it).
CERTIFIED_DPS = 40
#: Precisions tried in turn when float64 cannot evaluate a formula, from :data:`CERTIFIED_DPS` up by factors
#: of 3: the first enclosure narrower than a float64 ulp gives the value.
_FALLBACK_TRIES = 4
#: Relative width below which an enclosure pins down its float64 value (a quarter of float64's 2**-52 ulp).
_FLOAT_WIDTH = mpmath.mpf(2) ** -54
#: Absolute width below which an enclosure of a value near zero fixes its float64 rounding (half the smallest
#: subnormal), e.g. for a result that is exactly zero.
_SUBNORMAL_STEP = mpmath.mpf(2) ** -1075
#: Relative width a certified enclosure aims for (ten digits short of :data:`CERTIFIED_DPS`).
_CERTIFIED_WIDTH = mpmath.mpf(10) ** (10 - CERTIFIED_DPS)
#: Beyond this float64 rounds to infinity (the largest float plus half an ulp).
_FLOAT_MAX = mpmath.mpf(np.finfo(np.float64).max) * (1 + mpmath.mpf(2) ** -54)
#: Whether numpy's longdouble carries more digits than float64 (x86 extended or quad precision); where it does
#: not, every float64 value is read from an enclosure.
_EXTENDED = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant
#: Largest relative gap between the float64 and the extended evaluation accepted as float64 accuracy:
#: 2**-45 is 128 float64 ulps, i.e. a float64 result that lost at most 7 bits to cancellation.
_AGREE = 2.0**-45
#: Largest n whose factorial :meth:`BoundResult.exact` lets sympy compute (a fraction of a second).
EXACT_FACTORIAL_MAX = 10**5
#: Arguments are exact rationals with numerator and denominator below 10**MAX_DIGITS: beyond that an
#: enclosure such as exp(-k log t) at k = 10**MAX_DIGITS already takes about a second.
MAX_DIGITS = 1000
_MAX_BITS = int(MAX_DIGITS * 3.3219280948873626)  # log2(10) bits per decimal digit
_WHAT = "a real number (int, float, Fraction, Decimal or sympy Rational)"


def as_fraction(value: Any, name: str) -> Fraction:
    """Read one scalar argument exactly (a float as the decimal it prints as).

    Raises
    ------
    InputError
        Naming ``name`` for a bool, NaN, infinity, an irrational or symbolic sympy value, a numerator or
        denominator of :data:`MAX_DIGITS` digits or more, or anything that is not a real number.
    """
    q = _read_fraction(value, name)
    if max(q.numerator.bit_length(), q.denominator.bit_length()) > _MAX_BITS:
        raise InputError(
            f"{name} must have a numerator and denominator below 10**{MAX_DIGITS}, got {_show(value)}"
        )
    return q


def _read_fraction(value: Any, name: str) -> Fraction:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        raise InputError(f"{name} must be {_WHAT}, got the bool {value!r}")
    if isinstance(value, int | Fraction):
        return Fraction(value)
    if isinstance(value, float | Decimal):
        if not np.isfinite(float(value)) or (isinstance(value, Decimal) and not value.is_finite()):
            raise InputError(f"{name} must be finite, got {value!r}")
        return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    if isinstance(value, sp.Basic) and value.is_number:
        if value.is_Rational:
            return Fraction(int(value.p), int(value.q))
        if value.is_Float and value.is_finite:
            return Fraction(str(value))
        if value.is_finite is False or value is sp.nan:
            raise InputError(f"{name} must be finite, got {value}")
        raise InputError(f"{name} must be {_WHAT}, got the irrational or complex {value}")
    raise InputError(f"{name} must be {_WHAT}, got {_show(value)} of type {type(value).__name__}")


def as_exact(value: Any, name: str) -> sp.Rational:
    """Read one scalar argument as an exact sympy rational (see :func:`as_fraction`)."""
    q = as_fraction(value, name)
    return sp.Rational(q.numerator, q.denominator)


def _show(value: Any) -> str:
    """A short printable form of an argument, safe for integers with thousands of digits."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int | Fraction) and max(value.numerator.bit_length(), value.denominator.bit_length()) > 200:
        with mpmath.workdps(20):
            return f"{type(value).__name__} ~ {mpmath.nstr(mpmath.mpf(value.numerator) / value.denominator, 6)}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _to_float(q: Fraction) -> float:
    """``float(q)``, with overflow giving a signed infinity instead of raising."""
    try:
        return float(q)
    except OverflowError:
        return float("inf") if q > 0 else float("-inf")


def _to_longdouble(q: Fraction) -> np.longdouble:
    """``q`` rounded to numpy's longdouble (numerator and denominator parsed from their decimal digits)."""
    if max(q.numerator.bit_length(), q.denominator.bit_length()) > 14000:
        # beyond x86's extended range (and Python's int-to-str limit); float64 cannot hold it either, so the
        # extended value of such an entry is never read
        return np.longdouble(1)
    return np.longdouble(str(q.numerator)) / np.longdouble(str(q.denominator))


def _as_array(function: str, name: str, value: Any) -> NDArray[Any]:
    """One argument as an ndarray (object dtype for exact types), without converting its numbers."""
    if isinstance(value, str | bytes):
        raise InputError(f"{function}: {name} must be {_WHAT} or an array of them, got the string {value!r}")
    try:
        arr = np.asarray(value, dtype=object) if isinstance(value, Fraction | Decimal | sp.Basic) else np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InputError(f"{function}: {name} must be {_WHAT} or an array of them ({exc})") from None
    if arr.size == 0:
        raise InputError(f"{function}: {name} must not be empty, got shape {arr.shape}")
    if arr.dtype != object and not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise InputError(f"{function}: {name} must be real numbers, got dtype {arr.dtype}")
    return arr


class Arguments:
    """Validated, broadcast arguments of one calculator call.

    Parameters
    ----------
    function : str
        Name of the calculator, used in error messages.
    symbols : mapping, optional
        Argument name -> the formula symbol it stands for, where that is not ``BY_ARGUMENT[name]``
        (``ball_error``'s ``diameter`` is the symbol ``r``).
    **values : scalar or array_like
        The arguments by the names the user passed them; arrays broadcast against each other.

    Attributes
    ----------
    exact : dict of str to ndarray of fractions.Fraction
        The arguments read exactly (object arrays of the broadcast shape); domain conditions use these.
    float : dict of str to ndarray of float64
        The same rounded to float64 (``inf`` or ``0`` where float64 cannot hold the exact value).
    extended : dict of str to ndarray of longdouble
        The same rounded to numpy's longdouble, to check the float64 evaluation.
    symbols : dict of str to sympy.Symbol
        The symbol each argument stands for in the formulas.
    """

    def __init__(self, function: str, /, *, symbols: Mapping[str, sp.Symbol] | None = None, **values: Any) -> None:
        self.function = function
        renamed = dict(symbols or {})
        self.symbols: dict[str, sp.Symbol] = {n: renamed[n] if n in renamed else BY_ARGUMENT[n] for n in values}
        raw = {name: _as_array(function, name, value) for name, value in values.items()}
        try:
            shaped = np.broadcast_arrays(*raw.values())
        except ValueError:
            shapes = ", ".join(f"{n}: {a.shape}" for n, a in raw.items())
            raise InputError(f"{function}: argument shapes do not broadcast ({shapes})") from None
        self.shape: tuple[int, ...] = shaped[0].shape if shaped else ()
        self.raw = dict(zip(raw, shaped, strict=True))
        self.exact: dict[str, NDArray[Any]] = {}
        for name, arr in self.raw.items():
            exact = np.empty(arr.size, dtype=object)
            exact[:] = [as_fraction(v, f"{function}: {name}") for v in arr.ravel()]
            self.exact[name] = exact.reshape(arr.shape)
        self.float: dict[str, NDArray[np.float64]] = {
            name: np.vectorize(_to_float, otypes=[np.float64])(arr) for name, arr in self.exact.items()
        }
        self.extended: dict[str, NDArray[np.longdouble]] = {
            name: np.vectorize(_to_longdouble, otypes=[np.longdouble])(arr) for name, arr in self.exact.items()
        }
        #: Where every argument is held by float64 (finite, and zero only if exactly zero).
        self.representable: NDArray[np.bool_] = np.ones(self.shape, dtype=bool)
        for name, arr in self.float.items():
            self.representable &= np.isfinite(arr) & ((arr != 0) | (self.exact[name] == 0).astype(bool))

    def require(self, ok: Any, condition: str) -> None:
        """Raise :class:`InputError` naming ``condition`` unless ``ok`` holds everywhere."""
        ok_arr = np.broadcast_to(np.asarray(ok, dtype=bool), self.shape)
        if not np.all(ok_arr):
            idx = tuple(int(i) for i in np.argwhere(~ok_arr)[0]) if ok_arr.ndim else ()
            at = ", ".join(f"{n}={_show(self.raw[n][idx])}" for n in self.raw)
            where = f" at index {idx}" if idx else ""
            raise InputError(f"{self.function}: requires {condition}; violated{where} ({at})")

    def integer(self, *names: str) -> None:
        """Require the named arguments to be whole numbers."""
        for name in names:
            ok = np.vectorize(lambda q: q.denominator == 1, otypes=[bool])(self.exact[name])
            self.require(ok, f"{name} to be an integer")

    def sympy(self, name: str) -> Any:
        """The argument as sympy rationals (a scalar for scalar calls, else an object ndarray)."""
        out = np.vectorize(lambda q: sp.Rational(q.numerator, q.denominator), otypes=[object])(self.exact[name])
        return out[()] if self.shape == () else out


@lru_cache(maxsize=256)
def _lambdified(formula: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> Callable[..., Any]:
    return sp.lambdify(symbols, formula, modules=["scipy", "numpy"])


def _iv(expr: sp.Basic, env: Mapping[sp.Symbol, Any]) -> Any:
    """Interval enclosure of ``expr`` (+ * ** exp log factorial, e, pi, rationals; symbols from ``env``)."""
    iv = mpmath.iv
    if expr in env:
        return env[expr]
    if expr.is_Integer:
        return iv.mpf(int(expr))
    if expr.is_Rational:
        return iv.mpf(int(expr.p)) / iv.mpf(int(expr.q))
    if expr is sp.E:
        return iv.e
    if expr is sp.pi:
        return iv.pi
    if isinstance(expr, sp.Add):
        total = iv.mpf(0)
        for term in expr.args:
            total = total + _iv(term, env)
        return total
    if isinstance(expr, sp.Mul):
        prod = iv.mpf(1)
        for factor in expr.args:
            prod = prod * _iv(factor, env)
        return prod
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent.is_Integer:
            n = int(exponent)
            power = _iv(base, env) ** abs(n)
            return 1 / power if n < 0 else power
        if exponent == sp.S.Half:
            return iv.sqrt(_iv(base, env))
        b, e = _iv(base, env), _iv(exponent, env)
        if b.a == 0 and b.b == 0 and e.a > 0:
            return iv.mpf(0)
        return iv.exp(e * iv.log(b))
    if isinstance(expr, sp.exp):
        return iv.exp(_iv(expr.args[0], env))
    if isinstance(expr, sp.log):
        return iv.log(_iv(expr.args[0], env))
    if isinstance(expr, sp.factorial):
        return iv.factorial(_iv(expr.args[0], env))
    raise InputError(f"cannot enclose {expr} in interval arithmetic (unsupported operation {expr.func})")


def interval_value(
    expr: sp.Expr, dps: int = CERTIFIED_DPS, env: Mapping[sp.Symbol, Fraction | sp.Rational] | None = None
) -> Any:
    """Enclose ``expr``, with the symbols of ``env`` bound to exact rationals, in an :class:`mpmath.iv`
    interval at ``dps`` digits."""
    old = mpmath.iv.prec
    try:
        mpmath.iv.dps = dps
        bound = {s: mpmath.iv.mpf(int(q.numerator)) / mpmath.iv.mpf(int(q.denominator)) for s, q in (env or {}).items()}
        return _iv(expr, bound)
    finally:
        mpmath.iv.prec = old


def _certified_enclosure(expr: sp.Expr, env: Mapping[sp.Symbol, Fraction]) -> Any:
    """An enclosure of ``expr`` at ``env`` of relative width :data:`_CERTIFIED_WIDTH`, or the narrowest found.

    The precision starts at :data:`CERTIFIED_DPS` digits and triples up to :data:`_FALLBACK_TRIES` times: an
    argument such as :math:`m = 10^{400}` in :math:`x^{1/m} - 1` needs 400 digits before any is significant.
    Every interval returned encloses the exact value; only its width depends on the precision reached.
    """
    dps = CERTIFIED_DPS
    for _ in range(_FALLBACK_TRIES):
        box = interval_value(expr, dps, env)
        with mpmath.workdps(dps):
            lo, hi = mpmath.mpf(box.a), mpmath.mpf(box.b)
            if mpmath.isfinite(lo) and mpmath.isfinite(hi) and hi - lo <= _CERTIFIED_WIDTH * max(abs(lo), abs(hi)):
                break
        dps *= 3
    return box


def _float_from_enclosure(expr: sp.Expr, env: Mapping[sp.Symbol, Fraction]) -> float:
    """float64 value of ``expr`` at ``env``, read from an enclosure narrow enough to fix it.

    Raises
    ------
    PrecisionError
        If no enclosure within :data:`_FALLBACK_TRIES` precision steps fixes the float64 value.

    Notes
    -----
    The precision starts at :data:`CERTIFIED_DPS` digits and triples at each step, so an argument of
    :math:`10^{400}` in :math:`x^{1/m} - 1` is resolved at the fourth step (1080 digits).
    """
    dps = CERTIFIED_DPS
    for _ in range(_FALLBACK_TRIES):
        box = interval_value(expr, dps, env)
        with mpmath.workdps(dps):
            lo, hi = mpmath.mpf(box.a), mpmath.mpf(box.b)
            # wholly beyond float64's range: its rounding is then fixed however wide the enclosure
            if lo > _FLOAT_MAX or hi < -_FLOAT_MAX:
                return math.copysign(math.inf, lo)
            if -_SUBNORMAL_STEP <= lo and hi <= _SUBNORMAL_STEP:
                return 0.0
            if mpmath.isfinite(lo) and mpmath.isfinite(hi):
                width = hi - lo
                if width <= _FLOAT_WIDTH * max(abs(lo), abs(hi)) or width <= _SUBNORMAL_STEP:
                    return float((lo + hi) / 2)
        dps *= 3
    raise PrecisionError(f"cannot pin down the float64 value of {expr} at {dps // 3} digits; use certified=True")


def evaluate(
    formula: sp.Expr,
    symbols: Mapping[str, sp.Symbol],
    args: Arguments,
    *,
    certified: bool = False,
    integer: bool = False,
) -> Any:
    """Evaluate ``formula`` at ``args`` (argument name -> the symbol standing for it in the formula).

    Returns a Python float/int (scalar arguments), an ndarray (array arguments), or with ``certified``
    an :class:`mpmath.iv` interval (object ndarray of intervals for arrays).  ``integer`` results are
    computed exactly by sympy (they are thresholds such as a minimum degree) and returned as ints
    (an int64 array, or an object array of Python ints where one exceeds int64).
    """
    names = list(symbols)

    def env(idx: tuple[int, ...]) -> dict[sp.Symbol, Fraction]:
        return {symbols[n]: args.exact[n][idx] for n in names}

    if integer or certified:
        out = np.empty(args.shape, dtype=object)
        for idx in np.ndindex(*args.shape):
            if integer:
                exact = formula.subs({s: sp.Rational(q.numerator, q.denominator) for s, q in env(idx).items()})
                out[idx] = int(exact)
            else:
                out[idx] = _certified_enclosure(formula, env(idx))
        if args.shape == ():
            return out[()]
        return int_array(out) if integer else out
    fn = _lambdified(formula, tuple(symbols[n] for n in names))
    ok = args.representable.copy()
    # Entries float64 cannot hold get a harmless stand-in here and are enclosed below.
    inputs = [np.where(ok, args.float[n], 1.0) for n in names]
    try:
        with np.errstate(all="raise"):
            value = np.broadcast_to(np.asarray(fn(*inputs), dtype=np.float64), args.shape).copy()
            # The same formula in extended precision from the exact arguments: where the two disagree, the
            # float64 value lost digits (cancellation in x**(1/m) - 1, 1 - t, or an exactly zero result).
            extended = [np.where(ok, args.extended[n], 1) for n in names] if _EXTENDED else None
            check = np.asarray(fn(*extended), dtype=np.longdouble) if extended else None
    except (FloatingPointError, OverflowError, ZeroDivisionError, TypeError):
        value, check = np.zeros(args.shape), None
        ok[...] = False
    if check is None:
        ok[...] = False
    else:
        ok &= np.abs(value - check) <= _AGREE * np.abs(check)
    # A zero, subnormal or non-finite result may be an intermediate overflow or underflow: recheck it.
    ok &= np.isfinite(value) & (np.abs(value) >= np.finfo(np.float64).tiny)
    for row in np.argwhere(~ok):
        idx = tuple(int(i) for i in row)
        value[idx] = _float_from_enclosure(formula, env(idx))
    return float(value) if args.shape == () else value


def int_array(values: NDArray[Any]) -> NDArray[Any]:
    """Python ints as an int64 array, or as an object array where one does not fit in int64."""
    info = np.iinfo(np.int64)
    if all(info.min <= int(v) <= info.max for v in values.ravel()):
        return values.astype(np.int64)
    return values


@dataclass(frozen=True)
class BoundResult:
    """What a bound calculator returns: the value and the statement it was computed from.

    Attributes
    ----------
    name : str
        The calculator (e.g. ``"packing_diameter"``).
    value : float, int, ndarray or mpmath interval
        The formula evaluated at the arguments (shape of the broadcast arguments).
    formula : sympy.Expr
        The one expression ``value`` was evaluated from.
    arguments : dict
        Formula symbol -> exact argument (a sympy rational, or an object ndarray of them).
    assumptions : tuple of str
        The hypotheses under which the statement holds.
    rigorous : bool
        ``True``: a bound with explicit constants.  ``False``: an asymptotic statement; the value is
        the expression inside the O (or Omega, Theta) with its unknown constant set to one.
    reference : str
        Where the statement comes from in the paper (v2 numbering).
    certified : bool
        Whether ``value`` is an interval enclosure.
    note : str
        Anything else a user must know to read the value correctly.
    """

    name: str
    value: Any
    formula: sp.Expr
    arguments: dict[sp.Symbol, Any] = field(repr=False)
    assumptions: tuple[str, ...]
    rigorous: bool
    reference: str
    certified: bool = False
    note: str = ""

    @property
    def kind(self) -> str:
        """``"rigorous"`` (explicit constants) or ``"asymptotic"`` (an unknown O-constant)."""
        return "rigorous" if self.rigorous else "asymptotic"

    def exact(self) -> Any:
        """The exact value ``formula.subs(arguments)`` (object ndarray of sympy numbers for arrays).

        Raises
        ------
        InputError
            If the formula holds a factorial of an argument above ``EXACT_FACTORIAL_MAX`` (:math:`10^5`) (sympy would
            compute it digit by digit; ``value`` and ``certified=True`` do not need it).
        """
        keys = list(self.arguments)
        arrays = np.broadcast_arrays(*(np.asarray(self.arguments[s], dtype=object) for s in keys))
        out = np.empty(arrays[0].shape, dtype=object)
        for idx in np.ndindex(*out.shape):
            at = {s: a[idx] for s, a in zip(keys, arrays, strict=True)}
            for node in self.formula.atoms(sp.factorial):
                if node.args[0].subs(at) > EXACT_FACTORIAL_MAX:
                    raise InputError(
                        f"{self.name}: the exact value needs {node} above {EXACT_FACTORIAL_MAX}!; "
                        "use .value or certified=True"
                    )
            out[idx] = self.formula.subs(at)
        return out[()] if out.shape == () else out

    def latex(self) -> str:
        """The formula in LaTeX."""
        return sp.latex(self.formula)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (intervals as ``[lower, upper]`` strings)."""

        def plain(v: Any) -> Any:
            if isinstance(v, np.ndarray):
                return [plain(x) for x in v.tolist()] if v.dtype != object else [plain(x) for x in v]
            if isinstance(v, mpmath.ctx_iv.ivmpf):
                return [mpmath.nstr(v.a, 20), mpmath.nstr(v.b, 20)]
            if isinstance(v, sp.Basic):
                return str(v)
            return v

        return {
            "name": self.name,
            "value": plain(self.value),
            "formula": str(self.formula),
            "latex": self.latex(),
            "arguments": {str(s): plain(v) for s, v in self.arguments.items()},
            "assumptions": list(self.assumptions),
            "kind": self.kind,
            "reference": self.reference,
            "certified": self.certified,
            "note": self.note,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=2)

    def __str__(self) -> str:
        qualifier = "" if self.rigorous else " (asymptotic: unknown O-constant set to 1)"
        return f"{self.name} = {self.value}{qualifier}\n  formula: {self.formula}\n  [{self.reference}]"


@dataclass(frozen=True)
class Statement:
    """What a calculator states, apart from its formula: source, hypotheses, rigour.

    Attributes
    ----------
    reference : str
        Where in the paper (v2 numbering).
    assumptions : tuple of str
        Hypotheses of the statement.
    rigorous : bool
        Explicit constants (``True``) or an asymptotic statement with an unknown constant.
    note : str
        How to read the value.
    integer : bool
        The value is an exact integer threshold (``floor`` of the formula).
    """

    reference: str
    assumptions: tuple[str, ...]
    rigorous: bool = False
    note: str = ""
    integer: bool = False

    def result(self, name: str, formula: sp.Expr, args: Arguments, certified: bool = False) -> BoundResult:
        """Evaluate ``formula`` at ``args`` (each argument stands for its symbol in ``args.symbols``)."""
        value = evaluate(formula, args.symbols, args, certified=certified, integer=self.integer)
        arguments = {args.symbols[n]: args.sympy(n) for n in args.symbols}
        return BoundResult(
            name=name,
            value=value,
            formula=formula,
            arguments=arguments,
            assumptions=self.assumptions,
            rigorous=self.rigorous,
            reference=self.reference,
            certified=certified and not self.integer,
            note=self.note,
        )
