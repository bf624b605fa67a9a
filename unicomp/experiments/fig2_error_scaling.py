r"""Fig. 2: how the compression error falls with the number of objects, for each dimension and degree.

Setting (paper, Sec. 6, Fig. 2): :math:`d` objects uniform in :math:`[-1,1]^m` are compressed to
:math:`d' = \max(0.1 d, N_{m,k})` with Algorithm 1, and the error on the sigmoid test function
(:func:`~unicomp.numerics.testfunctions.sigmoid_function`, directions drawn per trial) is recorded for
:math:`d = 1000 \dots 128000` (doubling), :math:`m = 1..5`, :math:`k = 1..6`, 20 trials.  A straight line
through :math:`\log E` against :math:`\log d` gives the exponent :math:`\alpha` of :math:`E \sim d^{-\alpha}`.
The error is that of the normalised function :math:`f = \frac1d \sum_i g(w_i)`; Thm 4 bounds the
unnormalised error by :math:`O(d\, d'^{1-(k+1)/m})`, so with :math:`d' = 0.1 d` the normalised error is
:math:`O(d^{1 - (k+1)/m})`, i.e. Thm 4 guarantees :math:`\alpha \ge (k+1)/m - 1`; the paper *reports*
:math:`\alpha \approx (k+1)/m + 0.5` (:data:`REPORTED_ALPHA`, the printed table).

``functions`` test functions (independent directions) are evaluated on every compression and the error
recorded is the geometric mean of their :math:`|E|`: the exponent is the same as for one function, but
the trial-to-trial spread of :math:`\log E` (sign cancellations of a single function) falls by 2-3x.

In float64 the error saturates near :math:`10^{-16}` (:math:`m = 1`, :math:`k \ge 3` in the paper); the
high-precision sweep (mpmath, ``hp_digits`` digits) repeats the saturated cases so the decay stays visible.
A fit is reported only where every error lies above the precision floor (:data:`FLOOR_FLOAT64`, or
:math:`10^{5-\mathrm{digits}}`); saturated cases get ``nan``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from unicomp.errors import ConvergenceError, InputError
from unicomp.experiments._common import ExperimentResult, resolve_tier
from unicomp.numerics.basis import num_moments
from unicomp.numerics.compress import DEFAULT_METHOD, compress
from unicomp.numerics.fitting import fit_loglog_slope
from unicomp.numerics.testfunctions import sigmoid_function

__all__ = ["FLOOR_FLOAT64", "REPORTED_ALPHA", "TIERS", "Fig2Config", "assemble", "plot_fig2", "run_fig2",
           "sweep_entry", "sweep_keys", "uniform_cloud"]

#: Reported exponents alpha for k = 1..6 (paper, Fig. 2, refit from the authors' result files).
REPORTED_ALPHA: dict[int, tuple[float, ...]] = {
    2: (1.36, 1.90, 2.45, 2.89, 3.73, 4.40),
    3: (1.06, 1.50, 1.86, 2.22, 2.53, 2.93),
    4: (0.89, 1.30, 1.58, 1.81, 1.92, 2.08),
}
#: Errors below this are float64 rounding of f (~0.5) summed over d terms, not compression error.
FLOOR_FLOAT64 = 1e-14


@dataclass(frozen=True)
class Fig2Config:
    """Parameters of the Fig. 2 sweep (see :data:`TIERS`); ``hp_*`` describe the high-precision sweep."""

    ms: tuple[int, ...] = (1, 2, 3, 4, 5)
    ks: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    ds: tuple[int, ...] = (1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000)
    trials: int = 20
    functions: int = 1
    ratio: float = 0.1
    method: str = DEFAULT_METHOD
    hp_ms: tuple[int, ...] = (1,)
    hp_ks: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    hp_ds: tuple[int, ...] = (1000, 2000, 4000, 8000, 16000)
    hp_trials: int = 5
    hp_digits: int = 40
    seed: int = 0


TIERS: dict[str, Fig2Config] = {
    "quick": Fig2Config(ms=(2, 3), ks=(1, 2, 3), ds=(1000, 2000, 4000, 8000), trials=6, functions=16, hp_ks=(3, 6),
                        hp_ds=(1000, 2000, 4000), hp_trials=2),
    "full": Fig2Config(functions=8),
}


def uniform_cloud(d: int, m: int, seed: int) -> NDArray[np.float64]:
    """``d`` points uniform in :math:`[-1, 1]^m`."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(d, m))


