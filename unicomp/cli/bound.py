"""``unicomp bound NAME --param value ...``: evaluate one of the paper's bounds and show its formula.

Examples::

    unicomp bound list
    unicomp bound packing_diameter --help
    unicomp bound packing_diameter --d 1000,8000 --n 11 --m 2 --radius 1
    unicomp bound boost_min_degree --m 3 --sigma 0.5 --alpha 0.68 --json
    unicomp bound polylog_degree --n 1e6 --m 2 --rho 4 --form printed --latex --certified

Each calculator gets its own parser, built from its signature and the Parameters section of its
docstring, so ``unicomp bound NAME --help`` lists every option with its meaning.
"""

from __future__ import annotations

import argparse
import inspect
import json
import typing
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from unicomp.cli._docs import parameters, summary
from unicomp.cli._parser import Parser
from unicomp.errors import InputError
from unicomp.theory import bounds
from unicomp.theory._results import BoundResult
from unicomp.theory.taylor import taylor_remainder

__all__ = ["CALCULATORS", "calculator_parser", "json_value", "register", "run"]

#: Every calculator the command knows, by name.
CALCULATORS: dict[str, Callable[..., BoundResult]] = {
    name: getattr(bounds, name) for name in bounds.__all__ if name[0].islower() and callable(getattr(bounds, name))
} | {"taylor_remainder": taylor_remainder}

_VALUES = ("Every VALUE is a number (integer, decimal such as 0.68 or 1e6, or fraction such as 1/3; read exactly) "
           "or a comma-separated list of numbers such as 1000,8000, evaluated elementwise.")


def register(sub: Any) -> None:
    """Add the ``bound`` sub-command."""
    p = sub.add_parser(
        "bound",
        help="evaluate a bound of the paper (value and formula)",
        description="Evaluate a bound calculator of unicomp.theory.bounds.  'unicomp bound list [--json]' lists "
                    "them; 'unicomp bound NAME --help' shows one calculator's options.  " + _VALUES,
    )
    p.add_argument("name", help="calculator name, or 'list'")
    p.add_argument("params", nargs=argparse.REMAINDER, help="--param VALUE ... [--latex] [--json] [--certified]")
    p.set_defaults(func=run)


