"""The authors' own repository and measured data, found at run time (never imported, never copied).

The audit compares its numbers with the paper's own measurements: the CSV files of the authors' public
repository (``moment_compression``, MIT licence), which a source checkout finds at
``../shared/anchors/moment_compression``.  :func:`locate` looks, in order, at the directory named by the
environment variable ``UNICOMP_ANCHORS``, then at ``shared/anchors/moment_compression`` in the current
directory, its parent, and the parent of the source tree.  Where none exists the sub-checks that need the
authors' data are skipped (the evidence says so) and nothing else changes.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unicomp.errors import InputError

__all__ = ["ENV_VAR", "Anchors", "locate"]

ENV_VAR = "UNICOMP_ANCHORS"
_RELATIVE = Path("shared") / "anchors" / "moment_compression"


@dataclass(frozen=True)
class Anchors:
    """The authors' repository.

    Attributes
    ----------
    root : Path
        Its top directory (holding ``compressor.py`` and one folder per figure).
    """

    root: Path

    def path(self, rel: str) -> Path:
        """The file ``rel`` (relative to ``root``); :class:`InputError` if it does not exist."""
        path = self.root / rel
        if not path.is_file():
            raise InputError(f"the authors' repository at {self.root} has no file {rel!r}")
        return path

    def read_csv(self, rel: str) -> dict[str, np.ndarray]:
        """A CSV file with a header row, as ``{column: array}``.

        Columns whose every entry parses as a number are float arrays (empty entries become NaN); the
        others are string arrays.  An unnamed first column (a pandas index) is called ``"index"``.
        """
        with self.path(rel).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        if not rows:
            raise InputError(f"{rel!r} is empty")
        header = [h.strip() or ("index" if i == 0 else f"column{i}") for i, h in enumerate(rows[0])]
        body = [r for r in rows[1:] if r]
        columns: dict[str, np.ndarray] = {}
        for j, name in enumerate(header):
            cells = [r[j].strip() if j < len(r) else "" for r in body]
            try:
                columns[name] = np.array([float(c) if c else np.nan for c in cells], dtype=np.float64)
            except ValueError:
                columns[name] = np.array(cells, dtype=str)
        return columns


def _candidates() -> list[Path]:
    env = os.environ.get(ENV_VAR)
    if env:
        return [Path(env)]
    cwd = Path.cwd()
    source_root = Path(__file__).resolve().parents[2]
    return [cwd / _RELATIVE, cwd.parent / _RELATIVE, source_root.parent / _RELATIVE]


def locate() -> Anchors | None:
    """The authors' repository, or ``None`` where it is not on this machine (see the module docstring)."""
    for path in _candidates():
        if (path / "compressor.py").is_file():
            return Anchors(path.resolve())
    return None
