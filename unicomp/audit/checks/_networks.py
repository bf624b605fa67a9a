r"""Helpers shared by the network claims (DLTH, FIG4, FIG7): curve gaps, the did-it-learn test, the authors'
curves, and planted defects for the network compressors.

Curve gap
    Two test-loss curves :math:`L_a, L_b` over the same evaluation epochs are compared on a log scale,
    :math:`\max_e |\log L_b(e) - \log L_a(e)|`: a factor between the curves, the quantity the paper's
    "nearly indistinguishable" refers to (its Fig. 4 and 7 are log plots), and independent of the loss
    level, which changes by two orders over training.

Did it learn
    A run has learned when its final test loss is below :data:`LEARNED` times the loss of predicting the
    test targets' mean (:func:`unicomp.experiments._common.mean_predictor_loss`); otherwise its loss
    curve says nothing about the target (:func:`learned_outcome`).

Planted defects
    The compressors :func:`~unicomp.numerics.networks.compress_mlp` and
    :func:`~unicomp.numerics.attention.compress_heads` return a module, not a ``Compression``, so the generic
    factories of :mod:`unicomp.audit.mutants` that edit a ``Compression`` do not apply; the factories here
    edit the returned module (its neuron/head weights ``weights`` and its gradient rule).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from unicomp.audit.anchors import Anchors
from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant, Planter, lowered_degree, replace
from unicomp.errors import InputError
from unicomp.experiments._common import torch_threads
from unicomp.numerics.networks import WeightedMLP
from unicomp.verify.claims import Outcome, closer_than_baseline, combine

__all__ = [
    "AUTHORS_COLUMNS",
    "HEADS",
    "LEARNED",
    "MLP",
    "MOMENT_TOL",
    "authors_curves",
    "authors_summary",
    "curve_gap",
    "judge_runs",
    "learned_outcome",
    "member_mutants",
    "moment_outcome",
    "perturbed_members",
    "plot_with_authors",
    "random_members",
    "record_figure",
    "run_seeds",
    "scale_caveat",
    "tracking_outcome",
    "unscaled_gradients",
]

#: The public compressors the planted defects replace.
MLP = "unicomp.numerics.networks:compress_mlp"
HEADS = "unicomp.numerics.attention:compress_heads"

#: Largest accepted :func:`~unicomp.experiments._common.moment_error` of a compressed module at
#: initialisation.  The kept neurons/heads are exact copies and the compression is verified to about 1e-10,
#: but float32 modules store the weights c_j in float32 (relative rounding 6e-8 each, so up to 6e-8 of the
#: mass in a moment): 1e-6 leaves a 16x margin above that, and a compression of a lower degree, a
#: perturbed weight or a random subset is off by 1e-4 or more.
MOMENT_TOL = 1e-6

#: A run has learned when its final test loss is below this fraction of the mean predictor's: the weakest
#: run the paper shows as learning (Fig. 4, SGD lr 1e-3, authors' CSV) ends at 0.72 of it, so the paper's
#: runs count as learned; 20% below the baseline is far outside the test-set noise (about 3% relative
#: standard error at 2000 test points).
LEARNED = 0.8

#: Our run names -> the authors' CSV test-loss columns (fig4_lth/LTH/*.csv, fig7_attention/*.csv).
AUTHORS_COLUMNS: dict[str, str] = {
    "original": "test_loss_orig", "compressed": "test_loss_cp", "naive": "test_loss_naive",
}


def curve_gap(reference: ArrayLike, other: ArrayLike) -> NDArray[np.float64]:
    r"""Largest log-factor between two loss curves, per seed: :math:`\max_e |\log(L_b(e) / L_a(e))|`.

    Parameters
    ----------
    reference, other : array_like, shape (T,) or (seeds, T)
        Non-negative losses at the same evaluation epochs; a non-finite loss (a diverged run) makes that
        seed's gap infinite.

    Returns
    -------
    ndarray, shape (seeds,)

    >>> curve_gap([1.0, 0.5], [1.1, 0.5]).round(4)
    array([0.0953])
    >>> curve_gap([1.0, 0.5], [1.0, float("nan")])
    array([inf])
    """
    ref = np.atleast_2d(np.asarray(reference, dtype=np.float64))
    oth = np.atleast_2d(np.asarray(other, dtype=np.float64))
    if ref.shape != oth.shape or ref.size == 0:
        raise InputError(f"the curves must have the same non-empty shape, got {ref.shape} and {oth.shape}")
    if np.any(ref < 0) or np.any(oth < 0):
        raise InputError("loss curves must be non-negative")
    with np.errstate(divide="ignore", invalid="ignore"):
        gaps = np.abs(np.log(oth) - np.log(ref))
    return np.asarray(np.where(np.isfinite(gaps), gaps, np.inf).max(axis=1))


def moment_outcome(error: float, what: str) -> tuple[str, str]:
    """Sub-check "the compressed modules at initialisation carry the original's moments up to degree k".

    >>> moment_outcome(1e-9, "x")[0], moment_outcome(1e-3, "x")[0]
    ('holds', 'fails')
    """
    text = f"{what}: largest moment error at initialisation {error:.2e} (tolerance {MOMENT_TOL:g})"
    if np.isfinite(error) and error <= MOMENT_TOL:
        return "holds", text
    return "fails", text + "; the compressed network is not a degree-k compression of the original"


def tracking_outcome(
    reference: ArrayLike, compressed: ArrayLike, tol: float, what: str, *, coarser: str | None = None
) -> tuple[str, str]:
    """Absolute criterion: the compressed curve stays within a factor ``exp(tol)`` of the original's.

    ``holds`` if the mean over seeds of :func:`curve_gap` is at most ``tol``; above it ``fails`` -- unless
    ``coarser`` says why this run's compression is coarser than the one ``tol`` was measured on (a quick
    tier), which makes the excess ``inconclusive`` (``coarser`` also names the scale that decides).

    >>> tracking_outcome([[1.0, 0.5]], [[1.02, 0.5]], 0.05, "x")[0], tracking_outcome([[1.0]], [[2.0]], 0.05, "x")[0]
    ('holds', 'fails')
    >>> tracking_outcome([[1.0]], [[2.0]], 0.05, "x", coarser="smaller")[0]
    'inconclusive'
    """
    gaps = curve_gap(reference, compressed)
    text = (f"{what}: compressed/original test-loss factor, largest over the curve, exp({gaps.mean():.3f}) "
            f"(per seed {', '.join(f'{g:.3f}' for g in gaps)}; the paper's own exp({tol:.3f}))")
    if gaps.mean() <= tol:
        return "holds", text
    if coarser is not None and np.all(np.isfinite(gaps)):
        return "inconclusive", text + f"; above the paper's, but {coarser}"
    return "fails", text + "; the curves are distinguishable"


def learned_outcome(final_losses: ArrayLike, baseline: float, what: str, decides: str) -> tuple[str, str]:
    """``holds`` if every final test loss is below :data:`LEARNED` x ``baseline``, else ``inconclusive``
    (``decides`` names the scale that would decide).

    >>> learned_outcome([0.1], 1.0, "x", "")[0], learned_outcome([0.9], 1.0, "x", "bigger")[0]
    ('holds', 'inconclusive')
    """
    finals = np.asarray(final_losses, dtype=np.float64)
    text = (f"{what}: final test MSE {', '.join(f'{v:.4g}' for v in finals)} vs {baseline:.4g} for predicting "
            f"the mean (learned below {LEARNED:g}x)")
    if np.all(finals < LEARNED * baseline):
        return "holds", text
    return "inconclusive", text + f"; the network did not learn the target, its curve cannot decide; {decides}"


def run_seeds(ctx: AuditContext, run: Callable[..., Any], config: Any, seeds: Sequence[int]) -> list[dict[str, Any]]:
    """``run(config=config, seed=...)`` for every seed on one torch thread (on the CPU at the quick tier), one
    resumable unit per seed (:meth:`~unicomp.audit.context.AuditContext.unit`, keyed by the seed and the
    configuration); the data.

    The experiment's own figures are closed: the checks draw ours next to the authors' instead.
    """
    import matplotlib.pyplot as plt

    def one(seed: int) -> dict[str, Any]:
        with torch_threads(1):
            result = run(config=config, seed=seed, **({} if ctx.full else {"device": "cpu"}))
        plt.close(result.figure)
        return dict(result.data)

    ctx.plan_units(len(seeds))
    return ctx.units("seed", [({"seed": int(seed), "config": repr(config)}, partial(one, seed)) for seed in seeds])


def judge_runs(
    data: Sequence[Mapping[str, Any]], tol: Mapping[str, float], *, coarser: str | None, decides: str
) -> tuple[list[Outcome], dict[str, Any], dict[str, Any]]:
    """Sub-checks (1)-(3) of FIG4/FIG7 for every optimiser of paired original/compressed/naive runs.

    Parameters
    ----------
    data : list of experiment data, one per seed
        Each with ``runs[opt]["test_loss"][run]``, ``runs[opt]["epochs"]`` and ``mean_predictor_test_loss``.
    tol : mapping
        The paper's own largest log-factor per optimiser (:func:`tracking_outcome`).
    coarser, decides : str
        Passed to :func:`tracking_outcome` and :func:`learned_outcome`.

    Returns
    -------
    outcomes, measured, ours
        The sub-check outcomes; numbers per optimiser; the curves for :func:`plot_with_authors`.
    """
    baseline = float(np.mean([d["mean_predictor_test_loss"] for d in data]))
    outcomes: list[Outcome] = []
    measured: dict[str, Any] = {"mean_predictor_test_loss": baseline, "tolerance_log_factor": dict(tol)}
    ours: dict[str, Any] = {}
    for opt in data[0]["runs"]:
        curves = {n: np.array([d["runs"][opt]["test_loss"][n] for d in data]) for n in AUTHORS_COLUMNS}
        outcomes.append(tracking_outcome(curves["original"], curves["compressed"], tol[opt], opt, coarser=coarser))
        naive_outcome, numbers = closer_than_baseline(curves["original"], curves["compressed"], curves["naive"],
                                                      what=f"{opt} test-loss curve vs naive")
        outcomes.append(naive_outcome)
        finals = {n: c[:, -1] for n, c in curves.items()}
        learned = learned_outcome(finals["original"], baseline, f"{opt} original", decides)
        if learned[0] == "holds":
            worse = bool(np.all(finals["naive"] > finals["compressed"]))
            learned = ("holds" if worse else "fails",
                       f"{learned[1]}; naive final {finals['naive'].mean():.3g} vs compressed "
                       f"{finals['compressed'].mean():.3g}" + ("" if worse else ": the naive run is not worse"))
        outcomes.append(learned)
        ours[opt] = {"epochs": data[0]["runs"][opt]["epochs"], "test_loss": curves}
        measured[opt] = {**numbers,
                         "log_factor_compressed": curve_gap(curves["original"], curves["compressed"]).tolist(),
                         "log_factor_naive": curve_gap(curves["original"], curves["naive"]).tolist(),
                         **{f"final_{n}": v.tolist() for n, v in finals.items()}}
    return outcomes, measured, ours


def record_figure(
    ctx: AuditContext,
    data: Sequence[Mapping[str, Any]],
    theirs: Mapping[str, Mapping[str, NDArray[np.float64]] | None],
    tol: Mapping[str, float],
    *,
    members: str,
    ratio: float,
    paper_ratio: float,
    scale: str,
    naive: str,
    source: str,
    reached: str | None = None,
) -> None:
    """Judge FIG4/FIG7 (sub-checks (0)-(3) of their modules) and record the finding.

    ``members`` names the compression ("width 2000 -> 400, k = 5"); ``ratio`` and ``paper_ratio`` are kept
    members per moment here and in the paper (a smaller ratio is a coarser compression: at the quick tier a
    curve gap above the paper's is then inconclusive); ``scale`` says what decides; ``naive`` describes the
    baseline; ``source`` the authors' files used (or why absent); ``reached`` the scale a full-tier run
    reached when it is smaller than the paper's (a caveat on the verdict; the rules are unchanged).
    """
    coarser = None if ctx.full else (f"the quick tier's compression is coarser (d'/N = {ratio:.1f} vs the "
                                     f"paper's {paper_ratio:.1f}); {scale}")
    init_error = max(float(d["init_moment_error"]) for d in data)
    outcomes, measured, ours = judge_runs(data, tol, coarser=coarser, decides=scale)
    outcomes.insert(0, moment_outcome(init_error, members))
    measured["init_moment_error"] = init_error
    ctx.figure(plot_with_authors(ours, theirs, title=lambda key: f"{key}, {members}"))
    verdict, caveat, evidence = combine(outcomes, show=len(outcomes))
    verdict, caveat = scale_caveat(verdict, caveat, reached)
    first = data[0]
    authors = {"source": source, "printed": {str(k): list(v) for k, v in first["reported"].items()},
               **authors_summary(theirs, measured)}
    ctx.record(verdict, measured, evidence, caveat=caveat,
               baseline={"naive": naive, "mean_predictor_test_loss": measured["mean_predictor_test_loss"]},
               params={**first["config"], "compression": first["compression"], "parameters": first["parameters"]},
               seeds=[int(d["config"]["seed"]) for d in data], authors=authors)


def scale_caveat(verdict: str, caveat: str | None, reached: str | None) -> tuple[str, str | None]:
    """A verdict reached below the paper's scale names that scale: ``holds`` becomes ``holds with caveat``,
    and ``reached`` joins the caveat of every verdict (a ``fails`` stays ``fails``: the caveat says at which
    scale the claim failed, so the reader can tell a failure of the setting from one of the paper's).

    >>> scale_caveat("holds", None, "width 4000, not 10^4")
    ('holds with caveat', 'width 4000, not 10^4')
    >>> scale_caveat("fails", None, "width 4000, not 10^4")
    ('fails', 'width 4000, not 10^4')
    """
    if reached is None or verdict not in ("holds", "holds with caveat", "inconclusive", "fails"):
        return verdict, caveat
    return ("holds with caveat" if verdict == "holds" else verdict), (f"{caveat}; {reached}" if caveat else reached)


def authors_summary(theirs: Mapping[str, Mapping[str, NDArray[np.float64]] | None],
                    measured: Mapping[str, Any]) -> dict[str, Any]:
    """Ours next to theirs per optimiser: final (original, compressed, naive) and the log-factors to the
    original (largest over the curve); the authors' entry is empty where their file is absent."""
    out: dict[str, Any] = {"theirs": {}, "ours": {}}
    for opt, curves in theirs.items():
        if curves is not None:
            out["theirs"][opt] = {
                "final": [float(curves[n][-1]) for n in AUTHORS_COLUMNS],
                "log_factor_compressed": float(curve_gap(curves["original"], curves["compressed"])[0]),
                "log_factor_naive": float(curve_gap(curves["original"], curves["naive"])[0]),
            }
        mine = measured[opt]
        out["ours"][opt] = {"final": [float(np.mean(mine[f"final_{n}"])) for n in AUTHORS_COLUMNS],
                            "log_factor_compressed": float(np.mean(mine["log_factor_compressed"])),
                            "log_factor_naive": float(np.mean(mine["log_factor_naive"]))}
    return out


def authors_curves(anchors: Anchors | None, rel: str) -> dict[str, NDArray[np.float64]] | None:
    """The authors' test-loss curves of one CSV as ``{"epoch", "original", "compressed", "naive"}``.

    ``None`` when the repository is not on this machine (the caller skips the comparison and says so).
    """
    if anchors is None:
        return None
    table = anchors.read_csv(rel)
    return {"epoch": table["epoch"], **{run: table[col] for run, col in AUTHORS_COLUMNS.items()}}


def plot_with_authors(
    ours: Mapping[str, Mapping[str, Any]],
    theirs: Mapping[str, Mapping[str, NDArray[np.float64]] | None],
    *,
    title: Callable[[str], str] = str,
) -> Any:
    """Two rows of panels per key of ``ours``: our mean test-loss curves, and the authors' for that key.

    ``ours[key]`` holds ``"epochs"`` and ``"test_loss"`` (run -> (seeds, T) array); ``theirs[key]`` is an
    :func:`authors_curves` result or ``None`` (the panel then says the authors' data are absent).
    """
    import matplotlib.pyplot as plt

    keys = list(ours)
    fig, axes = plt.subplots(2, len(keys), figsize=(4 * len(keys), 6), squeeze=False)
    for j, key in enumerate(keys):
        top, bottom = axes[0, j], axes[1, j]
        for run, curves in ours[key]["test_loss"].items():
            top.plot(ours[key]["epochs"], np.mean(curves, axis=0), label=run)
        top.set_title(f"ours: {title(key)}")
        authors = theirs.get(key)
        panels = [top]
        if authors is None:
            bottom.text(0.5, 0.5, "authors' data absent", ha="center", va="center", transform=bottom.transAxes)
            bottom.set_axis_off()
        else:
            for run in AUTHORS_COLUMNS:
                bottom.plot(authors["epoch"], authors[run], label=run)
            bottom.set_title(f"authors (the paper's scale): {key}")
            panels.append(bottom)
        for ax in panels:
            ax.set_yscale("log")
            ax.set_xlabel("epoch")
            ax.set_ylabel("test MSE")
            ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------------------
# Planted defects (see the module notes).  ``target`` is "unicomp.numerics.networks:compress_mlp" or
# "unicomp.numerics.attention:compress_heads"; both return a module with a buffer ``weights`` (one per
# neuron/head) and accept ``scale_gradients=``.


def _member_count(module: Any) -> int:
    return int(module.weights.shape[0])


def unscaled_gradients(target: str) -> Planter:
    """The 1/c rule switched off: the compressed module trains with plain autograd (gradients c_j g_j)."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def defective(*args: Any, **kwargs: Any) -> Any:
            return original(*args, **{**kwargs, "scale_gradients": False})

        return defective

    return replace(target, make)


def perturbed_members(target: str, relative: float = 0.05, seed: int = 0) -> Planter:
    """The compressed module's weights c_j multiplied by |1 + relative * N(0, 1)| after the compression."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def defective(*args: Any, **kwargs: Any) -> Any:
            module = original(*args, **kwargs)
            noise = np.random.default_rng(seed).standard_normal(_member_count(module))
            factor = torch.as_tensor(np.abs(1.0 + relative * noise), dtype=module.weights.dtype)
            with torch.no_grad():
                module.weights.mul_(factor.to(module.weights.device))
            return module

        return defective

    return replace(target, make)


def random_members(target: str, seed: int = 0) -> Planter:
    """A random subset of the same size with equal weights of the same total mass in place of the compression.

    The module is rebuilt through the public constructors: ``WeightedMLP.from_plain`` for a network,
    ``CausalAttention.subset`` for attention heads.
    """

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def defective(model: Any, **kwargs: Any) -> Any:
            module = original(model, **kwargs)
            size, total = _member_count(module), float(module.weights.sum())
            n = int(module.compression.n_input)
            indices = np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))
            weights = np.full(size, total / size)
            if isinstance(module, WeightedMLP):
                return WeightedMLP.from_plain(model, indices, weights)
            return model.subset(indices, weights)

        return defective

    return replace(target, make)


