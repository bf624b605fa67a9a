r"""FIG3 (Fig. 3): teacher-student data :math:`10^4 \to 10^3` (k = 5): the compressed weighted dataset trains to
a final test MSE close to the original's, and the first-:math:`10^3` baseline is several times worse.

Construction: :func:`unicomp.experiments.fig3_dataset.run_fig3` -- a random width-50 ReLU teacher, noise sd
3, the :math:`10^4` rows :math:`(x_1, x_2, y)` compressed to :math:`10^3` weighted rows (k = 5), and a student
trained from one initialisation with cosine decay over the paper's 400 epochs: on all rows (original, final
test MSE :math:`L_o`), on the weighted rows (compressed, :math:`L_c`), on the first :math:`10^3` rows (naive,
the paper's baseline, :math:`L_n`) and on R uniformly random subsets of :math:`10^3` rows (:math:`L_r`; not in
the paper: one naive run cannot show how much a subset's test MSE varies -- here by a factor of 3 between
subsets -- so it cannot tell a compression from a lucky subset).  Quick tier: the two full-batch
configurations (SGD lr 0.05, AdamW lr 0.01), one seed, :math:`10^4` test points, R = 6; full tier: all four
configurations (plus batch-256 SGD and Adam), seeds 0-2, :math:`10^5` test points, R = 8.

Rule, per configuration (``fails`` if any configuration fails):

1. **Several times worse**: :math:`L_n / L_o \ge` :data:`SEVERAL` (3) on every seed; below it the naive
   baseline did not reproduce -> ``fails``.  "Several" read as at least three: the authors' own ratios
   (their CSVs) are 4.3 to 17.
2. **Close**: the compressed run must remove most of a subset's excess loss,
   :math:`q = (L_c - L_o) / (\bar L_r - L_o) \le` :data:`CLOSE` (0.25)
   (:func:`~unicomp.audit.checks._data.excess_fraction`, :math:`\bar L_r` the mean over the random subsets),
   and beat every random subset, :math:`L_c < \min_r L_r`.  A random subset in place of the compression has
   :math:`q \approx 1` (spread about 0.5 at one seed, measured), so it passes both with a probability of a
   few percent; the authors' runs have :math:`q = 0.006` to :math:`0.025` against their naive run (computed
   from their CSVs at run time), so 0.25 sits ten times above theirs.  Every seed passing -> ``holds``; the
   seed means only -> ``holds with caveat`` (named seeds); otherwise ``fails``.  Where the subsets are not
   even :data:`RESOLVE` (1.5) times the original's loss on average, :math:`q` divides by a difference of the
   order of the run-to-run spread and cannot tell a compression from a subset -> ``inconclusive`` (the
   paper's 400 epochs and :math:`10^4` rows separate them by 4x or more).
3. **A compression**: the weighted rows :math:`z = (x, y)` carry the full data's moments up to degree k,
   measured on the dataset as returned (:func:`~unicomp.audit.checks._data.dataset_moment_outcome`); the
   test loss alone cannot see a small defect in the weights (two of 1000 weights swapped, planted by hand,
   passed 1 and 2).

Authors' numbers: the final (epoch-400) row of each ``fig3_compress_trainds/CPTDS`` CSV of the same
configuration, shown next to ours (final MSEs, ratios, :math:`q` against the naive run) and plotted below
our curves; their teacher is another random draw, so absolute MSEs are shown, not judged.  Quick tier: at
best "holds with caveat" (two of the four configurations, one seed).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from unicomp.audit.checks._data import (
    dataset_moment_outcome,
    equal_weights,
    excess_fraction,
    inputs_only,
    random_rows,
    shuffled_targets,
)
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant
from unicomp.verify.claims import Outcome, combine

#: "Several times worse": the naive run's final test MSE at least three times the original's.
SEVERAL = 3.0
#: "Close": the compressed run leaves at most a quarter of the random subsets' mean excess test loss.
CLOSE = 0.25
#: Below this ratio of the random subsets' mean test MSE to the original's, q divides by noise (inconclusive).
RESOLVE = 1.5

#: The authors' CSV for each configuration of :data:`unicomp.experiments.fig3_dataset.PAPER_RUNS`.
AUTHORS = {
    "full-batch SGD": "teacher_SGD_d10000_dstop1000_k5_noise3.0_hidden50_bsNone_lr0.05.csv",
    "full-batch AdamW": "teacher_AdamW_d10000_dstop1000_k5_noise3.0_hidden50_bsNone_lr0.01.csv",
    "bs 256 SGD": "teacher_SGD_d10000_dstop1000_k5_noise3.0_hidden50_bs256_lr0.01.csv",
    "bs 256 Adam": "teacher_Adam_d10000_dstop1000_k5_noise3.0_hidden50_bs256_lr0.001.csv",
}
AUTHORS_DIR = "fig3_compress_trainds/CPTDS"
#: The three runs of the paper and the authors' CSV column of each one's test loss.
RUNS = ("original", "compressed", "naive")
AUTHORS_COLUMNS = dict(zip(RUNS, ("test_loss_orig", "test_loss_cp", "test_loss_naive"), strict=True))
SEEDS_FULL = (0, 1, 2)


def _judge(label: str, lo: np.ndarray, lc: np.ndarray, ln: np.ndarray, lr: np.ndarray) -> tuple[
        list[Outcome], dict[str, Any]]:
    """The two sub-checks of one configuration: final test MSEs per seed, ``lr`` (seeds, R) the subsets'."""
    naive_ratio, subset_mean = ln / lo, lr.mean(axis=1)
    numbers: dict[str, Any] = {"original": lo.tolist(), "compressed": lc.tolist(), "naive": ln.tolist(),
                               "compressed/original": (lc / lo).tolist(), "naive/original": naive_ratio.tolist(),
                               "random_subsets": lr.tolist()}
    head = (f"{label}: naive/original {naive_ratio.mean():.2f}, compressed/original {np.mean(lc / lo):.3f}, "
            f"random subsets/original {np.mean(subset_mean / lo):.2f} (min {np.mean(lr.min(axis=1) / lo):.2f})")
    several = ("holds" if naive_ratio.min() >= SEVERAL else "fails",
               head + f"; several times worse: naive/original >= {SEVERAL:g} on every seed")
    if np.min(subset_mean / lo) < RESOLVE:
        close = ("inconclusive", f"{label}: the random subsets are within {RESOLVE:g}x of the original, so the "
                                 "runs cannot tell a compression from a subset (the paper's 400 epochs and 10^4 "
                                 "rows separate them by 4x or more)")
        return [several, close], numbers
    q = excess_fraction(lo, lc, subset_mean)
    beats = lc < lr.min(axis=1)
    numbers.update(excess_fraction=q.tolist(), beats_every_subset=beats.tolist())
    if np.all(ln > lo):  # the authors' q is against their naive run: ours the same way, for the comparison
        numbers["excess_fraction_vs_naive"] = excess_fraction(lo, lc, ln).tolist()
    text = (f"{label}: excess fraction q = (Lc - Lo)/(mean Lr - Lo) = {q.mean():.3f} (per seed "
            f"{np.round(q, 3).tolist()}, at most {CLOSE:g}); below every random subset: {beats.tolist()}")
    passed = (q <= CLOSE) & beats
    if np.all(passed):
        close = ("holds", text)
    elif q.mean() <= CLOSE and np.mean(lc) < np.mean(lr.min(axis=1)):
        close = ("holds with caveat", text + f": on the seed means only (seeds {np.flatnonzero(~passed).tolist()} "
                                             "do not pass)")
    else:
        close = ("fails", text + ": the compressed data train no better than a random subset")
    return [several, close], numbers


