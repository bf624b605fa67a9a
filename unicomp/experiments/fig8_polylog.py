r"""Fig. 8: polylogarithmic compression -- :math:`d' = O(\log^m d)` objects with the degree tuned.

Setting (paper, Sec. 6, Fig. 8): :math:`d` objects uniform in :math:`[-1,1]^m` are compressed to
:math:`d' = \lfloor 120 \log d \rfloor` (:math:`m = 1`) or :math:`\lfloor 20 \log^2 d \rfloor`
(:math:`m = 2`), :math:`d = 1000 \dots 64000`; the test function has a pole at finite distance
(:func:`~unicomp.numerics.testfunctions.pole_function`, :math:`a_0 = m + 0.05`).  For each :math:`d` and
each of several trials (a trial draws the cloud and the function; the authors ran 5 per :math:`d`) the
degree :math:`k` is increased and the smallest error is kept.  By default every admissible degree is tried
(:math:`N_{m,k} \le d'`, :math:`k \le` ``max_degree``), not only until the first rise: the error is not
monotone in :math:`k` (measured at :math:`m = 2`, :math:`d = 16000`: :math:`5\cdot 10^{-11}` at
:math:`k = 12`, higher at 13, :math:`10^{-11}` at 15), so a search that stops at a rise reports the
position of a fluctuation, not the best error; ``patience`` restores a stop after that many degrees in a
row without a new minimum (the authors stop after one).  Thm 7 predicts
:math:`E = O(d\, d'^{1-1/m} \exp(-c\, d'^{1/m}))` at :math:`k_{\mathrm{opt}} \propto d'^{1/m}`, so errors
that do not grow with :math:`d` (the claim).

*Reported* (float64): :math:`m = 1` errors :math:`10^{-11} \dots 10^{-14}` at :math:`k = 5..10`;
:math:`m = 2` from about :math:`10^{-8}` (:math:`d = 1000`, :math:`d' = 954`) to :math:`2.6 \cdot 10^{-12}`
(:math:`d = 64000`, :math:`d' = 2449`).  In float64 the best error is capped by rounding near
:math:`10^{-14}`; the mpmath sweep (``hp_digits``) removes that cap so the degree can keep growing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from unicomp.errors import PrecisionError
from unicomp.experiments._common import ExperimentResult, resolve_tier
from unicomp.experiments.fig2_error_scaling import FLOOR_FLOAT64, uniform_cloud
from unicomp.numerics.basis import num_moments
from unicomp.numerics.compress import compress
from unicomp.numerics.testfunctions import pole_function

__all__ = ["REPORTED_FIG8", "RESOLUTION_FLOAT64", "TIERS", "Fig8Config", "by_size", "earlier_search",
           "geometric_means", "incomplete", "plot_fig8", "polylog_size", "row_key", "run_fig8", "search_end",
           "search_of", "sweep_keys", "sweep_row"]

#: Reported best errors (paper, Fig. 8, m = 2): d -> (d', error).
REPORTED_FIG8: dict[int, tuple[int, float]] = {1000: (954, 1e-8), 64000: (2449, 2.6e-12)}
#: The smallest float64 error distinguishable from a tie: one ulp of a value of order one.
RESOLUTION_FLOAT64 = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Fig8Config:
    """Parameters of Fig. 8 (see :data:`TIERS`)."""

    ms: tuple[int, ...] = (1, 2)
    ds: tuple[int, ...] = (1000, 2000, 4000, 8000, 16000, 32000, 64000)
    max_degree: int = 16
    degree_step: int = 1
    patience: int | None = None
    trials: int = 5
    hp_ms: tuple[int, ...] = (1, 2)
    hp_ds: tuple[int, ...] = (1000, 2000, 4000, 8000)
    hp_max_degree: int = 40
    hp_degree_step: int = 2
    hp_digits: int = 50
    hp_trials: int = 1
    seed: int = 0


TIERS: dict[str, Fig8Config] = {
    "quick": Fig8Config(ds=(1000, 2000, 4000), max_degree=12, trials=2, hp_ms=(1,), hp_ds=(1000, 2000),
                        hp_max_degree=20, hp_degree_step=4, hp_digits=40),
    "full": Fig8Config(),
}


def polylog_size(d: int, m: int) -> int:
    r"""The paper's target: :math:`\lfloor 120 \log d \rfloor` for :math:`m = 1`,
    :math:`\lfloor 20 \log^m d \rfloor` otherwise."""
    return int(120 * math.log(d)) if m == 1 else int(20 * math.log(d) ** m)


def _best_degree(pts: np.ndarray, m: int, size: int, seed: int, max_degree: int, step: int,
                 patience: int | None, digits: int | None,
                 previous: Sequence[tuple[int, float]] = ()) -> dict[str, Any]:
    """Increase k up to ``max_degree`` (or until ``patience`` degrees in a row bring no new minimum, or the
    error reaches the precision floor, ``saturated``); returns every (k, error) tried, the best, the floor
    and the resolution (float64: one ulp; ``digits`` digits: :math:`10^{-\text{digits}}`).

    ``previous`` continues a search that stopped at a lower degree cap: its (k, error) pairs are taken as the
    first steps (each degree's compression depends only on k, so the result is the one a search from k = 1
    would give)."""
    f = pole_function(m, seed=seed + 1)
    floor = FLOOR_FLOAT64 if digits is None else 10.0 ** (5 - digits)
    resolution = RESOLUTION_FLOAT64 if digits is None else 10.0 ** -digits
    best_k, best = 0, math.inf
    misses = 0
    tried = [(int(k), float(e)) for k, e in previous]
    for k, err in tried:
        best_k, best, misses = (k, err, 0) if err < best else (best_k, best, misses + 1)
    saturated = False
    k = tried[-1][0] + step if tried else 1
    while k <= max_degree and num_moments(m, k) <= size and (patience is None or misses < patience):
        try:
            comp = compress(pts, degree=k, size=size, precision=digits, seed=seed)
        except PrecisionError:
            break  # the search ends at a refusal; later degrees stay untried (the row is `incomplete`)
        err = float(f.error(comp, pts))
        tried.append((k, err))
        if err <= floor:  # below the working precision's resolution: no further fall can be measured
            saturated = True
            best_k, best = k, err
            break
        if err < best:
            best_k, best, misses = k, err, 0
        else:
            misses += 1
        k += step
    return {"tried": tried, "best_degree": best_k, "best_error": best, "saturated": saturated, "floor": floor,
            "resolution": resolution}


def row_key(cfg: Fig8Config, m: int, j: int, trial: int = 0, *, high_precision: bool = False) -> dict[str, Any]:
    """Everything one row of a sweep depends on: dimension, size, the seed of its cloud and test function
    (``cfg.seed + j + trial * len(ds)``), the degree search and the precision (``digits``, ``None`` for
    float64).  Rows with equal keys are equal, so a sweep with more trials or sizes shares its other rows."""
    ds, max_degree, step, digits = ((cfg.hp_ds, cfg.hp_max_degree, cfg.hp_degree_step, cfg.hp_digits)
                                    if high_precision else (cfg.ds, cfg.max_degree, cfg.degree_step, None))
    return {"m": m, "d": ds[j], "seed": cfg.seed + j + trial * len(ds), "max_degree": max_degree, "step": step,
            "patience": cfg.patience, "digits": digits}


def sweep_row(cfg: Fig8Config, m: int, j: int, trial: int = 0, *, high_precision: bool = False,
              earlier: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]] = ()) -> dict[str, Any]:
    """One row of a sweep (:func:`row_key`): the best degree for dimension ``m`` at the ``j``-th size of
    ``cfg.ds`` (float64) or of ``cfg.hp_ds`` (``hp_digits`` digits), trial ``trial``; rows are independent of
    one another (:func:`run_fig8`).

    ``earlier`` holds finished rows as ``(row_key, row)`` pairs (a resumable audit's units): the row of this
    key at the highest lower degree cap (:func:`earlier_search`) is continued from its last degree instead of
    searched again from k = 1 -- or taken as it is if its search ended otherwise than at the cap, for it
    then ends the same way under any higher one."""
    key = row_key(cfg, m, j, trial, high_precision=high_precision)
    d = key["d"]
    size = min(polylog_size(d, m), d)
    start = earlier_search(key, earlier)
    if start is not None and search_end(start[1], m, max_degree=start[0], step=key["step"],
                                        patience=key["patience"]) != "degree cap":
        return dict(start[1])
    t0 = time.perf_counter()
    res = _best_degree(uniform_cloud(d, m, key["seed"]), m, size, key["seed"], key["max_degree"], key["step"],
                       key["patience"], key["digits"], previous=() if start is None else start[1]["tried"])
    res.update(d=d, size=size, trial=trial,
               seconds=time.perf_counter() - t0 + (0.0 if start is None else float(start[1]["seconds"])))
    return res


def earlier_search(key: Mapping[str, Any], earlier: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]
                   ) -> tuple[int, Mapping[str, Any]] | None:
    """Among finished ``(row_key, row)`` pairs, the row that differs from ``key`` only by a lower degree cap
    (the highest such), with its cap; ``None`` if there is none.

    >>> key = {"m": 2, "d": 1000, "max_degree": 40}
    >>> earlier_search(key, [({"m": 2, "d": 1000, "max_degree": 20}, {"tried": []}),
    ...                      ({"m": 2, "d": 2000, "max_degree": 30}, {"tried": []})])
    (20, {'tried': []})
    """
    same = [(int(params["max_degree"]), row) for params, row in earlier
            if {**params, "max_degree": key["max_degree"]} == dict(key) and params["max_degree"] < key["max_degree"]]
    return max(same, key=lambda found: found[0]) if same else None


def sweep_keys(cfg: Fig8Config, *, high_precision: bool) -> list[tuple[int, int, int]]:
    """The (m, j, trial) of every row of one precision's sweep, in order (by m, then size, then trial)."""
    ms, ds, trials = (cfg.hp_ms, cfg.hp_ds, cfg.hp_trials) if high_precision else (cfg.ms, cfg.ds, cfg.trials)
    return [(m, j, t) for m in ms for j in range(len(ds)) for t in range(trials)]


def _sweep(cfg: Fig8Config, *, high_precision: bool) -> dict[str, Any]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for m, j, t in sweep_keys(cfg, high_precision=high_precision):
        rows.setdefault(f"m={m}", []).append(sweep_row(cfg, m, j, t, high_precision=high_precision))
    return rows


def search_of(config: Mapping[str, Any], m: int, *, high_precision: bool) -> dict[str, Any]:
    """The degree search of one sweep (``config``: :class:`Fig8Config` as a mapping) as the keyword arguments
    of :func:`search_end`."""
    hp = "hp_" if high_precision else ""
    return {"m": m, "max_degree": config[f"{hp}max_degree"], "step": config[f"{hp}degree_step"],
            "patience": config["patience"]}


def search_end(row: Mapping[str, Any], m: int, *, max_degree: int, step: int, patience: int | None) -> str:
    """Why the degree search of a row (:func:`sweep_row`) stopped, read from its ``tried`` degrees.

    ``"floor"`` (the error reached the precision's floor), ``"patience"`` (``patience`` degrees in a row
    without a new minimum), ``"size"`` (the next degree has more moments than ``d'``), ``"degree cap"`` (the
    next degree fits ``d'`` but is above ``max_degree``), or ``"PrecisionError"`` (the next degree's
    compression refused: the search treats that as the end of the fall, although later degrees may be lower:
    see :func:`incomplete`).

    >>> row = {"tried": [(1, 1e-3), (3, 1e-5)], "saturated": False, "size": 100}
    >>> [search_end(row, 1, max_degree=cap, step=2, patience=None) for cap in (40, 4)]
    ['PrecisionError', 'degree cap']
    """
    tried = [(int(k), float(e)) for k, e in row["tried"]]
    if row["saturated"]:
        return "floor"
    if patience is not None:
        best, misses = math.inf, 0
        for _, err in tried:
            best, misses = (err, 0) if err < best else (best, misses + 1)
        if misses >= patience:
            return "patience"
    following = tried[-1][0] + step if tried else 1
    if num_moments(m, following) > row["size"]:  # no higher cap would admit it: the size ends the search
        return "size"
    if following > max_degree:
        return "degree cap"
    return "PrecisionError"


def incomplete(row: Mapping[str, Any], end: str) -> bool:
    """Whether a row's best error only bounds the search's best from above, given why it stopped (``end``,
    :func:`search_end`): a refusal (``"PrecisionError"``) left admissible degrees untried, and the error is
    not monotone in k, so any of them may be lower; a ``"degree cap"`` with the best at the last degree
    stopped while the error was still falling.  The floor, the size limit and ``patience`` end a search as
    the sweep defines it."""
    if end == "PrecisionError":
        return True
    return end == "degree cap" and bool(row["tried"]) and int(row["tried"][-1][0]) == int(row["best_degree"])


def by_size(rows: Sequence[Mapping[str, Any]]) -> tuple[NDArray[np.float64], list[NDArray[np.float64]]]:
    """The sizes of a sweep's rows and, per size, the best errors of its trials (an error below the row's
    resolution, an exact tie included, counts as the resolution).

    >>> rows = [{"d": 10, "best_error": 1e-3, "resolution": 1e-16}, {"d": 10, "best_error": 0.0, "resolution": 1e-16}]
    >>> by_size(rows)[1][0].tolist()
    [0.001, 1e-16]
    """
    ds = sorted({int(r["d"]) for r in rows})
    errors = [np.array([max(r["best_error"], r["resolution"]) for r in rows if r["d"] == d]) for d in ds]
    return np.asarray(ds, dtype=np.float64), errors


def geometric_means(errors: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
    """Per size, the geometric mean of the trials' best errors."""
    return np.array([float(np.exp(np.log(e).mean())) for e in errors])


def run_fig8(tier: str = "quick", config: Fig8Config | None = None, *, high_precision: bool = True,
             **overrides: Any) -> ExperimentResult:
    """Run the Fig. 8 sweep in float64 and (optionally) mpmath; returns data and a figure.

    Returns
    -------
    ExperimentResult
        ``data["float64"]`` / ``data["mpmath"]`` map ``"m=.."`` to one row per (:math:`d`, trial): ``d``,
        ``trial``, ``size`` (:math:`d'`), ``tried`` ((k, error) pairs), ``best_degree``, ``best_error``,
        ``saturated`` (the error reached ``floor``, below which the precision cannot resolve a fall, so the
        true best is at most that), ``floor``, ``resolution``, ``seconds``; plus ``data["reported"]`` and
        ``data["config"]``.  :func:`by_size` groups the rows by :math:`d`.
    """
    cfg = resolve_tier(TIERS, tier, config, overrides)
    t0 = time.perf_counter()
    data: dict[str, Any] = {"config": asdict(cfg), "reported": REPORTED_FIG8}
    data["float64"] = _sweep(cfg, high_precision=False)
    data["mpmath"] = _sweep(cfg, high_precision=True) if high_precision else None
    data["seconds"] = time.perf_counter() - t0
    return ExperimentResult(data=data, figure=plot_fig8(data).figure)


def plot_fig8(data: Mapping[str, Any], ax: Any = None,
              reference: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None) -> Any:
    """Best error against :math:`d` (solid: float64, dashed: mpmath; the line joins the geometric means
    over trials, dots are the trials, open triangles the trials whose search stopped early --
    :func:`incomplete`, their errors upper bounds), one line per m; returns the axes.

    ``reference`` maps ``"m=.."`` to (d of each trial, best error of each trial) of another sweep (the
    authors' measured errors), drawn as crosses.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.2))
    for prec, style in (("float64", "-o"), ("mpmath", "--s")):
        for key, rows in (data.get(prec) or {}).items():
            ds, errors = by_size(rows)
            (line,) = ax.loglog(ds, geometric_means(errors), style, ms=3, label=f"{key} {prec}")
            for d, e in zip(ds, errors, strict=True):
                ax.loglog(np.full(e.size, d), e, ".", ms=2, color=line.get_color(), alpha=0.5)
            search = search_of(data["config"], int(key.removeprefix("m=")), high_precision=prec == "mpmath")
            bounds = [r for r in rows if incomplete(r, search_end(r, **search))]
            if bounds:
                ax.loglog([r["d"] for r in bounds], [max(r["best_error"], r["resolution"]) for r in bounds], "v",
                          ms=5, mfc="none", color=line.get_color(), label=f"{key} {prec}: search stopped early")
    for key, (ref_ds, ref_errs) in (reference or {}).items():
        ax.loglog(ref_ds, ref_errs, "x", ms=4, label=f"{key} authors (per trial)")
    ax.set_xlabel("d")
    ax.set_ylabel("best error over k")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0))  # beside the axes: no point hidden
    ax.figure.tight_layout()
    return ax
