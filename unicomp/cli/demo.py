"""``unicomp demo``: a short end-to-end run on defaults."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from unicomp.cli._parser import count
from unicomp.errors import InputError
from unicomp.multiindex import num_moments
from unicomp.numerics.caratheodory import recombine

#: The most points the demo draws (80 MB per coordinate).
MAX_POINTS = 10_000_000


def register(sub: Any) -> None:
    """Add the ``demo`` sub-command."""
    p = sub.add_parser("demo", help="compress a random point cloud and show what was kept")
    p.add_argument("--points", type=count(1, MAX_POINTS), default=100_000,
                   help=f"number of points N, at most {MAX_POINTS} (default 100000)")
    p.add_argument("--dim", type=count(1), default=2, help="dimension m (default 2)")
    p.add_argument("--degree", type=count(0), default=6, help="moment degree k (default 6)")
    p.add_argument("--seed", type=count(0), default=0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compress uniform points in the cube and compare a smooth symmetric function before and after."""
    n_mk = num_moments(args.dim, args.degree)
    if n_mk >= args.points:
        raise InputError(f"nothing to compress: N_(m,k) = C(m+k, k) = {n_mk} for --dim {args.dim}, --degree "
                         f"{args.degree} is not below --points {args.points}; lower --degree or --dim, or raise "
                         "--points")
    rng = np.random.default_rng(args.seed)
    points = rng.uniform(-1.0, 1.0, size=(args.points, args.dim))
    comp = recombine(points, degree=args.degree)
    print(comp.summary())
    kept = comp.take(points)
    print(f"kept indices (first 10): {comp.indices[:10].tolist()}")
    print(f"weights: min {comp.weights.min():.4g}, max {comp.weights.max():.4g}, sum {comp.mass:.10g}")
    # A deep-set function f = (1/N) sum_i g(w_i) with analytic g: the compression reproduces it to the
    # accuracy of the degree-k Taylor/Chebyshev approximation of g on the box.
    g = np.exp(0.5 * points.sum(axis=1))
    full = g.mean()
    approx = comp.weighted_sum(g) / comp.mass
    print(f"f = mean exp(sum(w)/2): full {full:.12f}, compressed {approx:.12f}, |error| {abs(full - approx):.2e}")
    print(f"kept points span [{kept.min():.3f}, {kept.max():.3f}] per coordinate")
    return 0
