"""``unicomp bound NAME --param value ...``: evaluate one of the paper's bounds and show its formula.

Examples::

    unicomp bound list
    unicomp bound packing_diameter --d 10000 --n 11 --m 2 --radius 1
    unicomp bound boost_min_degree --m 3 --sigma 0.5 --alpha 0.68 --json
    unicomp bound polylog_degree --n 1e6 --m 2 --rho 4 --form printed --latex --certified
"""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from unicomp.errors import InputError
from unicomp.theory import bounds
from unicomp.theory._results import BoundResult
from unicomp.theory.taylor import taylor_remainder

__all__ = ["CALCULATORS", "parse_params", "register", "run"]

#: Every calculator the command knows, by name.
CALCULATORS: dict[str, Callable[..., BoundResult]] = {
    name: getattr(bounds, name) for name in bounds.__all__ if name[0].islower() and callable(getattr(bounds, name))
} | {"taylor_remainder": taylor_remainder}

_FLAGS = {"--latex", "--json", "--certified"}


def register(sub: Any) -> None:
    """Add the ``bound`` sub-command."""
    p = sub.add_parser(
        "bound",
        help="evaluate a bound of the paper (value and formula)",
        description="Evaluate a bound calculator of unicomp.theory.bounds. NAME 'list' lists them. "
        "Parameters are given as --name value (hyphens or underscores); flags --latex, --json, --certified.",
    )
    p.add_argument("name", help="calculator name, or 'list'")
    p.add_argument("params", nargs=argparse.REMAINDER, help="--param value ... [--latex] [--json] [--certified]")
    p.set_defaults(func=run)


def _number(text: str) -> Any:
    """An int if the text is an integer literal, else a float (exact decimal reading happens downstream)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text) if "/" not in text else Fraction(text)
    except ValueError:
        return text


def parse_params(tokens: list[str], fn: Callable[..., BoundResult]) -> tuple[dict[str, Any], set[str]]:
    """Split ``--key value`` pairs and flags; check the keys against ``fn``'s signature."""
    accepted = [p for p in inspect.signature(fn).parameters if p != "certified"]
    params: dict[str, Any] = {}
    flags: set[str] = set()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in _FLAGS:
            flags.add(token[2:])
            i += 1
            continue
        if not token.startswith("--"):
            raise InputError(f"expected --param value, got {token!r}")
        key, _, value = token[2:].partition("=")
        if not value:
            if i + 1 >= len(tokens):
                raise InputError(f"--{key} needs a value")
            value = tokens[i + 1]
            i += 1
        key = key.replace("-", "_")
        if key not in accepted:
            raise InputError(f"{fn.__name__} takes {', '.join('--' + a for a in accepted)}; got --{key}")
        params[key] = _number(value)
        i += 1
    missing = [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.default is inspect.Parameter.empty and p.name not in params
    ]
    if missing:
        raise InputError(f"{fn.__name__} needs {', '.join('--' + m for m in missing)}")
    return params, flags


def run(args: argparse.Namespace) -> int:
    """Evaluate the calculator and print value and formula (text, LaTeX or JSON)."""
    if args.name == "list":
        for name, fn in sorted(CALCULATORS.items()):
            summary = " ".join((inspect.getdoc(fn) or "").split("\n\n")[0].split())
            print(f"{name:24s} {summary}")
        return 0
    if args.name not in CALCULATORS:
        raise InputError(f"unknown bound {args.name!r}; choose from: {', '.join(sorted(CALCULATORS))}")
    fn = CALCULATORS[args.name]
    if {"-h", "--help"} & set(args.params):
        accepted = [p for p in inspect.signature(fn).parameters if p != "certified"]
        print(f"usage: unicomp bound {args.name} {' '.join('--' + a + ' VALUE' for a in accepted)} "
              "[--latex] [--json] [--certified]\n")
        print(inspect.getdoc(fn) or "")
        return 0
    params, flags = parse_params(list(args.params), fn)
    certified = "certified" in flags
    if certified and "certified" not in inspect.signature(fn).parameters:
        raise InputError(f"{args.name} is an exact integer threshold; --certified does not apply")
    res = fn(**params, certified=True) if certified else fn(**params)
    if "json" in flags:
        print(json.dumps(res.to_dict(), indent=2))
        return 0
    print(f"{res.name} = {res.value}")
    print(f"formula: {res.latex() if 'latex' in flags else res.formula}")
    print(f"kind: {res.kind}" + ("" if res.rigorous else " (unknown O-constant set to 1)"))
    print(f"source: {res.reference}")
    for assumption in res.assumptions:
        print(f"assumes: {assumption}")
    if res.note:
        print(f"note: {res.note}")
    return 0
