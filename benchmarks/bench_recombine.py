"""Benchmark of :func:`unicomp.recombine` against PyRecombine and simple baselines (issues 2 and 14).

Run by hand, single-threaded (the script sets ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and
``MKL_NUM_THREADS`` to 1 unless already set, so the C++ reference runs on one thread like we do)::

    .venv/bin/python benchmarks/bench_recombine.py [--quick]

Writes ``benchmarks/results/recombine.json`` and ``recombine.md`` with machine, versions and thread settings.

Cases: N = 1e5 and 1e6 uniform points in [-1, 1]^2, k = 10 (66 moments): best-of-3 time, kept size, the
scaled residual max_e |moment difference| / sum_i |c_i Phi_e(w_i)|, and the peak memory (tracemalloc's
peak of traced allocations, numpy arrays included, measured in a separate run).  Reference: one chunked
pass that only computes the 66 moments, and PyRecombine (C++, the ``bench`` extra) on the same points.
The torch backend on the CPU is timed beside the float64 one.  Baselines on the same points (smaller N
where they are too slow): straightforward peeling with one SVD null vector per removed point (the paper's
Algorithm 2), ``scipy.optimize.nnls`` and ``scipy.optimize.linprog`` (HiGHS) on A c = b, c >= 0.  And the
50-digit run N = 2000, m = 2, k = 10 with the mpmath and the flint backends, the latter with its certified
residual bound.  A method whose package is not installed is skipped (and listed as skipped).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import importlib.util
import json
import math
import sys
import time
import tracemalloc
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import scipy.linalg
import scipy.optimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _environment import environment, params_key

from unicomp import recombine
from unicomp.numerics.basis import ChebyshevBasis

RESULTS = Path(__file__).resolve().parent / "results"


def best_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls and the last result."""
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_memory_mb(fn: Callable[[], Any]) -> float:
    """Peak traced allocation (MB) during one call."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def scaled_residual(points: np.ndarray, idx: np.ndarray, weights: np.ndarray, degree: int) -> float:
    """max_e |sum_i Phi_e(w_i) - sum_j c_j Phi_e(w_j)| / sum_i |Phi_e(w_i)| in the Chebyshev basis of the box."""
    basis = ChebyshevBasis.fit(points, degree)
    full = np.zeros(basis.size)
    absolute = np.zeros(basis.size)
    for lo in range(0, len(points), 65536):
        feats = basis(points[lo : lo + 65536])
        full += [math.fsum(col) for col in feats.T]
        absolute += np.abs(feats).sum(axis=0)
    kept = basis(points[idx]).T @ weights
    return float(np.max(np.abs(full - kept) / absolute))


def moments_only(points: np.ndarray, degree: int) -> np.ndarray:
    """The reference pass: the 66 weighted moments of the data, chunk by chunk, nothing else."""
    basis = ChebyshevBasis.fit(points, degree)
    ones = np.ones(16384)
    total = np.zeros(basis.size)
    for lo in range(0, len(points), 16384):
        chunk = points[lo : lo + 16384]
        total += basis.group_sums(chunk, ones[: len(chunk)], len(chunk))[0]
    return total


def peeling(points: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Paper's Algorithm 2 with one SVD null vector per removed point (raw monomials would be worse;
    the stable basis is used so that only the algorithmic cost differs)."""
    feats = ChebyshevBasis.fit(points, degree)(points)
    c = np.ones(len(points))
    active = np.arange(len(points))
    while len(active) > feats.shape[1]:
        sub = feats[active]
        v = scipy.linalg.null_space(sub.T)[:, 0]
        if not np.any(v > 0):
            v = -v
        pos = np.flatnonzero(v > 1e-13 * np.abs(v).max())
        ratios = c[active][pos] / v[pos]
        j = int(np.argmin(ratios))
        c[active] -= ratios[j] * v
        c[active[pos[j]]] = 0
        active = active[c[active] > 0]
    return active, c[active]


