"""The ``unicomp compress-dataset`` command, run in-process through ``main``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from unicomp.cli import main
from unicomp.numerics.datasets import WeightedDataset


def _write_csv(path: Path, rows: np.ndarray, header: list[str] | None) -> None:
    lines = [",".join(header)] if header else []
    lines += [",".join(f"{v:.17g}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def table(tmp_path: Path) -> tuple[np.ndarray, Path]:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(800, 2))
    rows = np.column_stack([x, np.sin(3 * x[:, 0]) * x[:, 1] + 0.1 * rng.standard_normal(800)])
    path = tmp_path / "data.csv"
    _write_csv(path, rows, ["x1", "x2", "y"])
    return rows, path


def test_compress_by_header_name(table: tuple[np.ndarray, Path], tmp_path: Path, capsys) -> None:
    rows, path = table
    out = tmp_path / "out.npz"
    assert (
        main(["compress-dataset", str(path), "--targets", "y", "--size", "100", "--degree", "3", "-o", str(out)]) == 0
    )
    assert "800 -> 100 objects" in capsys.readouterr().out
    ds = WeightedDataset.load(out)
    assert len(ds) == 100
    np.testing.assert_array_equal(ds.inputs, rows[ds.indices, :2])
    np.testing.assert_array_equal(ds.targets, rows[ds.indices, 2:])
    # Moments of degree <= 3 of (x, y) are kept: check a few raw ones (relative to their size; the
    # compression guarantees ~1e-12 in the scaled basis, raw moments of values <= ~2 stay within 1e-9).
    for power in ([1, 0, 0], [0, 0, 2], [1, 1, 1], [0, 2, 1]):
        full = np.mean(np.prod(rows**power, axis=1))
        kept = ds.loss(np.prod(ds.objects**power, axis=1))
        assert abs(kept - full) < 1e-9


def test_column_numbers_inputs_and_json(table: tuple[np.ndarray, Path], tmp_path: Path, capsys) -> None:
    rows, path = table
    out = tmp_path / "out.npz"
    argv = ["compress-dataset", str(path), "--targets", "3", "--inputs", "2", "--degree", "2", "-o", str(out), "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_input"] == 800 and data["size"] <= 6 and data["method"] == "recombine"  # N_{2,2} = 6
    ds = WeightedDataset.load(out)
    np.testing.assert_array_equal(ds.inputs, rows[ds.indices, 1:2])


def test_csv_without_header(tmp_path: Path) -> None:
    rows = np.random.default_rng(1).normal(size=(300, 3))
    path = tmp_path / "plain.csv"
    _write_csv(path, rows, None)
    out = tmp_path / "out.npz"
    assert main(["compress-dataset", str(path), "--targets", "2,3", "--size", "50", "-k", "2", "-o", str(out)]) == 0
    assert WeightedDataset.load(out).targets.shape == (50, 2)


@pytest.mark.parametrize(
    ("cell", "message"),
    [("", "missing value at row 4, column x2"), ("abc", "non-numeric value 'abc' at row 4, column x2")],
)
def test_bad_values_name_row_and_column(tmp_path: Path, capsys, cell: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"x1,x2,y\n1,2,3\n4,5,6\n7,{cell},9\n")
    assert main(["compress-dataset", str(path), "--targets", "y", "-k", "1", "-o", str(tmp_path / "o.npz")]) == 2
    err = capsys.readouterr().err
    assert message in err and "compress-dataset: error" in err
    assert not (tmp_path / "o.npz").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--targets", "z"], "no column 'z'"),
        (["--targets", "9"], "number 1..3"),
        (["--targets", "y,3"], "listed twice"),
        (["--targets", "x1,x2,y"], "no input columns left"),
        (["--targets", "y", "--inputs", "x1,y"], "share a column"),
        (["--targets", "y", "--size", "2"], "size"),
    ],
)
def test_bad_columns(table: tuple[np.ndarray, Path], tmp_path: Path, capsys, extra: list[str], message: str) -> None:
    _, path = table
    assert main(["compress-dataset", str(path), "-k", "2", "-o", str(tmp_path / "o.npz"), *extra]) == 2
    assert message in capsys.readouterr().err


def test_duplicate_header_names_are_an_error(tmp_path: Path, capsys) -> None:
    # Regression (issue 12): '--targets y' took the first of two columns named y.
    rows = np.random.default_rng(2).normal(size=(100, 3))
    path = tmp_path / "dup.csv"
    _write_csv(path, rows, ["y", "x2", "y"])
    assert main(["compress-dataset", str(path), "--targets", "y", "-k", "1", "-o", str(tmp_path / "o.npz")]) == 2
    assert "'y' names more than one column of the header (1 and 3)" in capsys.readouterr().err
    assert main(["compress-dataset", str(path), "--targets", "3", "-k", "1", "-o", str(tmp_path / "o.npz")]) == 0
    np.testing.assert_array_equal(WeightedDataset.load(tmp_path / "o.npz").targets[:, 0],
                                  rows[WeightedDataset.load(tmp_path / "o.npz").indices, 2])


def test_npy_table_and_bom_csv(tmp_path: Path) -> None:
    # Regression (issue 12): a .npy gave a UnicodeDecodeError traceback; a BOM lost the first row.
    rows = np.random.default_rng(4).normal(size=(120, 3))
    np.save(tmp_path / "t.npy", rows)
    text = "\n".join(",".join(map(repr, r)) for r in rows.tolist())
    (tmp_path / "t.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    for name in ("t.npy", "t.csv"):
        out = tmp_path / f"{name}.npz"
        assert main(["compress-dataset", str(tmp_path / name), "--targets", "3", "-k", "2", "-o", str(out)]) == 0
        ds = WeightedDataset.load(out)
        assert ds.compression.n_input == 120
        np.testing.assert_array_equal(ds.inputs, rows[ds.indices, :2])


def test_csv_output_names_the_columns(table: tuple[np.ndarray, Path], tmp_path: Path) -> None:
    rows, path = table
    out = tmp_path / "o.csv"
    assert main(["compress-dataset", str(path), "--targets", "y", "-k", "2", "--inputs", "x2", "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "index,weight,x2,y"
    index = [int(line.split(",")[0]) for line in lines[1:]]
    values = np.array([line.split(",")[2:] for line in lines[1:]], dtype=float)
    np.testing.assert_array_equal(values, rows[index][:, [1, 2]])


def test_size_below_n_mk_counts_inputs_and_targets(table: tuple[np.ndarray, Path], tmp_path: Path, capsys) -> None:
    _, path = table
    argv = ["compress-dataset", str(path), "--targets", "y", "-k", "2", "--size", "9", "-o", str(tmp_path / "o.npz")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "N_(m,k) = C(m+k, k) = 10 for m=3, degree 2" in err and "omit --size" in err and "--degree 1 or lower" in err
