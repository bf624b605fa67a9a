r"""The :class:`Compression` result type that every layer passes on.

A compression of :math:`N` weighted objects :math:`\{(c_i, w_i)\}` never moves an object: it keeps a
subset (``indices`` into the input) with new non-negative weights such that every moment of total degree
at most ``degree`` is reproduced.  It carries the evidence of that -- the verified moment residual in the
stable basis -- together with the basis, the precision and the timings, so nothing downstream has to
recompute it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError
from unicomp.numerics.basis import ChebyshevBasis, num_moments
from unicomp.numerics.persistence import MANTISSA_HEX, atomic_savez, compression_fields, info_to_arrays, read_npz

__all__ = ["Compression"]


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
        """The arrays :meth:`save` writes: indices, weights, the scalars, the basis box, the timings and
        ``info``, exact arbitrary-precision weights if any and, when ``points`` is given, the kept points.

        ``timings`` and the scalar and list entries of ``info`` are stored as JSON text; array entries of
        ``info`` as arrays named ``info.<key>`` (a list of arrays as ``info.<key>.<i>``).

        Raises
        ------
        InputError
            If ``precision`` is set without ``weights_mp``, or an ``info`` entry is neither an array, a
            list of arrays nor JSON data (numbers, strings, lists, dictionaries).
        """
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
            "timings": np.str_(json.dumps({str(k): float(v) for k, v in self.timings.items()})),
            **info_to_arrays(self.info),
        }
        if self.precision is not None and self.weights_mp is None:
            raise InputError(f"a result at precision {self.precision} must carry its exact weights (weights_mp)")
        if self.weights_mp is not None:
            # Exact binary representation: mantissa and exponent.  The mantissa can exceed 64 bits; it is
            # written in hexadecimal, which (unlike decimal) Python converts at any length.
            with mpmath.workdps(self.precision or mpmath.mp.dps):  # mpf() of an mpf is exact at its precision
                man_exp = [mpmath.mpf(w).man_exp for w in self.weights_mp]
            arrays[MANTISSA_HEX] = np.array([format(int(man), "x") for man, _ in man_exp])
            arrays["weights_mp_exponent"] = np.array([exp for _, exp in man_exp], dtype=np.int64)
        if points is not None:
            arrays["points"] = self.take(points)
        return arrays

    def save(self, path: str | os.PathLike[str], points: ArrayLike | None = None) -> Path:
        """Write :meth:`to_arrays` to an ``.npz`` file atomically; returns the path written."""
        return atomic_savez(path, self.to_arrays(points))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Compression:
        r"""Read a file written by :meth:`save`, checked like a freshly computed result.

        Nothing is unpickled, and every array's declared size is checked against the bytes the file
        holds before anything is allocated.  The checks are those a fresh result satisfies: sorted unique
        non-negative integer indices below ``n_input``, one finite positive weight each, an integer degree
        :math:`\ge 0`, a residual at most the (finite, positive) tolerance, a support of at most
        :math:`\max(N_{m,k}, \text{target size})`, a box with positive half-widths, and exact weights that
        round to the float64 weights.  (The moments themselves need the input: pass the loaded result and
        the input to :func:`~unicomp.verify.invariants.check_compression`.)  ``info`` comes back as a plain
        dictionary of the saved entries.

        Raises
        ------
        InputError
            If the file is not a readable ``.npz`` archive (truncated, corrupt, a ``.npy`` file), lacks an
            entry, or holds an entry of the wrong type, shape or value; the message names the file and the
            entry.
        FileNotFoundError, IsADirectoryError
            If ``path`` does not name a file.
        """
        return cls(**compression_fields(read_npz(path), str(path)))
