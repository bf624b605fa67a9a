r"""The torch backend: recombination and Algorithm 1 on CPU or GPU, and the one place a device is chosen.

The reductions spend their time in two batched kernels: tensor-Chebyshev features of (box-scaled) points,
and Caratheodory elimination on a stack of small matrices (a batched complete QR, then a vectorised
elimination; :func:`~unicomp.numerics.kernel.eliminate`).  Both are written once against the
:class:`~unicomp.numerics.backends.Backend` protocol; :class:`TorchBackend` implements it on tensors, so
the same code runs in float32 or float64, on the CPU or on CUDA (``recombine(..., backend="torch")``,
:func:`compress_torch`).  :func:`resolve_device` is the one place a device is chosen.

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

import contextlib
import math
from types import ModuleType
from typing import Any, TypeAlias

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError
from unicomp.numerics.basis import ChebyshevBasis, multi_indices
from unicomp.numerics.result import Compression

__all__ = ["DeviceLike", "TorchBackend", "basis_features", "chebyshev_features", "compress_torch", "resolve_device"]

#: What a ``device`` argument accepts: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ... or a
#: :class:`torch.device` (resolved by :func:`resolve_device`).
DeviceLike: TypeAlias = str | torch.device


def resolve_device(device: DeviceLike = "auto") -> torch.device:
    """The one place a torch device is chosen: ``"auto"`` -> CUDA when available, else the CPU.

    Anything else is passed to :class:`torch.device`; a CUDA device without CUDA is an
    :class:`~unicomp.errors.InputError`.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InputError(f"device must be 'auto', 'cpu' or 'cuda[:i]', got {device!r}: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {device!r} requested but CUDA is not available")
    return dev


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


