r"""The :class:`Compression` result type that every layer passes on.

A compression of :math:`N` weighted objects :math:`\{(c_i, w_i)\}` never moves an object: it keeps a
subset (``indices`` into the input) with new non-negative weights such that every moment of total degree
at most ``degree`` is reproduced.  It carries the evidence of that -- the verified moment residual in the
stable basis -- together with the basis, the precision and the timings, so nothing downstream has to
recompute it.
"""

from __future__ import annotations

import json
import math
import os
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError
from unicomp.numerics.backends.numpy_backends import MAX_PRECISION
from unicomp.numerics.basis import ChebyshevBasis, num_moments
from unicomp.validation import as_int

__all__ = ["Compression", "atomic_savez", "read_npz"]


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
            **_info_to_arrays(self.info),
        }
        if self.precision is not None and self.weights_mp is None:
            raise InputError(f"a result at precision {self.precision} must carry its exact weights (weights_mp)")
        if self.weights_mp is not None:
            # Exact binary representation: mantissa and exponent.  The mantissa can exceed 64 bits; it is
            # written in hexadecimal, which (unlike decimal) Python converts at any length.
            with mpmath.workdps(self.precision or mpmath.mp.dps):  # mpf() of an mpf is exact at its precision
                man_exp = [mpmath.mpf(w).man_exp for w in self.weights_mp]
            arrays[_MANTISSA_HEX] = np.array([format(int(man), "x") for man, _ in man_exp])
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
        return _from_arrays(read_npz(path), str(path))


_MANTISSA_HEX = "weights_mp_mantissa_hex"
#: Written by earlier versions in decimal (which Python refuses to parse beyond ~4,300 digits).
_MANTISSA_DEC = "weights_mp_mantissa"
_INFO = "info"
_INFO_ARRAY = "info."


