r"""The authors' compressor, run side by side in its own Python and cached per cloud.

The authors' ``compressor.py`` (``moment_compression``, found like :func:`unicomp.audit.anchors.locate`) needs
faiss and scikit-learn, so it runs in a subprocess of *their* environment (``--authors-python``, the
environment variable ``UNICOMP_AUTHORS_PYTHON``, default ``../authors-venv/bin/python`` beside the project
root) with single-threaded BLAS; arrays travel through ``.npy`` files in a temporary directory
(:mod:`_authors_child` is the script it runs).  It is never imported into this process.

What it returns: ``Compressor.compress`` ends with ``return self.c_[self.alive], self.w_[self.alive, :]``,
i.e. the weights of the *kept* points and the kept points themselves (rows of the input, copied), the input
weights being all one.  :func:`to_indices` maps the rows back to input positions (exact float equality,
each row must occur exactly once in the input).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unicomp.audit.anchors import locate

ENV_PYTHON = "UNICOMP_AUTHORS_PYTHON"
ROOT = Path(__file__).resolve().parents[1]
CHILD = Path(__file__).resolve().parent / "_authors_child.py"
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class AuthorsRun:
    """One run of the authors' compressor on one cloud.

    Attributes
    ----------
    indices, weights : ndarray
        Kept input positions (sorted) and their weights.
    wall_seconds, cpu_seconds : float
        Time of the ``compress`` call alone, measured inside the child (CPU: the child's process time).
    cached : bool
        Read from the cache (times from the run that wrote it) rather than run now.
    """

    indices: np.ndarray
    weights: np.ndarray
    wall_seconds: float
    cpu_seconds: float
    cached: bool


def find_python(given: str | None) -> Path | None:
    """The authors' interpreter (argument, then environment variable, then the default), if it exists."""
    path = Path(given or os.environ.get(ENV_PYTHON) or ROOT.parent / "authors-venv" / "bin" / "python")
    return path if path.is_file() else None


def find_source() -> Path | None:
    """The directory holding the authors' ``compressor.py``, or ``None``."""
    anchors = locate()
    if anchors is None or not (anchors.root / "compressor.py").is_file():
        return None
    return anchors.root


def to_indices(points: np.ndarray, kept: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Input positions of the kept rows (sorted) and their weights; ``ValueError`` if a row is not unique."""
    position = {row.tobytes(): i for i, row in enumerate(np.ascontiguousarray(points))}
    if len(position) != points.shape[0]:
        raise ValueError("the cloud has duplicated points: kept rows cannot be mapped back")
    idx = np.array([position[row.tobytes()] for row in np.ascontiguousarray(kept, dtype=points.dtype)],
                   dtype=np.int64)
    order = np.argsort(idx)
    if np.unique(idx).size != idx.size:
        raise ValueError("the authors' result repeats a point")
    return idx[order], np.asarray(weights, dtype=np.float64)[order]


def run_authors(python: Path, source: Path, points: np.ndarray, k: int, size: int,
                timeout: float | None = None) -> AuthorsRun:
    """Run ``Compressor(points, random_state=0).compress(k, dstop=size)`` in the authors' Python."""
    with tempfile.TemporaryDirectory(prefix="authors-") as tmp:
        np.save(Path(tmp) / "X.npy", points)
        env = {**os.environ, **SINGLE_THREAD}
        subprocess.run([str(python), str(CHILD), str(source), tmp, str(k), str(size)], env=env, check=True,
                       timeout=timeout, capture_output=True)
        c, kept = np.load(Path(tmp) / "c.npy"), np.load(Path(tmp) / "W.npy")
        times = json.loads((Path(tmp) / "time.json").read_text())
    idx, w = to_indices(points, kept, c)
    return AuthorsRun(idx, w, float(times["wall_seconds"]), float(times["cpu_seconds"]), cached=False)


@dataclass(frozen=True)
class AuthorsCache:
    """Results of the authors' compressor kept as ``.npz`` files, one per (m, kind, seed, d, k, size, hash)."""

    folder: Path

    def path(self, m: int, kind: str, seed: int, d: int, k: int, size: int, digest: str) -> Path:
        """The file of one cloud's result."""
        return self.folder / f"m{m}_{kind}_s{seed}_d{d}_k{k}_n{size}_{digest}.npz"

    def load(self, path: Path) -> AuthorsRun | None:
        """The cached run, or ``None`` if there is none."""
        if not path.is_file():
            return None
        with np.load(path) as z:
            return AuthorsRun(z["indices"], z["weights"], float(z["wall_seconds"]), float(z["cpu_seconds"]),
                              cached=True)

    def save(self, path: Path, run: AuthorsRun) -> None:
        """Store ``run`` (atomically: a partial file is never read back)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{time.monotonic_ns()}.tmp.npz")
        np.savez(tmp, indices=run.indices, weights=run.weights, wall_seconds=run.wall_seconds,
                 cpu_seconds=run.cpu_seconds)
        tmp.replace(path)
