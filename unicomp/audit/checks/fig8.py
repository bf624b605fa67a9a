r"""FIG8 (Fig. 8): compressing d points to :math:`\lfloor 120 \log d \rfloor` (m = 1) and
:math:`\lfloor 20 \log^2 d \rfloor` (m = 2), with the degree increased until the error stops falling, gives
errors that do not grow with d.

Measurement: :func:`unicomp.experiments.fig8_polylog.run_fig8` (the pole test function, best error over k
per d) in float64 (quick: d = 1000, 2000, 4000; full: 1000..64000) and, at the full tier, in mpmath
(``hp_digits`` digits, d up to 8000).  Reference: the authors' per-trial best errors
(``fig8_polylog/polylog_error_1d.csv``, ``polylog_error_2d.csv``; 5 trials per d, read at run time).

Sub-checks:

1. **Growth**, per (precision, m): errors at or below the precision's floor (float64:
   :data:`~unicomp.experiments.fig2_error_scaling.FLOOR_FLOAT64`; mpmath: :math:`10^{5-\text{digits}}`, the
   five guard digits of every tolerance in unicomp) carry no information on growth: they are left out.
   With at least three sizes above the floor, the log-log slope of the best error against d must not be
   significantly positive (:func:`~unicomp.verify.claims.compare_slope`, "at most 0": fails when the whole
   95% residual-bootstrap interval is above 0).  Fewer than three: "inconclusive" -- a curve at the
   floor cannot show growth (the float64 curves at the quick tier, where our tuned-degree errors reach
   the floor; the full tier's mpmath sweep decides).
   The same rule is applied to the authors' own curves (their m = 2 errors sit above the float64 floor,
   1e-8 .. 1e-13; sizes whose geometric mean is at the floor are left out, trials resampled within d).
2. **Against the authors' errors** at the sizes both have, per m: the mean of our :math:`\log E` must not
   exceed the mean of theirs by more than twice the standard error of theirs (their trials spread over 2-5
   decades at one d; zeros, their float64 ties, count as one ulp, 2.2e-16).  A compressor that leaves
   the moments unmatched (a random subset, weights perturbed after the check) sits decades above.  Lower
   than theirs is not a failure (our degree search continues past one non-improving degree; theirs stops).
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any

import numpy as np

from unicomp.audit.checks._scaling import curve_boot
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, perturbed_weights, random_subset
from unicomp.experiments.fig2_error_scaling import FLOOR_FLOAT64
from unicomp.verify.claims import LineFit, Outcome, combine, compare_slope, fit_loglog

AUTHORS = {1: "fig8_polylog/polylog_error_1d.csv", 2: "fig8_polylog/polylog_error_2d.csv"}
#: Their exact zeros (f(comp) == f(orig) in float64) stand for one ulp of a value of order one.
ULP = float(np.finfo(np.float64).eps)
#: Fewest sizes above the floor for a slope (a residual bootstrap needs three points).
MIN_SIZES = 3
_COMPRESS = "unicomp.numerics.compress:compress"


def _growth(label: str, rows: list[dict[str, Any]], seed: int) -> tuple[Outcome, dict[str, Any]]:
    ds = np.array([r["d"] for r in rows], dtype=float)
    errors = np.array([r["best_error"] for r in rows], dtype=float)
    above = errors > rows[0]["floor"]
    entry = {"d": ds.tolist(), "d_prime": [r["size"] for r in rows], "best_error": errors.tolist(),
             "best_degree": [r["best_degree"] for r in rows], "above_floor": above.tolist()}
    if above.sum() < MIN_SIZES:
        return ("inconclusive", f"{label}: {int(above.sum())} of {ds.size} sizes above the floor "
                                f"{rows[0]['floor']:.0e} (degrees {entry['best_degree']}): a curve at the "
                                "rounding floor cannot show growth; decided by the mpmath sweep at the full "
                                "tier"), entry
    fit = fit_loglog(ds[above], errors[above], seed=seed)
    entry["slope"] = fit.as_dict()
    return compare_slope(fit, 0.0, direction="at_most", what=f"{label} log-log slope"), entry


def _versus_authors(m: int, rows: list[dict[str, Any]], columns: dict[str, np.ndarray]) -> tuple[Outcome, dict]:
    theirs = np.maximum(np.asarray(columns["least_error"], dtype=float), ULP)
    their_d = np.asarray(columns["d"], dtype=float).astype(int)
    ours = {r["d"]: max(r["best_error"], ULP) for r in rows if r["d"] in set(their_d.tolist())}
    if not ours:
        return ("inconclusive", f"m={m}: no size in common with the authors' data"), {}
    logs = np.log10(theirs[np.isin(their_d, list(ours))])
    mean_theirs, se = float(logs.mean()), float(logs.std(ddof=1) / np.sqrt(logs.size))
    mean_ours = float(np.mean(np.log10(list(ours.values()))))
    numbers = {"d": sorted(ours), "ours_log10_mean": mean_ours, "authors_log10_mean": mean_theirs,
               "authors_log10_se": se, "authors_trials": int(logs.size)}
    text = (f"m={m}: mean log10 best error ours {mean_ours:.2f} vs authors {mean_theirs:.2f} +- {se:.2f} (se, "
            f"{logs.size} trials) at d = {sorted(ours)}")
    if mean_ours > mean_theirs + 2 * se:
        return ("fails", text + "; ours is higher by more than twice their standard error"), numbers
    return ("holds", text), numbers


def _authors_growth(m: int, columns: dict[str, np.ndarray]) -> Outcome:
    """Sub-check 1 on the authors' own curve: sizes whose geometric-mean error is at the float64 floor are
    left out; with at least three left, their slope (trials resampled within each d) must not be
    significantly positive."""
    errors = np.maximum(np.asarray(columns["least_error"], dtype=float), ULP)
    d_col = np.asarray(columns["d"], dtype=float).astype(int)
    trials = {d: errors[d_col == d] for d in sorted(set(d_col.tolist()))}
    above = {d: e for d, e in trials.items() if np.exp(np.log(e).mean()) > FLOOR_FLOAT64}
    label = f"authors' m={m} (their float64 data)"
    if len(above) < MIN_SIZES:
        return ("inconclusive", f"{label}: {len(above)} of {len(trials)} sizes above the float64 floor: "
                                "their curve cannot show growth")
    curve = curve_boot(list(above), list(above.values()), seed=m)
    fit = LineFit(curve.slope, curve.level, *curve.slope_interval(), 0.95, curve.slopes.size)
    return compare_slope(fit, 0.0, direction="at_most", what=f"{label} log-log slope")


def _sweeps(ctx: AuditContext, fig8: Any) -> dict[str, Any]:
    """:func:`~unicomp.experiments.fig8_polylog.run_fig8`'s data at the tier (mpmath at the full tier only),
    one resumable unit per row (precision, m, d)."""
    cfg = fig8.TIERS[ctx.tier]
    todo = [(hp, m, j) for hp in ((False, True) if ctx.full else (False,))
            for m in (cfg.hp_ms if hp else cfg.ms) for j in range(len(cfg.hp_ds if hp else cfg.ds))]
    ctx.plan_units(len(todo))
    data: dict[str, Any] = {"config": dataclasses.asdict(cfg), "reported": fig8.REPORTED_FIG8, "float64": {},
                            "mpmath": {} if ctx.full else None}
    for hp, m, j in todo:
        row = ctx.unit("row", {"mpmath": hp, "m": m, "j": j, "config": repr(cfg)},
                       partial(fig8.sweep_row, cfg, m, j, high_precision=hp))
        data["mpmath" if hp else "float64"].setdefault(f"m={m}", []).append(row)
    data["seconds"] = sum(r["seconds"] for p in ("float64", "mpmath") for rows in (data[p] or {}).values()
                          for r in rows)
    return data


def run(ctx: AuditContext) -> None:
    fig8 = ctx.require("unicomp.experiments.fig8_polylog")
    data = _sweeps(ctx, fig8)
    outcomes: list[Outcome] = []
    curves: dict[str, Any] = {}
    for precision in ("float64", "mpmath"):
        for key, rows in (data.get(precision) or {}).items():
            outcome, curves[f"{precision} {key}"] = _growth(f"{precision} {key}", rows, seed=len(curves))
            outcomes.append(outcome)
    anchors = ctx.anchors()
    authors: dict[str, Any] | None = None
    reference = {}
    if anchors:
        authors = {"source": list(AUTHORS.values()), "theirs": {}, "ours": {}}
        for m, rel in AUTHORS.items():
            rows = (data.get("float64") or {}).get(f"m={m}")
            if not rows:
                continue
            columns = anchors.read_csv(rel)
            outcome, numbers = _versus_authors(m, rows, columns)
            outcomes.append(outcome)
            outcomes.append(_authors_growth(m, columns))
            authors["theirs"][f"m={m}"] = {"log10_mean": numbers.get("authors_log10_mean"),
                                           "d": numbers.get("d")}
            authors["ours"][f"m={m}"] = {"log10_mean": numbers.get("ours_log10_mean"),
                                         "best_error": [r["best_error"] for r in rows]}
            reference[f"m={m}"] = (columns["d"].tolist(), np.maximum(columns["least_error"], ULP).tolist())
    ax = fig8.plot_fig8(data, reference=reference)
    ctx.figure(ax.figure)
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    if not anchors:
        evidence += "; the authors' data are not on this machine: that comparison was skipped"
    if verdict == "holds" and not ctx.full:
        verdict, caveat = "holds with caveat", "quick tier: d <= 4000, float64 only"
    ctx.record(verdict, {"curves": curves, "seconds": data["seconds"]}, evidence, caveat=caveat,
               authors=authors, params={**data["config"], "tier": ctx.tier}, seeds=[data["config"]["seed"]])


MUTANTS: tuple[Mutant, ...] = (
    Mutant("fig8-random-subset", "compress returns a uniformly random subset with equal weights",
           random_subset(_COMPRESS)),
    Mutant("fig8-perturbed-weights", "compress perturbs its weights by 1e-9 after measuring the residual",
           perturbed_weights(_COMPRESS, relative=1e-9)),
)