def _json_plain(value: Any) -> Any:
    """``json.dumps`` hook: numpy scalars become Python numbers; anything else is refused."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _info_to_arrays(info: Mapping[str, Any]) -> dict[str, Any]:
    """``info`` as file entries: JSON text for plain data, ``info.<key>[.<i>]`` for (lists of) arrays."""
    plain: dict[str, Any] = {}
    arrays: dict[str, Any] = {}
    for key, value in info.items():
        if not (isinstance(key, str) and key.isidentifier()):
            raise InputError(f"info key {key!r} cannot be saved: keys must be Python identifiers")
        if isinstance(value, np.ndarray):
            arrays[f"{_INFO_ARRAY}{key}"] = value
        elif isinstance(value, list | tuple) and value and all(isinstance(v, np.ndarray) for v in value):
            arrays.update((f"{_INFO_ARRAY}{key}.{i}", v) for i, v in enumerate(value))
        else:
            plain[key] = value
    for array_key, value in arrays.items():
        if value.dtype.hasobject:
            raise InputError(f"info entry {array_key[len(_INFO_ARRAY):]!r} holds Python objects and cannot be saved")
    try:
        text = json.dumps(plain, default=_json_plain)
    except (TypeError, ValueError) as exc:
        raise InputError(f"info cannot be saved: {exc} (entries must be arrays or JSON data)") from None
    return {_INFO: np.str_(text), **arrays}


def read_npz(path: str | os.PathLike[str]) -> dict[str, NDArray[Any]]:
    """Read every array of an ``.npz`` archive without unpickling and without trusting its headers.

    Each member's header (shape and dtype) must describe exactly the bytes the member holds, so a header
    declaring a huge shape is rejected before anything is allocated; object arrays are refused; the
    archive's checksums are verified while reading.

    Raises
    ------
    InputError
        If the file is not a well-formed archive of ``.npy`` arrays (a ``.npy`` file, truncated, corrupt,
        duplicate or foreign members, object arrays); the message names the file.
    """
    source = Path(path)
    with source.open("rb") as fh:
        head = fh.read(6)
    if head == b"\x93NUMPY":
        raise InputError(f"{source} is a .npy file (a single array), not an .npz archive of arrays")
    try:
        with zipfile.ZipFile(source) as archive:
            names = [member.filename for member in archive.infolist()]
            if len(set(names)) != len(names):
                raise InputError(f"{source} is corrupt: it lists a member twice")
            size = source.stat().st_size
            return {
                member.filename[: -len(".npy")]: _read_member(archive, member, size, source)
                for member in archive.infolist()
            }
    except InputError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError, RuntimeError,
            struct.error) as exc:
        raise InputError(f"{source} is not a readable .npz archive (truncated or corrupt?): {exc}") from None


#: Deflate cannot expand data by more than 1032:1 (RFC 1951: 258-byte matches coded in 2 bits), so a
#: member declaring more is corrupt or a decompression bomb.
_MAX_DEFLATE_RATIO = 1032


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, size: int, source: Path) -> NDArray[Any]:
    """One member of an ``.npz`` archive, its header checked against its size (see :func:`read_npz`)."""
    name = member.filename
    if not name.endswith(".npy"):
        raise InputError(f"{source}: member {name!r} is not a .npy array")
    ratio = 1 if member.compress_type == zipfile.ZIP_STORED else _MAX_DEFLATE_RATIO
    if member.compress_size > size or member.file_size > ratio * member.compress_size + 64:
        raise InputError(f"{source}: member {name!r} declares more bytes than the file can hold")
    with archive.open(member) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise InputError(f"{source}: member {name!r} has unsupported .npy version {version}")
        if dtype.hasobject:
            raise InputError(f"{source}: member {name!r} holds Python objects (dtype {dtype}); not unpickled")
        nbytes = math.prod(shape) * dtype.itemsize
        if fh.tell() + nbytes != member.file_size:
            raise InputError(
                f"{source}: member {name!r} declares shape {shape} of {dtype} ({nbytes} bytes) but holds "
                f"{member.file_size - fh.tell()} bytes"
            )
        data = fh.read()  # to the end, so that the checksum is verified
    flat = np.frombuffer(data, dtype=dtype) if nbytes else np.empty(0, dtype=dtype)
    return flat.reshape(shape, order="F" if fortran else "C").copy()


def _entry(arrays: Mapping[str, NDArray[Any]], key: str, source: str) -> NDArray[Any]:
    if key not in arrays:
        raise InputError(f"{source}: missing entry {key!r} (not a file written by Compression.save)")
    return arrays[key]


def _scalar(arrays: Mapping[str, NDArray[Any]], key: str, source: str, kind: str) -> Any:
    """The 0-d entry ``key`` whose dtype kind is in ``kind`` ("iu" integer, "f" float, "U" text)."""
    value = _entry(arrays, key, source)
    if value.shape != () or value.dtype.kind not in kind:
        wanted = {"iu": "an integer", "f": "a float", "U": "a string"}[kind]
        raise InputError(f"{source}: {key} must be {wanted} scalar, got dtype {value.dtype} shape {value.shape}")
    return value[()]


def _vector(arrays: Mapping[str, NDArray[Any]], key: str, source: str, kind: str) -> NDArray[Any]:
    value = _entry(arrays, key, source)
    if value.ndim != 1 or value.dtype.kind not in kind:
        wanted = {"iu": "integer", "f": "float", "U": "string"}[kind]
        raise InputError(f"{source}: {key} must be a 1-D {wanted} array, got dtype {value.dtype} shape {value.shape}")
    return value


def _json(arrays: Mapping[str, NDArray[Any]], key: str, source: str) -> dict[str, Any]:
    """A JSON object entry (``{}`` when absent: files of earlier versions)."""
    if key not in arrays:
        return {}
    try:
        value = json.loads(str(_scalar(arrays, key, source, "U")))
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{source}: {key} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InputError(f"{source}: {key} must be a JSON object, got {type(value).__name__}")
    return value


def _load_timings(arrays: Mapping[str, NDArray[Any]], source: str) -> dict[str, float]:
    timings = _json(arrays, "timings", source)
    for stage, seconds in timings.items():
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < math.inf:
            raise InputError(f"{source}: timings[{stage!r}] must be a non-negative number of seconds, got {seconds!r}")
    return {stage: float(seconds) for stage, seconds in timings.items()}


def _load_info(arrays: Mapping[str, NDArray[Any]], source: str) -> dict[str, Any]:
    info: dict[str, Any] = _json(arrays, _INFO, source)
    lists: dict[str, dict[int, NDArray[Any]]] = {}
    for name, value in arrays.items():
        if not name.startswith(_INFO_ARRAY):
            continue
        key, _, position = name[len(_INFO_ARRAY):].partition(".")
        if not key.isidentifier() or (position and not position.isdigit()):
            raise InputError(f"{source}: entry {name!r} is not an info entry written by Compression.save")
        if position:
            lists.setdefault(key, {})[int(position)] = value
        elif key in info:
            raise InputError(f"{source}: info entry {key!r} is stored twice")
        else:
            info[key] = value
    for key, items in lists.items():
        if key in info or sorted(items) != list(range(len(items))):
            raise InputError(f"{source}: the arrays of info entry {key!r} are not numbered 0, 1, ... once")
        info[key] = [items[i] for i in range(len(items))]
    if "target_size" in info:
        as_int(info["target_size"], f"{source}: info['target_size']", minimum=1)
    return info


def _load_weights_mp(
    arrays: Mapping[str, NDArray[Any]], weights: NDArray[np.float64], precision: int | None, source: str
) -> NDArray[Any] | None:
    """The exact weights, checked to round to ``weights``; ``None`` for a float64 result.

    A result with a precision always carries them (so that its moments can be checked at it).
    """
    key = _MANTISSA_DEC if _MANTISSA_DEC in arrays else _MANTISSA_HEX
    if precision is None:
        if key in arrays or "weights_mp_exponent" in arrays:
            raise InputError(f"{source}: exact weights are stored but precision is -1 (float64)")
        return None
    mantissas = _vector(arrays, key, source, "U")
    exponents = _vector(arrays, "weights_mp_exponent", source, "iu")
    if not mantissas.shape == exponents.shape == weights.shape:
        raise InputError(
            f"{source}: {key} {mantissas.shape} and weights_mp_exponent {exponents.shape} must match weights "
            f"{weights.shape}"
        )
    base = 16 if key == _MANTISSA_HEX else 10
    with mpmath.workdps(precision):
        # A mantissa longer than the working precision cannot come from a result at that precision.
        longest = mpmath.mp.prec // (4 if base == 16 else 3) + 2
        if any(len(man) > longest for man in mantissas):
            raise InputError(f"{source}: {key} holds a mantissa longer than precision {precision} allows")
        try:
            exact = np.array(
                [mpmath.mpf((int(man, base), int(exp))) for man, exp in zip(mantissas, exponents, strict=True)],
                dtype=object,
            )
        except ValueError as exc:
            raise InputError(f"{source}: {key} holds a malformed mantissa: {exc}") from None
        rounded = np.array([float(v) for v in exact])
    if not np.all(np.abs(rounded - weights) <= _ROUNDING * np.abs(weights)):
        raise InputError(f"{source}: the exact weights (weights_mp) do not round to the float64 weights")
    return exact


#: float64 weights are the exact weights rounded once (relative error <= 2^-53); 2^-52 allows for a
#: rounding of the exact weights themselves at the working precision as well.
_ROUNDING = 2.0**-52


def _from_arrays(arrays: Mapping[str, NDArray[Any]], source: str) -> Compression:
    """A :class:`Compression` from the entries of a saved file, checked as :meth:`Compression.load` says."""
    degree = as_int(_scalar(arrays, "degree", source, "iu"), f"{source}: degree")
    precision_code = as_int(
        _scalar(arrays, "precision", source, "iu"), f"{source}: precision", minimum=-1, maximum=MAX_PRECISION
    )
    if precision_code == 0:
        raise InputError(f"{source}: precision must be -1 (float64) or a positive number of digits, got 0")
    precision = None if precision_code < 0 else precision_code
    n_input = as_int(_scalar(arrays, "n_input", source, "iu"), f"{source}: n_input", minimum=1)
    tolerance = float(_scalar(arrays, "tolerance", source, "f"))
    residual = float(_scalar(arrays, "residual", source, "f"))
    bound = float(_scalar(arrays, "residual_bound", source, "f")) if "residual_bound" in arrays else math.nan
    if not 0 < tolerance < math.inf:
        raise InputError(f"{source}: tolerance must be finite and positive, got {tolerance}")
    if not 0 <= residual <= tolerance:
        raise InputError(f"{source}: residual {residual} is not within [0, tolerance {tolerance}]")
    if not (math.isnan(bound) or 0 <= bound < math.inf):
        raise InputError(f"{source}: residual_bound must be NaN (none) or finite and non-negative, got {bound}")
    method = str(_scalar(arrays, "method", source, "U"))
    center = _vector(arrays, "basis_center", source, "f").astype(np.float64)
    half = _vector(arrays, "basis_half_width", source, "f").astype(np.float64)
    if center.size == 0 or center.shape != half.shape:
        raise InputError(
            f"{source}: basis_center {center.shape} and basis_half_width {half.shape} must both be (m,), m >= 1"
        )
    if not (np.all(np.isfinite(center)) and np.all(np.isfinite(half)) and np.all(half > 0)):
        raise InputError(f"{source}: the basis box must be finite with positive half-widths")
    indices = _vector(arrays, "indices", source, "iu")
    weights = _vector(arrays, "weights", source, "f").astype(np.float64)
    if indices.size == 0 or weights.shape != indices.shape:
        raise InputError(f"{source}: indices {indices.shape} and weights {weights.shape} must be non-empty and match")
    if indices[0] < 0 or indices[-1] >= n_input or np.any(indices[1:] <= indices[:-1]):
        raise InputError(f"{source}: indices must be strictly increasing integers in [0, n_input={n_input})")
    if not (np.all(np.isfinite(weights)) and np.all(weights > 0)):
        raise InputError(f"{source}: weights must be finite and strictly positive")
    kept = arrays.get("points")
    if kept is not None and (kept.ndim == 0 or kept.shape[0] != indices.size):
        raise InputError(f"{source}: points {kept.shape} must hold one row per kept object ({indices.size})")
    # A fresh result's degree has N_(m,k) within reach of a reduction (see finish.prepare); a larger one
    # would make any check of the moments enumerate an astronomical basis.  (Imported here: finish
    # imports this module.)
    from unicomp.numerics.finish import MAX_EXCESS_MOMENTS

    if num_moments(center.size, degree) > max(n_input, MAX_EXCESS_MOMENTS):
        raise InputError(f"{source}: degree {degree} gives more moments than a reduction of {n_input} objects allows")
    info = _load_info(arrays, source)
    allowed = max(num_moments(center.size, degree), int(info.get("target_size", 0)))
    if indices.size > allowed:
        raise InputError(
            f"{source}: {indices.size} kept objects exceed the allowed {allowed} (N_(m,k) or the target size)"
        )
    return Compression(
        indices=indices.astype(np.int64),
        weights=weights,
        degree=degree,
        residual=residual,
        tolerance=tolerance,
        precision=precision,
        n_input=n_input,
        basis=ChebyshevBasis(degree=degree, center=center, half_width=half),
        method=method,
        timings=_load_timings(arrays, source),
        weights_mp=_load_weights_mp(arrays, weights, precision, source),
        info=info,
        residual_bound=None if math.isnan(bound) else bound,
    )


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
