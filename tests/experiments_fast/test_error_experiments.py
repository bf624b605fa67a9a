"""Figs. 2, 6, 8 experiment drivers at a tiny scale: structure, figures, and the properties they measure."""

from __future__ import annotations

import dataclasses
import itertools
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

import unicomp.experiments.fig8_polylog as fig8_polylog
from unicomp.errors import InputError, PrecisionError
from unicomp.experiments.fig2_error_scaling import FLOOR_FLOAT64, Fig2Config, run_fig2
from unicomp.experiments.fig6_runtime import run_fig6
from unicomp.experiments.fig8_polylog import (
    Fig8Config,
    incomplete,
    plot_fig8,
    polylog_size,
    row_key,
    run_fig8,
    search_end,
    sweep_row,
)


def test_fig2_tiny_sweep_float64_and_high_precision() -> None:
    cfg = Fig2Config(ms=(2,), ks=(1, 3), ds=(500, 1000, 2000), trials=2, functions=8, hp_ms=(1,), hp_ks=(8,),
                     hp_ds=(300, 600), hp_trials=2, hp_digits=30)
    res = run_fig2(config=cfg)
    f64, hp = res.data["float64"], res.data["mpmath"]
    assert f64["errors"]["m=2,k=3"].shape == (2, 3) and f64["sizes"]["m=2,k=3"] == [50, 100, 200]
    # Thm 4 for the normalised error: alpha >= (k+1)/m - 1, i.e. 1.0 for m=2, k=3 (0.0 for k=1), by hand.
    assert res.data["bound_alpha"]["m=2,k=3"] == 1.0 and res.data["bound_alpha"]["m=2,k=1"] == 0.0
    low, high = f64["errors"]["m=2,k=1"], f64["errors"]["m=2,k=3"]
    assert not f64["saturated"]["m=2,k=1"] and not f64["saturated"]["m=2,k=3"]
    # Two more moment orders: in the authors' data (error_list.csv, m=2) each degree lowers the error by
    # 1-2 decades at d = 1000, so k=3 must beat k=1 by at least 10x at every d and trial (a compressor that
    # ignored the degree would not), and fall faster with d (their exponents 1.35 vs 2.48).
    assert np.all(high * 10 < low)
    assert f64["alpha"]["m=2,k=3"] > f64["alpha"]["m=2,k=1"] > 0
    # m=1, k=8 at 30 digits: errors below the float64 floor are resolved, not rounded to zero.
    assert np.all(hp["errors"]["m=1,k=8"] > 0) and np.min(hp["errors"]["m=1,k=8"]) < FLOOR_FLOAT64
    assert len(res.figure.axes) == 2
    plt.close(res.figure)


def test_fig8_tiny_sweep_keeps_the_best_degree() -> None:
    # d = 1000 -> d' = 828 (m = 1): the smallest d the paper uses, where 120 log d < d
    res = run_fig8(ms=(1,), ds=(1000,), max_degree=6, trials=2, hp_ms=(1,), hp_ds=(1000,), hp_max_degree=9,
                   hp_degree_step=4, hp_digits=30)
    for prec in ("float64", "mpmath"):
        for row in res.data[prec]["m=1"]:
            assert row["size"] == min(polylog_size(row["d"], 1), row["d"])
            errors = dict(row["tried"])
            assert row["best_error"] == min(errors.values()) < errors[1]
            # every admissible degree is tried unless the error reached the floor first
            assert row["saturated"] or max(errors) == (6 if prec == "float64" else 9)
    first, second = res.data["float64"]["m=1"]
    assert (first["trial"], second["trial"]) == (0, 1) and first["tried"] != second["tried"]  # two draws
    hp = res.data["mpmath"]["m=1"][0]
    assert hp["best_error"] < FLOOR_FLOAT64  # high precision goes below what float64 can show
    plt.close(res.figure)


def test_fig8_patience_stops_at_the_first_rise() -> None:
    res = run_fig8(ms=(2,), ds=(1000,), max_degree=10, trials=1, patience=1, high_precision=False)
    (row,) = res.data["float64"]["m=2"]
    errors = [e for _, e in row["tried"]]
    # the authors' rule: the search ends at the first degree that brings no new minimum
    assert all(b < a for a, b in itertools.pairwise(errors[:-1])) and errors[-1] >= min(errors[:-1])
    plt.close(res.figure)


