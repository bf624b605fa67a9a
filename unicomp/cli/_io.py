"""Files for the command line: numeric tables in (``.csv``, ``.npy``) and results out (``.npz``, ``.csv``,
``.json``), with one clear error per bad file.

Nothing here unpickles: ``.npy`` files are read with ``allow_pickle=False`` after their header has been
checked against the file's size, so a file declaring a huge shape is rejected before any allocation.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from unicomp.errors import InputError

__all__ = ["OUTPUT_FORMATS", "output_path", "read_array", "read_table", "read_weights", "write_output"]

#: Result file formats, chosen by the extension of ``-o``.
OUTPUT_FORMATS = (".npz", ".csv", ".json")
_TABLE_FORMATS = (".csv", ".txt", ".npy")


def _existing_file(path: str | Path) -> Path:
    p = Path(path)
    if p.is_dir():
        raise InputError(f"cannot read {p}: is a directory")
    if not p.exists():
        raise InputError(f"cannot read {p}: no such file")
    if not p.is_file():
        raise InputError(f"cannot read {p}: not a regular file")
    return p


def read_table(path: str | Path) -> tuple[list[str] | None, NDArray[np.float64]]:
    """Read a numeric table, shape (rows, columns), from ``.csv``/``.txt`` or ``.npy``.

    A CSV file is UTF-8 (a byte-order mark is allowed), split by :func:`csv.reader` (so quoted cells work);
    blank lines are skipped, cells are stripped and converted by numpy, and the first row is a header when
    it is not all numbers.  Rows are numbered by their line in the file (1-based, as in an editor or a
    spreadsheet), columns by their header name or 1-based position.  A ``.npy`` file holds a 1-D (one
    column) or 2-D array of booleans, integers or floats; it has no header.

    Returns
    -------
    header : list of str or None
    values : ndarray of float64, shape (rows, columns)

    Raises
    ------
    InputError
        For a missing file or a directory, an unknown extension, text that is not UTF-8, no data rows, rows
        of unequal length, a missing, non-numeric or non-finite value (naming its row and column), or a
        ``.npy`` file that is not a plain numeric 1-D or 2-D array.
    """
    p = _existing_file(path)
    suffix = p.suffix.lower()
    if suffix == ".npy":
        return None, _read_npy(p)
    if suffix not in _TABLE_FORMATS:
        raise InputError(f"unsupported file type {p.suffix!r} for {p}; expected one of {', '.join(_TABLE_FORMATS)}")
    rows = _csv_rows(p)
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


def _csv_rows(p: Path) -> list[tuple[list[str], int]]:
    """The non-blank rows of a CSV file, stripped, each with its 1-based line number."""
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            return [([c.strip() for c in row], reader.line_num) for row in reader if any(c.strip() for c in row)]
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot read {p}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    except csv.Error as exc:
        raise InputError(f"cannot read {p} as CSV: {exc}") from None


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


def _read_npy(p: Path) -> NDArray[np.float64]:
    """A 1-D or 2-D numeric ``.npy`` array as float64 columns; the header is checked before loading."""
    fmt = np.lib.format
    try:
        with p.open("rb") as fh:
            version = fmt.read_magic(fh)
            read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _, dtype = read_header(fh)
            available = p.stat().st_size - fh.tell()
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"cannot read {p} as a .npy array: {exc}") from None
    if dtype.hasobject:
        raise InputError(f"{p} holds Python objects (pickled data), which are never loaded; save plain numbers")
    if dtype.kind not in "biuf":
        raise InputError(f"{p} must hold real numbers (bool, int or float), got dtype {dtype}")
    if len(shape) not in (1, 2):
        raise InputError(f"{p} must hold a 1-D or 2-D array, got shape {shape}")
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > available:
        raise InputError(f"{p} is truncated: its header declares shape {shape} ({declared} bytes), "
                         f"the file holds {available}")
    try:
        arr = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"cannot read {p} as a .npy array: {exc}") from None
    values = np.asarray(arr, dtype=np.float64)
    return values[:, None] if values.ndim == 1 else values


def read_array(path: str | Path) -> NDArray[np.float64]:
    """The values of :func:`read_table` (a CSV header row is allowed and ignored)."""
    return read_table(path)[1]


def read_weights(path: str | Path, n: int) -> NDArray[np.float64]:
    """One weight per point: a single column (or a 1-D ``.npy`` array) of ``n`` numbers."""
    values = read_array(path)
    if values.shape != (n, 1):
        raise InputError(f"--weights {path}: expected one column of {n} weights (one per point), "
                         f"got {values.shape[0]} rows and {values.shape[1]} columns")
    return values[:, 0]


def output_path(output: str | None, source: str) -> Path:
    """The result file: ``-o`` if given, else ``<input stem>.compressed.npz`` next to the input.

    Raises
    ------
    InputError
        For an extension other than ``.npz``, ``.csv`` or ``.json``, or a directory.
    """
    path = Path(output) if output else Path(source).with_name(Path(source).stem + ".compressed.npz")
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise InputError(f"-o {path}: unknown extension {path.suffix!r}; use one of {', '.join(OUTPUT_FORMATS)}")
    if path.is_dir():
        raise InputError(f"-o {path}: is a directory")
    folder = next((parent for parent in path.parents if parent.exists()), Path("."))
    if not folder.is_dir():
        raise InputError(f"-o {path}: {folder} is not a directory")
    return path


def write_output(
    path: Path,
    save_npz: Callable[[Path], object],
    table: Mapping[str, NDArray[Any]],
    exact_weights: Sequence[str] | None,
    summary: Mapping[str, Any],
    column_names: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Write a result atomically in the format of ``path``'s extension.

    ``.npz``: ``save_npz(path)`` (the library's own file, loadable by ``Compression.load``).  ``.csv``: one
    row per kept object, the columns of ``table`` (``index`` and ``weight`` first; a 2-D entry spreads over
    its columns, named by ``column_names[key]`` or else ``key`` + 1-based number).  ``.json``: ``summary``
    with every column of ``table`` as a list.  Weights are written as their exact decimal strings
    (``exact_weights``) when the compression ran in arbitrary precision.

    Raises
    ------
    InputError
        When the file cannot be written, naming ``path`` (not the temporary file).
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            save_npz(path)
        elif suffix == ".csv":
            _atomic(path, lambda fh: _write_csv(fh, table, exact_weights, column_names or {}))
        else:
            data = dict(summary) | {k: v.tolist() for k, v in table.items()}
            if exact_weights is not None:
                data["weights_exact"] = list(exact_weights)
            _atomic(path, lambda fh: json.dump(data, fh, allow_nan=False))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write_csv(
    fh: IO[str],
    table: Mapping[str, NDArray[Any]],
    exact_weights: Sequence[str] | None,
    column_names: Mapping[str, Sequence[str]],
) -> None:
    names: list[str] = []
    columns: list[NDArray[Any]] = []
    for name, values in table.items():
        block = values.reshape(len(values), -1)
        if values.ndim == 1:
            names.append(name)
        else:
            names += column_names.get(name) or [f"{name}{j + 1}" for j in range(block.shape[1])]
        columns += list(block.T)
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(names)
    weight = names.index("weight")
    for i, row in enumerate(zip(*columns, strict=True)):
        cells = [repr(v.item()) for v in row]
        if exact_weights is not None:
            cells[weight] = exact_weights[i]
        writer.writerow(cells)


def _atomic(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Write a text file through a temporary file renamed into place (a failure leaves ``path`` as it was)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
