"""Summaries, tables and the Pareto plot of the quality benchmark (``bench_quality.py``).

Ratios are ours / authors' error per function and cloud; a summary is their geometric mean (with its
multiplicative standard error: single-cloud ratios scatter over orders of magnitude, the error being the
absolute value of a signed sum), and the issue's target is a geometric mean <= ``TARGET`` = 0.2 for every
function.  Speed ratios are the authors' time / ours
on the clouds where the authors' compressor ran in the same invocation (target >= ``SPEED_TARGET`` = 300).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from _environment import environment
from _panel import FUNCTIONS

TARGET = 0.2
SPEED_TARGET = 300.0
BIG_TARGET = 0.5


def geo(values: list[float]) -> float:
    """Geometric mean of the positive finite values (NaN if there are none)."""
    arr = np.asarray([v for v in values if np.isfinite(v) and v > 0], dtype=float)
    return float(np.exp(np.log(arr).mean())) if arr.size else float("nan")


def spread(values: list[float]) -> float:
    """Multiplicative standard error of the geometric mean, exp(sd(log v) / sqrt(n)) (NaN below n = 2)."""
    logs = np.log([v for v in values if np.isfinite(v) and v > 0])
    return float(np.exp(logs.std(ddof=1) / np.sqrt(logs.size))) if logs.size > 1 else float("nan")


def methods_of(clouds: list[dict[str, Any]]) -> list[str]:
    """Method names in the order they first appear."""
    return list(dict.fromkeys(meth for row in clouds for meth in row["methods"]))


def ratios(clouds: list[dict[str, Any]], method: str, function: str, key: str = "errors") -> list[float]:
    """Ours / authors' error of ``method`` on ``function``, one per cloud where ``method`` ran.

    ``key``: ``"errors"`` (the panel's own function) or ``"rms_errors"`` (RMS over the drawn members of its
    family; clouds without it are skipped).
    """
    return [row["methods"][method][key][function] / row["authors"][key][function]
            for row in clouds if method in row["methods"] and key in row["methods"][method]]


def summarise(clouds: list[dict[str, Any]]) -> dict[str, Any]:
    """Geo-mean ratios per method, function and m (and over all m), and the speed ratios per method and m."""
    ms = sorted({row["m"] for row in clouds})
    out: dict[str, Any] = {}
    for method in methods_of(clouds):
        per: dict[str, Any] = {}
        for key, rows in [*((str(m), [r for r in clouds if r["m"] == m]) for m in ms), ("all", clouds)]:
            per[key] = {f: geo(ratios(rows, method, f)) for f in FUNCTIONS}
            per[key]["spread"] = {f: spread(ratios(rows, method, f)) for f in FUNCTIONS}
            per[key]["typical"] = {f: geo(ratios(rows, method, f, "rms_errors")) for f in FUNCTIONS}
            per[key]["typical_spread"] = {f: spread(ratios(rows, method, f, "rms_errors")) for f in FUNCTIONS}
            timed = [r for r in rows if r["authors"]["timed_here"] and method in r["methods"]]
            per[key]["speed_wall"] = [r["authors"]["wall_seconds"] / r["methods"][method]["wall_seconds"]
                                      for r in timed]
            per[key]["speed_cpu"] = [r["authors"]["cpu_seconds"] / r["methods"][method]["cpu_seconds"]
                                     for r in timed]
        out[method] = per
    return out


def _mark(value: float, factor: float) -> str:
    text = f"**{value:.2f}** pass" if value <= TARGET else f"{value:.2f} fail"
    return text if np.isnan(factor) else f"{text} (x/ {factor:.1f})"


def _speed(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{np.median(values):.0f}x ({min(values):.0f}-{max(values):.0f}, {len(values)} clouds)"


def summary_lines(summary: dict[str, Any], ms: list[int]) -> list[str]:
    """The geo-mean table (function x m) and the speed table of every method."""
    lines: list[str] = []
    keys = [*map(str, ms), "all"]
    for method, per in summary.items():
        lines += [f"### {method}: geo-mean ours / authors (target <= {TARGET}; x/ its standard error factor)",
                  "",
                  "| function | " + " | ".join(f"m = {k}" if k != "all" else "all m" for k in keys) + " |",
                  "|---|" + "---|" * len(keys)]
        lines += [f"| {f} | " + " | ".join(_mark(per[k][f], per[k]["spread"][f]) for k in keys) + " |"
                  for f in FUNCTIONS]
        if any(np.isfinite(per[k]["typical"][f]) for k in keys for f in FUNCTIONS):
            lines += ["", f"Typical error (RMS over the drawn members of each family per cloud), {method}: geo-mean "
                      "ours / authors", "",
                      "| family | " + " | ".join(f"m = {k}" if k != "all" else "all m" for k in keys) + " |",
                      "|---|" + "---|" * len(keys)]
            lines += [f"| {f} | " + " | ".join(_mark(per[k]["typical"][f], per[k]["typical_spread"][f])
                                              for k in keys) + " |" for f in FUNCTIONS]
        lines += ["", f"Speed, authors' time / ours (target >= {SPEED_TARGET:.0f}x; median, range):", ""]
        lines += [f"- m = {k}: wall {_speed(per[k]['speed_wall'])}; CPU {_speed(per[k]['speed_cpu'])}"
                  for k in keys[:-1]]
        lines.append("")
    return lines


def cloud_tables(clouds: list[dict[str, Any]], method: str, m: int) -> list[str]:
    """Function x cloud table of the ratios of ``method`` at dimension ``m``."""
    rows = [r for r in clouds if r["m"] == m and method in r["methods"]]
    if not rows:
        return []
    head = [f"{r['kind'][:5]} {r['seed']}" for r in rows]
    lines = [f"#### m = {m}, {method} / authors", "", "| function | " + " | ".join(head) + " | geo-mean |",
             "|---|" + "---|" * (len(rows) + 1)]
    for f in FUNCTIONS:
        vals = ratios(rows, method, f)
        lines.append(f"| {f} | " + " | ".join(f"{v:.2f}" for v in vals) + f" | {geo(vals):.2f} |")
    return [*lines, ""]


def timing_lines(clouds: list[dict[str, Any]], ms: list[int]) -> list[str]:
    """Measured times and residuals per m: the authors' (fresh and cached) and each method's."""
    lines = ["| m | who | wall s (median, range) | CPU s (median) | clouds | max residual | max size |",
             "|---|---|---|---|---|---|---|"]
    for m in ms:
        rows = [r for r in clouds if r["m"] == m]
        groups = {"authors (run here)": [r["authors"] for r in rows if r["authors"]["timed_here"]],
                  "authors (cache)": [r["authors"] for r in rows if not r["authors"]["timed_here"]]}
        groups |= {meth: [r["methods"][meth] for r in rows if meth in r["methods"]] for meth in methods_of(rows)}
        for who, recs in groups.items():
            if recs:
                wall = [x["wall_seconds"] for x in recs]
                lines.append(f"| {m} | {who} | {np.median(wall):.3g} ({min(wall):.3g}-{max(wall):.3g}) | "
                             f"{np.median([x['cpu_seconds'] for x in recs]):.3g} | {len(recs)} | "
                             f"{max(x['residual'] for x in recs):.1e} | {max(x['size'] for x in recs)} |")
    return [*lines, ""]


def big_lines(big: dict[str, Any] | None) -> list[str]:
    """The m = 5 large case: ours at 128000 -> 12800 against the authors at 8000 -> 800."""
    if big is None:
        return []
    theirs = big["authors"]
    lines = ["## m = 5, k = 5: ours 128000 -> 12800 against the authors' 8000 -> 800", "",
             "Authors: not in the cache yet (`bench_quality.py --fill-cache`, then `--big-only`)." if theirs is None
             else f"Authors: {theirs['wall_seconds']:.0f} s wall, {theirs['cpu_seconds']:.0f} s CPU (from the "
             "cache: one earlier run, under another load than ours: the CPU ratio is the fairer one).", "",
             f"| method | wall s | CPU s | ours / authors (wall; CPU) | target <= {BIG_TARGET} | residual |",
             "|---|---|---|---|---|---|"]
    for method, r in big.items():
        if method != "authors":
            wall = r["wall_seconds"] / theirs["wall_seconds"] if theirs else float("nan")
            cpu = r["cpu_seconds"] / theirs["cpu_seconds"] if theirs else float("nan")
            verdict = "-" if theirs is None else "pass" if wall <= BIG_TARGET else "fail"
            lines.append(f"| {method} | {r['wall_seconds']:.1f} | {r['cpu_seconds']:.1f} | {wall:.2f}; {cpu:.2f} | "
                         f"{verdict} | {r['residual']:.1e} |")
    return [*lines, ""]


def pareto(clouds: list[dict[str, Any]], ms: list[int], path: Path) -> None:
    """log error against log wall time, one marker per method and the authors', one colour per m.

    The error of a method is its geo-mean ratio to the authors' error on the same clouds (over functions and
    clouds; the authors sit at 1), so a method run on fewer clouds (greedy) is still compared like for like;
    filled markers use the typical errors (RMS over each family's drawn members) where they were measured,
    open markers the panel's single functions.  The authors' time is that of the clouds it ran on in this
    invocation (as the speed ratios).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    markers = dict(zip(["authors", *methods_of(clouds)], "os^Dvp<>h*", strict=False))
    colours = dict(zip(ms, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for m in ms:
        rows = [r for r in clouds if r["m"] == m]
        timed = [r for r in rows if r["authors"]["timed_here"]] or rows  # times of this run where there are
        ax.scatter(geo([r["authors"]["wall_seconds"] for r in timed]), 1.0, marker=markers["authors"],
                   color=colours[m], s=60, label=f"authors, m = {m}")
        for meth in methods_of(rows):
            x = geo([r["methods"][meth]["wall_seconds"] for r in rows if meth in r["methods"]])
            single = geo([v for f in FUNCTIONS for v in ratios(rows, meth, f)])
            typical = geo([v for f in FUNCTIONS for v in ratios(rows, meth, f, "rms_errors")])
            ax.scatter(x, single, marker=markers[meth], facecolors="none", edgecolors=colours[m], s=60)
            if np.isfinite(typical):
                ax.scatter(x, typical, marker=markers[meth], color=colours[m], s=60, label=f"{meth}, m = {m}")
    ax.axhline(TARGET, color="grey", linestyle="--", linewidth=1)
    ax.set(xscale="log", yscale="log", xlabel="wall seconds (geo-mean over clouds; machine loaded)",
           ylabel="error / authors' error (geo-mean)",
           title="k = 5, d = 8000 -> 800; filled: typical error, open: single functions; dashed: target 0.2")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write(result: dict[str, Any], folder: Path, stem: str) -> None:
    """``<stem>.json``, ``<stem>.md`` and ``<stem>_pareto.png`` in ``folder``."""
    clouds = result["clouds"]
    ms = sorted({row["m"] for row in clouds})
    result = {"environment": environment()} | result | {"summary": summarise(clouds)}  # a re-write keeps its run's
    folder.mkdir(exist_ok=True)
    (folder / f"{stem}.json").write_text(json.dumps(result, indent=1, default=float))
    env = result["environment"]
    p = result["params"]
    src = result["source"]
    dirty = src["uncommitted_in_unicomp"]
    lines = [
        "# Quality against the authors' compressor (bench_quality.py, issue 11)", "",
        f"{env['date']}, {env['machine']['cpu']} ({env['machine']['cores']} cores), threads {env['threads']}, "
        f"unicomp {env['versions']['unicomp']}, numpy {env['versions']['numpy']}; load average at the start "
        f"{tuple(round(v, 1) for v in result['load_average_at_start'])}, at the end "
        f"{tuple(round(v, 1) for v in result['load_average_at_end'])} (other jobs shared the {os.cpu_count()} "
        "cores: times are upper bounds; ratios compare runs of the same invocation).  Commit "
        f"{src['commit'][:10]}{'; uncommitted package changes: ' + repr(dirty) if dirty else ''}.", "",
        f"k = {p['k']}, d = {p['d']} -> {p['d'] // 10}, {p['seeds']} seeds x (uniform, Gaussian, clustered) per m; "
        "functions and clouds: `benchmarks/_panel.py`.  Error = |sum_j c'_j g(w'_j) - sum_i g(w_i)| / d "
        f"(math.fsum).  Typical error: the RMS of that error over {p.get('draws', 0)} members of each "
        "function's family per cloud (the same shape, other random parameters; `--draws`), less noisy than one "
        "function's error, which is a signed sum and cancels by chance on some clouds.  Greedy: "
        f"{'every cloud' if p['all_greedy'] else 'first (uniform, seed 0) cloud per m only'}.  "
        "The authors' compressor ran anew in this invocation on the clouds marked 'run here' below; the "
        "speed ratios use only those.  Residual: max_e |moment difference| / sum_i |Phi_e(w_i)| in the "
        "Chebyshev basis of the cloud's box (`bench_recombine.scaled_residual`).", "",
        "Scaling: every g is evaluated on the cloud standardised coordinate-wise, z = (w - mean) / std, with "
        "directions uniform on [-1, 1]^m, so its ridge arguments vary by O(1) over every cloud (the "
        "polynomial's values are larger; no ratio depends on a constant factor).", "",
        "## Geo-mean of ours / authors per function", "",
        *summary_lines(result["summary"], ms),
        "## Times and residuals", "", *timing_lines(clouds, ms),
        *big_lines(result.get("big")),
        "## Per cloud (ratio ours / authors)", "",
    ]
    for method in methods_of(clouds):
        for m in ms:
            lines += cloud_tables(clouds, method, m)
    lines += [f"Pareto plot: `{stem}_pareto.png`.", ""]
    (folder / f"{stem}.md").write_text("\n".join(lines))
    pareto(clouds, ms, folder / f"{stem}_pareto.png")