def _number(text: str) -> int | float | Fraction:
    """The number ``text`` denotes, exactly: an int, a float when the float prints as that same number (the
    calculators read a float as the decimal it prints as), else a Fraction (``1/3``, ``1e-400``, ``1e400``,
    ``0.30000000000000001``)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        exact = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(
            f"expected a number (such as 3, 0.68, 1e6 or 1/3) or comma-separated numbers, got {text!r}"
        ) from None
    try:
        value = float(exact)
    except OverflowError:
        return exact
    return value if Fraction(repr(value)) == exact else exact


def _values(text: str) -> Any:
    """One number, or a list of them for comma-separated text."""
    items = [_number(item.strip()) for item in text.split(",")]
    return items[0] if len(items) == 1 else items


def _escape(text: str) -> str:
    return text.replace("%", "%%")  # argparse %-formats help strings


def calculator_parser(name: str) -> argparse.ArgumentParser:
    """The parser of ``unicomp bound NAME``: one option per argument of the calculator, with its help."""
    fn = CALCULATORS[name]
    docs = parameters(fn)
    hints = typing.get_type_hints(fn)
    p = Parser(prog=f"unicomp bound {name}", description=_escape(summary(fn)), epilog=_escape(_VALUES))
    for param in inspect.signature(fn).parameters.values():
        if param.name == "certified":
            continue
        kind, text = docs.get(param.name, ("", ""))
        flags = dict.fromkeys([f"--{param.name.replace('_', '-')}", f"--{param.name}"])
        choices = typing.get_args(hints.get(param.name)) if typing.get_origin(hints.get(param.name)) is \
            typing.Literal else None
        if choices:
            p.add_argument(*flags, dest=param.name, choices=choices, default=param.default,
                           help=_escape(f"{text} (default {param.default})"))
        else:
            required = param.default is inspect.Parameter.empty
            p.add_argument(*flags, dest=param.name, type=_values, metavar="VALUE", required=required,
                           default=argparse.SUPPRESS,
                           help=_escape(f"{text or kind}" + ("" if required else f" (default {param.default})")))
    if "certified" in inspect.signature(fn).parameters:
        p.add_argument("--certified", action="store_true", help="the value as an interval enclosing the exact "
                       "value (mpmath interval arithmetic) instead of a float")
    p.add_argument("--latex", action="store_true", help="show the formula in LaTeX")
    p.add_argument("--json", action="store_true", help="print one JSON object: value, arguments, formula, ...")
    return p


def json_value(value: Any) -> Any:
    """A calculator value or argument as JSON numbers: arrays as lists, an interval as ``[lower, upper]``
    floats rounded outwards (so the pair still encloses the exact value), a non-finite float as ``null``,
    a fraction that no JSON number holds exactly as its text (``"1/3"``)."""
    if isinstance(value, np.ndarray):
        return [json_value(v) for v in value.tolist()] if value.dtype != object else [json_value(v) for v in value]
    if isinstance(value, mpmath.ctx_iv.ivmpf):
        lower, upper = float(value.a), float(value.b)
        if mpmath.mpf(lower) > value.a:
            lower = float(np.nextafter(lower, -np.inf))
        if mpmath.mpf(upper) < value.b:
            upper = float(np.nextafter(upper, np.inf))
        return [lower, upper]
    if isinstance(value, Fraction):
        return _exact_json(value)
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, int | np.integer):
        return int(value)
    return value


def _exact_json(value: Fraction) -> int | float | str:
    if value.denominator == 1:
        return int(value)
    try:
        near = float(value)
    except OverflowError:
        return str(value)
    return near if Fraction(repr(near)) == value else str(value)


def _list(params: list[str]) -> int:
    if params not in ([], ["--json"]):
        raise InputError(f"'bound list' takes only --json, got {' '.join(params)}")
    if params:
        print(json.dumps([{"name": name, "summary": summary(fn),
                           "parameters": {k: text or kind for k, (kind, text) in parameters(fn).items()
                                          if k != "certified"}}
                          for name, fn in sorted(CALCULATORS.items())], indent=2))
        return 0
    for name, fn in sorted(CALCULATORS.items()):
        print(f"{name:24s} {summary(fn)}")
    print("\n'unicomp bound NAME --help' shows a calculator's options.")
    return 0


def run(args: argparse.Namespace) -> int:
    """Evaluate the calculator and print value and formula (text, LaTeX or JSON)."""
    if args.name == "list":
        return _list(list(args.params))
    if args.name not in CALCULATORS:
        raise InputError(f"unknown bound {args.name!r}; choose from: {', '.join(sorted(CALCULATORS))}")
    ns = vars(calculator_parser(args.name).parse_args(list(args.params)))
    latex, as_json = ns.pop("latex"), ns.pop("json")
    if not ns.get("certified", True):
        ns.pop("certified")
    res = CALCULATORS[args.name](**ns)
    notes = [res.note] if res.note else []
    values = np.asarray(res.value)
    if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        notes.append("the value is not finite in float64" + (
            "; --certified encloses the exact value"
            if "certified" in inspect.signature(CALCULATORS[args.name]).parameters else ""))
    if as_json:
        given = {k: json_value(v) for k, v in ns.items() if k != "certified"}
        data = res.to_dict() | {"value": json_value(res.value), "arguments": given, "note": " ".join(notes)}
        print(json.dumps(data, indent=2, allow_nan=False))
        return 0
    print(f"{res.name} = {res.value}")
    print(f"formula: {res.latex() if latex else res.formula}")
    print(f"kind: {res.kind}" + ("" if res.rigorous else " (unknown O-constant set to 1)"))
    print(f"source: {res.reference}")
    for assumption in res.assumptions:
        print(f"assumes: {assumption}")
    for note in notes:
        print(f"note: {note}")
    return 0
