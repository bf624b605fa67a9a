"""The ``unicomp compress`` and ``unicomp demo`` commands, run in-process through ``main``."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

import mpmath
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


def test_output_defaults_next_to_the_input(cloud, capsys) -> None:
    # Regression (issue 12): -o was required.
    pts, path = cloud
    assert main(["compress", str(path), "-k", "2"]) == 0
    default = path.with_name("pts.compressed.npz")
    assert capsys.readouterr().out.strip().endswith(f"-> {default}")
    check_compression(Compression.load(default), pts)


def test_unknown_output_extension_is_an_error(cloud, tmp_path: Path, capsys) -> None:
    # Regression (issue 12): '-o x.txt' wrote an npz named x.txt.
    _, path = cloud
    assert main(["compress", str(path), "-k", "2", "-o", str(tmp_path / "x.txt")]) == 2
    assert "unknown extension '.txt'; use one of .npz, .csv, .json" in capsys.readouterr().err
    assert not (tmp_path / "x.txt").exists()


def test_csv_and_json_outputs_hold_the_npz_result(tmp_path: Path) -> None:
    pts = np.random.default_rng(3).normal(size=(300, 2))
    src = tmp_path / "pts.csv"
    src.write_text("u,v\n" + "\n".join(f"{a!r},{b!r}" for a, b in pts.tolist()) + "\n")
    for ext in ("npz", "csv", "json"):
        assert main(["compress", str(src), "-k", "3", "-o", str(tmp_path / f"o.{ext}")]) == 0
    comp = Compression.load(tmp_path / "o.npz")
    with (tmp_path / "o.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["index", "weight", "u", "v"]
    table = np.array(rows[1:], dtype=float)
    np.testing.assert_array_equal(table[:, 0], comp.indices)  # repr round-trips: exact
    np.testing.assert_array_equal(table[:, 1], comp.weights)
    np.testing.assert_array_equal(table[:, 2:], pts[comp.indices])
    data = json.loads((tmp_path / "o.json").read_text())
    assert data["index"] == comp.indices.tolist() and data["weight"] == comp.weights.tolist()
    assert data["point"] == pts[comp.indices].tolist() and data["residual"] == comp.residual


def test_csv_output_in_arbitrary_precision_writes_the_exact_weights(cloud, tmp_path: Path) -> None:
    _, path = cloud
    assert main(["compress", str(path), "-k", "2", "--precision", "40", "-o", str(tmp_path / "o.csv")]) == 0
    assert main(["compress", str(path), "-k", "2", "--precision", "40", "-o", str(tmp_path / "o.npz")]) == 0
    comp = Compression.load(tmp_path / "o.npz")
    with (tmp_path / "o.csv").open() as fh:
        weights = [row[1] for row in list(csv.reader(fh))[1:]]
    assert weights == [mpmath.nstr(w, 40) for w in comp.weights_mp]


def test_size_below_n_mk_says_omit_size(cloud, tmp_path: Path, capsys) -> None:
    # Regression (issue 12): the library's advice "use unicomp.recombine" does not fit the command line.
    _, path = cloud
    assert main(["compress", str(path), "-k", "4", "--size", "10", "-o", str(tmp_path / "o.npz")]) == 2
    err = capsys.readouterr().err
    assert "--size 10 is below N_(m,k) = C(m+k, k) = 15" in err
    assert "omit --size" in err and "--degree 3 or lower" in err  # N_(2,3) = 10 <= 10 < N_(2,4) = 15


def test_two_column_weights_are_rejected(cloud, tmp_path: Path, capsys) -> None:
    # Regression (issue 12): a (500, 2) weights file was flattened.
    _, path = cloud
    np.save(tmp_path / "w.npy", np.ones((250, 2)))
    argv = ["compress", str(path), "-k", "2", "--weights", str(tmp_path / "w.npy"), "-o", str(tmp_path / "o.npz")]
    assert main(argv) == 2
    assert "expected one column of 500 weights" in capsys.readouterr().err


@pytest.mark.parametrize("ext", ["npz", "csv", "json"])
def test_unwritable_output_names_the_users_path(cloud, tmp_path: Path, capsys, monkeypatch, ext: str) -> None:
    # Regression (issue 12): the message named the temporary file.  Root ignores permissions, so the
    # failure is planted where every writer creates its temporary file.
    _, path = cloud

    def refuse(*args: object, dir: str = ".", prefix: str = "", **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", os.path.join(dir, prefix + "x1y2.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = tmp_path / f"result.{ext}"
    assert main(["compress", str(path), "-k", "2", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {out}: Permission denied" in err and ".tmp" not in err


def test_output_inside_a_file_is_named(cloud, tmp_path: Path, capsys) -> None:
    _, path = cloud
    assert main(["compress", str(path), "-k", "2", "-o", str(path / "o.npz")]) == 2
    assert f"{path} is not a directory" in capsys.readouterr().err


def test_usage_errors_are_one_line(capsys) -> None:
    assert main(["compress", "x.csv", "-k", "-1"]) == 2
    err = capsys.readouterr().err
    assert err == ("unicomp compress: error: argument --degree/-k: must be at least 0, got -1 "
                   "(see 'unicomp compress --help')\n")
