r"""PACKING (Lemma 1): among d points of a closed m-ball of radius R some N lie in a set of diameter

.. math:: \operatorname{diam} \le \frac{4R}{\bigl(\frac{d}{N-1} - 1\bigr)^{1/m} - 1}.

The lemma is a rigorous inequality, so there is no tolerance: one exact minimum above the bound refutes
it.  Three sub-checks, any "fails" fails:

1. exact search -- :func:`min_diameter_subset` (scan of diameter-defining pairs with a clique test) must
   equal a brute force over all subsets on small random sets; otherwise the measurement below is void;
2. the lemma -- the exact smallest diameter of an N-subset, for uniform random sets and for quasi-uniform
   lattice sets (the hardest case: no two points close), never exceeds
   :func:`unicomp.theory.bounds.packing_diameter`, which must itself equal the printed formula evaluated
   here (relative ``_compression.PRINTED_RTOL``).  The lemma is loose by a factor of about 2 on every set tried (largest
   exact/bound 0.5, reached by equispaced points in m = 1, where the bound is 2x the truth asymptotically),
   so a bound too small by up to 2 is still true on point sets and only the formula comparison sees it;
3. the lemma where the project relies on it -- every step of Algorithm 1 (``compress(...,
   method="greedy")``) re-weights a cluster of :math:`N_{m,k}+1` of the a active points; its diameter,
   recomputed from the step's members, must not exceed the bound for a points (the search takes the
   :math:`N_{m,k}+1` nearest neighbours of every active point, and the lemma's proof puts N points within
   :math:`\delta` of one of them, so this is rigorous).  a is bounded below by the final size plus the
   number of later steps (each step removes at least one point), which can only loosen the bound.

Baseline: the diameter of a uniformly random N-subset.  No authors' numbers: the authors' repository
measures no cluster diameters.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from scipy.spatial.distance import pdist

from unicomp.audit.checks._compression import bound_scaled, printed_agrees, random_cluster
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, replace
from unicomp.numerics.basis import num_moments
from unicomp.numerics.result import Compression
from unicomp.theory.bounds import packing_diameter
from unicomp.verify.claims import check_target_compression, combine
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


def _distances(points: np.ndarray) -> np.ndarray:
    return np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=-1))


def min_diameter_subset(points: np.ndarray, n: int) -> float:
    """Exact smallest diameter of an ``n``-point subset of ``points`` (shape (d, m)).

    The optimal subset's diameter is attained by one of its pairs (i, j); every other member is within
    that distance of i, of j and of each other.  Pairs are scanned by increasing distance, and the first
    pair whose common neighbourhood holds an (n-2)-clique gives the optimum.

    >>> round(min_diameter_subset(np.array([[0.0], [0.1], [0.25], [1.0], [1.05]]), 3), 6)
    0.25
    """
    dist = _distances(points)
    iu, ju = np.triu_indices(points.shape[0], k=1)
    for p in np.argsort(dist[iu, ju], kind="stable"):
        i, j = iu[p], ju[p]
        diam = dist[i, j]
        common = np.flatnonzero((dist[i] <= diam) & (dist[j] <= diam))
        common = common[(common != i) & (common != j)]
        if common.size >= n - 2 and _has_clique(dist[np.ix_(common, common)] <= diam, n - 2):
            return float(diam)
    raise ValueError(f"no subset of {n} points among {points.shape[0]}")


def brute_force(points: np.ndarray, n: int) -> float:
    """Smallest diameter of an ``n``-subset by enumerating every subset (small inputs only)."""
    dist = _distances(points)
    return min(max(dist[a, b] for a, b in itertools.combinations(sub, 2))
               for sub in itertools.combinations(range(points.shape[0]), n))


def _lattice_ball(d: int, m: int) -> np.ndarray:
    """About ``d`` points of a cubic lattice inside the unit ball (quasi-uniform)."""
    volume = np.pi ** (m / 2) / math.gamma(m / 2 + 1)
    step = (volume / d) ** (1 / m)
    axis = np.arange(-1.0, 1.0 + step, step)
    grid = np.stack(np.meshgrid(*([axis] * m), indexing="ij"), axis=-1).reshape(-1, m)
    return grid[np.linalg.norm(grid, axis=1) <= 1.0]


def _search_agrees(rng: np.random.Generator) -> tuple[str, str]:
    """Sub-check 1: the exact search equals brute force on small sets."""
    cases = ((1, 9, 3), (2, 10, 3), (2, 9, 4), (3, 8, 5), (2, 11, 5))
    wrong = []
    for m, d, n in cases:
        pts = uniform_ball(d, m, rng)
        exact, brute = min_diameter_subset(pts, n), brute_force(pts, n)
        if exact != brute:  # both are the same pairwise distance when right: compared exactly
            wrong.append(f"m={m} d={d} N={n}: search {exact:.6g} vs brute force {brute:.6g}")
    return (("fails", "exact search disagrees with brute force: " + "; ".join(wrong)) if wrong else
            ("holds", f"exact search equals brute force on {len(cases)} small random sets"))


def _lemma(full: bool, seeds: list[int]) -> tuple[tuple[str, str], list[dict]]:
    """Sub-check 2: exact minima of random and lattice sets against the bound."""
    cases = [(1, 3), (1, 7), (2, 4), (2, 7), (3, 5)] + ([(2, 11), (3, 11)] if full else [])
    sizes = (100, 400, 1600, 3200) if full else (60, 240, 960)
    rows = []
    for m, n in cases:
        for d in sizes:
            if d <= 2 * (n - 1):
                continue
            exact_random, random_subset = [], []
            for seed in seeds:
                rng = np.random.default_rng(seed)
                pts = uniform_ball(d, m, rng)
                exact_random.append(min_diameter_subset(pts, n))
                random_subset.append(float(pdist(pts[rng.choice(d, size=n, replace=False)]).max()))
            lattice = _lattice_ball(d, m)
            rows.append({"m": m, "N": n, "d": d, "bound": float(packing_diameter(d, n, m, 1.0).value),
                         "exact_random_mean": float(np.mean(exact_random)),
                         "exact_random_max": float(np.max(exact_random)),
                         "lattice_d": int(lattice.shape[0]),
                         "lattice_bound": float(packing_diameter(lattice.shape[0], n, m, 1.0).value),
                         "exact_lattice": min_diameter_subset(lattice, n),
                         "random_subset_mean": float(np.mean(random_subset))})
    for r in rows:
        r["ratio"] = max(r["exact_random_max"] / r["bound"], r["exact_lattice"] / r["lattice_bound"])
    worst = max(rows, key=lambda r: r["ratio"])
    ds, ns, ms = (np.array([r[key] for r in rows], dtype=float) for key in ("d", "N", "m"))
    formula = printed_agrees([r["bound"] for r in rows], 4.0 / ((ds / (ns - 1) - 1) ** (1 / ms) - 1),
                             "packing_diameter (R = 1)")
    if formula[0] == "fails":
        return formula, rows
    vacuous = sum(r["bound"] >= 2.0 for r in rows)  # a bound >= 2R (the ball's diameter) says nothing
    text = (f"{len(rows)} (m, N, d) cases x {len(seeds)} random sets + a lattice set: largest exact/bound ratio "
            f"{worst['ratio']:.3f} at m={worst['m']} N={worst['N']} d={worst['d']} ({vacuous} cases with a "
            "vacuous bound >= 2R)")
    over = [r for r in rows if r["ratio"] > 1.0]
    if over:
        return ("fails", text + f"; the bound is exceeded in {len(over)} cases, e.g. m={over[0]['m']} "
                f"N={over[0]['N']} d={over[0]['d']}"), rows
    return ("holds", text), rows


def _greedy_steps(compress: Callable[..., Compression], full: bool, seeds: list[int]
                  ) -> tuple[tuple[str, str], list[dict]]:
    """Sub-check 3: every cluster Algorithm 1 re-weights is within the bound for the active count."""
    cases = ((1, 2), (2, 2), (3, 1)) + (((2, 3), (3, 2)) if full else ())
    d, size = (1600, 160) if full else (400, 40)
    rows, over = [], []
    for m, k in cases:
        n = num_moments(m, k) + 1
        for seed in seeds:
            pts = uniform_ball(d, m, np.random.default_rng(100 + seed))
            comp = compress(pts, degree=k, size=size, method="greedy", seed=seed)
            check_target_compression(comp, pts, size=size)
            clusters = np.asarray(comp.info["step_clusters"])
            active = comp.size + np.arange(clusters.shape[0], 0, -1)  # lower bound on the active count
            diam = np.array([pdist(pts[c]).max() for c in clusters])  # not the search's own set_diameters
            usable = active > 2 * (n - 1)
            bound = np.asarray(packing_diameter(active[usable], n, m, 1.0).value, dtype=float)
            ratio = diam[usable] / bound
            rows.append({"m": m, "k": k, "N": n, "seed": seed, "steps": int(clusters.shape[0]),
                         "largest_ratio": float(ratio.max()), "mean_ratio": float(ratio.mean())})
            if np.any(ratio > 1.0):
                step = int(np.argmax(ratio))
                over.append(f"m={m} k={k} seed={seed}: step {step} diameter {diam[usable][step]:.3g} > bound "
                            f"{bound[step]:.3g} ({int(active[usable][step])} active)")
    worst = max(rows, key=lambda r: r["largest_ratio"])
    text = (f"Algorithm 1 (greedy), d={d} -> {size}: {sum(r['steps'] for r in rows)} steps over {len(rows)} runs, "
            f"largest cluster diameter / Lemma 1 bound {worst['largest_ratio']:.3f} (m={worst['m']} k={worst['k']})")
    if over:
        return ("fails", text + "; exceeded: " + "; ".join(over[:3])), rows
    return ("holds", text), rows


def run(ctx: AuditContext) -> None:
    """Measure PACKING (see the module docstring) and record the finding."""
    compress = ctx.require("unicomp.numerics.compress").compress
    seeds = list(range(5 if ctx.full else 3))
    search = _search_agrees(np.random.default_rng(7))
    lemma, rows = _lemma(ctx.full, seeds)
    greedy, steps = _greedy_steps(compress, ctx.full, seeds)
    fig, ax = plt.subplots(figsize=(6, 4))
    for m, n in sorted({(r["m"], r["N"]) for r in rows}):
        sel = [r for r in rows if r["m"] == m and r["N"] == n]
        ax.loglog([r["d"] for r in sel], [r["bound"] for r in sel], "-", label=f"bound m={m} N={n}")
        ax.loglog([r["lattice_d"] for r in sel], [r["exact_lattice"] for r in sel], "o", color="k", ms=3)
        ax.loglog([r["d"] for r in sel], [r["exact_random_mean"] for r in sel], "x", color="r", ms=4)
    ax.set(xlabel="d", ylabel="diameter (R = 1)", title="Lemma 1: bound (lines); exact min: o lattice, x random")
    ax.legend(fontsize=6)
    ctx.figure(fig)
    verdict, caveat, evidence = combine([search, lemma, greedy], show=3)
    ctx.record(verdict, {"cases": rows, "max_ratio_exact_over_bound": max(r["ratio"] for r in rows),
                         "greedy_steps": steps}, evidence, caveat=caveat,
               baseline={"random_subset_diameter": {f"m{r['m']}_N{r['N']}_d{r['d']}": r["random_subset_mean"]
                                                    for r in rows}},
               params={"R": 1.0, "bound": "unicomp.theory.bounds.packing_diameter",
                       "greedy": "compress(method='greedy')"},
               seeds=seeds)


MUTANTS: tuple[Mutant, ...] = (
    Mutant("packing-bound-4R-to-R", "packing_diameter drops the factor 4 of 4R (a bound constant off by 4)",
           replace("unicomp.theory.bounds:packing_diameter",
                   bound_scaled(0.25))),
    Mutant("packing-greedy-random-cluster", "the greedy cluster search returns a random active subset",
           replace("unicomp.numerics.cluster:NearestClusterSearch.best", random_cluster)),
)

