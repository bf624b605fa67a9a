"""The ``unicomp compress`` and ``unicomp demo`` commands, run in-process through ``main``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from unicomp.cli import main
from unicomp.numerics.result import Compression
from unicomp.verify import check_compression


@pytest.fixture
def cloud(tmp_path: Path) -> tuple[np.ndarray, Path]:
    pts = np.random.default_rng(0).uniform(-1, 1, size=(500, 2))
    path = tmp_path / "pts.npy"
    np.save(path, pts)
    return pts, path


def test_compress_npy_writes_a_verified_npz(cloud, tmp_path: Path, capsys) -> None:
    pts, path = cloud
    out = tmp_path / "out.npz"
    assert main(["compress", str(path), "--degree", "4", "-o", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert "500 -> 15 objects" in line and "residual" in line
    comp = Compression.load(out)
    check_compression(comp, pts)
    with np.load(out) as data:
        np.testing.assert_array_equal(data["points"], pts[comp.indices])


def test_compress_csv_with_header_and_weights_json(tmp_path: Path, capsys) -> None:
    pts = np.random.default_rng(1).normal(size=(200, 3))
    w = np.random.default_rng(2).uniform(0, 1, size=200)
    csv_path = tmp_path / "pts.csv"
    csv_path.write_text("a,b,c\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in pts) + "\n")
    np.save(tmp_path / "w.npy", w)
    out = tmp_path / "out.npz"
    code = main(["compress", str(csv_path), "-k", "3", "--weights", str(tmp_path / "w.npy"), "-o", str(out), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_input"] == 200 and data["size"] <= 20 and data["residual"] <= data["tolerance"]
    check_compression(Compression.load(out), pts, w)


def test_compress_high_precision_round_trips_mp_weights(cloud, tmp_path: Path) -> None:
    pts, path = cloud
    out = tmp_path / "hp.npz"
    assert main(["compress", str(path), "-k", "3", "--precision", "30", "-o", str(out)]) == 0
    comp = Compression.load(out)
    assert comp.precision == 30 and comp.weights_mp is not None
    check_compression(comp, pts)


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("1,2\n3,x\n", ".csv", "non-numeric value 'x' at row 2, column 2"),
        ("a,b\n1,2\n3,\n", ".csv", "missing value at row 3, column b"),
        ("1,2\n3\n", ".csv", "row 2 has 1 columns, expected 2"),
        ("not an npy file", ".npy", "cannot read"),
        ("1 2", ".json", "unsupported file type"),
    ],
)
def test_bad_files_give_one_line_and_exit_2(tmp_path: Path, capsys, content: str, suffix: str, message: str) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    out = tmp_path / "out.npz"
    assert main(["compress", str(path), "-k", "2", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_missing_file_and_bad_input_values(tmp_path: Path, capsys) -> None:
    assert main(["compress", str(tmp_path / "nope.npy"), "-k", "2", "-o", str(tmp_path / "o.npz")]) == 2
    assert "no such file" in capsys.readouterr().err
    np.save(tmp_path / "nan.npy", np.array([[0.0, np.nan]]))
    assert main(["compress", str(tmp_path / "nan.npy"), "-k", "2", "-o", str(tmp_path / "o.npz")]) == 2
    assert "points must be finite" in capsys.readouterr().err


def test_failure_leaves_an_existing_output_untouched(cloud, tmp_path: Path) -> None:
    pts, path = cloud
    out = tmp_path / "out.npz"
    out.write_bytes(b"previous result")
    # A tolerance no float64 run can meet: the command fails after computing, before writing.
    np.save(tmp_path / "w.npy", -np.ones(len(pts)))
    assert main(["compress", str(path), "-k", "2", "--weights", str(tmp_path / "w.npy"), "-o", str(out)]) == 2
    assert out.read_bytes() == b"previous result"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_demo_runs_and_reports(capsys) -> None:
    assert main(["demo", "--points", "2000", "--degree", "4"]) == 0
    out = capsys.readouterr().out
    assert "2000 -> 15 objects" in out and "|error|" in out
