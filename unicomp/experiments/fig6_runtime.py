r"""Fig. 6: run time of Algorithm 1 against the number of objects.

Setting (paper, Sec. 5 and Fig. 6): :math:`d` points uniform in :math:`[-1,1]^m`, :math:`k = 5`,
:math:`d' = 0.1 d`, :math:`d = 1000 \dots 128000`.  *Reported* for the authors' code (Apple M4 Pro):
:math:`m = 1`: 0.5 s (:math:`d = 1000`) to 97 s (:math:`d = 128000`); :math:`m = 3`: 4 s / 449 s;
:math:`m = 4`: 13 s / 1588 s; :math:`m = 5`: 20 s / about 11,500 s (:data:`REPORTED_SECONDS`).

The partition method costs :math:`O(d N_{m,k}^2)` (module notes of :mod:`unicomp.numerics.compress`), so
the fitted log-log slope of time against :math:`d` should be close to one.  Times are wall-clock seconds of
:func:`~unicomp.numerics.compress.compress` (verification included) on the machine running the experiment;
the data records its thread settings.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from unicomp.experiments._common import ExperimentResult, resolve_tier
from unicomp.experiments.fig2_error_scaling import uniform_cloud
from unicomp.numerics.basis import num_moments
from unicomp.numerics.compress import compress

__all__ = ["REPORTED_SECONDS", "TIERS", "Fig6Config", "plot_fig6", "run_fig6"]

#: Reported run time of the authors' code (m -> (seconds at d = 1000, seconds at d = 128000)).
REPORTED_SECONDS: dict[int, tuple[float, float]] = {1: (0.5, 97.0), 3: (4.0, 449.0), 4: (13.0, 1588.0),
                                                     5: (20.0, 11500.0)}


@dataclass(frozen=True)
class Fig6Config:
    """Parameters of the run-time sweep (see :data:`TIERS`)."""

    ms: tuple[int, ...] = (1, 3, 4, 5)
    ds: tuple[int, ...] = (1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000)
    degree: int = 5
    ratio: float = 0.1
    method: str = "partition"
    repeats: int = 1
    seed: int = 0


TIERS: dict[str, Fig6Config] = {
    "quick": Fig6Config(ms=(1, 3), ds=(1000, 2000, 4000, 8000, 16000)),
    "full": Fig6Config(),
}


def run_fig6(tier: str = "quick", config: Fig6Config | None = None, **overrides: Any) -> ExperimentResult:
    """Time :func:`~unicomp.numerics.compress.compress` over ``ms`` x ``ds``; returns data and a figure.

    Returns
    -------
    ExperimentResult
        ``data["seconds"]["m=.."]``: best of ``repeats`` wall-clock times per d; ``data["slope"]``: fitted
        log-log slope of time against d per m; ``data["reported"]``, ``data["threads"]``, ``data["config"]``.
    """
    cfg = resolve_tier(TIERS, tier, config, overrides)
    seconds: dict[str, list[float]] = {}
    slope: dict[str, float] = {}
    for m in cfg.ms:
        row = []
        for j, d in enumerate(cfg.ds):
            pts = uniform_cloud(d, m, cfg.seed + j)
            best = np.inf
            for _ in range(cfg.repeats):
                t0 = time.perf_counter()
                size = max(int(cfg.ratio * d), num_moments(m, cfg.degree))
                compress(pts, degree=cfg.degree, size=size, method=cfg.method, seed=cfg.seed)
                best = min(best, time.perf_counter() - t0)
            row.append(float(best))
        seconds[f"m={m}"] = row
        if len(cfg.ds) >= 2:
            slope[f"m={m}"] = float(np.polyfit(np.log(cfg.ds), np.log(row), 1)[0])
    threads = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    data = {"config": asdict(cfg), "ds": list(cfg.ds), "seconds": seconds, "slope": slope,
            "reported": REPORTED_SECONDS, "threads": threads}
    return ExperimentResult(data=data, figure=plot_fig6(data).figure)


def plot_fig6(data: Mapping[str, Any], ax: Any = None) -> Any:
    """Run time against d, log-log, with the reported end points of the authors' code; returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.2))
    for key, row in data["seconds"].items():
        line = ax.loglog(data["ds"], row, "-o", ms=3, label=f"unicomp {key}")[0]
        m = int(key[2:])
        if m in data["reported"]:
            ax.loglog([1000, 128000], data["reported"][m], ":", color=line.get_color(), label=f"paper {key}")
    ax.set_xlabel("d")
    ax.set_ylabel("seconds")
    ax.legend(fontsize=6)
    return ax
