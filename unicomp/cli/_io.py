"""Reading arrays for the command line: ``.npy`` and ``.csv`` files, with clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from unicomp.errors import InputError

__all__ = ["read_array", "read_table"]


def read_table(path: str | Path) -> tuple[list[str] | None, NDArray[np.float64]]:
    """Read a numeric CSV file; returns the header (if the first row is not numeric) and the values.

    The file is split by :func:`csv.reader` (so quoted cells work), blank lines are skipped, cells are
    stripped and converted by numpy.  Rows are numbered by their line in the file (1-based, as in an
    editor or a spreadsheet), columns by their header name or 1-based position.

    Raises
    ------
    InputError
        For a missing file, no data rows, rows of unequal length, or a missing, non-numeric or non-finite
        value (naming its row and column).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"cannot read {p}: no such file")
    with p.open(newline="") as fh:
        reader = csv.reader(fh)
        rows = [([cell.strip() for cell in row], reader.line_num) for row in reader if any(c.strip() for c in row)]
    if not rows:
        raise InputError(f"{p} holds no rows")
    header = None if _numeric(np.array(rows[0][0], dtype=str)).all() else rows[0][0]
    data = rows[1:] if header is not None else rows
    if not data:
        raise InputError(f"{p} has a header but no data rows")
    width = len(data[0][0])
    for row, line in data:
        if len(row) != width:
            raise InputError(f"{p}: row {line} has {len(row)} columns, expected {width}")
    cells = np.array([row for row, _ in data], dtype=str)
    numeric = _numeric(cells)
    values = np.where(numeric, cells, "nan").astype(np.float64)
    finite = np.isfinite(values)
    checks = (("missing value", cells == ""), ("non-numeric value", ~numeric), ("non-finite value", ~finite))
    for what, bad in checks:
        if bad.any():
            r, c = np.argwhere(bad)[0]
            shown = "" if what == "missing value" else f" {str(cells[r, c])!r}"
            column = header[c] if header is not None and c < len(header) else str(c + 1)
            raise InputError(f"{p}: {what}{shown} at row {data[r][1]}, column {column}")
    return header, values


def _numeric(cells: NDArray[np.str_]) -> NDArray[np.bool_]:
    """Elementwise: does the text parse as a float (``nan`` and ``inf`` included)?"""
    try:
        cells.astype(np.float64)
    except ValueError:
        return np.vectorize(_parses, otypes=[bool])(cells)
    return np.ones(cells.shape, dtype=bool)


def _parses(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_array(path: str | Path) -> NDArray[np.float64]:
    """Load a numeric array from ``.npy`` or ``.csv`` (a header row is allowed and ignored)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".npy":
        if not p.is_file():
            raise InputError(f"cannot read {p}: no such file")
        try:
            arr = np.load(p, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise InputError(f"cannot read {p} as a .npy array: {exc}") from None
        return np.asarray(arr)
    if suffix in {".csv", ".txt"}:
        return read_table(p)[1]
    raise InputError(f"unsupported file type {p.suffix!r} for {p}; expected .npy or .csv")
