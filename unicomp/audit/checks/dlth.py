r"""DLTH (Thm 5): a width-d network compressed at initialisation trains along the same trajectory (every step,
every readout); the trajectory gap shrinks with k and with d at a fixed ratio d'/d.

Measurement: :func:`unicomp.experiments.dlth_smooth.run_dlth_smooth` -- tanh networks (analytic, the
setting of the theorem), the original, its compressions (1/c rule) and a naive random subnetwork trained
from the same initialisation on the same batches, for several seeds (a seed draws the initialisation, the
data and the batch order).  Trajectory gap :math:`G` = the largest RMS difference between the compressed
and the original outputs on probe inputs over the evaluation epochs (initialisation included), divided
by the target's RMS.

Rule (any "fails" fails; :func:`unicomp.verify.claims.combine`):

(0) **compressed at initialisation**: every compressed network carries the original's neuron moments up to
    degree k (:func:`unicomp.experiments._common.moment_error` measured on the modules themselves, at most
    :data:`unicomp.audit.checks._networks.MOMENT_TOL`) -- the construction Thm 5 is about;
(1) **shrinks with k** (fixed d, d'): the mean over seeds of the per-seed slopes of :math:`\log G` against k
    (:func:`unicomp.verify.claims.mean_slope`, bootstrap over seeds) -- ``fails`` if the whole interval
    lies above :math:`-\log 2 / (k_{max} - k_{min})`, i.e. the gap is confidently reduced by less than a
    factor 2 over the whole sweep (less than the seed-to-seed spread of G, about 2x); ``holds`` if the
    whole interval is below 0; ``inconclusive`` otherwise (more seeds decide).
(2) **shrinks with d at fixed d'/d**: the same on :math:`\log G` against :math:`\log d`, threshold
    :math:`-\log 2 / \log(d_{max}/d_{min})`.
(3) **better than the naive subnetwork**: at the largest k, G is below the naive random subnetwork's gap
    for every seed (the paper's baseline); otherwise ``fails``.  A non-finite gap (a diverged run) fails.

The measurement covers one training map (SGD with cosine decay) and one readout (the outputs on probe
inputs): the verdict is at best "holds with caveat" naming that limit.  ReLU, which violates the theorem's
analyticity assumption but is what the paper trains, is audited in FIG4 (and FIG7 for attention heads).
The authors published no data for this sweep (their Fig. 4 curves are compared in FIG4).

Each (seed, width) pair is one resumable unit (:meth:`~unicomp.audit.context.AuditContext.unit`): the
experiment run for that seed and width alone (a seed's runs at different widths share nothing), keyed by
that run's own configuration (:func:`cell_key`), so a tier with more widths or seeds keeps the units it
shares.  The full tier is the experiment's full configuration (widths 1000..16000, 5 seeds).  History: until
30 Nov 2026 it left out width 16000 on an estimate of two hours per seed; the full run measured 8-10 minutes
per seed at width 8000, and width 16000 was added: 21-37 minutes per seed (measured, two or three audit
processes on the two cores); the slope of log G against log d went from -1.52 [-1.56, -1.46] on
1000..8000 to -1.54 [-1.56, -1.53] on 1000..16000.
"""

from __future__ import annotations

import math
from dataclasses import asdict, replace
from functools import partial
from types import ModuleType
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import NDArray

from unicomp.audit.checks._networks import (
    MLP,
    member_mutants,
    moment_outcome,
)
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant
from unicomp.verify.claims import LineFit, Outcome, combine, mean_slope

#: The factor by which the gap must (at least) shrink across a sweep: the seeds' own spread of G at one
#: setting is about 2x, so a smaller change cannot be told from seed noise.
SHRINK = 2.0


