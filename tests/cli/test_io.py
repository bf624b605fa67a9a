"""The command line's file reader: CSV with or without a header, and one clear error per bad file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from unicomp.cli._io import read_array, read_table
from unicomp.errors import InputError


def _write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_header_is_detected_and_cells_are_stripped(tmp_path: Path) -> None:
    header, values = read_table(_write(tmp_path, " x , y\n1, 2.5\n-3e2 ,4\n"))
    assert header == ["x", "y"]
    assert values.tolist() == [[1.0, 2.5], [-300.0, 4.0]]


def test_no_header_quoted_cells_and_blank_lines(tmp_path: Path) -> None:
    header, values = read_table(_write(tmp_path, '"1","2"\n\n3,4\n'))
    assert header is None
    assert values.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_read_array_csv_equals_npy(tmp_path: Path) -> None:
    arr = np.random.default_rng(0).normal(size=(5, 3))
    np.save(tmp_path / "a.npy", arr)
    _write(tmp_path, "\n".join(",".join(repr(float(v)) for v in row) for row in arr), "a.csv")
    np.testing.assert_array_equal(read_array(tmp_path / "a.csv"), read_array(tmp_path / "a.npy"))  # repr round-trips


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no rows"),
        ("\n \n", "holds no rows"),
        ("a,b\n", "has a header but no data rows"),
        ("1,2\n\n3\n", "row 3 has 1 columns, expected 2"),  # the file's line, blank lines counted
        ("a,b\n1,2\n3,\n", "missing value at row 3, column b"),
        ("1,2\n3,x\n", "non-numeric value 'x' at row 2, column 2"),
        ("a,b\n1,inf\n", "non-finite value 'inf' at row 2, column b"),
        ("1,nan\n", "non-finite value 'nan' at row 1, column 2"),
    ],
)
def test_bad_tables_name_row_and_column(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_table(_write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "absent.csv")
