"""``unicomp compress``: reduce a point cloud to a weighted subset that keeps its moments."""

from __future__ import annotations

import argparse
import bisect
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import mpmath
from numpy.typing import NDArray

from unicomp.cli._io import output_path, read_table, read_weights, write_output
from unicomp.cli._parser import count
from unicomp.errors import InputError
from unicomp.multiindex import num_moments
from unicomp.numerics.reduce import reduce
from unicomp.numerics.result import Compression

__all__ = ["OUTPUT_HELP", "check_size", "register", "report", "run", "write_result"]

#: The ``-o`` help shared by the compressing commands.
OUTPUT_HELP = (
    "result file, written atomically; the extension picks the format: .npz (the library's file, read back by "
    "unicomp.Compression.load), .csv (one row per kept point: index, weight, coordinates) or .json. "
    "Default: INPUT's name with .compressed.npz, next to INPUT"
)


def register(sub: Any) -> None:
    """Add the ``compress`` sub-command."""
    p = sub.add_parser(
        "compress",
        help="compress a point cloud (N x m, .npy or .csv) keeping its moments up to a degree",
        description=(
            "Reduce N weighted points to at most C(m+k, k) of them (Caratheodory recombination), or with "
            "--size to any D' >= C(m+k, k) of them (Algorithm 1: small clusters reduced one after another), "
            "keeping every moment of total degree <= k; writes indices, weights and kept points."
        ),
    )
    p.add_argument("input", help="points, an (N, m) array in .npy or .csv (a header row is allowed)")
    p.add_argument("--degree", "-k", type=count(0), required=True, help="moment degree k to preserve")
    p.add_argument("--weights", help="optional .npy/.csv file of N non-negative weights (one column)")
    p.add_argument("--precision", type=count(1), default=None, help="decimal digits (mpmath); default float64")
    p.add_argument("--size", type=count(1), default=None,
                   help="target number D' >= C(m+k, k) of kept points (Algorithm 1); default: the fewest, "
                        "by recombination")
    p.add_argument("--method", choices=["partition", "greedy"], default="partition",
                   help="with --size: batched k-d cells (fast, default) or greedy smallest clusters")
    p.add_argument("--seed", type=count(0), default=0, help="with --size: seed of the grouping inside cells")
    p.add_argument("--output", "-o", default=None, help=OUTPUT_HELP)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def check_size(size: int | None, points: NDArray[Any], degree: int) -> None:
    r"""Reject ``--size`` below :math:`N_{m,k}` naming the two ways out: no ``--size``, or a lower degree.

    When :math:`N_{m,k}` exceeds the number of points, the degree itself is the problem; the library's error
    says so (and which degree fits).
    """
    if size is None:
        return
    m = points.shape[1]
    n = num_moments(m, degree)
    if size >= n or n > len(points):
        return
    largest = bisect.bisect_right(range(degree + 1), size, key=lambda j: num_moments(m, j)) - 1
    raise InputError(
        f"--size {size} is below N_(m,k) = C(m+k, k) = {n} for m={m}, degree {degree}: omit --size for the "
        f"smallest compression (at most {n} points), or use --degree {largest} or lower (the largest degree "
        f"with N_(m,k) <= {size})"
    )


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    header, points = read_table(args.input)
    weights = read_weights(args.weights, len(points)) if args.weights else None
    out = output_path(args.output, args.input)
    check_size(args.size, points, args.degree)
    comp = reduce(points, weights, degree=args.degree, size=args.size, method=args.method,
                  precision=args.precision, seed=args.seed, progress=sys.stderr.isatty())
    table = {"point": points[comp.indices]}
    write_result(comp, out, lambda path: comp.save(path, points=points), table, {"point": header or []})
    report(comp, out, as_json=args.json)
    return 0


def write_result(
    comp: Compression,
    out: Path,
    save_npz: Callable[[Path], object],
    columns: Mapping[str, NDArray[Any]],
    column_names: Mapping[str, Sequence[str]],
) -> None:
    """Write ``comp`` to ``out`` in the format of its extension (``.npz`` through ``save_npz``, ``.csv``,
    ``.json``): the kept rows' 0-based ``index`` in the input, their ``weight`` and ``columns``."""
    exact = None
    if comp.weights_mp is not None and comp.precision is not None:
        exact = [mpmath.nstr(w, comp.precision) for w in comp.weights_mp]
    table = {"index": comp.indices, "weight": comp.weights, **columns}
    write_output(out, save_npz, table, exact, _summary(comp, out), column_names)


def _summary(comp: Compression, output: Path) -> dict[str, Any]:
    data = {k: v for k, v in comp.to_dict().items() if k not in {"indices", "weights"}}
    data["output"] = str(output)
    return data


def report(comp: Compression, output: Path, *, as_json: bool) -> None:
    """Print one summary line, or a JSON object."""
    print(json.dumps(_summary(comp, output)) if as_json else f"{comp.summary()} -> {output}")