def _split_last(m: int, degree: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each exponent of ``multi_indices(m, degree)``: its head's row in ``multi_indices(m - 1, degree)``
    (0 when m = 1) and its last entry."""
    exps = multi_indices(m, degree)
    if m == 1:
        return np.zeros(exps.shape[0], dtype=np.int64), exps[:, 0].copy()
    lookup = {tuple(row): i for i, row in enumerate(multi_indices(m - 1, degree).tolist())}
    return np.array([lookup[tuple(row)] for row in exps[:, :-1].tolist()], dtype=np.int64), exps[:, -1].copy()


def basis_features(basis: ChebyshevBasis, points: torch.Tensor) -> torch.Tensor:
    """Features of ``points`` (Tensor, shape (P, m)) in a :class:`ChebyshevBasis`, on their device/dtype."""
    centre = torch.as_tensor(np.asarray(basis.center, dtype=np.float64), dtype=points.dtype, device=points.device)
    half = torch.as_tensor(np.asarray(basis.half_width, dtype=np.float64), dtype=points.dtype, device=points.device)
    return chebyshev_features((points - centre) / half, basis.degree)


class TorchBackend:
    """The :class:`~unicomp.numerics.backends.Backend` protocol on torch tensors (CPU or CUDA).

    Parameters
    ----------
    device : str or torch.device, optional
        ``None`` or ``"auto"``: CUDA when available, else the CPU (:func:`resolve_device`).
    dtype : torch.dtype
        ``torch.float64`` (default) or ``torch.float32``.
    """

    xp: ModuleType = torch
    digits: int | None = None
    #: As for float64: the result is always verified in float64 against this bound.
    tolerance = 1e-10

    def __init__(self, device: DeviceLike | None = None, dtype: torch.dtype = torch.float64) -> None:
        if dtype not in (torch.float32, torch.float64):
            raise InputError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        self.dtype = dtype
        self.device = resolve_device("auto" if device is None else device)
        self.name = f"torch-{self.device.type}-{str(dtype).removeprefix('torch.')}"
        self.eps = float(torch.finfo(dtype).eps)
        #: About 500 units in the last place of the dtype (1.1e-13 in float64, as for numpy).
        self.pivot_fraction = 1e-13 if dtype == torch.float64 else 500 * self.eps

    def context(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def asarray(self, values: NDArray[Any]) -> torch.Tensor:
        if isinstance(values, torch.Tensor):
            return values.to(self.device, self.dtype)
        return torch.as_tensor(np.ascontiguousarray(values, dtype=np.float64), dtype=self.dtype, device=self.device)

    def to_float(self, values: torch.Tensor) -> NDArray[np.float64]:
        return values.detach().to("cpu", torch.float64).numpy()

    def to_host(self, values: torch.Tensor) -> NDArray[Any]:
        return self.to_float(values)

    def features(self, basis: ChebyshevBasis, points: torch.Tensor) -> torch.Tensor:
        return basis_features(basis, points)

    def group_sums(self, basis: ChebyshevBasis, points: torch.Tensor, weights: torch.Tensor,
                   group_size: int) -> torch.Tensor:
        # As ChebyshevBasis.group_sums: features of the first m-1 coordinates times the Chebyshev table of
        # the last, summed per group by one batched matmul, never the full feature matrix.
        u = (points - self._tensor(basis.center, points)) / self._tensor(basis.half_width, points)
        count, m = u.shape
        last = chebyshev_features(u[:, -1:], basis.degree) * weights[:, None]
        head = torch.ones_like(last[:, :1]) if m == 1 else chebyshev_features(u[:, :-1], basis.degree)
        pad = -count % group_size
        if pad:
            last = torch.cat([last, last.new_zeros((pad, last.shape[1]))])
            head = torch.cat([head, head.new_zeros((pad, head.shape[1]))])
        products = torch.bmm(head.reshape(-1, group_size, head.shape[1]).transpose(1, 2),
                             last.reshape(-1, group_size, last.shape[1]))
        head_idx, last_idx = _split_last(m, basis.degree)
        return products[:, torch.as_tensor(head_idx, device=u.device), torch.as_tensor(last_idx, device=u.device)]

    @staticmethod
    def _tensor(values: NDArray[Any], like: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(np.asarray(values, dtype=np.float64), dtype=like.dtype, device=like.device)

    def null_space(self, matrix: torch.Tensor) -> torch.Tensor:
        rows, cols = matrix.shape
        u, s, _ = torch.linalg.svd(matrix, full_matrices=True)
        # Rank threshold as in numpy.linalg.matrix_rank.
        cutoff = (float(s[0]) if s.numel() else 0.0) * max(rows, cols) * self.eps
        rank = int((s > cutoff).sum())
        return u[:, rank:].clone()

    def null_vectors(self, rows: torch.Tensor, count: int) -> torch.Tensor:
        n = rows.shape[2]
        return torch.linalg.qr(rows, mode="complete").Q[:, :, n : n + count].clone()

    def settle(self, values: torch.Tensor) -> torch.Tensor:
        return values

    def segment_sum(self, values: torch.Tensor, segments: NDArray[np.int64], count: int) -> torch.Tensor:
        out = torch.zeros((count, values.shape[1]), dtype=values.dtype, device=values.device)
        return out.index_add_(0, torch.as_tensor(segments, device=values.device), values)

    def arange(self, count: int) -> torch.Tensor:
        return torch.arange(count, device=self.device)

    def column_sums(self, values: torch.Tensor) -> list[Any]:
        host = self.to_float(values)
        return [math.fsum(host[:, j]) for j in range(host.shape[1])]

    def null_residual_tolerance(self, rows: int) -> float:
        return 1000.0 * rows * self.eps

    def lstsq(self, matrix: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor:
        # The pseudo-inverse (SVD) works on every device and for under- and overdetermined systems.
        return torch.linalg.pinv(matrix) @ rhs

    def residual_bound(self, reference: list[Any], kept: list[Any], mass: Any) -> float | None:
        return None


def compress_torch(
    points: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    degree: int,
    size: int,
    dtype: torch.dtype = torch.float64,
    device: DeviceLike | None = None,
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
    from unicomp.numerics.compress import compress

    return compress(points, weights, degree=degree, size=size, method="partition", seed=seed, progress=progress,
                    tol=tol, backend=TorchBackend(device, dtype))
