r"""The :class:`Compression` result type that every layer passes on.

A compression of :math:`N` weighted objects :math:`\{(c_i, w_i)\}` never moves an object: it keeps a
subset (``indices`` into the input) with new non-negative weights such that every moment of total degree
at most ``degree`` is reproduced.  It carries the evidence of that -- the verified moment residual in the
stable basis -- together with the basis, the precision and the timings, so nothing downstream has to
recompute it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError
from unicomp.numerics.basis import ChebyshevBasis, num_moments

__all__ = ["Compression", "atomic_savez"]


@dataclass(frozen=True, eq=False)
class Compression:
    r"""A weighted subset of the input that reproduces its moments up to ``degree``.

    Attributes
    ----------
    indices : ndarray of int64, shape (size,)
        Sorted positions of the kept objects in the input.
    weights : ndarray of float64, shape (size,)
        Their new weights, all positive.  (With ``precision`` set these are the float64 roundings of
        ``weights_mp``.)
    degree : int
        Moments of total degree at most ``degree`` are matched.
    residual : float
        :math:`\max_e |\sum_i c_i \Phi_e(w_i) - \sum_j c'_j \Phi_e(w_j)| / \sum_i c_i` in the Chebyshev
        basis of the input's bounding box (so every :math:`|\Phi_e| \le 1`), the sums accurately rounded;
        measured, never assumed.
    tolerance : float
        The bound the residual was checked against.
    precision : int or None
        Decimal digits of the arbitrary-precision run, or ``None`` for float64.
    n_input : int
        Number of input objects :math:`N`.
    basis : ChebyshevBasis
        The basis the residual was measured in.
    method : str
        Which algorithm produced it (``"recombine"``, ``"greedy"``, ...).
    timings : mapping of str to float
        Wall-clock seconds of the stages.
    weights_mp : ndarray of mpmath.mpf or None
        Full-precision weights when ``precision`` is set.
    info : mapping
        Method-specific diagnostics (cluster diameters, number of rounds, ...).
    residual_bound : float or None
        Certified upper bound of ``residual`` from ball arithmetic (the flint backend); ``None`` when the
        backend cannot certify.
    """

    indices: NDArray[np.int64]
    weights: NDArray[np.float64]
    degree: int
    residual: float
    tolerance: float
    precision: int | None
    n_input: int
    basis: ChebyshevBasis
    method: str
    timings: Mapping[str, float] = field(default_factory=dict)
    weights_mp: NDArray[Any] | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    residual_bound: float | None = None

    @property
    def size(self) -> int:
        """Number of kept objects :math:`d'`."""
        return int(self.indices.shape[0])

    @property
    def dim(self) -> int:
        """Dimension :math:`m` of the objects."""
        return self.basis.dim

    @property
    def num_moments(self) -> int:
        r"""Number of matched moments :math:`N_{m,k}`."""
        return num_moments(self.dim, self.degree)

    @property
    def mass(self) -> float:
        """Total weight of the kept objects (equals the input's total weight up to the residual)."""
        return float(np.sum(self.weights))

    def take(self, objects: ArrayLike) -> NDArray[Any]:
        """The kept objects, ``objects[indices]``, from an array whose first axis has length ``n_input``."""
        arr = np.asarray(objects)
        if arr.ndim == 0 or arr.shape[0] != self.n_input:
            raise InputError(
                f"objects must have {self.n_input} rows (the compressed input's length), got shape {arr.shape}"
            )
        return arr[self.indices]

    def weighted_sum(self, values: ArrayLike) -> NDArray[Any]:
        r"""Estimate :math:`\sum_i c_i v_i` by :math:`\sum_j c'_j v_{i_j}` from per-object ``values``.

        ``values`` has first axis of length ``n_input`` (the value of some function at every original
        object); only the kept rows are read.
        """
        kept = self.take(values)
        return np.tensordot(self.weights, kept.astype(np.float64), axes=(0, 0))

    def summary(self) -> str:
        """One line: sizes, degree, verified residual and total time."""
        total = sum(self.timings.values())
        prec = "float64" if self.precision is None else f"{self.precision} digits"
        certified = "" if self.residual_bound is None else f" (certified <= {self.residual_bound:.3e})"
        return (
            f"{self.method}: {self.n_input} -> {self.size} objects (m={self.dim}, degree {self.degree}, "
            f"N_mk={self.num_moments}), residual {self.residual:.3e}{certified} <= tol {self.tolerance:.1e} "
            f"[{prec}], {total:.3f} s"
        )

    def __repr__(self) -> str:
        return f"<Compression {self.summary()}>"

    def to_dict(self) -> dict[str, Any]:
        """Plain-data view (JSON-serialisable apart from the arrays)."""
        return {
            "method": self.method,
            "n_input": self.n_input,
            "size": self.size,
            "dim": self.dim,
            "degree": self.degree,
            "num_moments": self.num_moments,
            "residual": self.residual,
            "tolerance": self.tolerance,
            "precision": self.precision,
            "residual_bound": self.residual_bound,
            "timings": dict(self.timings),
            "indices": self.indices,
            "weights": self.weights,
        }

    def to_arrays(self, points: ArrayLike | None = None) -> dict[str, Any]:
        """The arrays :meth:`save` writes: indices, weights, the scalars, the basis box, exact
        arbitrary-precision weights if any and, when ``points`` is given, the kept points."""
        arrays: dict[str, Any] = {
            "indices": self.indices,
            "weights": self.weights,
            "degree": np.int64(self.degree),
            "residual": np.float64(self.residual),
            "tolerance": np.float64(self.tolerance),
            "precision": np.int64(-1 if self.precision is None else self.precision),
            "n_input": np.int64(self.n_input),
            "method": np.str_(self.method),
            "basis_center": np.asarray(self.basis.center, dtype=np.float64),
            "basis_half_width": np.asarray(self.basis.half_width, dtype=np.float64),
            # NaN stands for "no certificate" (None) in the file.
            "residual_bound": np.float64(np.nan if self.residual_bound is None else self.residual_bound),
        }
        if self.weights_mp is not None:
            # Exact binary representation: mantissa (as a decimal string, it can exceed 64 bits) and exponent.
            man_exp = [w.man_exp for w in self.weights_mp]
            arrays["weights_mp_mantissa"] = np.array([str(man) for man, _ in man_exp])
            arrays["weights_mp_exponent"] = np.array([exp for _, exp in man_exp], dtype=np.int64)
        if points is not None:
            arrays["points"] = self.take(points)
        return arrays

    def save(self, path: str | os.PathLike[str], points: ArrayLike | None = None) -> Path:
        """Write :meth:`to_arrays` to an ``.npz`` file atomically; returns the path written."""
        return atomic_savez(path, self.to_arrays(points))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Compression:
        """Read a file written by :meth:`save` (timings and info are not stored)."""
        with np.load(path, allow_pickle=False) as data:
            precision = int(data["precision"])
            basis = ChebyshevBasis(
                degree=int(data["degree"]), center=data["basis_center"], half_width=data["basis_half_width"]
            )
            weights_mp = None
            if "weights_mp_mantissa" in data:
                pairs = zip(data["weights_mp_mantissa"], data["weights_mp_exponent"], strict=True)
                with mpmath.workdps(precision):
                    weights_mp = np.array([mpmath.mpf((int(man), int(exp))) for man, exp in pairs], dtype=object)
            return cls(
                indices=data["indices"],
                weights=data["weights"],
                degree=int(data["degree"]),
                residual=float(data["residual"]),
                tolerance=float(data["tolerance"]),
                precision=None if precision < 0 else precision,
                n_input=int(data["n_input"]),
                basis=basis,
                method=str(data["method"]),
                weights_mp=weights_mp,
                residual_bound=_optional_float(data, "residual_bound"),
            )


def _optional_float(data: Mapping[str, Any], key: str) -> float | None:
    """A float stored by :meth:`Compression.to_arrays` where NaN (or a missing key: older files) means None."""
    if key not in data:
        return None
    value = float(data[key])
    return None if np.isnan(value) else value


def atomic_savez(path: str | os.PathLike[str], arrays: Mapping[str, Any]) -> Path:
    """Write ``arrays`` to an ``.npz`` file through a temporary file renamed into place.

    A reader never sees a half-written file, and a failure leaves any previous file untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