def shrink_verdict(x: NDArray[np.float64], gaps: NDArray[np.float64], what: str) -> tuple[Outcome, LineFit]:
    """Verdict for "G shrinks along ``x``": per-seed slopes of log G against ``x`` (columns of ``gaps``).

    ``fails`` if the whole interval of the mean slope lies above :math:`-\\log(\\text{SHRINK}) / \\text{span}`
    (the gap falls by less than :data:`SHRINK` over the sweep), ``holds`` if it lies below 0,
    ``inconclusive`` otherwise.

    >>> x = np.array([1.0, 2.0, 3.0])
    >>> shrink_verdict(x, np.exp(-x)[:, None] * [1.0, 1.5, 0.8], "G")[0][0]
    'holds'
    >>> shrink_verdict(x, np.ones((3, 3)), "G")[0][0]
    'fails'
    """
    fit = mean_slope([(x, np.log(gaps[:, s])) for s in range(gaps.shape[1])], log=False, seed=1)
    span = float(x.max() - x.min())
    threshold = -math.log(SHRINK) / span
    text = (f"{what}: mean per-seed slope of log G {fit} ({gaps.shape[1]} seeds; factor "
            f"{math.exp(-fit.slope * span):.3g} over the sweep, {SHRINK:g} needed)")
    if fit.low > threshold:
        return ("fails", text + "; the gap does not shrink"), fit
    if fit.high < 0:
        return ("holds", text), fit
    return ("inconclusive", text + "; the interval reaches the threshold: more seeds decide"), fit


def unit_cost(config: Any, width: int) -> float:
    r"""Relative cost of one (seed, width) unit, for the ETA: the neurons trained -- the original of width d,
    the naive subnetwork and each compression of width :math:`d' = \text{ratio}\cdot d` (one per degree at the
    degree sweep's width, one elsewhere); a run's time grows about linearly in its width."""
    compressions = len(config.degrees) if width == config.width else 1
    return width * (1.0 + (compressions + 1) * config.ratio)


def cell_config(config: Any, seed: int, width: int) -> Any:
    """The configuration of the (seed, width) unit: ``config`` for that seed and width alone (the whole
    degree sweep at ``config.width``, the sweep's degree elsewhere)."""
    return replace(config, seeds=(seed,), widths=(width,), width=width,
                   degrees=config.degrees if width == config.width else (config.degree,))


def cell_key(config: Any, seed: int, width: int) -> dict[str, Any]:
    """The stored key of the (seed, width) unit: what its run depends on (:func:`cell_config`), not the tier's
    other widths or seeds."""
    return {"seed": seed, "width": width, "config": repr(cell_config(config, seed, width))}


def sweep(ctx: AuditContext, smooth: ModuleType, config: Any) -> tuple[dict[str, Any], Any]:
    """Both sweeps of :func:`~unicomp.experiments.dlth_smooth.run_dlth_smooth`, one unit per (seed, width);
    the experiment's data (same fields and shapes) and its figure."""
    from unicomp.experiments._common import torch_threads

    def one(seed: int, width: int) -> dict[str, Any]:
        with torch_threads(1):
            result = smooth.run_dlth_smooth(config=cell_config(config, seed, width))
        plt.close(result.figure)
        data, deg = result.data, result.data["degree_sweep"]
        return {"degree_gap": deg["gap"][:, 0], "naive_gap": float(deg["naive_gap"][0]),
                "width_gap": float(data["width_sweep"]["gap"][0, 0]),
                "init_moment_error": float(data["init_moment_error"]), "seconds": float(data["seconds"])}

    pairs = [(int(s), int(w)) for s in config.seeds for w in config.widths]
    ctx.plan_units(len(pairs), weights=[unit_cost(config, w) for _, w in pairs])
    cells = dict(zip(pairs, ctx.units("cell", [(cell_key(config, s, w), partial(one, s, w)) for s, w in pairs]),
                     strict=True))
    main = [cells[int(s), config.width] for s in config.seeds]
    data = {
        "config": asdict(config),
        "degree_sweep": {"degrees": np.asarray(config.degrees), "gap": np.stack([c["degree_gap"] for c in main], 1),
                         "naive_gap": np.array([c["naive_gap"] for c in main])},
        "width_sweep": {"widths": np.asarray(config.widths),
                        "gap": np.array([[cells[int(s), int(w)]["width_gap"] for s in config.seeds]
                                         for w in config.widths])},
        "init_moment_error": max(c["init_moment_error"] for c in cells.values()),
        "seconds": sum(c["seconds"] for c in cells.values()),
    }
    return data, smooth.plot_smooth(data)


