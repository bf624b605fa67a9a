"""``unicomp compress-dataset``: compress a table of (inputs, targets) rows to a weighted subset that keeps its
loss landscape."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from numpy.typing import NDArray

from unicomp.cli._io import output_path, read_table
from unicomp.cli._parser import count
from unicomp.cli.compress import OUTPUT_HELP, check_size, report, write_result
from unicomp.errors import InputError
from unicomp.numerics.datasets import compress_dataset

__all__ = ["register", "run", "select_columns"]


def register(sub: Any) -> None:
    """Add the ``compress-dataset`` sub-command."""
    p = sub.add_parser(
        "compress-dataset",
        help="compress a dataset (CSV or .npy; inputs and targets) to a weighted subset keeping the moments "
             "of (x, y)",
        description=(
            "Treat each row (x, y) of a table as an object and keep a weighted subset of D' rows that "
            "reproduces every moment of degree <= K of the rows (Algorithm 1), so that the weighted "
            "training loss matches the full one.  Writes the kept rows' indices, weights, inputs and targets."
        ),
    )
    p.add_argument("input", help="a CSV file of numbers (a header row is allowed) or a 2-D .npy array")
    p.add_argument(
        "--targets",
        required=True,
        help="target columns: comma-separated header names or 1-based column numbers (e.g. 'y' or '3,4')",
    )
    p.add_argument("--inputs", help="input columns in the same form (default: every other column)")
    p.add_argument("--size", type=count(1), default=None,
                   help="number D' >= C(m+K, K) of rows to keep (m: the number of columns used); default: the "
                        "fewest, by recombination")
    p.add_argument("--degree", "-k", type=count(0), required=True, help="moment degree K to preserve")
    p.add_argument("--method", choices=["partition", "greedy"], default="partition")
    p.add_argument("--seed", type=count(0), default=0)
    p.add_argument("--no-standardize", action="store_true", help="compress the raw rows (not z-scored)")
    p.add_argument("--output", "-o", default=None,
                   help=OUTPUT_HELP.replace("coordinates", "inputs, targets").replace(
                       "unicomp.Compression.load", "unicomp.numerics.datasets.WeightedDataset.load"))
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def _column(token: str, header: list[str] | None, width: int, source: str) -> int:
    """0-based index of one column given by header name or 1-based number."""
    if header is not None and token in header:
        where = [i for i, name in enumerate(header) if name == token]
        if len(where) > 1:
            numbers = " and ".join(str(i + 1) for i in where)
            raise InputError(f"{source}: {token!r} names more than one column of the header ({numbers}); "
                             "give the column by number")
        return where[0]
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


def _split(width: int, header: list[str] | None, args: argparse.Namespace) -> tuple[list[int], list[int]]:
    """The input and target columns (0-based)."""
    targets = select_columns(args.targets, header, width, "--targets")
    if args.inputs is None:
        inputs = [c for c in range(width) if c not in targets]
    else:
        inputs = select_columns(args.inputs, header, width, "--inputs")
    if not inputs:
        raise InputError("no input columns left: the targets take every column")
    if set(inputs) & set(targets):
        raise InputError("--inputs and --targets share a column")
    return inputs, targets


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    header, values = read_table(args.input)
    inputs, targets = _split(values.shape[1], header, args)
    out = output_path(args.output, args.input)
    check_size(args.size, values[:, inputs + targets], args.degree)
    ds = compress_dataset(
        values[:, inputs],
        values[:, targets],
        degree=args.degree,
        size=args.size,
        standardize=not args.no_standardize,
        method=args.method,
        seed=args.seed,
    )
    names = header or [f"column{c + 1}" for c in range(values.shape[1])]
    columns: dict[str, NDArray[np.float64]] = {"input": ds.inputs, "target": ds.targets}
    column_names = {"input": [names[c] for c in inputs], "target": [names[c] for c in targets]}
    write_result(ds.compression, out, ds.save, columns, column_names)
    report(ds.compression, out, as_json=args.json)
    return 0
