r"""FIG2 (Fig. 2): the error exponent is :math:`\alpha \approx (k+1)/m + 0.5` for the sigmoid test function
with :math:`d' = 0.1 d`; reported refits for m = 2, 3, 4 and k = 1..6.

Measurement: :func:`unicomp.experiments.fig2_error_scaling.run_fig2` at the tier (quick: d <= 8000, 2
trials; full: the paper's sweep).  Each (m, k) exponent is refitted here from the raw errors with
:func:`unicomp.verify.claims.fit_loglog` (trials are independent at every d: a stratified bootstrap), and
compared with

* Thm 4's guarantee :math:`\alpha \ge (k+1)/m - 2` (must hold: the interval must reach it);
* the reported table: the reported value must lie in the measured 95% interval widened by the drift
  tolerance (the difference between the slopes of the lower and upper halves of the d range: the part of
  the mismatch a finite sweep cannot resolve).  If the table were right, about 5% would fall outside by
  chance: :func:`unicomp.verify.claims.coverage_verdict` fails the table only when more fall outside than
  chance allows (binomial, p < 0.01).

The fitted line of the measured :math:`\alpha` against :math:`(k+1)/m` is reported next to the paper's
rule (slope 1, intercept 0.5).  Saturated cases (errors at the float64 floor) are excluded, and the
paper's "m = 1 saturates for k >= 3" is compared with the measured saturation.  One compression per m is
redone here and put through the invariants check (the experiment's own compressions verify their moment
residual and raise otherwise).
"""

from __future__ import annotations

import numpy as np

from unicomp.verify.claims import (
    check_target_compression,
    combine,
    compare_slope,
    compare_value,
    coverage_verdict,
    fit_line,
    fit_loglog,
)


def _drift(ds: np.ndarray, errors: np.ndarray) -> float:
    """|slope(lower half of d) - slope(upper half)| of the mean log error, shape (trials, len(ds))."""
    logd, loge = np.log(ds), np.log(errors).mean(axis=0)
    half = max(2, ds.size // 2)
    lo = np.polyfit(logd[:half], loge[:half], 1)[0]
    hi = np.polyfit(logd[-half:], loge[-half:], 1)[0]
    return float(abs(lo - hi))


def test_fig2(audit):
    fig2 = audit.require("unicomp.experiments.fig2_error_scaling")
    compress = audit.require("unicomp.numerics.compress").compress
    result = fig2.run_fig2(audit.tier)
    data = result.data
    audit.figure(result.figure)
    sweep, ds = data["float64"], np.asarray(data["ds"], dtype=float)
    cfg = data["config"]
    for m in cfg["ms"]:  # spot check of the invariants on the largest case of each m
        k, d = cfg["ks"][-1], int(ds[-1])
        size = sweep["sizes"][f"m={m},k={k}"][-1]
        pts = fig2.uniform_cloud(d, m, 0)
        check_target_compression(compress(pts, degree=k, size=size, method=cfg["method"]), pts, size=size)
    rows, bound_checks, inside, total = {}, [], 0, 0
    for key, errors in sweep["errors"].items():
        m, k = (int(part.split("=")[1]) for part in key.split(","))
        if sweep["saturated"][key]:
            rows[key] = {"saturated": True}
            continue
        fit = fit_loglog(ds, errors.T, seed=m * 10 + k)
        tol = _drift(ds, errors)
        alpha = {"alpha": -fit.slope, "ci": [-fit.high, -fit.low], "drift_tolerance": tol}
        bound_checks.append(compare_slope(fit, -((k + 1) / m - 2), direction="at_most", what=f"{key} slope"))
        reported = data["reported_alpha"].get(key)
        if reported is not None:
            verdict, _ = compare_value(fit, -reported, tol=tol, what=f"{key} slope")
            alpha["reported"] = reported
            alpha["reported_inside"] = verdict == "holds"
            inside += verdict == "holds"
            total += 1
        rows[key] = alpha
    outcomes = []
    if bound_checks:
        bound_verdict, _, bound_text = combine(bound_checks, show=0)
        outcomes.append((bound_verdict, "Thm 4 guarantee alpha >= (k+1)/m - 2:" + bound_text))
    if total:
        outcomes.append(coverage_verdict(inside, total))
    fitted = [(m_k, row["alpha"]) for m_k, row in rows.items() if "alpha" in row]
    x = np.array([(int(k.split(",")[1][2:]) + 1) / int(k.split(",")[0][2:]) for k, _ in fitted])
    rule = fit_line(x, np.array([a for _, a in fitted]), seed=5)
    saturated_m1 = sorted(k for k, row in rows.items() if row.get("saturated") and k.startswith("m=1,"))
    # reported values not compared because the measured curve sat at the float64 floor
    excluded = sorted(k for k, row in rows.items() if row.get("saturated") and k in data["reported_alpha"])
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    evidence += (f"; measured alpha vs (k+1)/m: slope {rule}, intercept {rule.intercept:.2f} (paper's rule: 1, 0.5)"
                 f"; float64-saturated at m=1: {saturated_m1 or 'none'} (paper: k >= 3)"
                 f"; reported values left out of the coverage count (curve at the float64 floor): "
                 f"{excluded or 'none'}")
    if verdict == "holds" and not audit.full:
        verdict, caveat = "holds with caveat", "quick tier: d <= 8000 and 2 trials, so wide intervals"
    audit.record(
        verdict,
        {"alpha": rows, "rule_fit": rule.as_dict(), "high_precision_alpha": (data.get("mpmath") or {}).get("alpha"),
         "seconds": data["seconds"]},
        evidence, caveat=caveat,
        params={**cfg, "tier": audit.tier, "refit": "unicomp.verify.claims.fit_loglog, stratified bootstrap"},
        seeds=[cfg["seed"]],
    )