def run(ctx: AuditContext) -> None:
    smooth = ctx.require("unicomp.experiments.dlth_smooth")
    config = smooth.TIERS["full"] if ctx.full else replace(smooth.TIERS["quick"], device="cpu")
    data, figure = sweep(ctx, smooth, config)
    ctx.figure(figure)
    cfg = data["config"]
    deg, wid = data["degree_sweep"], data["width_sweep"]
    degrees = np.asarray(deg["degrees"], dtype=float)
    widths = np.asarray(wid["widths"], dtype=float)
    gaps_k, gaps_d = np.asarray(deg["gap"]), np.asarray(wid["gap"])
    naive = np.asarray(deg["naive_gap"])
    measured: dict[str, object] = {
        "degrees": degrees.astype(int).tolist(), "gap_vs_k": gaps_k.tolist(),
        "widths": widths.astype(int).tolist(), "gap_vs_d": gaps_d.tolist(), "seconds": data["seconds"],
    }
    if not (np.all(np.isfinite(gaps_k)) and np.all(np.isfinite(gaps_d))):
        outcomes: list[Outcome] = [("fails", "a compressed run diverged from the original (non-finite trajectory "
                                             f"gap): G vs k {gaps_k.tolist()}, vs d {gaps_d.tolist()}")]
    else:
        k_outcome, fit_k = shrink_verdict(degrees, gaps_k, f"G vs k = {degrees.astype(int).tolist()} at d = "
                                                           f"{cfg['width']}, d' = {round(cfg['ratio'] * cfg['width'])}")
        d_outcome, fit_d = shrink_verdict(np.log(widths), gaps_d, f"G vs log d, d = {widths.astype(int).tolist()}"
                                                                  f" at d'/d = {cfg['ratio']}, k = {cfg['degree']}")
        measured |= {"slope_vs_k": fit_k.as_dict(), "slope_vs_log_d": fit_d.as_dict()}
        outcomes = [k_outcome, d_outcome]
    outcomes.insert(0, moment_outcome(float(data["init_moment_error"]),
                                      "compressions at initialisation (every k, every width, every seed)"))
    measured["init_moment_error"] = float(data["init_moment_error"])
    below = gaps_k[-1] < naive
    outcomes.append(("holds" if np.all(below) else "fails",
                     f"at k = {int(degrees[-1])}: G = {', '.join(f'{g:.2e}' for g in gaps_k[-1])} vs naive "
                     f"subnetwork {', '.join(f'{g:.2e}' for g in naive)} (per seed)"))
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    scope = ("one training map (SGD, cosine decay) and one readout (outputs on "
             f"{cfg['n_probe']} probe inputs), tanh only; ReLU is audited in FIG4/FIG7")
    if verdict == "holds":
        verdict, caveat = "holds with caveat", scope
    elif verdict in ("holds with caveat", "inconclusive"):
        caveat = f"{caveat}; {scope}"
    ctx.record(
        verdict, measured, evidence, caveat=caveat,
        baseline={"naive_gap_at_k_max": naive.tolist(),
                  "naive": "random subnetwork of width d', weights 1 (the paper's baseline)"},
        params={k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()},
        seeds=[int(s) for s in cfg["seeds"]],
    )


MUTANTS: tuple[Mutant, ...] = member_mutants("dlth", MLP, kinds=("no-1/c", "random", "perturbed", "lowered-degree"))
