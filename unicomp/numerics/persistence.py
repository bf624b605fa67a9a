r"""Saving and loading compressions: ``.npz`` files written atomically and read without trusting them.

:meth:`Compression.save <unicomp.numerics.result.Compression.save>` writes the arrays of
:meth:`~unicomp.numerics.result.Compression.to_arrays` with :func:`atomic_savez`;
:meth:`~unicomp.numerics.result.Compression.load` reads them with :func:`read_npz` (nothing unpickled, every
declared size checked against the bytes the file holds before anything is allocated) and checks every field
with :func:`compression_fields` as a fresh result would satisfy it.
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
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
from numpy.typing import NDArray

from unicomp.errors import InputError
from unicomp.numerics.backends.numpy_backends import MAX_PRECISION
from unicomp.numerics.basis import ChebyshevBasis, num_moments
from unicomp.validation import as_int

__all__ = ["MANTISSA_HEX", "atomic_savez", "compression_fields", "info_to_arrays", "read_npz"]

MANTISSA_HEX = "weights_mp_mantissa_hex"
#: Written by earlier versions in decimal (which Python refuses to parse beyond ~4,300 digits).
_MANTISSA_DEC = "weights_mp_mantissa"
_INFO = "info"
_INFO_ARRAY = "info."


def _json_plain(value: Any) -> Any:
    """``json.dumps`` hook: numpy scalars become Python numbers; anything else is refused."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def info_to_arrays(info: Mapping[str, Any]) -> dict[str, Any]:
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
    key = _MANTISSA_DEC if _MANTISSA_DEC in arrays else MANTISSA_HEX
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
    base = 16 if key == MANTISSA_HEX else 10
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


def compression_fields(arrays: Mapping[str, NDArray[Any]], source: str) -> dict[str, Any]:
    """The fields of a :class:`~unicomp.numerics.result.Compression` from the entries of a saved file,
    checked as :meth:`Compression.load <unicomp.numerics.result.Compression.load>` says."""
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
    # imports the result type, which imports this module.)
    from unicomp.numerics.finish import MAX_EXCESS_MOMENTS

    if num_moments(center.size, degree) > max(n_input, MAX_EXCESS_MOMENTS):
        raise InputError(f"{source}: degree {degree} gives more moments than a reduction of {n_input} objects allows")
    info = _load_info(arrays, source)
    allowed = max(num_moments(center.size, degree), int(info.get("target_size", 0)))
    if indices.size > allowed:
        raise InputError(
            f"{source}: {indices.size} kept objects exceed the allowed {allowed} (N_(m,k) or the target size)"
        )
    return dict(
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
