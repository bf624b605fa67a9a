r"""FIG3 (Fig. 3): teacher-student data :math:`10^4 \to 10^3` (k = 5): the compressed weighted dataset trains to
a final test MSE close to the original's, and the first-:math:`10^3` baseline is several times worse.

Measurement: :func:`unicomp.experiments.fig3_dataset.run_fig3` at the tier (quick: 100 epochs instead of 400,
2e4 test points, one seed; full: the paper's scale, over seeds).  Per training configuration (full-batch SGD
and AdamW, batch-256 SGD and Adam):

* the compressed run must be closer to the original than the naive run (|log ratio| smaller);
* "close": compressed/original within the reported ratio's distance from 1 plus the seed spread (full
  tier; the quick tier has one seed, so it is compared with the reported ratio only);
* "several times worse": naive/original >= 2.

The reported final MSEs (:data:`unicomp.experiments.fig3_dataset.REPORTED_FIG3`) are listed next to the
measured ones.  The naive baseline is the paper's (first :math:`10^3` rows); the experiment's own compression
verified its moment residual.
"""

from __future__ import annotations

import math

import numpy as np

from unicomp.verify.claims import combine

SEVERAL = 2.0  # "several times worse": at least twice the original's test MSE


def test_fig3(audit):
    fig3 = audit.require("unicomp.experiments.fig3_dataset")
    seeds = [0, 1, 2] if audit.full else [0]
    results = [fig3.run_fig3(audit.tier, seed=seed) for seed in seeds]
    audit.figure(results[0].figure)
    reported = results[0].data["reported"]
    outcomes, measured = [], {}
    for label, (r_orig, r_comp, r_naive) in reported.items():
        finals = [r.data["final_test_mse"][label] for r in results]
        comp_ratio = np.array([f["compressed/original"] for f in finals])
        naive_ratio = np.array([f["naive/original"] for f in finals])
        spread = float(np.std(np.log(comp_ratio))) if len(seeds) > 1 else 0.0
        allowed = abs(math.log(r_comp / r_orig)) + 2 * spread
        closer = bool(np.all(np.abs(np.log(comp_ratio)) < np.abs(np.log(naive_ratio))))
        close = float(np.mean(np.abs(np.log(comp_ratio)))) <= allowed
        several = float(np.mean(naive_ratio)) >= SEVERAL
        measured[label] = {
            "original": [f["original"] for f in finals], "compressed": [f["compressed"] for f in finals],
            "naive": [f["naive"] for f in finals], "compressed/original": comp_ratio.tolist(),
            "naive/original": naive_ratio.tolist(),
            "reported": {"original": r_orig, "compressed": r_comp, "naive": r_naive,
                         "compressed/original": r_comp / r_orig, "naive/original": r_naive / r_orig},
        }
        text = (f"{label}: compressed/original {np.mean(comp_ratio):.3f} (reported {r_comp / r_orig:.3f}, allowed "
                f"|log| <= {allowed:.3f}), naive/original {np.mean(naive_ratio):.2f} (reported {r_naive / r_orig:.1f})")
        if not closer:
            outcomes.append(("fails", text + ": the naive run is closer to the original"))
        elif close and several:
            outcomes.append(("holds", text))
        else:
            missing = [name for name, ok in (("close", close), ("several times worse", several)) if not ok]
            outcomes.append(("holds with caveat" if not audit.full else "fails",
                             text + f"; did not reproduce at this tier: {', '.join(missing)}"))
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    if not audit.full and verdict != "fails":
        missing = sorted({part for v, t in outcomes if "did not reproduce" in t
                          for part in t.split("did not reproduce at this tier: ")[1].split(", ")})
        caveat = ("quick tier: 100 of 400 epochs, one seed"
                  + (f"; did not reproduce at this tier: {', '.join(missing)}" if missing else "")
                  + (f"; {caveat}" if caveat else ""))
        verdict = "holds with caveat"
    config = results[0].data["config"]
    audit.record(verdict, measured, evidence, caveat=caveat,
                 baseline={"naive": "first 1000 rows, unit weights (the paper's baseline)"},
                 params={**{k: v for k, v in config.items() if k != "runs"},
                         "runs": [str(r) for r in config["runs"]], "several_factor": SEVERAL},
                 seeds=seeds)
