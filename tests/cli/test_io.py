"""The command line's file reader: CSV with or without a header, and one clear error per bad file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from unicomp.cli._io import read_array, read_table, read_weights
from unicomp.errors import InputError


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


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


def test_utf8_bom_without_header_keeps_the_first_row(tmp_path: Path) -> None:
    # Regression (issue 12): the BOM made the first row non-numeric, so it was taken as a header and lost.
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf1,2\n3,4\n")
    header, values = read_table(path)
    assert header is None and values.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        # Regression (issue 12): a UnicodeDecodeError traceback.
        ("latin.csv", "\xe9,b\n1,2\n".encode("latin-1"), r"not UTF-8 text \(byte 0xe9 at offset 0\)"),
        ("nul.csv", b"1,2\n3,\x004\n", "non-numeric value .* at row 2, column 2"),
        ("t.npy", _npy_bytes(np.array([object(), 1.0], dtype=object)), "Python objects"),
        ("t.npy", _npy_bytes(np.ones(3) + 1j), "must hold real numbers"),
        ("t.npy", _npy_bytes(np.ones((2, 2, 2))), "1-D or 2-D array"),
        ("t.dat", b"1,2\n", "unsupported file type '.dat'"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_table(path)


def test_npy_header_declaring_a_huge_shape_is_rejected_before_loading(tmp_path: Path) -> None:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (10**12, 2)})
    path = tmp_path / "huge.npy"
    path.write_bytes(buf.getvalue() + b"\0" * 16)
    with pytest.raises(InputError, match=r"truncated: its header declares shape \(1000000000000, 2\)"):
        read_table(path)


def test_a_directory_is_named_as_such(tmp_path: Path) -> None:
    # Regression (issue 12): "no such file" for a directory.
    with pytest.raises(InputError, match="is a directory"):
        read_table(tmp_path)


def test_weights_must_be_one_column(tmp_path: Path) -> None:
    # Regression (issue 12): a (150, 2) weights file was flattened to 300 weights.
    np.save(tmp_path / "w.npy", np.ones((150, 2)))
    with pytest.raises(InputError, match="expected one column of 150 weights"):
        read_weights(tmp_path / "w.npy", 150)
    np.save(tmp_path / "w1.npy", np.arange(150.0))
    assert read_weights(tmp_path / "w1.npy", 150).tolist() == list(np.arange(150.0))
