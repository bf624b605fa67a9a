r"""PACKING (Lemma 1): among d points of a closed m-ball of radius R some N lie in a set of diameter

.. math:: \operatorname{diam} \le \frac{4R}{\bigl(\frac{d}{N-1} - 1\bigr)^{1/m} - 1}.

Measurement: the *exact* smallest diameter of an N-subset (:func:`min_diameter_subset`, an exhaustive
search over diameter-defining pairs, checked against brute force over all subsets below), for uniform
random sets and for quasi-uniform lattice sets (the hardest case: no two points close), compared with
the bound from :func:`unicomp.theory.bounds.packing_diameter`.  No tolerance: the lemma is a rigorous
inequality, so a single exact minimum above the bound refutes it.  Baseline: the diameter of a uniformly
random N-subset.
"""

from __future__ import annotations

import itertools
import math

import matplotlib.pyplot as plt
import numpy as np

from unicomp.theory.bounds import packing_diameter
from unicomp.verify.strategies import uniform_ball


def _has_clique(adj: np.ndarray, size: int) -> bool:
    """Whether the graph with boolean adjacency ``adj`` has a clique of ``size`` vertices."""
    if size <= 0:
        return True
    n = adj.shape[0]
    for v in range(n - size + 1):
        rest = np.flatnonzero(adj[v, v + 1 :]) + v + 1
        if rest.size >= size - 1 and _has_clique(adj[np.ix_(rest, rest)], size - 1):
            return True
    return False


def min_diameter_subset(points: np.ndarray, n: int) -> float:
    """Exact smallest diameter of an ``n``-point subset of ``points`` (shape (d, m)).

    The optimal subset's diameter is attained by one of its pairs (i, j); every other member is within
    that distance of i, of j and of each other.  Pairs are scanned by increasing distance, and the first
    pair whose common neighbourhood holds an (n-2)-clique gives the optimum.
    """
    dist = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=-1))
    iu, ju = np.triu_indices(points.shape[0], k=1)
    order = np.argsort(dist[iu, ju], kind="stable")
    for p in order:
        i, j = iu[p], ju[p]
        diam = dist[i, j]
        common = np.flatnonzero((dist[i] <= diam) & (dist[j] <= diam))
        common = common[(common != i) & (common != j)]
        if common.size >= n - 2 and _has_clique(dist[np.ix_(common, common)] <= diam, n - 2):
            return float(diam)
    raise ValueError(f"no subset of {n} points among {points.shape[0]}")


def _brute_force(points: np.ndarray, n: int) -> float:
    dist = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=-1))
    return min(
        max(dist[a, b] for a, b in itertools.combinations(sub, 2))
        for sub in itertools.combinations(range(points.shape[0]), n)
    )


def _lattice_ball(d: int, m: int) -> np.ndarray:
    """About ``d`` points of a cubic lattice inside the unit ball (quasi-uniform)."""
    volume = np.pi ** (m / 2) / math.gamma(m / 2 + 1)
    step = (volume / d) ** (1 / m)
    axis = np.arange(-1.0, 1.0 + step, step)
    grid = np.stack(np.meshgrid(*([axis] * m), indexing="ij"), axis=-1).reshape(-1, m)
    return grid[np.linalg.norm(grid, axis=1) <= 1.0]


def test_exact_search_matches_brute_force():
    rng = np.random.default_rng(7)
    for m, d, n in ((1, 9, 3), (2, 10, 3), (2, 9, 4), (3, 8, 5)):
        pts = uniform_ball(d, m, rng)
        assert min_diameter_subset(pts, n) == _brute_force(pts, n)


def test_packing(audit):
    full = audit.full
    cases = [(1, 3), (1, 7), (2, 4), (2, 7), (3, 5)] + ([(2, 11), (3, 11)] if full else [])
    sizes = (100, 400, 1600, 3200) if full else (60, 240, 960)
    seeds = list(range(5 if full else 3))
    rows = []
    for m, n in cases:
        for d in sizes:
            if d <= 2 * (n - 1):
                continue
            bound = float(packing_diameter(d, n, m, 1.0).value)
            exact_random = []
            random_subset = []
            for seed in seeds:
                rng = np.random.default_rng(seed)
                pts = uniform_ball(d, m, rng)
                exact_random.append(min_diameter_subset(pts, n))
                pick = pts[rng.choice(d, size=n, replace=False)]
                random_subset.append(float(np.max(np.linalg.norm(pick[:, None] - pick[None], axis=-1))))
            lattice = _lattice_ball(d, m)
            bound_lattice = float(packing_diameter(lattice.shape[0], n, m, 1.0).value)
            rows.append({
                "m": m, "N": n, "d": d, "bound": bound,
                "exact_random_mean": float(np.mean(exact_random)),
                "exact_random_std": float(np.std(exact_random)),
                "exact_random_max": float(np.max(exact_random)),
                "lattice_d": int(lattice.shape[0]), "lattice_bound": bound_lattice,
                "exact_lattice": min_diameter_subset(lattice, n),
                "random_subset_mean": float(np.mean(random_subset)),
            })
    ratios = [max(r["exact_random_max"] / r["bound"], r["exact_lattice"] / r["lattice_bound"]) for r in rows]
    violations = [r for r, q in zip(rows, ratios, strict=True) if q > 1.0]
    worst = rows[int(np.argmax(ratios))]
    vacuous = sum(r["bound"] >= 2.0 for r in rows)  # a bound >= 2R (the ball's diameter) says nothing
    fig, ax = plt.subplots(figsize=(6, 4))
    for m, n in cases:
        sel = [r for r in rows if r["m"] == m and r["N"] == n]
        ax.loglog([r["d"] for r in sel], [r["bound"] for r in sel], "-", label=f"bound m={m} N={n}")
        ax.loglog([r["lattice_d"] for r in sel], [r["exact_lattice"] for r in sel], "o", color="k", ms=3)
        ax.loglog([r["d"] for r in sel], [r["exact_random_mean"] for r in sel], "x", color="r", ms=4)
    ax.set(xlabel="d", ylabel="diameter (R = 1)", title="Lemma 1: bound (lines); exact min: o lattice, x random")
    ax.legend(fontsize=6)
    audit.figure(fig)
    evidence = (
        f"{len(rows)} (m, N, d) cases x {len(seeds)} random sets + a lattice set; largest exact/bound ratio "
        f"{max(ratios):.3f} at m={worst['m']} N={worst['N']} d={worst['d']} (exact minimum via exhaustive "
        f"pair/clique search); {vacuous} of the cases have a vacuous bound (>= 2R)"
    )
    if violations:
        verdict = "fails"
        evidence += f"; the bound is exceeded in {len(violations)} cases, e.g. {violations[0]}"
    else:
        verdict = "holds"
    audit.record(
        verdict, {"cases": rows, "max_ratio_exact_over_bound": max(ratios), "vacuous_cases": vacuous}, evidence,
        baseline={"random_subset_diameter": {f"m{r['m']}_N{r['N']}_d{r['d']}": r["random_subset_mean"]
                                             for r in rows}},
        params={"cases_m_N": cases, "sizes": sizes, "R": 1.0,
                "bound": "unicomp.theory.bounds.packing_diameter"},
        seeds=seeds,
    )