def nnls_baseline(points: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    feats = ChebyshevBasis.fit(points, degree)(points)
    x, _ = scipy.optimize.nnls(feats.T, feats.sum(axis=0), maxiter=50 * feats.shape[1])
    idx = np.flatnonzero(x > 0)
    return idx, x[idx]


def linprog_baseline(points: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    feats = ChebyshevBasis.fit(points, degree)(points)
    res = scipy.optimize.linprog(
        np.zeros(len(points)), A_eq=feats.T, b_eq=feats.sum(axis=0), bounds=(0, None), method="highs-ds"
    )
    idx = np.flatnonzero(res.x > 0)
    return idx, res.x[idx]


def installed(module: str) -> bool:
    """Whether an optional package can be imported (its benchmark rows are skipped otherwise)."""
    return importlib.util.find_spec(module) is not None


def pyrecombine_reference(points: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """PyRecombine (C++ recombination, monomial basis, unit weights) on the same points."""
    import pyrecombine

    idx, w = pyrecombine.recombine(points, degree=degree)
    return np.asarray(idx, dtype=np.int64), np.asarray(w, dtype=np.float64)


def large_n_rows(pts: np.ndarray, degree: int, skipped: list[str]) -> list[dict[str, Any]]:
    """unicomp float64 and torch (CPU) against the moments-only pass and PyRecombine on one input."""
    n = len(pts)
    t_ref, _ = best_time(lambda: moments_only(pts, degree), 3)
    t_ours, comp = best_time(lambda: recombine(pts, degree=degree), 3)
    ours = {"method": "unicomp.recombine", "N": n, "m": 2, "k": degree, "time_s": t_ours, "kept": comp.size,
            "scaled_residual": scaled_residual(pts, comp.indices, comp.weights, degree),
            "peak_mb": peak_memory_mb(lambda: recombine(pts, degree=degree)),
            "moments_only_s": t_ref, "ratio_to_moments_pass": t_ours / t_ref}
    rows = [ours]
    if installed("torch"):
        t, tcomp = best_time(lambda: recombine(pts, degree=degree, backend="torch", device="cpu"), 3)
        rows.append({"method": "unicomp.recombine backend=torch (CPU)", "N": n, "m": 2, "k": degree, "time_s": t,
                     "kept": tcomp.size, "scaled_residual": scaled_residual(pts, tcomp.indices, tcomp.weights, degree),
                     "unicomp_time_s_same_input": t_ours})
    else:
        skipped.append(f"torch backend at N={n} (torch not installed)")
    if installed("pyrecombine"):
        t, (idx, w) = best_time(lambda: pyrecombine_reference(pts, degree), 3)
        rows.append({"method": "PyRecombine (reference)", "N": n, "m": 2, "k": degree, "time_s": t, "kept": len(idx),
                     "scaled_residual": scaled_residual(pts, idx, w, degree), "unicomp_time_s_same_input": t_ours,
                     "unicomp_over_reference": t_ours / t})
    else:
        skipped.append(f"PyRecombine at N={n} (pyrecombine not installed: pip install 'unicomp[bench]')")
    return rows


def high_precision_rows(pts: np.ndarray, degree: int, skipped: list[str]) -> list[dict[str, Any]]:
    """precision=50 with the mpmath and the flint backend on the same points (one run each)."""
    rows = []
    for name in ("mpmath", "flint"):
        if name == "flint" and not installed("flint"):
            skipped.append("precision=50 with flint (python-flint not installed: pip install 'unicomp[flint]')")
            continue
        t, comp = best_time(lambda b=name: recombine(pts, degree=degree, precision=50, backend=b), 1)
        rows.append({"method": f"unicomp.recombine precision=50 backend={name}", "N": len(pts), "m": 2, "k": degree,
                     "time_s": t, "kept": comp.size, "residual_relative_to_mass": comp.residual,
                     "residual_bound": comp.residual_bound})
    return rows


def linear_algebra_rows(skipped: list[str]) -> list[dict[str, Any]]:
    """50-digit kernels of the reduction, flint against mpmath on the same matrices: a 66 x 66 solve with
    one right-hand side, and the null space of a 132 x 66 feature matrix (the tree's barycentre problem)."""
    if not installed("flint"):
        skipped.append("50-digit linear algebra with flint (python-flint not installed)")
        return []
    import mpmath

    from unicomp.numerics.backends import get_backend

    rng = np.random.default_rng(1)
    square, rhs = rng.uniform(-1, 1, (66, 66)), rng.uniform(-1, 1, 66)
    pts = rng.uniform(-1, 1, (132, 2))
    rows = []
    for name in ("mpmath", "flint"):
        backend = get_backend(50, name)
        with backend.context():
            a, b = backend.asarray(square), backend.asarray(rhs)
            basis = ChebyshevBasis(10, backend.asarray(np.zeros(2)), backend.asarray(np.ones(2)))
            feats = backend.features(basis, backend.asarray(pts))
            if name == "mpmath":
                t_solve, _ = best_time(lambda a=a, b=b: mpmath.lu_solve(mpmath.matrix(a.tolist()),
                                                                         mpmath.matrix(list(b))), 3)
            else:
                t_solve, _ = best_time(lambda a=a, b=b, bk=backend: bk.lstsq(a, b), 3)  # square: LU
            t_null, null = best_time(lambda f=feats, bk=backend: bk.null_space(f), 3)
            residual = max(abs(float(x)) for x in (feats.T @ null).flat)
        rows.append({"backend": name, "solve_66_s": t_solve, "null_space_132x66_s": t_null,
                     "null_vectors": int(null.shape[1]), "max_null_residual": residual})
        print(rows[-1], flush=True)
    return rows


def run(quick: bool) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    degree = 10
    sizes = [10**4] if quick else [10**5, 10**6]
    load_start = os.getloadavg()
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for n in sizes:
        rows += large_n_rows(rng.uniform(-1, 1, size=(n, 2)), degree, skipped)
        for row in rows[-3:]:
            print(row, flush=True)
    baselines: list[tuple[str, Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]], list[int]]] = [
        ("peeling (one SVD null vector per removal)", peeling, [500] if quick else [1000, 2000]),
        ("scipy.optimize.nnls", nnls_baseline, [2000] if quick else [10**4, 3 * 10**4]),
        ("scipy.optimize.linprog (HiGHS dual simplex)", linprog_baseline, [2000] if quick else [10**4, 3 * 10**4]),
    ]
    for name, fn, ns in baselines:
        for n in ns:
            pts = rng.uniform(-1, 1, size=(n, 2))
            t, (idx, w) = best_time(lambda p=pts, f=fn: f(p, degree), 1)
            t_ours, _ = best_time(lambda p=pts: recombine(p, degree=degree), 3)
            rows.append({
                "method": name, "N": n, "m": 2, "k": degree, "time_s": t, "kept": len(idx),
                "scaled_residual": scaled_residual(pts, idx, w, degree),
                "unicomp_time_s_same_input": t_ours,
            })
            print(rows[-1], flush=True)
    rows += high_precision_rows(rng.uniform(-1, 1, size=(500 if quick else 2000, 2)), degree, skipped)
    print(rows[-2:], flush=True)
    kernels = linear_algebra_rows(skipped)
    extra = {}
    for package in ("python-flint", "pyrecombine"):
        try:
            extra[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            extra[package] = None
    return {"params": {"quick": quick, "seed": 0, "degree": degree}, "rows": rows, "kernels_50_digits": kernels,
            "skipped": skipped,
            "load_average": {"start": load_start, "end": os.getloadavg()}, "extra_versions": extra}


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    result = {"key": params_key(result["params"]), "environment": environment(), **result}
    (RESULTS / "recombine.json").write_text(json.dumps(result, indent=2))
    markdown = render(result)
    (RESULTS / "recombine.md").write_text(markdown)
    print(markdown)


def render(result: dict[str, Any]) -> str:
    """The markdown report of a result (as written to recombine.json)."""
    env = result["environment"]
    mpmath_time = {r["N"]: r["time_s"] for r in result["rows"] if r["method"].endswith("backend=mpmath")}
    lines = [
        "# recombine benchmark",
        "",
        f"{env['date']}; {env['machine']['cpu']} ({env['machine']['cores']} cores); Python "
        f"{env['machine']['python']}; numpy {env['versions']['numpy']}, scipy {env['versions']['scipy']}, "
        f"mpmath {env['versions']['mpmath']}, torch {env['versions']['torch']}, python-flint "
        f"{result['extra_versions']['python-flint']}, pyrecombine {result['extra_versions']['pyrecombine']}; "
        f"threads {env['threads']}",
        "",
        f"Load average (1, 5, 15 min) at start {_load(result['load_average']['start'])} and end "
        f"{_load(result['load_average']['end'])} on {env['machine']['cores']} cores: the machine was shared "
        "with other jobs, so absolute times are noisy; compare methods within this run (each row's notes give "
        "unicomp's time on the same input, or the ratio).",
        "",
        "| method | N | time (s) | kept | scaled residual | peak MB | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        notes = []
        if "ratio_to_moments_pass" in r:
            notes.append(f"{r['ratio_to_moments_pass']:.2f}x the moments-only pass ({r['moments_only_s']:.3f} s)")
        if "unicomp_time_s_same_input" in r:
            notes.append(f"unicomp float64 on the same input: {r['unicomp_time_s_same_input']:.4f} s")
        if "torch" in r["method"]:
            notes.append(f"{r['time_s'] / r['unicomp_time_s_same_input']:.2f}x the float64 time")
        if r["method"].endswith("backend=flint") and r["N"] in mpmath_time:
            notes.append(f"{mpmath_time[r['N']] / r['time_s']:.0f}x faster than mpmath")
        if "unicomp_over_reference" in r:
            notes.append(f"unicomp takes {r['unicomp_over_reference']:.2f}x the reference's time")
        if "residual_relative_to_mass" in r:
            notes.append(f"residual / mass {r['residual_relative_to_mass']:.2e}")
        if r.get("residual_bound") is not None:
            notes.append(f"certified (ball arithmetic) <= {r['residual_bound']:.2e}")
        res = r.get("scaled_residual")
        peak = r.get("peak_mb")
        lines.append(
            f"| {r['method']} | {r['N']} | {r['time_s']:.4f} | {r['kept']} | "
            f"{'' if res is None else f'{res:.2e}'} | {'' if peak is None else f'{peak:.0f}'} | {'; '.join(notes)} |"
        )
    if result["kernels_50_digits"]:
        lines += ["", "50-digit linear algebra (best of 3; mpmath: `lu_solve` and the Gauss-Jordan null space, "
                  "flint: `arb_mat` LU and the pivoted null space):", "",
                  "| backend | 66 x 66 solve (s) | null space of 132 x 66 (s) | null vectors | max abs(A^T v) |",
                  "|---|---|---|---|---|"]
        lines += [f"| {k['backend']} | {k['solve_66_s']:.4f} | {k['null_space_132x66_s']:.4f} | {k['null_vectors']} | "
                  f"{k['max_null_residual']:.1e} |" for k in result["kernels_50_digits"]]
    lines += ["", *(f"Skipped: {item}." for item in result["skipped"])] if result["skipped"] else []
    return "\n".join(lines) + "\n"


def _load(values: list[float] | tuple[float, ...]) -> str:
    return "/".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    write(run(parser.parse_args().quick))
