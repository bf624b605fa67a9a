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

    Raises
    ------
    InputError
        For a missing or non-numeric value, naming the row (1-based, as in a spreadsheet) and column, or
        for rows of unequal length.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"cannot read {p}: no such file")
    with p.open(newline="") as fh:
        rows = [row for row in csv.reader(fh) if row and any(cell.strip() for cell in row)]
    if not rows:
        raise InputError(f"{p} holds no rows")
    header: list[str] | None = None
    try:
        [float(cell) for cell in rows[0]]
    except ValueError:
        header = [cell.strip() for cell in rows[0]]
        rows = rows[1:]
        if not rows:
            raise InputError(f"{p} has a header but no data rows") from None
    width = len(rows[0])
    values = np.empty((len(rows), width))
    first = 2 if header is not None else 1
    for r, row in enumerate(rows):
        if len(row) != width:
            raise InputError(f"{p}: row {r + first} has {len(row)} columns, expected {width}")
        for c, cell in enumerate(row):
            name = header[c] if header is not None and c < len(header) else str(c + 1)
            text = cell.strip()
            if not text:
                raise InputError(f"{p}: missing value at row {r + first}, column {name}")
            try:
                values[r, c] = float(text)
            except ValueError:
                raise InputError(
                    f"{p}: non-numeric value {text!r} at row {r + first}, column {name}"
                ) from None
            if not np.isfinite(values[r, c]):
                raise InputError(f"{p}: non-finite value {text!r} at row {r + first}, column {name}")
    return header, values


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
