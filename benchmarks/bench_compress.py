"""Speed and memory of Algorithm 1 (:func:`unicomp.numerics.compress.compress`), both methods.

Run by hand, single-threaded BLAS (set here unless already set)::

    .venv/bin/python benchmarks/bench_compress.py [--quick]

Writes ``benchmarks/results/compress.json`` and ``compress.md`` with machine, versions and thread settings.

Cases (issue 8 targets, uniform points in [-1, 1]^m, d' = 0.1 d, error on the Fig. 2 sigmoid function):

* m = 3, k = 5, d = 8000 -> 800: partition (best of 3) and greedy, same points, same function;
* m = 2, k = 5, d = 4000 -> 400: the same two;
* m = 5, k = 5, d = 128000 -> 12800: partition only;
* the networks / datasets / attention cases of the issue: (m, k, d, d') = (4, 5, 1e4, 1e3), (3, 5, 1e4, 1e3),
  (8, 3, 4000, 800);
* memory: tracemalloc peak of m = 3, k = 5 for d = 8000 .. 64000 (linear in d expected).

The error and speed against the authors' own compressor (their code, run side by side) are measured by
``bench_quality.py``; a re-implementation of their procedure from the paper's description, once the reference
here, was retired in issue 11 (it took 3.5 s where their code takes 20-60 s, and its error was several times theirs).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import functools
import json
import math
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _environment import environment, params_key
from bench_recombine import best_time

from unicomp.numerics.compress import compress
from unicomp.numerics.testfunctions import sigmoid_function

RESULTS = Path(__file__).resolve().parent / "results"


def error_of(f: Any, pts: np.ndarray, idx: np.ndarray, w: np.ndarray) -> float:
    """|f(compressed) - f(original)| with f normalised by d, sums exactly rounded."""
    return abs(math.fsum(w * f.g(pts[idx])) - math.fsum(f.g(pts))) / pts.shape[0]


def _one(method: str, pts: np.ndarray, k: int, size: int, seed: int, repeat: int) -> dict[str, Any]:
    """Wall time (best of ``repeat``), CPU time of one call, and the result's error inputs."""
    run = functools.partial(compress, pts, degree=k, size=size, method=method, seed=seed)
    cpu0 = time.process_time()
    out = run()
    cpu = time.process_time() - cpu0
    sec, _ = best_time(run, repeat - 1) if repeat > 1 else (math.inf, None)
    row: dict[str, Any] = {"cpu_seconds": cpu, "indices": out.indices, "weights": out.weights,
                           "residual": out.residual, "timings": dict(out.timings)}
    row["seconds_best"] = sec
    return row


def case(m: int, k: int, d: int, size: int, *, methods: tuple[str, ...], seeds: int = 1,
         repeat: int = 3) -> dict[str, Any]:
    """Time and error of each method; errors over ``seeds`` clouds (and test functions), times on the first.

    The greedy method runs on the first cloud only (it is the slow, theory variant).
    """
    row: dict[str, Any] = {"m": m, "k": k, "d": d, "size": size, "seeds": seeds}
    for seed in range(seeds):
        pts = np.random.default_rng(seed).uniform(-1, 1, size=(d, m))
        f = sigmoid_function(m, seed=seed + 1)
        for method in methods:
            if method == "greedy" and seed > 0:
                continue
            res = _one(method, pts, k, size, seed, repeat if method == "partition" and seed == 0 else 1)
            entry = row.setdefault(method, {"errors": []})
            entry["errors"].append(error_of(f, pts, res.pop("indices"), res.pop("weights")))
            if seed == 0:
                entry.update(res, seconds=min(res["cpu_seconds"], res["seconds_best"]))
            print(f"m={m} k={k} d={d}->{size} seed {seed} {method}: cpu {res['cpu_seconds']:.3f} s, "
                  f"error {entry['errors'][-1]:.2e}", flush=True)
    for method in methods:
        errors = np.asarray(row[method]["errors"])
        row[method]["error"] = float(np.exp(np.log(errors).mean()))
    return row


def memory_peak(d: int) -> float:
    """Peak traced allocation (MB) of one m = 3, k = 5 compression to 0.1 d."""
    pts = np.random.default_rng(0).uniform(-1, 1, size=(d, 3))
    tracemalloc.start()
    try:
        compress(pts, degree=5, size=d // 10)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(quick: bool) -> dict[str, Any]:
    params = {"quick": quick}
    print(f"load average at start: {os.getloadavg()}", flush=True)
    rows = [
        case(3, 5, 8000, 800, methods=("partition", "greedy"), seeds=1 if quick else 6),
        case(2, 5, 4000, 400, methods=("partition", "greedy"), seeds=2 if quick else 6),
        case(4, 5, 10000, 1000, methods=("partition",)),
        case(3, 5, 10000, 1000, methods=("partition",)),
        case(8, 3, 4000, 800, methods=("partition",)),
    ]
    if not quick:
        rows.append(case(5, 5, 128000, 12800, methods=("partition",), repeat=1))
    sizes = (8000, 16000, 32000) if quick else (8000, 16000, 32000, 64000)
    memory = {d: memory_peak(d) for d in sizes}
    return {"key": params_key(params), "params": params, "environment": environment(), "cases": rows,
            "memory_mb": memory, "load_average_at_end": os.getloadavg()}


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "compress.json").write_text(json.dumps(result, indent=2, default=float))
    env = result["environment"]
    lines = [
        "# Algorithm 1 benchmark (bench_compress.py)",
        "",
        f"{env['date']}, {env['machine']['cpu']} ({env['machine']['cores']} cores), threads {env['threads']}, "
        f"load average at the end {result['load_average_at_end']} (other jobs were running: times are upper bounds)",
        "",
        "Seconds: CPU time of the first call (process_time; robust to other jobs) unless the best wall time of",
        "the repeats is lower.  Error: geometric mean over the seeds (greedy: first seed only) of one function",
        "per cloud -- a signed sum that varies tenfold between clouds, so compare accuracy with the typical",
        "errors of `quality.md` (many functions, many clouds, against the authors' compressor), not here.",
        "",
        "| m | k | d -> d' | method | seconds | error (Fig. 2 f) | seeds |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["cases"]:
        for method in ("partition", "greedy"):
            if method in row:
                r = row[method]
                lines.append(f"| {row['m']} | {row['k']} | {row['d']} -> {row['size']} | {method} | "
                             f"{r['seconds']:.3f} | {r['error']:.2e} | {len(r['errors'])} |")
    lines += ["", "Peak traced memory, m = 3, k = 5, d -> 0.1 d:", ""]
    lines += [f"- d = {d}: {mb:.1f} MB" for d, mb in result["memory_mb"].items()]
    (RESULTS / "compress.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the m = 5, d = 128000 case")
    write(run(parser.parse_args().quick))
