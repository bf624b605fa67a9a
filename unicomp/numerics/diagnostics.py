r"""Typed records: the settings of Algorithm 1, the working state of a compression, and the diagnostics.

:attr:`Compression.info <unicomp.numerics.result.Compression.info>` holds one of the diagnostics records
below.  Each is a dataclass *and* a read-only mapping of its set fields (``info["rounds"]``,
``"search" in info``, ``info.get(...)``, :meth:`Diagnostics.to_dict`), so code written against the
former free dictionary keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from unicomp.errors import InputError
from unicomp.numerics.backends import Backend
from unicomp.validation import as_positive_int

__all__ = ["CompressInfo", "CompressSettings", "Diagnostics", "RecombineInfo", "ShardedInfo", "State"]


@dataclass(eq=False)
class Diagnostics(Mapping[str, Any]):
    """Base of the diagnostics records: a mapping view of the fields that are set (not ``None``)."""

    def __getitem__(self, key: str) -> Any:
        value = getattr(self, key, None) if key in self._names() else None
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._names() if getattr(self, name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def _names(self) -> list[str]:
        return [f.name for f in fields(self)]

    def to_dict(self) -> dict[str, Any]:
        """The set fields as a plain dictionary."""
        return dict(self.items())

    def __repr__(self) -> str:
        """One short line: arrays and long sequences (per-cell data of a large input) shown by their size."""
        return f"{type(self).__name__}({', '.join(f'{k}={_brief(v)}' for k, v in self.items())})"


def _brief(value: Any) -> str:
    """``repr`` of a diagnostics entry; an array, or a sequence of arrays or of more than 8 items, by its size.

    >>> _brief(np.zeros((3, 2))), _brief(list(range(20))), _brief([1, 2])
    ('<array shape=(3, 2) dtype=float64>', '<list of 20>', '[1, 2]')
    """
    if isinstance(value, np.ndarray):
        return f"<array shape={value.shape} dtype={value.dtype}>"
    if isinstance(value, list | tuple) and (len(value) > 8 or any(isinstance(v, np.ndarray) for v in value)):
        return f"<{type(value).__name__} of {len(value)}>"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(eq=False, repr=False)
class RecombineInfo(Diagnostics):
    """Diagnostics of :func:`~unicomp.numerics.caratheodory.recombine`."""

    #: Streamed first rounds (0 when the input fits in one chunk, else 1).
    streamed_rounds: int
    num_moments: int
    #: The backend that ran the reduction (``"float64"``, ``"torch-cuda-float64"``, ...).
    engine: str


@dataclass(eq=False, repr=False)
class CompressInfo(Diagnostics):
    """Diagnostics of :func:`~unicomp.numerics.compress.compress` (see its Returns section)."""

    num_moments: int
    target_size: int
    engine: str
    rounds: int | None = None
    levels: list[int] | None = None
    fine_rounds: int | None = None
    fine_clusters: list[NDArray[np.int64]] | None = None
    cluster_diameters: NDArray[np.float64] | None = None
    cluster_masses: NDArray[np.float64] | None = None
    cells: int | None = None
    cell_sizes: NDArray[np.int64] | None = None
    cell_targets: NDArray[np.int64] | None = None
    cell_of: NDArray[np.int64] | None = None
    #: Cells and fine clusters whose float64-guided weights could not be refined to the working precision
    #: and were reduced again in it (:func:`~unicomp.numerics.refine.refine_cells`).
    cells_reduced_again: int | None = None
    search: str | None = None
    greedy_steps: int | None = None
    step_diameters: NDArray[np.float64] | None = None
    step_masses: NDArray[np.float64] | None = None
    step_clusters: NDArray[np.int64] | None = None


@dataclass(eq=False, repr=False)
class ShardedInfo(Diagnostics):
    """Diagnostics of :func:`~unicomp.numerics.distributed.compress_sharded`."""

    shards: int
    shard_sizes: list[int]
    #: Survivors of all shards, merged, before the final step.
    survivors: int
    workers: int
    num_moments: int
    target_size: int | None = None


@dataclass(frozen=True)
class CompressSettings:
    r"""Tuning of the partition method (measurements behind each default: benchmarks/results/compress_tuning.md).

    Attributes
    ----------
    round_factor : float
        Each coarse round keeps this fraction of the active objects, in (0, 1).
    fine_from : float
        The coarse rounds stop at this multiple of the target (> 1) and the fine phase starts.  Default 3:
        the last steps carry most of the error (their clusters are the widest), and the fine phase's round
        clusters give them less error than coarse cells (issue 11: 2 -> 3 took the lab's typical error from
        0.51-1.30x to 0.46-0.88x the authors' compressor's at m = 3, for about 1.2x the time;
        ``benchmarks/results/compress_tuning.md``).
    fine_spare, fine_spare_div : int
        A fine cluster is a point with its :math:`N + s` nearest active neighbours,
        :math:`s = \max(\text{fine\_spare}, N / \text{fine\_spare\_div})`, reduced by :math:`s` objects.
        The defaults give :math:`s = \max(1, \lfloor N/8 \rfloor)`: a cluster :math:`(N+s)/(N+1)` times
        the greedy one, so its radius at most :math:`1.12^{1/m}` times larger, at every :math:`m` and
        :math:`k` (a fixed floor of 8 made it :math:`29/22` at :math:`m = 2, k = 5`).
    fine_share : float
        At most this share of ``active / (N + s)`` clusters per fine round, in (0, 1].
    neighbour_factor : int
        Neighbour lists hold this many times :math:`N + s` candidates.
    requery : float
        Neighbour lists are recomputed when fewer than this share of rows still hold enough, in (0, 1).
    refine_sweeps : int
        Iterative refinement of a cell's weights stops after this many sweeps (or when the residual stops
        halving).
    """

    round_factor: float = 0.5
    fine_from: float = 3.0
    fine_spare: int = 1
    fine_spare_div: int = 8
    fine_share: float = 0.5
    neighbour_factor: int = 2
    requery: float = 0.3
    refine_sweeps: int = 40

    def __post_init__(self) -> None:
        checks = {
            "round_factor": 0 < self.round_factor < 1,
            "fine_from": self.fine_from > 1,
            "fine_share": 0 < self.fine_share <= 1,
            "requery": 0 < self.requery < 1,
        }
        for name, ok in checks.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not ok:
                raise InputError(f"CompressSettings.{name} is out of range, got {value!r}")
        for name in ("fine_spare", "fine_spare_div", "neighbour_factor", "refine_sweeps"):
            as_positive_int(getattr(self, name), f"CompressSettings.{name}")


@dataclass
class State:
    """Working state of one compression: the positive-weight input, its current weights, diagnostics.

    ``weights`` and ``input_weights`` are in ``backend``'s number type (float64, or arbitrary precision),
    scaled by :math:`2^{-e}` (see :mod:`unicomp.numerics.finish`).
    """

    points: NDArray[np.float64]
    weights: NDArray[Any]
    input_weights: NDArray[Any]
    backend: Backend
    degree: int
    n: int
    info: CompressInfo
    settings: CompressSettings
    timings: dict[str, float] = field(default_factory=dict)

    def positive(self, values: NDArray[Any] | None = None) -> NDArray[np.bool_]:
        """Which of ``values`` (default the current weights) are positive, as a boolean array."""
        return np.asarray((self.weights if values is None else values) > 0, dtype=bool)
