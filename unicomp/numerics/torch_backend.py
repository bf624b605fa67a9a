r"""Torch path of Algorithm 1: feature evaluation and the batched per-cluster reduction on CPU or GPU.

The partition method of :func:`unicomp.numerics.compress.compress` spends its time in two batched kernels:
tensor-Chebyshev features of box-scaled points, and Caratheodory elimination on a stack of small matrices
(a batched complete QR, then a vectorised elimination; :func:`~unicomp.numerics.compress.eliminate_batch`).
Both are written once against an array namespace; :class:`TorchOps` supplies torch for it, so the same code
runs in float32 or float64, on the CPU or on CUDA.

Precision
---------
float64 gives the same supports as numpy up to the order of floating-point operations.  float32 finds the
support (which objects are kept) in single precision; the kept weights are then re-solved against each
cell's moment equations in float64 by iterative refinement, and the global residual is verified in float64
exactly as for numpy, so :func:`compress_torch` returns a :class:`~unicomp.numerics.result.Compression` that
meets the float64 tolerance whatever the working dtype.

Feature evaluation agrees with numpy to a few units in the last place of the dtype: the recurrence
:math:`T_{j+1} = 2uT_j - T_{j-1}` on :math:`[-1, 1]` has error at most :math:`O(j^2)` ulps and the
tensor product adds :math:`m` roundings (tests use ``rtol = 1e-12`` in float64, ``2e-5`` in float32).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError
from unicomp.numerics.backends import Backend, Float64Backend
from unicomp.numerics.basis import ChebyshevBasis, multi_indices
from unicomp.numerics.compress import ArrayOps, run_compress
from unicomp.numerics.result import Compression

__all__ = ["TorchOps", "basis_features", "chebyshev_features", "compress_torch", "default_device"]


def default_device() -> torch.device:
    """CUDA when available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def chebyshev_features(u: torch.Tensor, degree: int) -> torch.Tensor:
    r"""Tensor-Chebyshev features :math:`\prod_a T_{e_a}(u_a)`, :math:`|e| \le k`, of scaled points.

    Parameters
    ----------
    u : Tensor, shape (P, m)
        Points already mapped to the box :math:`[-1, 1]^m`.
    degree : int
        :math:`k`.

    Returns
    -------
    Tensor, shape (P, N_mk)
        Same dtype and device as ``u``; columns in the order of
        :func:`~unicomp.numerics.basis.multi_indices`.

    Examples
    --------
    >>> import torch
    >>> chebyshev_features(torch.tensor([[0.5, -1.0]], dtype=torch.float64), 2).tolist()
    [[1.0, 0.5, -1.0, -0.5, -0.5, 1.0]]
    """
    exps = torch.tensor(np.array(multi_indices(u.shape[1], degree)), device=u.device)
    out: torch.Tensor | None = None
    for a in range(u.shape[1]):
        x = u[:, a]
        cols = [torch.ones_like(x)]
        if degree >= 1:
            cols.append(x)
        for _ in range(2, degree + 1):
            cols.append(2 * x * cols[-1] - cols[-2])
        table = torch.stack(cols, dim=1)[:, exps[:, a]]
        out = table if out is None else out * table
    if out is None:  # pragma: no cover - m >= 1 always
        raise InputError("u must have at least one column")
    return out


def basis_features(basis: ChebyshevBasis, points: torch.Tensor) -> torch.Tensor:
    """Features of ``points`` (Tensor, shape (P, m)) in a :class:`ChebyshevBasis`, on their device/dtype."""
    centre = torch.as_tensor(np.asarray(basis.center, dtype=np.float64), dtype=points.dtype, device=points.device)
    half = torch.as_tensor(np.asarray(basis.half_width, dtype=np.float64), dtype=points.dtype, device=points.device)
    return chebyshev_features((points - centre) / half, basis.degree)


class TorchOps(ArrayOps):
    """The array operations of the batched reduction in torch (see :class:`~unicomp.numerics.compress.ArrayOps`).

    Parameters
    ----------
    dtype : torch.dtype
        ``torch.float32`` or ``torch.float64``.
    device : torch.device or str, optional
        Default: CUDA when available.
    """

    xp: Any = torch

    def __init__(self, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None) -> None:
        if dtype not in (torch.float32, torch.float64):
            raise InputError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        self.dtype = dtype
        self.device = default_device() if device is None else torch.device(device)
        self.name = f"torch-{self.device.type}-{str(dtype).removeprefix('torch.')}"

    def features(self, u: NDArray[np.float64], degree: int) -> Any:
        return chebyshev_features(self.to_engine(u), degree)

    def to_engine(self, values: NDArray[Any]) -> Any:
        return torch.as_tensor(np.ascontiguousarray(values), dtype=self.dtype, device=self.device)

    def to_numpy(self, values: Any) -> NDArray[np.float64]:
        return values.detach().to("cpu", torch.float64).numpy()

    def segment_sum(self, values: Any, segments: NDArray[np.int64], count: int) -> Any:
        out = torch.zeros((count, values.shape[1]), dtype=values.dtype, device=values.device)
        return out.index_add_(0, torch.as_tensor(segments, device=values.device), values)

    def null_vectors(self, rows: Any, count: int) -> Any:
        n = rows.shape[2]
        return torch.linalg.qr(rows, mode="complete").Q[:, :, n : n + count].clone()

    def arange(self, count: int, like: Any) -> Any:
        return torch.arange(count, device=like.device)


def compress_torch(
    points: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    degree: int,
    size: int,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
    seed: int = 0,
    progress: bool = False,
    tol: float | None = None,
) -> Compression:
    r"""The partition method of :func:`~unicomp.numerics.compress.compress` with the batched kernels in torch.

    Parameters
    ----------
    points, weights, degree, size, seed, progress, tol
        As for :func:`~unicomp.numerics.compress.compress`.
    dtype : torch.dtype
        Working dtype of the batched reduction (``torch.float32`` or ``torch.float64``).
    device : torch.device or str, optional
        Default: CUDA when available, else the CPU.

    Returns
    -------
    Compression
        ``method == "partition"``, ``info["engine"]`` names the device and dtype; the global moment residual
        is verified in float64 against the float64 tolerance.

    Examples
    --------
    >>> import numpy as np, torch
    >>> pts = np.random.default_rng(0).uniform(-1, 1, size=(1000, 2))
    >>> comp = compress_torch(pts, degree=3, size=100, dtype=torch.float32, device="cpu")
    >>> comp.size, comp.residual < 1e-12, comp.info["engine"]
    (100, True, 'torch-cpu-float32')
    """
    ops = TorchOps(dtype, device)

    def refine() -> Backend | None:
        return Float64Backend() if dtype == torch.float32 else None

    return run_compress(points, weights, degree=degree, size=size, method="partition", precision=None, seed=seed,
                        progress=progress, tol=tol, ops=ops, refine=refine)