def sweep_entry(cfg: Fig2Config, m: int, k: int, *, high_precision: bool = False) -> dict[str, Any]:
    """One (m, k) of a sweep -- float64 (``ds``, ``trials``) or ``hp_digits`` digits (``hp_ds``,
    ``hp_trials``): errors (trials, len(ds)), sizes, seconds, whether the errors reached the precision's
    floor, and the fitted alpha with its 95% interval; entries are independent of one another."""
    ds, trials, digits = (cfg.hp_ds, cfg.hp_trials, cfg.hp_digits) if high_precision else (cfg.ds, cfg.trials, None)
    floor = FLOOR_FLOAT64 if digits is None else 10.0 ** (5 - digits)
    errors = np.empty((trials, len(ds)))
    seconds = np.empty((trials, len(ds)))
    sizes = [max(int(cfg.ratio * d), num_moments(m, k)) for d in ds]
    for t in range(trials):
        for j, (d, size) in enumerate(zip(ds, sizes, strict=True)):
            seed = cfg.seed + 1000 * t + j
            pts = uniform_cloud(d, m, seed)
            t0 = time.perf_counter()
            comp = compress(pts, degree=k, size=size, method=cfg.method, precision=digits, seed=seed)
            seconds[t, j] = time.perf_counter() - t0
            # a prime stride keeps the function seeds of different trials and sizes apart
            errs = [float(sigmoid_function(m, seed=seed + 1 + 7919 * i).error(comp, pts))
                    for i in range(cfg.functions)]
            errors[t, j] = float(np.exp(np.mean(np.log(errs)))) if min(errs) > 0 else 0.0
    saturated = bool(np.any(errors <= floor))
    if saturated or len(ds) < 2:
        alpha, alpha_ci = float("nan"), (float("nan"), float("nan"))
    else:
        alpha, alpha_ci = _fit_alpha(ds, errors, cfg.seed)
    return {"errors": errors, "sizes": sizes, "seconds": seconds, "saturated": saturated, "alpha": alpha,
            "alpha_ci": alpha_ci}


def sweep_keys(cfg: Fig2Config, *, high_precision: bool = False) -> list[tuple[int, int]]:
    """The (m, k) of the float64 sweep (or of the high-precision one), in the order they run."""
    ms, ks = (cfg.hp_ms, cfg.hp_ks) if high_precision else (cfg.ms, cfg.ks)
    return [(m, k) for m in ms for k in ks]


def _gather(entries: Mapping[tuple[int, int], Mapping[str, Any]]) -> dict[str, Any]:
    """A sweep's fields keyed ``"m=..,k=.."`` from its (m, k) entries (:func:`sweep_entry`)."""
    fields = ("errors", "sizes", "alpha", "alpha_ci", "saturated", "seconds")
    return {f: {f"m={m},k={k}": entry[f] for (m, k), entry in entries.items()} for f in fields}


def _fit_alpha(ds: Sequence[int], errors: NDArray[np.float64], seed: int) -> tuple[float, tuple[float, float]]:
    """Exponent of the log-log fit and its 95% bootstrap interval (``nan`` interval where the bootstrap
    cannot run: fewer than three sizes, or one trial and three sizes)."""
    try:
        fit = fit_loglog_slope(np.asarray(ds, dtype=float), errors, n_boot=200, seed=seed)
    except (ConvergenceError, InputError):
        slope = np.polyfit(np.log(np.asarray(ds, dtype=float)), np.log(errors).mean(axis=0), 1)[0]
        return float(-slope), (float("nan"), float("nan"))
    return fit.params["alpha"], fit.ci["alpha"]


def run_fig2(tier: str = "quick", config: Fig2Config | None = None, *, high_precision: bool = True,
             **overrides: Any) -> ExperimentResult:
    """Run the Fig. 2 sweep; returns the data and a figure (see :func:`plot_fig2`).

    Parameters
    ----------
    tier : {"quick", "full"}
        Quick: m = 2, 3, k = 1..3, :math:`d \\le 8000`, 6 trials, 16 functions (about 10 s of CPU); full: the paper.
    config : Fig2Config, optional
        Overrides the tier.
    high_precision : bool
        Also run the mpmath sweep (``hp_*`` fields).
    **overrides
        Fields of :class:`Fig2Config` to change.

    Returns
    -------
    ExperimentResult
        ``data["float64"]`` and ``data["mpmath"]`` (``None`` if skipped) each map ``"m=..,k=.."`` to the
        errors (trials, len(ds)), sizes, ``alpha`` (fitted exponent, ``nan`` where saturated) and its 95%
        bootstrap interval; ``data["reported_alpha"]``, ``data["bound_alpha"]`` (Thm 4's guaranteed
        :math:`(k+1)/m - 1` for the normalised error) and ``data["config"]``.
    """
    cfg = resolve_tier(TIERS, tier, config, overrides)
    t0 = time.perf_counter()
    float64 = {mk: sweep_entry(cfg, *mk) for mk in sweep_keys(cfg)}
    mpmath = ({mk: sweep_entry(cfg, *mk, high_precision=True) for mk in sweep_keys(cfg, high_precision=True)}
              if high_precision else None)
    return assemble(cfg, float64, mpmath, seconds=time.perf_counter() - t0)


