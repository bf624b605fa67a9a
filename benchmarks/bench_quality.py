"""Quality benchmark (issue 11): unicomp's compression methods against the authors' own compressor.

Run by hand, single-threaded BLAS (set here unless already set)::

    .venv/bin/python benchmarks/bench_quality.py [--quick] [--methods partition,greedy] [--all-greedy]
        [--ms 2,3,4] [--seeds 3] [--timed-seeds 1] [--authors-python PATH] [--no-big]

For m in ``--ms`` (default 2, 3, 4), k = 5, d = 8000 -> d' = 800, on ``--seeds`` clouds of each kind
(uniform, Gaussian, clustered; :mod:`_panel`) every method of ``--methods`` (default: every name in
``unicomp.numerics.compress``'s method tuple, read at run time; ``greedy`` on the first cloud per m only
unless ``--all-greedy``) and the authors' ``compressor.py`` (:mod:`_authors`, their Python, cached in
``results/authors_cache``) compress the same cloud.  The error of a result on each panel function g is
``|sum_j c'_j g(w'_j) - sum_i g(w_i)| / d`` (both sums ``math.fsum``); the table reports ours / authors.

Times: wall and CPU seconds of every call (ours: CPU of the first call, wall the best of three when a call
takes under a second).  The authors' compressor runs anew, in this invocation, on the first
``--timed-seeds`` seeds of each kind (so 3 clouds per m by default): the speed ratios use only those.  Its
other results come from the cache (their times are kept but not used for ratios).

The large case: m = 5, k = 5, 128000 -> 12800 with our methods (not greedy) against the authors'
m = 5, k = 5, 8000 -> 800, read from the cache only (their run takes far longer than everything else:
``--fill-cache`` makes it, in the background; ``--big-only`` then adds the case to the existing results).

Writes ``results/quality.json``, ``results/quality.md`` and ``results/quality_pareto.png``; with ``--quick``
(one cloud per kind, no large case) ``quality_quick.*``.  Exits 0 with a message when the authors'
repository or Python is missing.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _authors import ROOT, AuthorsCache, AuthorsRun, find_python, find_source, run_authors
from _panel import FUNCTIONS, KINDS, cloud, cloud_hash, panel
from bench_recombine import best_time, scaled_residual

from unicomp.numerics.compress import METHODS, compress

RESULTS = Path(__file__).resolve().parent / "results"
K = 5
D = 8000
BIG_D, BIG_M = 128000, 5
FAST = 1.0  # seconds: calls faster than this are timed as the best of three (timer noise under load)


def default_methods() -> tuple[str, ...]:
    """Every method name ``compress`` accepts (:data:`unicomp.numerics.compress.METHODS`)."""
    return tuple(METHODS)


@dataclass(frozen=True)
class Authors:
    """Where the authors' compressor is and where its results are cached."""

    python: Path
    source: Path
    cache: AuthorsCache

    def result(self, points: np.ndarray, m: int, kind: str, seed: int, size: int, fresh: bool) -> AuthorsRun:
        """Its result on ``points``: run now if ``fresh`` or not cached (and then cached), else the cache's."""
        path = self.cache.path(m, kind, seed, points.shape[0], K, size, cloud_hash(points))
        cached = None if fresh else self.cache.load(path)
        if cached is not None:
            return cached
        print(f"  authors' compressor m={m} {kind} seed {seed} d={points.shape[0]} ...", flush=True)
        out = run_authors(self.python, self.source, points, K, size)
        self.cache.save(path, out)
        return out


def errors(functions: dict[str, Any], full: dict[str, float], points: np.ndarray, idx: np.ndarray,
           weights: np.ndarray) -> dict[str, float]:
    """Per function, ``|sum_j c'_j g(w'_j) - sum_i g(w_i)| / d`` (``full`` holds the second sums)."""
    kept = points[idx]
    return {name: abs(math.fsum(weights * g(kept)) - full[name]) / points.shape[0]
            for name, g in functions.items()}


