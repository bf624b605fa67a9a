"""Benchmark of :func:`unicomp.numerics.distributed.compress_sharded` on a local Dask cluster (issue 5).

Run by hand (single-threaded BLAS in every worker; the script sets ``OPENBLAS_NUM_THREADS=1`` unless set)::

    .venv/bin/python benchmarks/bench_distributed.py [--quick] [--points N] [--shards S] [--workers W]

Case: N = 1e7 points uniform in [-1, 1]^3 (m = 3), k = 6 (N_mk = 84), written as S ``.npy`` shards and read
on the workers; recombination (``size=None``) and a target size.  Recorded: wall time per stage, the
verified residual against the whole data, and the peak resident memory of every worker process (its
``ru_maxrss``; the target is <= 2 GB per worker).  Baseline: :func:`unicomp.recombine` on the whole array
in one fresh process (time and peak resident memory).  ``--quick``: N = 1e6.

Writes ``benchmarks/results/distributed.json`` and ``distributed.md`` with machine, versions and thread
settings, keyed by a hash of the parameters.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _environment import environment, params_key

from unicomp import recombine
from unicomp.numerics.distributed import compress_sharded

RESULTS = Path(__file__).resolve().parent / "results"
GB = 1024**3


def peak_rss_bytes() -> int:
    """This process's peak resident set size in bytes (Linux reports ru_maxrss in KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def write_shards(folder: Path, points: int, shards: int, dim: int, seed: int) -> list[Path]:
    """Shard files of uniform points, generated one at a time (the whole array is never in memory)."""
    rng = np.random.default_rng(seed)
    bounds = np.linspace(0, points, shards + 1).astype(np.int64)
    paths = []
    for i in range(shards):
        path = folder / f"shard{i:04d}.npy"
        np.save(path, rng.uniform(-1, 1, size=(int(bounds[i + 1] - bounds[i]), dim)))
        paths.append(path)
    return paths


def baseline(paths: list[str], degree: int) -> dict[str, Any]:
    """recombine() on the concatenated data in this (fresh) process: time and peak memory."""
    t0 = time.perf_counter()
    whole = np.concatenate([np.load(p) for p in paths])
    t1 = time.perf_counter()
    comp = recombine(whole, degree=degree)
    return {
        "load_s": t1 - t0,
        "recombine_s": time.perf_counter() - t1,
        "size": comp.size,
        "residual": comp.residual,
        "peak_rss_gb": peak_rss_bytes() / GB,
    }


def run_sharded(paths: list[Path], degree: int, size: int | None, workers: int) -> dict[str, Any]:
    """compress_sharded on a fresh LocalCluster of single-threaded worker processes."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=0,  # measure, do not spill or kill
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
        ) as cluster,
        Client(cluster) as client,
    ):
        t0 = time.perf_counter()
        comp = compress_sharded(paths, degree=degree, size=size, client=client)
        wall = time.perf_counter() - t0
        rss = client.run(peak_rss_bytes)
    return {
        "size_target": size,
        "wall_s": wall,
        "timings": dict(comp.timings),
        "size": comp.size,
        "residual": comp.residual,
        "survivors": comp.info["survivors"],
        "peak_rss_gb_per_worker": sorted(v / GB for v in rss.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e6 points instead of 1e7")
    parser.add_argument("--points", type=int, default=None)
    parser.add_argument("--shards", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dim", type=int, default=3)
    parser.add_argument("--degree", type=int, default=6)
    parser.add_argument("--size", type=int, default=10_000, help="target size of the second sharded run")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    points = args.points or (1_000_000 if args.quick else 10_000_000)
    params = {
        "points": points,
        "shards": args.shards,
        "workers": args.workers,
        "dim": args.dim,
        "degree": args.degree,
        "size": args.size,
        "seed": 0,
    }
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_shards(Path(tmp), points, args.shards, args.dim, seed=0)
        runs = [run_sharded(paths, args.degree, s, args.workers) for s in (None, args.size)]
        base = None
        if not args.no_baseline:
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                base = pool.submit(baseline, [str(p) for p in paths], args.degree).result()
    result = {
        "params": params,
        "key": params_key(params),
        "environment": environment(),
        "sharded": runs,
        "baseline_single_process": base,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "distributed.json").write_text(json.dumps(result, indent=2, default=str))
    lines = [
        f"# compress_sharded: {points:.0e} points, m = {args.dim}, k = {args.degree}, {args.shards} shards, "
        f"{args.workers} workers (key {result['key']})",
        "",
        "| run | wall (s) | kept | residual | peak RSS per worker (GB) |",
        "|---|---|---|---|---|",
    ]
    for r in runs:
        label = "recombine" if r["size_target"] is None else f"size {r['size_target']}"
        rss = ", ".join(f"{v:.2f}" for v in r["peak_rss_gb_per_worker"])
        lines.append(f"| sharded {label} | {r['wall_s']:.1f} | {r['size']} | {r['residual']:.1e} | {rss} |")
    if base is not None:
        lines.append(
            f"| one process, recombine | {base['load_s'] + base['recombine_s']:.1f} | {base['size']} | "
            f"{base['residual']:.1e} | {base['peak_rss_gb']:.2f} (the process) |"
        )
    env = result["environment"]
    lines += ["", f"Machine: {env['machine']['cpu']}, {env['machine']['cores']} cores; threads {env['threads']}."]
    (RESULTS / "distributed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
