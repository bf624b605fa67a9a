"""Typed diagnostics (read as mappings, as the former info dict) and the validated settings of Algorithm 1."""

from __future__ import annotations

import numpy as np
import pytest

from unicomp import InputError, compress, recombine
from unicomp.numerics.diagnostics import CompressInfo, CompressSettings, RecombineInfo


def test_records_read_as_mappings() -> None:
    info = CompressInfo(num_moments=6, target_size=20, engine="float64", rounds=2)
    assert info["rounds"] == 2 and "rounds" in info and "search" not in info
    assert info.get("search", "none") == "none"
    with pytest.raises(KeyError):
        info["search"]
    with pytest.raises(KeyError):
        info["no_such_field"]
    assert info.to_dict() == {"num_moments": 6, "target_size": 20, "engine": "float64", "rounds": 2}
    assert len(info) == 4 and set(info) == {"num_moments", "target_size", "engine", "rounds"}


def test_results_carry_typed_records() -> None:
    pts = np.random.default_rng(0).uniform(-1, 1, size=(400, 2))
    comp = compress(pts, degree=2, size=40)
    assert isinstance(comp.info, CompressInfo) and comp.info["target_size"] == 40
    assert comp.info.rounds == len(comp.info.levels)
    rec = recombine(pts, degree=2)
    assert isinstance(rec.info, RecombineInfo) and rec.info["engine"] == "float64"


@pytest.mark.parametrize(
    ("field", "value"),
    [("round_factor", 1.0), ("round_factor", 0), ("fine_from", 1.0), ("fine_share", 0.0), ("requery", 1.0),
     ("fine_spare", 0), ("neighbour_factor", 2.5), ("refine_sweeps", True)],
)
def test_settings_are_validated(field: str, value: object) -> None:
    with pytest.raises(InputError, match=f"CompressSettings.{field}"):
        CompressSettings(**{field: value})  # type: ignore[arg-type]


def test_settings_change_the_run() -> None:
    pts = np.random.default_rng(1).uniform(-1, 1, size=(2000, 2))
    default = compress(pts, degree=2, size=100)
    # starting the fine phase at 6x the target leaves fewer coarse rounds (2000 -> 600 vs 2000 -> 1000 -> 300)
    late = compress(pts, degree=2, size=100, settings=CompressSettings(fine_from=6.0))
    coarse = [c.info["rounds"] - c.info["fine_rounds"] for c in (default, late)]
    assert coarse[1] < coarse[0] and late.size == default.size == 100
    with pytest.raises(InputError, match="settings must be"):
        compress(pts, degree=2, size=100, settings={"fine_from": 4.0})  # type: ignore[arg-type]


def test_repr_is_one_short_line_for_a_large_input() -> None:
    """Per-cell arrays of a 20000-point input are shown by their shapes, not printed (issue 12)."""
    pts = np.random.default_rng(0).uniform(-1, 1, size=(20000, 2))
    text = repr(compress(pts, degree=3, size=2000).info)
    assert "\n" not in text and len(text) < 600  # 13 fields at most ~45 characters each
    assert "cell_of=<array shape=(20000,) dtype=int64>" in text