def typical_errors(points: np.ndarray, seed: int, draws: int, results: dict[str, tuple[np.ndarray, np.ndarray]],
                   ) -> dict[str, dict[str, float]]:
    """Per result and function family, the RMS of the error over ``draws`` members of the family.

    One function's error is a signed sum over the reduction steps and can cancel by chance on one cloud and
    not on the next (per-cloud ratios of single functions spread over three orders of magnitude); the RMS
    over many members of a family is the typical error that a user's function of that shape meets.
    """
    squares: dict[str, dict[str, float]] = {who: dict.fromkeys(FUNCTIONS, 0.0) for who in results}
    for draw in range(draws):
        functions = panel(points, seed, K, draw)
        full = {name: math.fsum(g(points)) for name, g in functions.items()}
        for who, (idx, weights) in results.items():
            for name, err in errors(functions, full, points, idx, weights).items():
                squares[who][name] += err * err / draws
    return {who: {name: math.sqrt(v) for name, v in sq.items()} for who, sq in squares.items()}


def run_ours(method: str, points: np.ndarray, size: int) -> tuple[Any, float, float]:
    """One compression, its CPU time (first call) and wall time (best of three for fast calls)."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    comp = compress(points, degree=K, size=size, method=method, seed=0)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if wall < FAST:
        wall = min(wall, best_time(lambda: compress(points, degree=K, size=size, method=method, seed=0), 2)[0])
    return comp, wall, cpu


def record(points: np.ndarray, idx: np.ndarray, weights: np.ndarray, errs: dict[str, float], wall: float,
           cpu: float) -> dict[str, Any]:
    """The measured quantities of one result (residual: Chebyshev moments relative to sum |Phi_e|)."""
    return {"errors": errs, "wall_seconds": wall, "cpu_seconds": cpu, "size": int(idx.size),
            "min_weight": float(weights.min()), "residual": scaled_residual(points, idx, weights, K)}


def one_cloud(authors: Authors, m: int, kind: str, seed: int, methods: tuple[str, ...], fresh: bool,
              greedy: bool, draws: int) -> dict[str, Any]:
    """Every method and the authors' compressor on one cloud."""
    points = cloud(m, kind, seed, D)
    size = D // 10
    functions = panel(points, seed, K)
    full = {name: math.fsum(g(points)) for name, g in functions.items()}
    theirs = authors.result(points, m, kind, seed, size, fresh)
    row: dict[str, Any] = {"m": m, "kind": kind, "seed": seed, "hash": cloud_hash(points), "d": D,
                           "size": size}
    row["authors"] = record(points, theirs.indices, theirs.weights,
                            errors(functions, full, points, theirs.indices, theirs.weights),
                            theirs.wall_seconds, theirs.cpu_seconds) | {"timed_here": not theirs.cached}
    row["methods"] = {}
    kept = {"authors": (theirs.indices, theirs.weights)}
    for method in methods:
        if method == "greedy" and not greedy:
            continue
        comp, wall, cpu = run_ours(method, points, size)
        row["methods"][method] = record(points, comp.indices, comp.weights,
                                        errors(functions, full, points, comp.indices, comp.weights), wall,
                                        cpu) | {"reported_residual": float(comp.residual)}
        kept[method] = (comp.indices, comp.weights)
    if draws:
        typical = typical_errors(points, seed, draws, kept)
        row["authors"]["rms_errors"] = typical.pop("authors")
        for method, values in typical.items():
            row["methods"][method]["rms_errors"] = values
    summary = ", ".join(f"{meth} {r['wall_seconds']:.2f}s" for meth, r in row["methods"].items())
    print(f"m={m} {kind} seed {seed}: authors {row['authors']['wall_seconds']:.1f}s"
          f"{' (cache)' if theirs.cached else ''}; {summary}", flush=True)
    return row


