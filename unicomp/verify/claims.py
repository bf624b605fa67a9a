r"""Claim checkers: turn measurements into verdicts with intervals derived from the data.

The paper's quantitative claims come in a few shapes, each with one checker here:

* **rates and exponents** -- a straight-line fit (:func:`fit_line`, :func:`fit_loglog`) with a bootstrap
  confidence interval, compared with a bound (:func:`compare_slope`: the measured slope is at least as
  steep as the bound's) or with a reported value (:func:`compare_value`);
* **vanishing error** -- the error falls with :math:`d` at the theorem's size (:func:`vanishing_error`);
* **dynamics unchanged** -- a compressed trajectory stays closer to the original than a same-size naive
  baseline does (:func:`trajectory_gap`).

Each checker returns a verdict (``"holds"``, ``"holds with caveat"``, ``"fails"``) and a sentence of
evidence with the numbers, ready for :class:`~unicomp.audit.registry.Finding`.

Notes
-----
Intervals.  With replicates (``y`` of shape ``(n, s)``: ``s`` seeds at each of ``n`` abscissae) the fit
is to the per-abscissa mean and the bootstrap resamples the replicates at every abscissa independently
(a stratified bootstrap).  Without replicates it resamples the residuals of the least-squares line.  The
percentile interval of the resampled slopes at level :math:`1-\alpha` is reported.

Verdict rule of :func:`compare_slope` for a claim "slope :math:`\ge b`" with tolerance :math:`\tau`:

.. math::

    \hat s \ge b - \tau \Rightarrow \text{holds}, \qquad
    \hat s < b - \tau \le s_{hi} \Rightarrow \text{holds with caveat}, \qquad
    s_{hi} < b - \tau \Rightarrow \text{fails},

and symmetrically for "slope :math:`\le b`".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import binom

from unicomp.errors import InputError
from unicomp.numerics.bootstrap import LineFit, fit_line, fit_loglog, mean_slope
from unicomp.numerics.result import Compression
from unicomp.verify.invariants import check_compression

__all__ = [
    "LineFit",
    "check_target_compression",
    "closer_than_baseline",
    "combine",
    "compare_slope",
    "compare_value",
    "coverage_verdict",
    "fit_line",
    "fit_loglog",
    "mean_slope",
    "rounding_verdict",
    "trajectory_gap",
    "vanishing_error",
]

Outcome = tuple[str, str]
_SUB_VERDICTS = ("holds", "holds with caveat", "inconclusive", "fails")


def _check_reference(value: float, tol: float, name: str) -> None:
    """``value`` must be finite and ``tol`` finite and non-negative (a negative allowance would tighten
    the rule without saying so)."""
    if not np.isfinite(value):
        raise InputError(f"{name} must be finite, got {value}")
    if not (np.isfinite(tol) and tol >= 0):
        raise InputError(f"tol must be finite and non-negative, got {tol}")


def compare_slope(
    fit: LineFit,
    bound: float,
    *,
    direction: Literal["at_least", "at_most"],
    tol: float = 0.0,
    what: str = "slope",
) -> Outcome:
    """Verdict for "the measured slope is at least (or at most) ``bound``", allowing ``tol``.

    Parameters
    ----------
    fit : LineFit
        The measured slope with its interval.
    bound : float
        The claimed bound.
    direction : {"at_least", "at_most"}
        Which side of the bound the slope must be on.
    tol : float
        Stated allowance (e.g. for pre-asymptotic curvature); the caller documents where it comes from.
    what : str
        Name of the slope, for the evidence sentence.

    Returns
    -------
    (verdict, evidence)

    Examples
    --------
    >>> fit = LineFit(2.9, 0.0, 2.7, 3.1, 0.95, 100)
    >>> compare_slope(fit, 3.0, direction="at_least")[0]
    'holds with caveat'
    >>> compare_slope(fit, 3.0, direction="at_least", tol=0.2)[0]
    'holds'
    """
    _check_reference(bound, tol, "bound")
    if direction not in ("at_least", "at_most"):
        raise InputError(f"direction must be 'at_least' or 'at_most', got {direction!r}")
    sign = 1.0 if direction == "at_least" else -1.0
    target = bound - sign * tol
    rel = ">=" if sign > 0 else "<="
    text = f"{what} {fit} ({fit.level:.0%} bootstrap) vs required {rel} {bound:.3f} (tolerance {tol:.3f})"
    if sign * (fit.slope - target) >= 0:
        return "holds", text
    best = fit.high if sign > 0 else fit.low
    if sign * (best - target) >= 0:
        return "holds with caveat", text + "; the estimate misses the bound but the interval reaches it"
    return "fails", text + "; the whole interval misses the bound"


def compare_value(
    fit: LineFit, reference: float, *, tol: float = 0.0, what: str = "exponent", source: str = "reported"
) -> Outcome:
    """Verdict for "the measured slope equals the reported ``reference``" within the interval and ``tol``.

    ``holds`` if the reference lies in the interval widened by ``tol``; ``holds with caveat`` if it lies
    within twice that; ``fails`` otherwise.  ``source`` names where the reference comes from (the paper's
    reported value, a theory's prediction) in the evidence sentence.

    >>> compare_value(LineFit(1.5, 0.0, 1.4, 1.6, 0.95, 100), 1.55)[0]
    'holds'
    """
    _check_reference(reference, tol, "reference")
    text = f"{what} {fit} vs {source} {reference:.3f} (tolerance {tol:.3f})"
    lo, hi = fit.low - tol, fit.high + tol
    if lo <= reference <= hi:
        return "holds", text
    widen = hi - lo
    if lo - widen / 2 <= reference <= hi + widen / 2:
        return "holds with caveat", text + "; the reference lies just outside the interval"
    return "fails", text + "; the reference lies outside the interval"


def compare_fits(rms_claimed: float, rms_alternative: float, *, claimed: str, alternative: str,
                 margin: float = 0.1) -> Outcome:
    """Verdict for "the claimed functional form fits better than the alternative" (RMS log residuals).

    ``fails`` if the alternative fits better; ``holds`` if the claimed form's residual is smaller by more
    than ``margin`` (relative); ``holds with caveat`` in between, where the two forms are not told apart
    (over a narrow range of sizes a power law and a stretched exponential can both fit).

    >>> compare_fits(0.5, 0.8, claimed="stretched exponential", alternative="power law")[0]
    'holds'
    >>> compare_fits(0.9, 0.8, claimed="stretched exponential", alternative="power law")[0]
    'fails'
    """
    if not (np.isfinite(rms_claimed) and np.isfinite(rms_alternative) and margin >= 0):
        raise InputError("compare_fits needs finite residuals and a non-negative margin")
    text = f"RMS log residual: {claimed} {rms_claimed:.3f} vs {alternative} {rms_alternative:.3f}"
    if rms_claimed > rms_alternative:
        return "fails", text + f"; the {alternative} fits better"
    if rms_alternative > (1 + margin) * rms_claimed:
        return "holds", text
    return "holds with caveat", text + f" (within {margin:.0%}: the forms are not told apart)"


def vanishing_error(sizes: ArrayLike, errors: ArrayLike, *, seed: int = 0, what: str = "error") -> tuple[
    str, str, LineFit
]:
    """Verdict for "the error falls as ``sizes`` grow": the log-log slope is negative.

    ``errors`` has shape (n,) or (n, s) (replicates).  ``holds`` if the whole interval is below zero,
    ``holds with caveat`` if only the estimate is, ``fails`` otherwise.

    >>> verdict, _, fit = vanishing_error([100, 200, 400, 800], [1e-3, 2.6e-4, 6e-5, 1.6e-5])
    >>> verdict, round(fit.slope)
    ('holds', -2)
    """
    fit = fit_loglog(sizes, errors, seed=seed)
    text = f"log-log slope of the {what} {fit}"
    if fit.high < 0:
        return "holds", text + " is negative", fit
    if fit.slope < 0:
        return "holds with caveat", text + ": negative estimate, interval reaches 0", fit
    return "fails", text + " is not negative", fit


def trajectory_gap(
    reference: ArrayLike, compressed: ArrayLike, naive: ArrayLike | None = None
) -> dict[str, float]:
    r"""Gaps between a compressed (and a naive) trajectory and the reference, step by step.

    Parameters
    ----------
    reference, compressed, naive : array_like, shape (T,) or (T, q)
        A readout along training (losses, outputs) at the same steps.

    Returns
    -------
    dict
        ``max_gap`` :math:`\max_t |c_t - r_t|`, ``rel_gap`` (divided by :math:`\max_t |r_t|`),
        ``final_gap``, and the same for ``naive`` when given (``naive_max_gap`` ...), plus ``ratio``
        = naive max gap / compressed max gap.

    >>> g = trajectory_gap([1.0, 0.5, 0.25], [1.0, 0.51, 0.26], [1.0, 0.7, 0.5])
    >>> round(g["max_gap"], 3), round(g["ratio"], 1)
    (0.01, 25.0)
    """
    ref = np.asarray(reference, dtype=np.float64)
    out: dict[str, float] = {}
    scale = float(np.max(np.abs(ref))) or 1.0
    for name, traj in (("", compressed), ("naive_", naive)):
        if traj is None:
            continue
        arr = np.asarray(traj, dtype=np.float64)
        if arr.shape != ref.shape:
            raise InputError(f"{name or 'compressed '}trajectory shape {arr.shape} != reference {ref.shape}")
        gap = np.abs(arr - ref).reshape(ref.shape[0], -1).max(axis=1)
        out[f"{name}max_gap"] = float(gap.max())
        out[f"{name}rel_gap"] = float(gap.max() / scale)
        out[f"{name}final_gap"] = float(gap[-1])
    if naive is not None:
        out["ratio"] = out["naive_max_gap"] / out["max_gap"] if out["max_gap"] > 0 else float("inf")
    return out


def combine(outcomes: Sequence[Outcome], *, show: int = 3) -> tuple[str, str | None, str]:
    """One verdict from several sub-checks.

    Any ``"fails"`` fails; else any ``"inconclusive"`` makes the claim inconclusive (a sub-check that could
    not decide leaves the claim undecided, whatever the others say); else any caveat gives a caveat; else
    it holds.  Returns ``(verdict, caveat, evidence)``: the caveat names the sub-checks behind it, the
    evidence quotes the failing (or undecided, or caveated) sub-checks, or the first ``show`` of them when
    all hold, and counts how many hold outright.

    >>> combine([("holds", "a"), ("holds with caveat", "b")])
    ('holds with caveat', '1 of 2 sub-checks hold only with a caveat', 'b (1/2 sub-checks hold outright)')
    >>> combine([("holds", "a"), ("inconclusive", "b saturated")])[:2]
    ('inconclusive', '1 of 2 sub-checks cannot decide: b saturated')
    """
    if not outcomes:
        raise InputError("combine needs at least one outcome")
    unknown = [v for v, _ in outcomes if v not in _SUB_VERDICTS]
    if unknown:
        raise InputError(f"sub-check verdicts must be one of {_SUB_VERDICTS}, got {unknown[0]!r}")
    failed = [t for v, t in outcomes if v == "fails"]
    undecided = [t for v, t in outcomes if v == "inconclusive"]
    caveats = [t for v, t in outcomes if v == "holds with caveat"]
    held = sum(v == "holds" for v, _ in outcomes)
    tail = f" ({held}/{len(outcomes)} sub-checks hold outright)"
    if failed:
        return "fails", None, "; ".join(failed) + tail
    if undecided:
        note = f"{len(undecided)} of {len(outcomes)} sub-checks cannot decide: " + "; ".join(undecided)
        return "inconclusive", note, "; ".join(undecided + caveats) + tail
    if caveats:
        note = f"{len(caveats)} of {len(outcomes)} sub-checks hold only with a caveat"
        return "holds with caveat", note, "; ".join(caveats) + tail
    return "holds", None, "; ".join(t for _, t in outcomes[:show]) + tail


def check_target_compression(
    compression: Compression, points: ArrayLike, weights: ArrayLike | None = None, *, size: int
) -> float:
    r"""Invariants of a compression to a target ``size`` (Algorithm 1), which may exceed :math:`N_{m,k}`.

    :func:`~unicomp.verify.check_compression` with the support bounded by ``size`` (or :math:`N_{m,k}`
    if larger).  Raises :class:`InvariantViolation`; returns the largest relative moment error.
    """
    max_size = max(int(size), compression.num_moments)
    return check_compression(compression, points, weights, max_size=max_size).chebyshev_residual


#: float32 and float64 machine epsilons; rounding errors scale with their ratio (about 5e8).
_EPS32, _EPS64 = float(np.finfo(np.float32).eps), float(np.finfo(np.float64).eps)


def rounding_verdict(
    gap64: float, gap32: float, *, what: str = "gap", factor: float = 1e-3, scale: float = 1.0
) -> Outcome:
    r"""Verdict for "this gap is rounding only": it must shrink with the working precision.

    The same computation run in float32 and in float64: a gap caused by rounding scales with machine
    epsilon, so ``gap64 / gap32`` is about :math:`\epsilon_{64}/\epsilon_{32} \approx 2\cdot10^{-9}`,
    whereas a real discrepancy (an update that does not commute, a wrong gradient scale) is the same in
    both precisions.  ``holds`` if ``gap64 <= factor * gap32`` (default: a thousand-fold shrink, far from
    both regimes), or if ``gap64`` is within a thousand float64 ulps of ``scale`` (the typical magnitude of
    the compared numbers; float32 may round to an exact tie where float64 does not); ``fails`` otherwise.

    >>> rounding_verdict(3e-16, 2e-7)[0], rounding_verdict(1e-17, 0.0)[0], rounding_verdict(0.01, 0.01)[0]
    ('holds', 'holds', 'fails')
    """
    text = f"{what}: {gap64:.2e} (float64) vs {gap32:.2e} (float32), ratio expected ~{_EPS64 / _EPS32:.0e} if rounding"
    if gap64 <= factor * gap32 or gap64 <= 1e3 * _EPS64 * scale:
        return "holds", text
    return "fails", text + "; the gap does not shrink with the precision"



def coverage_verdict(inside: int, total: int, *, level: float = 0.95, alpha: float = 0.01) -> Outcome:
    """Verdict for a table of reported values compared with measured ``level`` intervals.

    If every reported value were right, each would fall outside its interval with probability
    ``1 - level``, so the number outside is Binomial(total, 1 - level).  ``fails`` if at least that many
    outside has probability below ``alpha`` (the table disagrees beyond chance), ``holds`` otherwise.

    >>> coverage_verdict(17, 18)[0], coverage_verdict(9, 18)[0]
    ('holds', 'fails')
    """
    if total < 1 or not 0 <= inside <= total:
        raise InputError(f"need 0 <= inside <= total and total >= 1, got {inside}/{total}")
    if not (0 < level < 1 and 0 < alpha < 1):
        raise InputError(f"level and alpha must lie in (0, 1), got level={level}, alpha={alpha}")
    outside = total - inside
    p_value = float(binom.sf(outside - 1, total, 1 - level)) if outside else 1.0
    text = (f"{inside}/{total} reported values inside the measured {level:.0%} intervals "
            f"(P(>= {outside} outside | table right) = {p_value:.2g})")
    return ("fails" if p_value < alpha else "holds"), text


def closer_than_baseline(
    reference: ArrayLike, compressed: ArrayLike, baseline: ArrayLike, *, what: str = "trajectory"
) -> tuple[Outcome, dict[str, float]]:
    """Verdict for "the compressed run tracks the reference better than the baseline does", over seeds.

    Parameters
    ----------
    reference, compressed, baseline : array_like, shape (seeds, T)
        A readout along training (e.g. the test loss at the evaluation epochs), one row per seed.

    Returns
    -------
    ((verdict, evidence), numbers)
        ``holds`` if the compressed run's largest gap to the reference is smaller than the baseline's for
        every seed, ``holds with caveat`` if only on average (log ratio), ``fails`` otherwise; the numbers
        are the mean +- sd over seeds of both gaps (relative to the reference's scale) and of their ratio.

    >>> ref = [[1.0, 0.5, 0.3]]
    >>> closer_than_baseline(ref, [[1.0, 0.52, 0.31]], [[1.0, 0.7, 0.6]])[0][0]
    'holds'
    """
    refs, comps, bases = (np.atleast_2d(np.asarray(a, dtype=np.float64)) for a in (reference, compressed, baseline))
    gaps = [trajectory_gap(r, c, b) for r, c, b in zip(refs, comps, bases, strict=True)]
    rel = np.array([g["rel_gap"] for g in gaps])
    naive_rel = np.array([g["naive_rel_gap"] for g in gaps])
    tiny = np.finfo(np.float64).tiny  # an exactly matching run: its gap counts as the smallest positive one
    log_ratio = np.log(np.maximum(naive_rel, tiny)) - np.log(np.maximum(rel, tiny))
    numbers = {"rel_gap_mean": float(rel.mean()), "rel_gap_sd": float(rel.std()),
               "baseline_rel_gap_mean": float(naive_rel.mean()), "baseline_rel_gap_sd": float(naive_rel.std()),
               "ratio_geomean": float(np.exp(log_ratio.mean())), "seeds": int(rel.size)}
    text = (f"{what}: largest relative gap to the original {rel.mean():.3g} +- {rel.std():.2g} vs baseline "
            f"{naive_rel.mean():.3g} +- {naive_rel.std():.2g} ({rel.size} seeds)")
    if np.all(log_ratio > 0):
        return ("holds", text), numbers
    if log_ratio.mean() > 0:
        return ("holds with caveat", text + "; closer only on average over seeds"), numbers
    return ("fails", text + "; the baseline is as close or closer"), numbers
