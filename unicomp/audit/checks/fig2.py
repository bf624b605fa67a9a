r"""FIG2 (Fig. 2): the error exponent is :math:`\alpha \approx (k+1)/m + 0.5` for the sigmoid test function
with :math:`d' = 0.1 d` (error :math:`E \sim d^{-\alpha}`).

Measurement: :func:`unicomp.experiments.fig2_error_scaling.run_fig2` -- d points uniform in
:math:`[-1,1]^m`, compressed to :math:`\max(0.1 d, N_{m,k})` by Algorithm 1, error of the normalised
sigmoid function (the geometric mean over ``functions`` independent test functions per compression).
Quick tier: m = 2, 3, k = 1..3, d = 1000..8000, 6 trials, 16 functions (about 10 s of CPU); full tier: the
paper's sweep (m = 1..5, k = 1..6, d up to 128000, 20 trials) plus the high-precision m = 1 sweep.
Per (m, k) the slope of the mean :math:`\log E` against :math:`\log d` is bootstrapped over trials within
each d (:func:`~unicomp.audit.checks._scaling.curve_boot`).

Reference: the authors' own per-trial errors (``fig2_error_scaling/error_list.csv``: uniform random
clouds, :math:`d' = \lfloor 0.1 d \rfloor`, 20 trials, the data behind the paper's table), read at run
time; ``error_uniform.csv`` (their lattice-point variant, 5 trials) is shown, not judged.  Sizes from the
first one where an error reaches the float64 floor (:data:`FLOOR_FLOAT64`) on are dropped: rounding, not
compression error.

Sub-checks (all must hold; any "fails" fails the claim):

1. **Thm 4's guarantee** for the normalised error: :math:`\alpha \ge (k+1)/m - 1`
   (:func:`~unicomp.verify.claims.compare_slope`: fails when the whole interval is below).
2. **Reproduction of the authors' curves** on the same d window, per (m, k):
   the exponent difference (ours - theirs) must lie within :math:`\pm 1/(2m)` -- half the step
   :math:`1/m` by which the rule says :math:`\alpha` changes per degree, i.e. ours is closer to their
   exponent at k than to the one at k-1 or k+1 (:func:`~unicomp.audit.checks._scaling.band_verdict`,
   95% interval of the difference of two independent bootstraps); and the curve's height (mean
   :math:`\log E` over the window) must not exceed theirs by more than half the gap between their
   heights at k and at k-1 (k+1 for k = 1): a compressor matching fewer moments sits a whole step
   higher.  A height lower than theirs by more than half a step is a caveat (ours is better), not a failure.
   A single case whose exponent interval is too wide to decide (it reaches a whole step, typical at the
   quick tier for m = 3) is named in the evidence and decided by the difference averaged over the degrees
   of its m (independent cases: the averaged interval is about :math:`1/\sqrt{\#k}` as wide), with the same band.
3. **The headline rule** :math:`|\alpha - ((k+1)/m + 0.5)| \le 1/(2m)` (same reason: the rule must name
   the right degree), judged on the authors' data for every case whose curve covers their whole sweep
   above the float64 floor (the rule summarises that sweep), and at the full tier on ours as well (at the
   quick tier our window d <= 8000 is shorter than the one the rule was stated for, where even the authors'
   own exponents drift from it by up to 0.35), including the high-precision m = 1 cases the authors'
   float64 runs could not measure.  Our curves are fitted for the rule on the sizes compressed at the
   claim's ratio :math:`d' = 0.1 d`: below :math:`d = 10 N_{m,k}` (m = 5, k >= 4; m = 4, k >= 5) the
   compression keeps :math:`N_{m,k}` points, a larger ratio whose smaller errors flatten the slope.

After the sub-checks, one compression per m (the largest degree, the smallest d) is redone and put
through :func:`~unicomp.verify.claims.check_target_compression` (an :class:`InvariantViolation` stops the
check: a compressor that breaks its moments or its mass is a defect, whatever the exponents say).
Saturated cases (any error at the float64 floor) are excluded and named.  At the quick tier the claim
holds at best "with caveat": d <= 8000 and 6 trials.  The compressor measured is ``compress``'s default
method (:data:`unicomp.numerics.compress.DEFAULT_METHOD`, ``"partition"``; its rules changed in issue 11), and
the evidence names it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from unicomp.audit.checks._scaling import authors_fig2, band_verdict, curve_boot, difference_interval
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, lowered_degree, perturbed_weights, random_subset
from unicomp.numerics.basis import num_moments
from unicomp.numerics.compress import DEFAULT_METHOD, compress
from unicomp.verify.claims import LineFit, Outcome, check_target_compression, combine, compare_slope

#: The authors' Fig. 2 data (error_list.csv) and their lattice variant (error_uniform.csv).
AUTHORS, AUTHORS_LATTICE = "fig2_error_scaling/error_list.csv", "fig2_error_scaling/error_uniform.csv"
#: Fewest sizes for a slope with a bootstrap interval that means something.
MIN_SIZES = 3
N_BOOT = 2000
_COMPRESS = "unicomp.numerics.compress:compress"


def _key(m: int, k: int) -> str:
    return f"m={m},k={k}"


def _mk(key: str) -> tuple[int, int]:
    m, k = (int(part.split("=")[1]) for part in key.split(","))
    return m, k


def _alpha(curve: Any) -> tuple[float, float, float]:
    lo, hi = curve.slope_interval()
    return -curve.slope, -hi, -lo


def _rule(key: str, curve: Any, who: str) -> Outcome:
    m, k = _mk(key)
    alpha, lo, hi = _alpha(curve)
    rule = (k + 1) / m + 0.5
    return band_verdict(lo - rule, hi - rule, (-0.5 / m, 0.5 / m),
                        what=f"{who} {key}: alpha {alpha:.2f} [{lo:.2f}, {hi:.2f}] - rule {rule:.2f}")


def _our_rule(key: str, ds: list[int], errors: np.ndarray, ratio: float, who: str, seed: int) -> Outcome:
    r"""Sub-check 3 on one of our curves, fitted on the sizes compressed at the claim's ratio
    :math:`d' = \lfloor 0.1 d \rfloor`: below :math:`d = 10 N_{m,k}` the compression keeps :math:`N_{m,k}`
    points (a larger ratio, a smaller error), and those sizes would flatten the slope the rule predicts."""
    m, k = _mk(key)
    n = num_moments(m, k)
    cols = [j for j, d in enumerate(ds) if int(ratio * d) >= n]
    if len(cols) < MIN_SIZES:
        return ("inconclusive", f"{who} {key}: only {len(cols)} of the sizes compress at d' = {ratio:g} d "
                                f"(d' >= N_{{m,k}} = {n}), too few for the rule's slope")
    curve = curve_boot([ds[j] for j in cols], [errors[:, j] for j in cols], n_boot=N_BOOT, seed=seed)
    verdict, text = _rule(key, curve, who)
    if len(cols) < len(ds):
        text += f" (fitted on d >= {ds[cols[0]]}, where d' = {ratio:g} d >= N_{{m,k}} = {n})"
    return verdict, text


def _level_band(theirs: dict[str, Any], key: str) -> tuple[float, float] | None:
    """Half the gap between the authors' heights at k and at its neighbours: (better side, worse side)."""
    m, k = _mk(key)
    here = theirs[key].level
    gaps = {s: (theirs[_key(m, k + s)].level - here) * -s for s in (-1, 1) if _key(m, k + s) in theirs}
    worse = gaps.get(-1, gaps.get(1))  # k-1 sits higher: worse side; k = 1 uses the step to k+1
    better = gaps.get(1, worse)
    if worse is None or better is None or worse <= 0 or better <= 0:
        return None
    return -better / 2, worse / 2