def test_fig8_search_end_names_why_a_row_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = Fig8Config(ms=(2,), ds=(1000,), max_degree=6, trials=1)
    search = {"m": 2, "max_degree": 6, "step": 1, "patience": None}
    full = sweep_row(cfg, 2, 0)
    assert search_end(full, **search) == "degree cap" and max(k for k, _ in full["tried"]) == 6
    assert search_end(full, **(search | {"max_degree": 40})) == "PrecisionError"  # 7 was admissible
    # k = 7 has N_{2,7} = 36 moments: with d' = 35 (and no cap) the next degree is too large for the size
    assert search_end(full | {"size": 35}, **(search | {"max_degree": 40})) == "size"
    # ... and when the next degree is both above the cap and too large, no higher cap would help: the size
    assert search_end(full | {"size": 35}, **search) == "size"
    assert search_end(full | {"saturated": True}, **search) == "floor"

    def refusing(*args, degree: int, **kwargs):
        if degree >= 4:
            raise PrecisionError("planted: this degree refuses")
        return compress(*args, degree=degree, **kwargs)

    compress = fig8_polylog.compress
    monkeypatch.setattr(fig8_polylog, "compress", refusing)
    cut = sweep_row(cfg, 2, 0)
    end = search_end(cut, **search)
    # the sweep reads the refusal as the end of the fall
    assert [k for k, _ in cut["tried"]] == [1, 2, 3] and end == "PrecisionError"
    assert incomplete(cut, end)  # degrees 4..6 were admissible and untried, whatever the best so far
    assert incomplete(full, "degree cap") == (full["best_degree"] == 6) and not incomplete(full, "size")
    # the figure marks the incomplete row as an upper bound (an open triangle with its own legend entry)
    ax = plot_fig8({"config": dataclasses.asdict(cfg), "float64": {"m=2": [cut]}})
    marked = [ln for ln in ax.get_lines() if "stopped early" in str(ln.get_label())]
    assert len(marked) == 1 and marked[0].get_marker() == "v" and list(marked[0].get_xdata()) == [1000]
    plt.close(ax.figure)


def test_fig8_a_search_continued_to_a_higher_cap_equals_one_from_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    low, high = Fig8Config(ms=(2,), ds=(1000,), max_degree=4, trials=1), Fig8Config(ms=(2,), ds=(1000,), max_degree=7)
    first, fresh = sweep_row(low, 2, 0), sweep_row(high, 2, 0)
    assert search_end(first, m=2, max_degree=4, step=1, patience=None) == "degree cap"
    asked: list[int] = []

    def counting(*args, degree: int, **kwargs):
        asked.append(degree)
        return compress(*args, degree=degree, **kwargs)

    compress = fig8_polylog.compress
    monkeypatch.setattr(fig8_polylog, "compress", counting)
    other = (row_key(low, 2, 0) | {"seed": 99}, {"tried": [(1, 0.0)]})  # another cloud: never continued
    continued = sweep_row(high, 2, 0, earlier=[other, (row_key(low, 2, 0), first)])
    assert asked == [5, 6, 7]  # only the degrees above the earlier cap are computed
    for field in ("tried", "best_degree", "best_error", "saturated", "d", "size"):
        assert continued[field] == fresh[field]  # the same row as a search from k = 1
    assert continued["seconds"] >= first["seconds"]  # the earlier search's time is counted
    # a search that ended before its cap (here: at a planted floor) ends the same way under a higher one
    asked.clear()
    floored = first | {"saturated": True}
    assert sweep_row(high, 2, 0, earlier=[(row_key(low, 2, 0), floored)]) == floored and asked == []
    # a row at a higher cap is not cut down to a lower one
    assert fig8_polylog.earlier_search(row_key(low, 2, 0), [(row_key(high, 2, 0), fresh)]) is None


def test_fig8_row_keys_are_shared_by_sweeps_with_more_trials() -> None:
    small, large = Fig8Config(hp_trials=1), Fig8Config(hp_trials=3, trials=7)
    # a resumed sweep with more trials reuses the rows it has: the key holds only what the row depends on
    assert row_key(small, 2, 3, 0, high_precision=True) == row_key(large, 2, 3, 0, high_precision=True)
    seeds = {row_key(large, 2, j, t, high_precision=True)["seed"] for j in range(4) for t in range(3)}
    assert len(seeds) == 12  # every (size, trial) draws its own cloud and function
    assert row_key(small, 2, 3, 0)["digits"] is None and row_key(small, 2, 3, 0, high_precision=True)["digits"] == 50


def test_polylog_size_matches_the_paper() -> None:
    assert polylog_size(1000, 1) == int(120 * math.log(1000)) == 828
    assert polylog_size(64000, 2) == 2449  # the reported d' at d = 64000


def test_fig6_tiny_sweep() -> None:
    res = run_fig6(ms=(1,), ds=(500, 1000))
    t1, t2 = res.data["seconds"]["m=1"]
    # the reported slope is the log-log slope of the times it reports (two sizes: exactly log(t2/t1)/log 2)
    assert res.data["slope"]["m=1"] == pytest.approx(math.log(t2 / t1) / math.log(2), rel=1e-9)
    plt.close(res.figure)


def test_unknown_tier() -> None:
    with pytest.raises(InputError, match="tier"):
        run_fig6("huge")
