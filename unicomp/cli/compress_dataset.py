"""``unicomp compress-dataset``: compress a CSV dataset to a weighted subset that keeps its loss landscape."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from unicomp.cli._io import read_table
from unicomp.cli.compress import report
from unicomp.errors import InputError
from unicomp.numerics.datasets import compress_dataset

__all__ = ["register", "run", "select_columns"]


def register(sub: Any) -> None:
    """Add the ``compress-dataset`` sub-command."""
    p = sub.add_parser(
        "compress-dataset",
        help="compress a CSV dataset (inputs and targets) to a weighted subset keeping the moments of (x, y)",
        description=(
            "Treat each row (x, y) of a CSV file as an object and keep a weighted subset of D' rows that "
            "reproduces every moment of degree <= K of the rows (Algorithm 1), so that the weighted "
            "training loss matches the full one.  Writes inputs, targets, weights and the compression "
            "to an .npz file."
        ),
    )
    p.add_argument("input", help="CSV file of numbers; a header row is allowed")
    p.add_argument(
        "--targets",
        required=True,
        help="target columns: comma-separated header names or 1-based column numbers (e.g. 'y' or '3,4')",
    )
    p.add_argument("--inputs", help="input columns in the same form (default: every other column)")
    p.add_argument("--size", type=int, default=None, help="number D' of rows to keep (default: N_(m,K))")
    p.add_argument("--degree", "-k", type=int, required=True, help="moment degree K to preserve")
    p.add_argument("--method", choices=["partition", "greedy"], default="partition")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-standardize", action="store_true", help="compress the raw rows (not z-scored)")
    p.add_argument("--output", "-o", required=True, help="output .npz file (written atomically)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def _column(token: str, header: list[str] | None, width: int, source: str) -> int:
    """0-based index of one column given by header name or 1-based number."""
    if header is not None and token in header:
        return header.index(token)
    if token.isdigit() and 1 <= int(token) <= width:
        return int(token) - 1
    names = f"; columns are {', '.join(header)}" if header is not None else ""
    raise InputError(f"{source}: no column {token!r} (use a header name or a number 1..{width}){names}")


def select_columns(spec: str, header: list[str] | None, width: int, source: str = "--targets") -> list[int]:
    """Parse a comma-separated column list into 0-based indices (no repeats).

    Examples
    --------
    >>> select_columns("y, 1", ["a", "b", "y"], 3)
    [2, 0]
    """
    tokens = [t.strip() for t in spec.split(",") if t.strip()]
    if not tokens:
        raise InputError(f"{source}: no columns given")
    cols = [_column(t, header, width, source) for t in tokens]
    if len(set(cols)) != len(cols):
        raise InputError(f"{source}: a column is listed twice in {spec!r}")
    return cols


def _split(
    values: NDArray[np.float64], header: list[str] | None, args: argparse.Namespace
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    width = values.shape[1]
    targets = select_columns(args.targets, header, width, "--targets")
    if args.inputs is None:
        inputs = [c for c in range(width) if c not in targets]
    else:
        inputs = select_columns(args.inputs, header, width, "--inputs")
    if not inputs:
        raise InputError("no input columns left: the targets take every column")
    if set(inputs) & set(targets):
        raise InputError("--inputs and --targets share a column")
    return values[:, inputs], values[:, targets]


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    header, values = read_table(Path(args.input))
    x, y = _split(values, header, args)
    ds = compress_dataset(
        x,
        y,
        degree=args.degree,
        size=args.size,
        standardize=not args.no_standardize,
        method=args.method,
        seed=args.seed,
    )
    ds.save(args.output)
    report(ds.compression, args.output, as_json=args.json)
    return 0
