r"""FIG8 (Fig. 8): compressing to :math:`120 \log d` (m = 1) and :math:`20 \log^2 d` (m = 2) objects, with the
degree tuned, gives errors that do not grow with d; reproduce in float64 and high precision and show where
float64 saturates.

Measurement: :func:`unicomp.experiments.fig8_polylog.run_fig8` at the tier (best error over k for each d, in
float64 and in mpmath).  Rule per (precision, m): the log-log slope of the best error against d must not be
significantly positive (:func:`unicomp.verify.claims.compare_slope`, "at most 0", residual bootstrap).
Errors at the float64 rounding floor (``FLOOR_FLOAT64``, about d eps |f| for f ~ 1) carry no slope
information: a curve entirely at the floor is reported as saturated, with the degree where it got there; a
curve partly above it is fitted with the floor points raised to the floor, so a rise off the floor counts.  The paper's
m = 2 values (1e-8 at d = 1000, 2.6e-12 at d = 64000) are compared with the measured ones at the same d.
"""

from __future__ import annotations

import numpy as np

from unicomp.experiments.fig2_error_scaling import FLOOR_FLOAT64
from unicomp.verify.claims import combine, compare_slope, fit_loglog


def _curve(rows: list[dict]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    ds = np.array([r["d"] for r in rows], dtype=float)
    errors = np.array([r["best_error"] for r in rows], dtype=float)
    return ds, errors, [r["best_degree"] for r in rows]


def test_fig8(audit):
    fig8 = audit.require("unicomp.experiments.fig8_polylog")
    result = fig8.run_fig8(audit.tier)
    data = result.data
    audit.figure(result.figure)
    digits = data["config"]["hp_digits"]
    outcomes, measured = [], {}
    # mpmath floor: the working precision less the five guard digits of every tolerance in unicomp.
    for precision, floor in (("float64", FLOOR_FLOAT64), ("mpmath", 10.0 ** (5 - digits))):
        for key, rows in (data.get(precision) or {}).items():
            ds, errors, degrees = _curve(rows)
            label = f"{precision} {key}"
            above = errors > floor
            entry = {"d": ds.tolist(), "d_prime": [r["size"] for r in rows], "best_error": errors.tolist(),
                     "best_degree": degrees}
            if not above.any():
                entry["saturated"] = True
                outcomes.append(("holds", f"{label}: at the rounding floor ({floor:.0e}) for every d "
                                          f"(degrees {degrees}): cannot grow"))
            else:
                fit = fit_loglog(ds, np.maximum(errors, floor), seed=3)
                entry["slope"] = fit.as_dict()
                outcomes.append(compare_slope(fit, 0.0, direction="at_most", what=f"{label} log-log slope"))
            measured[label] = entry
    reported = {int(d): v for d, v in data["reported"].items()}
    comparison = {}
    for row in (data.get("float64") or {}).get("m=2", []):
        if row["d"] in reported:
            comparison[row["d"]] = {"reported": reported[row["d"]], "measured": (row["size"], row["best_error"])}
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    if comparison:
        evidence += "; m=2 (d: reported d', error -> measured d', error): " + ", ".join(
            f"{d}: {c['reported']} -> ({c['measured'][0]}, {c['measured'][1]:.1e})" for d, c in comparison.items())
    if verdict == "holds" and not audit.full:
        verdict, caveat = "holds with caveat", "quick tier: d <= 4000 (float64), d <= 2000 (mpmath, m = 1 only)"
    audit.record(verdict, {"curves": measured, "reported_vs_measured_m2": comparison, "seconds": data["seconds"]},
                 evidence, caveat=caveat,
                 params={**data["config"], "floor_float64": FLOOR_FLOAT64, "tier": audit.tier},
                 seeds=[data["config"]["seed"]])