def member_mutants(prefix: str, target: str, *, kinds: Sequence[str]) -> tuple[Mutant, ...]:
    """The planted defects of ``target``'s claims, named ``<prefix>-<kind>``.

    ``kinds`` from ``"no-1/c"`` (:func:`unscaled_gradients`), ``"random"`` (:func:`random_members`),
    ``"perturbed"`` (:func:`perturbed_members`, 5%), ``"lowered-degree"`` (one moment order fewer).
    """
    what = target.rsplit(":", 1)[-1]
    catalogue = {
        "no-1/c": ("the compressed module trains with plain autograd (the 1/c gradient rule switched off)",
                   unscaled_gradients(target)),
        "random": (f"{what} keeps a random subset with equal weights of the right total mass instead of "
                   "matching moments", random_members(target)),
        "perturbed": ("the compressed module's weights c_j are perturbed by 5% after the compression was verified",
                      perturbed_members(target, relative=0.05)),
        "lowered-degree": (f"{what} matches one moment order fewer than asked", lowered_degree(target, by=1)),
    }
    unknown = sorted(set(kinds) - set(catalogue))
    if unknown:
        raise InputError(f"unknown mutant kinds {unknown}; valid: {sorted(catalogue)}")
    return tuple(Mutant(f"{prefix}-{kind}", *catalogue[kind]) for kind in kinds)
