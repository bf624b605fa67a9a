"""``unicomp compress``: reduce a point cloud to a weighted subset that keeps its moments."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from unicomp.cli._io import read_array
from unicomp.numerics.reduce import reduce


def register(sub: Any) -> None:
    """Add the ``compress`` sub-command."""
    p = sub.add_parser(
        "compress",
        help="compress a point cloud (N x m, .npy or .csv) keeping its moments up to a degree",
        description=(
            "Reduce N weighted points to at most C(m+k, k) of them (Caratheodory recombination), or with "
            "--size to any D' >= C(m+k, k) of them (Algorithm 1: small clusters reduced one after another), "
            "keeping every moment of total degree <= k; writes indices, weights and kept points to .npz."
        ),
    )
    p.add_argument("input", help="points, an (N, m) array in .npy or .csv (a header row is allowed)")
    p.add_argument("--degree", "-k", type=int, required=True, help="moment degree k to preserve")
    p.add_argument("--weights", help="optional .npy/.csv file of N non-negative weights")
    p.add_argument("--precision", type=int, default=None, help="decimal digits (mpmath); default float64")
    p.add_argument("--size", type=int, default=None,
                   help="target number D' of kept points (Algorithm 1); default: the fewest, by recombination")
    p.add_argument("--method", choices=["partition", "greedy"], default="partition",
                   help="with --size: batched k-d cells (fast, default) or greedy smallest clusters")
    p.add_argument("--seed", type=int, default=0, help="with --size: seed of the grouping inside cells")
    p.add_argument("--output", "-o", required=True, help="output .npz file (written atomically)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    points = read_array(args.input)
    weights = read_array(args.weights).reshape(-1) if args.weights else None
    comp = reduce(points, weights, degree=args.degree, size=args.size, method=args.method,
                  precision=args.precision, seed=args.seed, progress=sys.stderr.isatty())
    comp.save(args.output, points=points)
    report(comp, args.output, as_json=args.json)
    return 0


def report(comp: Any, output: str, *, as_json: bool) -> None:
    """Print one summary line, or a JSON object."""
    if as_json:
        data = {k: v for k, v in comp.to_dict().items() if k not in {"indices", "weights"}}
        data["output"] = str(output)
        print(json.dumps(data))
    else:
        print(f"{comp.summary()} -> {output}")
