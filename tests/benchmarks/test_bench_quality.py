"""The quality benchmark's plumbing (benchmarks/bench_quality.py): the authors' results mapped back to input
positions through a subprocess, the cache, the clouds and the panel; a clean skip without the authors' code."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_quality
from _authors import AuthorsCache, run_authors, to_indices
from _panel import FUNCTIONS, KINDS, cloud, cloud_hash, panel
from _quality_report import summarise, write

from unicomp.numerics.compress import compress

# A stand-in with the authors' API and return convention (weights of the kept points, the kept rows), keeping
# the *last* ``dstop`` rows in reverse order so the mapping back must reorder them.
FAKE = """
import numpy as np
class Compressor:
    def __init__(self, data, random_state=0):
        self.X = np.asarray(data)
    def compress(self, k, dstop=None, print_progress=False):
        kept = self.X[::-1][:dstop].copy()
        return np.full(dstop, self.X.shape[0] / dstop), kept
"""


def test_run_authors_maps_kept_rows_back_to_sorted_input_positions(tmp_path: Path) -> None:
    (tmp_path / "compressor.py").write_text(FAKE)
    pts = np.random.default_rng(0).uniform(-1, 1, size=(50, 3))
    run = run_authors(Path(sys.executable), tmp_path, pts, 2, 10)
    np.testing.assert_array_equal(run.indices, np.arange(40, 50))
    np.testing.assert_array_equal(run.weights, np.full(10, 5.0))
    assert not run.cached and run.wall_seconds >= 0 and run.cpu_seconds >= 0


def test_to_indices_refuses_what_cannot_be_mapped() -> None:
    pts = np.random.default_rng(1).standard_normal((20, 2))
    with pytest.raises(KeyError):  # a row that is not in the input
        to_indices(pts, pts[:3] + 1.0, np.ones(3))
    with pytest.raises(ValueError, match="duplicated"):
        to_indices(np.vstack([pts, pts[:1]]), pts[:2], np.ones(2))
    with pytest.raises(ValueError, match="repeats"):
        to_indices(pts, pts[[4, 4]], np.ones(2))


def test_cache_round_trip(tmp_path: Path) -> None:
    (tmp_path / "compressor.py").write_text(FAKE)
    pts = cloud(2, "gaussian", 0, 30)
    run = run_authors(Path(sys.executable), tmp_path, pts, 2, 6)
    cache = AuthorsCache(tmp_path / "cache")
    path = cache.path(2, "gaussian", 0, 30, 2, 6, cloud_hash(pts))
    assert cache.load(path) is None
    cache.save(path, run)
    back = cache.load(path)
    assert back is not None and back.cached
    np.testing.assert_array_equal(back.indices, run.indices)
    np.testing.assert_array_equal(back.weights, run.weights)
    assert back.wall_seconds == run.wall_seconds
    assert list((tmp_path / "cache").iterdir()) == [path]  # no temporary file left behind


def test_clouds_are_reproducible_and_distinct() -> None:
    for kind in KINDS:
        np.testing.assert_array_equal(cloud(3, kind, 1, 100), cloud(3, kind, 1, 100))
    hashes = {cloud_hash(cloud(3, kind, seed, 100)) for kind in KINDS for seed in range(2)}
    assert len(hashes) == 2 * len(KINDS)
    blobs = cloud(2, "clustered", 0, 2000)
    # four blobs of standard deviation 0.05: every point lies within 0.3 (6 sigma) of one of few centres
    near = np.linalg.norm(blobs[:, None, :] - blobs[None, :50, :], axis=2).min(axis=1)
    assert near.max() < 1.0 and np.median(near) < 0.1


def test_no_panel_function_is_matched_by_the_moments_but_a_low_degree_polynomial_is() -> None:
    # Every ratio ours / authors needs a nonzero error on both sides: no panel member may lie in Pi_k.  The
    # control (a quadratic, in Pi_k) shows the measurement reaches rounding level, 1e-12 of the function's
    # scale being far above float64 rounding of 400 terms and far below a true Taylor remainder here.
    pts = cloud(2, "uniform", 0, 400)
    comp = compress(pts, degree=3, size=40)
    funcs = panel(pts, 0, 3) | {"quadratic": lambda w: (w @ np.array([0.3, -0.7]) + 0.2) ** 2}
    for name, g in funcs.items():
        values = g(pts)
        err = abs(math.fsum(comp.weights * g(pts[comp.indices])) - math.fsum(values)) / len(pts)
        scale = float(np.abs(values).max())
        if name == "quadratic":
            assert err < 1e-12 * scale
        else:
            assert err > 1e-12 * scale, name
    assert set(FUNCTIONS) <= set(funcs)


def test_skips_cleanly_without_the_authors_python(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_quality.main(["--quick", "--authors-python", str(tmp_path / "missing")]) == 0
    assert "skipped" in capsys.readouterr().out


def test_skips_cleanly_without_the_anchors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("UNICOMP_ANCHORS", str(tmp_path))
    assert bench_quality.main(["--quick", "--authors-python", sys.executable]) == 0
    assert "repository" in capsys.readouterr().out


def _record(error: float, wall: float) -> dict[str, Any]:
    return {"errors": dict.fromkeys(FUNCTIONS, error), "wall_seconds": wall, "cpu_seconds": wall, "size": 8,
            "min_weight": 1.0, "residual": 1e-16}


def test_summary_geo_means_ratios_and_times_only_clouds_timed_in_the_same_run(tmp_path: Path) -> None:
    clouds = [
        {"m": 2, "kind": "uniform", "seed": 0, "authors": _record(1.0, 100.0) | {"timed_here": True},
         "methods": {"fast": _record(0.1, 0.5), "slow": _record(4.0, 50.0)}},
        {"m": 2, "kind": "gaussian", "seed": 0, "authors": _record(2.0, 1.0) | {"timed_here": False},
         "methods": {"fast": _record(0.4, 0.5)}},
    ]
    summary = summarise(clouds)
    assert summary["fast"]["2"]["sigmoid"] == pytest.approx(math.sqrt(0.02))  # geo-mean of 0.1 and 0.2
    assert summary["slow"]["all"]["poly"] == pytest.approx(4.0)
    assert summary["fast"]["2"]["speed_wall"] == [200.0]  # the cached cloud's time is not a ratio
    write({"params": {"k": 5, "d": 80, "seeds": 1, "all_greedy": False}, "source": {"commit": "0" * 40,
           "uncommitted_in_unicomp": ""}, "load_average_at_start": (1.0, 1.0, 1.0),
           "load_average_at_end": (1.0, 1.0, 1.0), "clouds": clouds, "big": None}, tmp_path, "q")
    text = (tmp_path / "q.md").read_text()
    assert "**0.14** pass" in text and "4.00 fail" in text
    assert (tmp_path / "q_pareto.png").stat().st_size > 0