def _reproduction(key: str, ds: list[int], errors: np.ndarray, their_rows: dict[str, dict[int, np.ndarray]],
                  seed: int) -> tuple[list[Outcome], dict[str, Any]]:
    window = [d for d in ds if d in their_rows[key]]
    if len(window) < MIN_SIZES:
        return [], {"window": window, "note": "fewer than 3 common sizes above the authors' float64 floor"}
    cols = [ds.index(d) for d in window]
    ours = curve_boot(window, [errors[:, j] for j in cols], n_boot=N_BOOT, seed=seed)
    theirs = {}
    m, _ = _mk(key)
    for other, rows in their_rows.items():
        if other.startswith(f"m={m},") and all(d in rows for d in window):
            theirs[other] = curve_boot(window, [rows[d] for d in window], n_boot=N_BOOT, seed=seed + 1)
    lo, hi = difference_interval(-ours.slopes, -theirs[key].slopes)
    outcomes = [band_verdict(lo, hi, (-0.5 / m, 0.5 / m),
                             what=f"{key} alpha ours {-ours.slope:.2f} - authors {-theirs[key].slope:.2f} "
                                  f"(d {window[0]}..{window[-1]})")]
    diffs = theirs[key].slopes - ours.slopes  # bootstrap replicates of alpha_ours - alpha_authors
    band = _level_band(theirs, key)
    llo, lhi = difference_interval(ours.levels, theirs[key].levels)
    if band is None:
        outcomes.append(("inconclusive", f"{key}: the authors' heights at neighbouring degrees do not fall "
                                         "with k, so the height does not identify the degree"))
    else:
        outcomes.append(band_verdict(llo, lhi, band, below="holds with caveat",
                                     what=f"{key} mean log E ours - authors (half steps to neighbours)"))
    numbers = {"window": window, "alpha_ours": -ours.slope, "alpha_authors": -theirs[key].slope,
               "alpha_diff_ci": [lo, hi], "level_diff_ci": [llo, lhi], "level_band": band, "diffs": diffs}
    return outcomes, numbers