def big_case(authors: Authors, methods: tuple[str, ...]) -> dict[str, Any]:
    """Ours at m = 5, 128000 -> 12800 against the authors' m = 5, 8000 -> 800 from the cache.

    Their run takes far longer than the rest of the benchmark (see ``quality.md``), so it is never started
    here: ``--fill-cache`` runs it once; without it the case records ``"authors": None``.
    """
    small = cloud(BIG_M, "uniform", 0, D)
    theirs = authors.cache.load(authors.cache.path(BIG_M, "uniform", 0, D, K, D // 10, cloud_hash(small)))
    out: dict[str, Any] = {"authors": None if theirs is None else {
        "d": D, "size": D // 10, "wall_seconds": theirs.wall_seconds, "cpu_seconds": theirs.cpu_seconds,
        "timed_here": False}}
    points = cloud(BIG_M, "uniform", 0, BIG_D)
    for method in methods:
        if method == "greedy":
            continue
        comp, wall, cpu = run_ours(method, points, BIG_D // 10)
        out[method] = {"d": BIG_D, "size": comp.size, "wall_seconds": wall, "cpu_seconds": cpu,
                       "residual": float(comp.residual)}
        print(f"m=5 {BIG_D}->{BIG_D // 10} {method}: {wall:.1f}s wall, {cpu:.1f}s CPU", flush=True)
    return out


def fill_cache(authors: Authors, ms: list[int], seeds: range, big: bool) -> None:
    """Run the authors' compressor on every cloud missing from the cache (the large case's first)."""
    todo = [(BIG_M, "uniform", 0)] if big else []
    todo += [(m, kind, seed) for m in ms for seed in seeds for kind in KINDS]
    for m, kind, seed in todo:
        run = authors.result(cloud(m, kind, seed, D), m, kind, seed, D // 10, fresh=False)
        print(f"m={m} {kind} seed {seed}: {run.wall_seconds:.0f} s wall, {run.cpu_seconds:.0f} s CPU"
              f"{' (cache)' if run.cached else ''}", flush=True)


def source_state() -> dict[str, str]:
    """The commit measured and any uncommitted change of the package (other work shares the checkout)."""
    def git(*cmd: str) -> str:
        out = subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "uncommitted_in_unicomp": git("status", "--porcelain", "unicomp")}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    python, source = find_python(args.authors_python), find_source()
    if python is None or source is None:
        print("bench_quality: skipped, the authors' "
              f"{'Python' if python is None else 'repository (compressor.py)'} was not found "
              "(--authors-python / UNICOMP_AUTHORS_PYTHON; UNICOMP_ANCHORS or ../shared/anchors)")
        return 0
    from _quality_report import write  # matplotlib is imported only when there is something to plot

    authors = Authors(python, source, AuthorsCache(RESULTS / "authors_cache"))
    methods = tuple(args.methods.split(",")) if args.methods else default_methods()
    seeds = 1 if args.quick else args.seeds
    stem = "quality_quick" if args.quick else "quality"
    if args.big_only:
        previous = json.loads((RESULTS / f"{stem}.json").read_text())
        previous.pop("summary")
        write(previous | {"big": big_case(authors, methods), "big_source": source_state()}, RESULTS, stem)
        return 0
    if args.fill_cache:
        fill_cache(authors, [int(v) for v in args.ms.split(",")], range(args.timed_seeds, seeds), not args.no_big)
        return 0
    load_start, measured = os.getloadavg(), source_state()  # the code measured is the code imported now
    clouds = []
    for seed in range(seeds):  # the timed seeds first: the cache of the others may still be filling
        for m in (int(v) for v in args.ms.split(",")):
            for kind in KINDS:
                greedy = args.all_greedy or (seed == 0 and kind == KINDS[0])
                clouds.append(one_cloud(authors, m, kind, seed, methods, seed < args.timed_seeds, greedy,
                                        args.draws))
    big = None if args.quick or args.no_big else big_case(authors, methods)
    write({"params": vars(args) | {"methods": list(methods), "seeds": seeds, "k": K, "d": D},
           "source": measured,
           "load_average_at_start": load_start, "load_average_at_end": os.getloadavg(),
           "clouds": clouds, "big": big}, RESULTS, stem)
    return 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one cloud per kind, no large case")
    parser.add_argument("--methods", help="comma-separated method names (default: all of compress's)")
    parser.add_argument("--all-greedy", action="store_true", help="greedy on every cloud (slow)")
    parser.add_argument("--ms", default="2,3,4", help="dimensions m (default 2,3,4)")
    parser.add_argument("--seeds", type=int, default=3, help="clouds per kind and m (default 3)")
    parser.add_argument("--timed-seeds", type=int, default=1,
                        help="seeds per kind on which the authors' code runs anew for timing (default 1)")
    parser.add_argument("--authors-python", help="the authors' interpreter (default ../authors-venv/bin/python)")
    parser.add_argument("--fill-cache", action="store_true",
                        help="only run the authors' compressor where the cache lacks a result (the large case's "
                             "cloud and the seeds from --timed-seeds on; the timed seeds run in the benchmark)")
    parser.add_argument("--big-only", action="store_true",
                        help="only (re)measure the m = 5 case and rewrite the existing results with it")
    parser.add_argument("--no-big", action="store_true", help="skip the m = 5, 128000 -> 12800 case")
    parser.add_argument("--draws", type=int, default=16,
                        help="members of each function family for the typical (RMS) error per cloud (default 16; "
                             "0: the panel's own functions only)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