def _authors(anchors: Any, labels: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The authors' test-loss curves per configuration (run -> array, and "epoch") and their final numbers."""
    curves, finals = {}, {}
    for label in labels:
        table = anchors.read_csv(f"{AUTHORS_DIR}/{AUTHORS[label]}")
        curve = {"epoch": table["epoch"], **{run: table[col] for run, col in AUTHORS_COLUMNS.items()}}
        curves[label] = curve
        lo, lc, ln = (float(curve[run][-1]) for run in RUNS)
        finals[label] = {"epoch": int(curve["epoch"][-1]), "original": lo, "compressed": lc, "naive": ln,
                         "compressed/original": lc / lo, "naive/original": ln / lo,
                         "excess_fraction": float(excess_fraction([lo], [lc], [ln])[0])}
    return curves, finals


def _plot(ours: dict[str, Any], theirs: dict[str, Any], titles: dict[str, str]) -> Any:
    """One panel per configuration: our mean test-loss curves (solid) and the authors' (dashed) on one axis."""
    fig, axes = plt.subplots(1, len(ours), figsize=(4.2 * len(ours), 3.6), squeeze=False)
    for ax, (label, curves) in zip(axes[0], ours.items(), strict=True):
        for j, run in enumerate(RUNS):
            ax.plot(curves["epochs"], curves["test_loss"][run].mean(axis=0), color=f"C{j}", label=f"ours: {run}")
            if label in theirs:
                ax.plot(theirs[label]["epoch"], theirs[label][run], "--", color=f"C{j}", alpha=0.7,
                        label=f"authors: {run}")
        ax.set(yscale="log", xlabel="epoch", ylabel="test MSE", title=titles[label])
        ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def run(ctx: AuditContext) -> None:
    fig3 = ctx.require("unicomp.experiments.fig3_dataset")
    seeds = list(SEEDS_FULL) if ctx.full else [0]
    config = fig3.TIERS[ctx.tier]

    def one(seed: int) -> dict[str, Any]:
        result = fig3.run_fig3(config=config, seed=seed)
        plt.close(result.figure)
        return dict(result.data)

    ctx.plan_units(len(seeds))  # one resumable unit per seed (about 15 minutes each at the full tier)
    results = ctx.units("seed", [({"seed": seed, "config": repr(config)}, partial(one, seed)) for seed in seeds])
    labels = list(results[0]["final_test_mse"])
    outcomes: list[Outcome] = []
    measured: dict[str, Any] = {}
    ours_curves: dict[str, Any] = {}
    for label in labels:
        finals = [r["final_test_mse"][label] for r in results]
        lo, lc, ln = (np.array([f[run] for f in finals]) for run in RUNS)
        sub, measured[label] = _judge(label, lo, lc, ln, np.array([f["subsets"] for f in finals]))
        outcomes += sub
        runs = [r["runs"][label] for r in results]
        ours_curves[label] = {"epochs": runs[0]["epochs"], "test_loss": {
            n: np.stack([r["test_loss"][n] for r in runs]) for n in RUNS}}
    moments = [r["moment_error"] for r in results]
    outcomes.append(dataset_moment_outcome(moments, "compressed training set"))
    anchors = ctx.anchors()
    theirs, their_finals = _authors(anchors, labels) if anchors else ({}, {})
    config = results[0]["config"]
    titles = {run["label"]: f"{run['label']} (lr {run['lr']:g})" for run in config["runs"]}
    ctx.figure(_plot(ours_curves, theirs, titles))
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    if anchors is None:
        evidence += "; the authors' data are not on this machine: their curves and numbers were not compared"
    if verdict == "holds" and not ctx.full:
        verdict, caveat = "holds with caveat", (f"quick tier: {', '.join(labels)} only (the batch-256 runs are at "
                                                "the full tier), one seed, 10^4 test points")
    authors = ({"source": AUTHORS_DIR, "theirs": their_finals,
                "ours": {label: {k: float(np.mean(v)) for k, v in m.items() if k != "random_subsets"}
                         for label, m in measured.items()},
                "note": "their teacher is another random draw: absolute MSEs are shown, not judged; their "
                        "excess_fraction is against their naive run (ours: excess_fraction_vs_naive)"}
               if their_finals else None)
    ctx.record(verdict, {**measured, "moment_error": max(moments), "seconds": [r["seconds"] for r in results]},
               evidence, caveat=caveat,
               authors=authors,
               baseline={"naive": "first 1000 rows, unit weights (the paper's baseline)",
                         "random_subsets": "uniformly random 1000 rows, unit weights, same initialisation"},
               params={**{k: v for k, v in config.items() if k != "runs"}, "runs": [str(r) for r in config["runs"]],
                       "several": SEVERAL, "close": CLOSE, "resolve": RESOLVE, "compression":
                       results[0]["compression"]},
               seeds=seeds)


MUTANTS: tuple[Mutant, ...] = (
    Mutant("fig3-random-rows", "compress_dataset returns random rows with equal weights in place of the kept rows",
           random_rows()),
    Mutant("fig3-shuffled-targets", "compress_dataset pairs each kept input with another kept row's target",
           shuffled_targets()),
    Mutant("fig3-equal-weights", "compress_dataset drops the weights (equal weights of the same total)",
           equal_weights()),
    Mutant("fig3-inputs-only", "compress_dataset keeps the moments of the inputs only (targets left out)",
           inputs_only()),
)