def _pooled(m: int, diffs: list[np.ndarray], keys: list[str]) -> Outcome:
    """The exponent difference averaged over the degrees of one m (replicates averaged index-wise; the
    cases are independent), judged with the same half-step band: it decides where single cases cannot."""
    lo, hi = np.quantile(np.mean(diffs, axis=0), [0.025, 0.975])
    return band_verdict(float(lo), float(hi), (-0.5 / m, 0.5 / m),
                        what=f"m={m} alpha ours - authors averaged over {', '.join(k.split(',')[1] for k in keys)}")


def _sweeps(ctx: AuditContext, fig2: Any) -> Any:
    """:func:`~unicomp.experiments.fig2_error_scaling.run_fig2`'s result at the tier (the mpmath sweep at the
    full tier only), one resumable unit per (precision, m, k)."""
    cfg = fig2.TIERS[ctx.tier]
    todo = [(hp, m, k) for hp in ((False, True) if ctx.full else (False,))
            for m, k in fig2.sweep_keys(cfg, high_precision=hp)]
    ctx.plan_units(len(todo))
    entries: dict[bool, dict[tuple[int, int], Any]] = {False: {}, True: {}}
    results = ctx.units("entry", [({"mpmath": hp, "m": m, "k": k, "config": repr(cfg)},
                                   partial(fig2.sweep_entry, cfg, m, k, high_precision=hp)) for hp, m, k in todo])
    for (hp, m, k), entry in zip(todo, results, strict=True):
        entries[hp][m, k] = entry
    seconds = sum(float(np.sum(e["seconds"])) for part in entries.values() for e in part.values())
    return fig2.assemble(cfg, entries[False], entries[True] if ctx.full else None, seconds=seconds)


