r"""The result type of every bound calculator, and the one evaluator behind all of them.

A calculator in :mod:`unicomp.theory.bounds` or :mod:`unicomp.theory.scaling` holds its statement as a
single sympy expression.  :func:`evaluate` turns that expression into numbers in one of three ways, and
never from a second, hand-typed copy of the formula:

* float64, vectorised over broadcast numpy arrays (``sympy.lambdify``);
* exact integers for threshold results (``floor`` of an exact rational, evaluated by sympy);
* ``certified=True``: an :mod:`mpmath.iv` interval that encloses the exact value, obtained by walking the
  expression with the arguments substituted as exact rationals.

Arguments are read exactly: integers as integers, a ``float`` as the decimal it prints as
(``0.68`` is :math:`17/25`), :class:`fractions.Fraction` and sympy rationals as themselves.  The exact value
of a result is therefore ``formula.subs(arguments)``, and the float and interval values are evaluations of
that one number.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from numpy.typing import NDArray

from unicomp.errors import InputError
from unicomp.theory._symbols import BY_ARGUMENT

__all__ = [
    "CERTIFIED_DPS",
    "Arguments",
    "BoundResult",
    "Statement",
    "as_exact",
    "evaluate",
    "interval_value",
]

#: Working precision (decimal digits) of certified interval evaluations.
CERTIFIED_DPS = 40


def as_exact(value: Any, name: str) -> sp.Rational:
    """Read one scalar argument as an exact sympy rational (a float as the decimal it prints as)."""
    if isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be a real number, got {value!r}")
    if isinstance(value, int | np.integer):
        return sp.Integer(int(value))
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            raise InputError(f"{name} must be finite, got {value!r}")
        return sp.Rational(repr(float(value)))
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, sp.Rational):
        return value
    raise InputError(f"{name} must be a real number (int, float, Fraction or sympy Rational), got {value!r}")


class Arguments:
    """Validated, broadcast arguments of one calculator call.

    Parameters
    ----------
    function : str
        Name of the calculator, used in error messages.
    **values : scalar or array_like
        The arguments by name; arrays broadcast against each other.
    """

    def __init__(self, function: str, **values: Any) -> None:
        self.function = function
        raw: dict[str, NDArray[Any]] = {}
        for name, value in values.items():
            arr = np.asarray(value, dtype=object) if isinstance(value, Fraction | sp.Basic) else np.asarray(value)
            if arr.size == 0:
                raise InputError(f"{function}: {name} must not be empty")
            if arr.dtype != object and not (
                np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
            ):
                raise InputError(f"{function}: {name} must be real numbers, got dtype {arr.dtype}")
            raw[name] = arr
        try:
            shaped = np.broadcast_arrays(*raw.values())
        except ValueError:
            shapes = ", ".join(f"{n}: {a.shape}" for n, a in raw.items())
            raise InputError(f"{function}: argument shapes do not broadcast ({shapes})") from None
        self.shape: tuple[int, ...] = shaped[0].shape if shaped else ()
        self.raw = dict(zip(raw, shaped, strict=True))
        self.exact: dict[str, NDArray[Any]] = {}
        for name, arr in self.raw.items():
            flat = [as_exact(v.item() if isinstance(v, np.generic) else v, name) for v in arr.ravel()]
            self.exact[name] = np.array(flat, dtype=object).reshape(arr.shape)
        self.float: dict[str, NDArray[np.float64]] = {
            name: np.vectorize(float, otypes=[np.float64])(arr) for name, arr in self.exact.items()
        }
        for name, arr in self.float.items():
            if not np.all(np.isfinite(arr)):
                raise InputError(f"{function}: {name} must be finite")

    def require(self, ok: NDArray[np.bool_] | bool, condition: str) -> None:
        """Raise :class:`InputError` naming ``condition`` unless ``ok`` holds everywhere."""
        ok_arr = np.broadcast_to(np.asarray(ok, dtype=bool), self.shape)
        if not np.all(ok_arr):
            idx = tuple(int(i) for i in np.argwhere(~ok_arr)[0]) if ok_arr.ndim else ()
            at = ", ".join(f"{n}={self.raw[n][idx].item()!r}" for n in self.raw)
            where = f" at index {idx}" if idx else ""
            raise InputError(f"{self.function}: requires {condition}; violated{where} ({at})")

    def integer(self, *names: str) -> None:
        """Require the named arguments to be whole numbers."""
        for name in names:
            ok = np.vectorize(lambda v: bool(v.is_integer), otypes=[bool])(self.exact[name])
            self.require(ok, f"{name} to be an integer")


@lru_cache(maxsize=256)
def _lambdified(formula: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> Callable[..., Any]:
    return sp.lambdify(symbols, formula, modules=["scipy", "numpy"])


def _iv(expr: sp.Basic) -> Any:
    """Interval enclosure of a closed-form real number built from + * ** exp log, e, pi and rationals."""
    iv = mpmath.iv
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
            total = total + _iv(term)
        return total
    if isinstance(expr, sp.Mul):
        prod = iv.mpf(1)
        for factor in expr.args:
            prod = prod * _iv(factor)
        return prod
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent.is_Integer:
            n = int(exponent)
            power = _iv(base) ** abs(n)
            return 1 / power if n < 0 else power
        if exponent == sp.S.Half:
            return iv.sqrt(_iv(base))
        return iv.exp(_iv(exponent) * iv.log(_iv(base)))
    if isinstance(expr, sp.exp):
        return iv.exp(_iv(expr.args[0]))
    if isinstance(expr, sp.log):
        return iv.log(_iv(expr.args[0]))
    raise InputError(f"cannot enclose {expr} in interval arithmetic (unsupported operation {expr.func})")


def interval_value(exact_value: sp.Expr, dps: int = CERTIFIED_DPS) -> Any:
    """Enclose an exact sympy number in an :class:`mpmath.iv` interval at ``dps`` digits."""
    old = mpmath.iv.prec
    try:
        mpmath.iv.dps = dps
        return _iv(exact_value)
    finally:
        mpmath.iv.prec = old


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
    computed exactly by sympy (they are thresholds such as a minimum degree) and returned as ints.
    """
    names = list(symbols)
    if integer or certified:

        def one(*vals: Any) -> Any:
            exact = formula.subs(dict(zip((symbols[n] for n in names), vals, strict=True)))
            if integer:
                return int(exact)
            return interval_value(exact)

        out = np.empty(args.shape, dtype=object)
        for idx in np.ndindex(*args.shape):
            out[idx] = one(*(args.exact[n][idx] for n in names))
        return out[()] if args.shape == () else out
    fn = _lambdified(formula, tuple(symbols[n] for n in names))
    with np.errstate(all="ignore"):
        value = np.asarray(fn(*(args.float[n] for n in names)), dtype=np.float64)
    value = np.broadcast_to(value, args.shape).copy()
    return float(value) if args.shape == () else value


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
        """The exact value ``formula.subs(arguments)`` (object ndarray of sympy numbers for arrays)."""
        keys = list(self.arguments)
        arrays = np.broadcast_arrays(*(np.asarray(self.arguments[s], dtype=object) for s in keys))
        out = np.empty(arrays[0].shape, dtype=object)
        for idx in np.ndindex(*out.shape):
            out[idx] = self.formula.subs({s: a[idx] for s, a in zip(keys, arrays, strict=True)})
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
        """Evaluate ``formula`` at ``args`` (each argument stands for ``BY_ARGUMENT[key]``)."""
        symbols = {key: BY_ARGUMENT[key] for key in args.raw}
        value = evaluate(formula, symbols, args, certified=certified, integer=self.integer)
        scalar = args.shape == ()
        arguments = {symbols[n]: (args.exact[n][()] if scalar else args.exact[n]) for n in symbols}
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