def assemble(cfg: Fig2Config, float64: Mapping[tuple[int, int], Mapping[str, Any]],
             mpmath: Mapping[tuple[int, int], Mapping[str, Any]] | None, *, seconds: float) -> ExperimentResult:
    """:func:`run_fig2`'s result from its (m, k) entries (:func:`sweep_entry`; ``mpmath`` ``None`` when the
    high-precision sweep was not run); ``seconds`` is recorded as the run's time."""
    data: dict[str, Any] = {"config": asdict(cfg), "ds": list(cfg.ds), "hp_ds": list(cfg.hp_ds)}
    data["float64"] = _gather(float64)
    data["mpmath"] = None if mpmath is None else _gather(mpmath)
    data["reported_alpha"] = {f"m={m},k={k}": a for m, row in REPORTED_ALPHA.items() for k, a in
                              zip(range(1, 7), row, strict=True)}
    data["bound_alpha"] = {f"m={m},k={k}": (k + 1) / m - 1 for m in cfg.ms for k in cfg.ks}
    data["seconds"] = seconds
    return ExperimentResult(data=data, figure=plot_fig2(data))


def plot_fig2(data: Mapping[str, Any], ax: Any = None,
              reference: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None) -> Any:
    r"""Error against :math:`d` per (m, k) (one panel per m; dashed: high precision); returns the figure.
    Means at or below the precision's floor (the grey line: :data:`FLOOR_FLOAT64`, dashed
    :math:`10^{5 - \mathrm{digits}}`) are rounding and are not drawn.

    ``reference`` maps ``"m=..,k=.."`` to (d values, geometric-mean errors) of another sweep (the
    authors' measured errors), drawn dotted in the colour of the same case.
    """
    import matplotlib.pyplot as plt

    sweeps = [data[p] for p in ("float64", "mpmath") if data.get(p)]
    ms = sorted({int(key.split(",")[0][2:]) for sweep in sweeps for key in sweep["errors"]}) or [1]
    if ax is None:
        fig, axes = plt.subplots(1, len(ms), figsize=(3.2 * len(ms), 3.0), squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(ax)
        fig = axes[0].figure
    floors = {"float64": FLOOR_FLOAT64, "mpmath": 10.0 ** (5 - data["config"]["hp_digits"])}
    for panel, m in zip(axes, ms, strict=False):
        for prec, ds, style in (("float64", data["ds"], "-o"), ("mpmath", data["hp_ds"], "--s")):
            sweep = data.get(prec)
            if not sweep:
                continue
            if any(key.startswith(f"m={m},") for key in sweep["errors"]):
                panel.axhline(floors[prec], color="0.7", lw=0.6, ls=style[:-1])
            for key, errors in sweep["errors"].items():
                if not key.startswith(f"m={m},"):
                    continue
                alpha = sweep["alpha"][key]
                label = f"{key.split(',')[1]}" + ("" if np.isnan(alpha) else f" a={alpha:.2f}")
                mean = np.exp(np.log(np.maximum(errors, 1e-300)).mean(axis=0))
                mean[mean <= floors[prec]] = np.nan  # rounding, not compression error: not drawn
                (line,) = panel.loglog(ds, mean, style, ms=3, label=f"{label} {prec[:2]}")
                if reference is not None and prec == "float64" and key in reference:
                    ref_ds, ref_err = reference[key]
                    panel.loglog(ref_ds, ref_err, ":", color=line.get_color(), lw=1,
                                 label=f"{key.split(',')[1]} authors")
        panel.set_title(f"m = {m}")
        panel.set_xlabel("d")
        panel.legend(fontsize=5)
    axes[0].set_ylabel("error E (geometric mean)")
    fig.tight_layout()
    return fig