def run(ctx: AuditContext) -> None:
    fig2 = ctx.require("unicomp.experiments.fig2_error_scaling")
    result = _sweeps(ctx, fig2)
    data = result.data
    sweep, ds = data["float64"], [int(d) for d in data["ds"]]
    cfg = data["config"]
    anchors = ctx.anchors()
    their_rows = authors_fig2(anchors.read_csv(AUTHORS), floor=fig2.FLOOR_FLOAT64) if anchors else {}
    outcomes: list[Outcome] = []
    undecided: list[Outcome] = []
    pooled: dict[int, list[tuple[str, np.ndarray]]] = {}
    rows: dict[str, Any] = {}
    saturated = sorted(key for key, sat in sweep["saturated"].items() if sat)
    for key, errors in sweep["errors"].items():
        if key in saturated:
            continue
        m, k = _mk(key)
        curve = curve_boot(ds, [errors[:, j] for j in range(len(ds))], n_boot=N_BOOT, seed=10 * m + k)
        alpha, lo, hi = _alpha(curve)
        rows[key] = {"alpha": alpha, "ci": [lo, hi]}
        fit = LineFit(curve.slope, curve.level, *curve.slope_interval(), 0.95, N_BOOT)
        outcomes.append(compare_slope(fit, -((k + 1) / m - 1), direction="at_most",
                                      what=f"Thm 4 (normalised error: alpha >= (k+1)/m - 1) {key} slope"))
        if ctx.full:
            outcomes.append(_our_rule(key, ds, errors, cfg["ratio"], "ours", seed=10 * m + k))
        if key in their_rows:
            sub, numbers = _reproduction(key, ds, errors, their_rows, seed=10 * m + k)
            if "diffs" in numbers:
                pooled.setdefault(m, []).append((key, numbers.pop("diffs")))
            if sub:  # sub[0] is the exponent; a single case too noisy to decide is decided pooled over k
                (undecided if sub[0][0] == "inconclusive" else outcomes).append(sub[0])
                outcomes.extend(sub[1:])
            rows[key]["vs_authors"] = numbers
    hp = data.get("mpmath") or {}
    for key, errors in (hp.get("errors") or {}).items():  # full tier: where float64 saturates (m = 1)
        if not hp["saturated"][key]:
            outcomes.append(_our_rule(key, [int(d) for d in data["hp_ds"]], errors, cfg["ratio"],
                                      f"ours ({cfg['hp_digits']} digits)", seed=7))
    for m, cases in pooled.items():
        outcomes.append(_pooled(m, [d for _, d in cases], [key for key, _ in cases]))
    authors: dict[str, Any] | None = None
    if anchors:
        their_alpha, largest = {}, max(max(t) for t in their_rows.values() if t)
        for key, trials in their_rows.items():
            if len(trials) < MIN_SIZES:
                continue
            curve = curve_boot(list(trials), list(trials.values()), n_boot=N_BOOT, seed=1)
            their_alpha[key] = round(-curve.slope, 3)
            if max(trials) == largest:  # the curve covers the authors' whole sweep
                outcomes.append(_rule(key, curve, "authors"))
        lattice = authors_fig2(anchors.read_csv(AUTHORS_LATTICE), floor=fig2.FLOOR_FLOAT64)
        lattice_alpha = {key: round(-curve_boot(list(t), list(t.values()), n_boot=10).slope, 3)
                         for key, t in lattice.items() if len(t) >= MIN_SIZES}
        authors = {"source": AUTHORS, "theirs": their_alpha,
                   "ours": {key: round(r["alpha"], 3) for key, r in rows.items()},
                   "ours_vs_theirs_same_window": {key: r["vs_authors"] for key, r in rows.items()
                                                   if "vs_authors" in r},
                   "lattice_variant_not_judged": {"source": AUTHORS_LATTICE, "alpha": lattice_alpha}}
        reference = {key: (sorted(t), [float(np.exp(np.log(t[d]).mean())) for d in sorted(t)])
                     for key, t in their_rows.items() if key in sweep["errors"] and t}
        ctx.figure(fig2.plot_fig2(data, reference=reference))
    else:
        ctx.figure(result.figure)
    if not outcomes:
        outcomes.append(("inconclusive", "every case sat at the float64 floor: no exponent was measured"))
    verdict, caveat, evidence = combine(outcomes, show=4)
    evidence += (f"; measured with compress(method={cfg['method']!r})"
                 f"{' (the default)' if cfg['method'] == DEFAULT_METHOD else ''}")
    evidence += f"; float64-saturated cases left out: {saturated or 'none'}"
    if undecided:
        evidence += "; single cases too noisy to decide (decided pooled over k): " + "; ".join(t for _, t in undecided)
    if not anchors:
        evidence += "; the authors' data are not on this machine: the reproduction sub-checks were skipped"
    if verdict == "holds" and not ctx.full:
        judged = "the rule judged on the authors' data" if anchors else "the authors' data absent: not compared"
        verdict, caveat = "holds with caveat", f"quick tier: d <= 8000, 6 trials; {judged}"
    for m in cfg["ms"]:  # the sweep's own compressions, redone for one case per m, keep their invariants
        k, d = cfg["ks"][-1], ds[0]
        size = sweep["sizes"][_key(m, k)][0]
        pts = fig2.uniform_cloud(d, m, cfg["seed"])
        check_target_compression(compress(pts, degree=k, size=size, method=cfg["method"], seed=cfg["seed"]), pts,
                                 size=size)
    ctx.record(verdict, {"alpha": rows, "saturated": saturated, "high_precision_alpha": hp.get("alpha"),
                         "seconds": data["seconds"]},
               evidence, caveat=caveat, authors=authors,
               params={**data["config"], "tier": ctx.tier, "bootstrap": f"{N_BOOT} stratified resamples"},
               seeds=[data["config"]["seed"]])


MUTANTS: tuple[Mutant, ...] = (
    Mutant("fig2-lowered-degree", "compress matches one moment order fewer than asked (k >= 2)",
           lowered_degree(_COMPRESS)),
    Mutant("fig2-random-subset", "compress returns a uniformly random subset with equal weights",
           random_subset(_COMPRESS)),
    Mutant("fig2-perturbed-weights", "compress perturbs its weights by 1e-6 after measuring the residual",
           perturbed_weights(_COMPRESS, relative=1e-6)),
)
