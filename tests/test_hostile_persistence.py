"""Hostile input for Compression.save / Compression.load and check_compression, generated systematically.

Three genuine results (float64 recombine, a compression to a target size whose ``info`` holds arrays and
lists of arrays, a 25-digit recombine with exact weights) are saved; then every entry of each file is
removed, or replaced by a wrong dtype, a wrong shape or a wrong value; each file is truncated at many
offsets and has single bits flipped; foreign and malicious files (a ``.npy``, pickles, headers declaring
huge shapes, decompression bombs, duplicate members) are offered; check_compression is called with
wrong types and tampered fields.

Every case ends in one of: ``Compression.load`` raises :class:`InputError` naming the file; the loaded
result fails :func:`check_compression` with :class:`InvariantViolation`; or it passes it against the
input it was made from.  The cases the issue lists as "loading trusts the file" must be rejected by
``load`` itself.  Loading never changes the file or mpmath's precision and gives bitwise-equal results
twice.  Case count: about 1,200 (printed by ``pytest --collect-only -q tests/test_hostile_persistence.py``).
"""

from __future__ import annotations

import dataclasses
import io
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

from unicomp import Compression, InputError, compress, recombine
from unicomp.errors import InvariantViolation
from unicomp.verify.invariants import check_compression

_RNG = np.random.default_rng(12)
PTS = _RNG.uniform(-1, 1, size=(200, 2))
W = _RNG.uniform(0.5, 2.0, size=200)
PTS_MP = PTS[:40]

#: name -> (result, its input points, its input weights)
BASES: dict[str, tuple[Compression, np.ndarray, np.ndarray | None]] = {
    "recombine": (recombine(PTS, W, degree=3), PTS, W),
    "target": (compress(PTS, W, degree=2, size=40), PTS, W),
    "mp": (recombine(PTS_MP, degree=2, precision=25), PTS_MP, None),
}
ARRAYS = {name: comp.to_arrays(pts) for name, (comp, pts, _) in BASES.items()}

Arrays = dict[str, Any]


def _write(path: Path, arrays: Arrays) -> Path:
    np.savez(path, **arrays)
    return path


def _bitwise(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _same(a: Compression, b: Compression) -> bool:
    """Bitwise-equal results (arrays, scalars, exact weights)."""
    scalars = ("degree", "residual", "tolerance", "precision", "n_input", "method", "residual_bound")
    exact_a = [] if a.weights_mp is None else list(a.weights_mp)
    exact_b = [] if b.weights_mp is None else list(b.weights_mp)
    return (
        all(getattr(a, s) == getattr(b, s) for s in scalars)
        and np.array_equal(a.indices, b.indices)
        and a.indices.dtype == b.indices.dtype
        and np.array_equal(a.weights, b.weights)
        and np.array_equal(a.basis.center, b.basis.center)
        and np.array_equal(a.basis.half_width, b.basis.half_width)
        and exact_a == exact_b
        and dict(a.timings) == dict(b.timings)
    )


def _outcome(path: Path, base: str) -> str:
    """Load ``path`` and check the result against base's input; returns "rejected", "violation" or "ok".

    Any other exception fails the test, as do a changed file, a changed mpmath precision, a message that
    does not name the file, or two loads that differ.
    """
    _, pts, w = BASES[base]
    before = path.read_bytes()
    dps = mpmath.mp.dps
    try:
        loaded = Compression.load(path)
    except InputError as exc:
        assert str(path) in str(exc), str(exc)
        outcome = "rejected"
    else:
        assert _same(loaded, Compression.load(path))
        try:
            report = check_compression(loaded, pts, w)
        except InvariantViolation:
            outcome = "violation"
        else:
            assert check_compression(loaded, pts, w) == report  # the same call twice: the same measurement
            outcome = "ok"
    assert path.read_bytes() == before and mpmath.mp.dps == dps
    return outcome


# ---------------------------------------------------------------------------------------------- entries
# Each mutation maps an entry's value to a replacement, or None where it does not apply.
def _as(dtype: Any) -> Callable[[np.ndarray], Any]:
    def mutate(value: np.ndarray) -> Any:
        value = np.asarray(value)
        if value.dtype == dtype:
            return None
        try:
            with np.errstate(invalid="ignore", over="ignore"):  # NaN to integers: any value will do
                return value.astype(dtype)
        except (TypeError, ValueError):
            return np.full(value.shape, 1, dtype=dtype)

    return mutate


def _fill(number: float) -> Callable[[np.ndarray], Any]:
    def mutate(value: np.ndarray) -> Any:
        value = np.asarray(value)
        if value.dtype.kind not in "iuf" or value.size == 0:
            return None
        if value.dtype.kind in "iu" and not np.isfinite(number):
            return None
        integral = abs(number) < 2**63 and number == int(number)
        out = value.astype(value.dtype if value.dtype.kind in "iu" and integral else np.float64, copy=True)
        out.flat[-1] = number
        return out

    return mutate


MUTATIONS: dict[str, Callable[[np.ndarray], Any]] = {
    "float64": _as(np.float64),
    "int64": _as(np.int64),
    "uint8": _as(np.uint8),
    "bool": _as(np.bool_),
    "complex": _as(np.complex128),
    "text": _as(np.str_),
    "object": lambda v: np.array([np.asarray(v).tolist(), None], dtype=object),
    "scalar-to-vector": lambda v: np.stack([np.asarray(v)] * 2) if np.ndim(v) == 0 else None,
    "vector-to-scalar": lambda v: np.asarray(v)[0] if np.ndim(v) == 1 and np.size(v) else None,
    "2-D": lambda v: np.asarray(v).reshape(1, -1) if np.ndim(v) == 1 else None,
    "empty": lambda v: np.asarray(v)[:0] if np.ndim(v) == 1 else None,
    "longer": lambda v: np.r_[v, np.asarray(v)[-1:]] if np.ndim(v) == 1 and np.size(v) else None,
    "nan": _fill(float("nan")),
    "inf": _fill(float("inf")),
    "-inf": _fill(-float("inf")),
    "negative": _fill(-1.0),
    "zero": _fill(0.0),
    "fraction": _fill(2.7),
    "huge": _fill(1e300),
    "int-max": _fill(float(2**62)),
    "reversed": lambda v: np.asarray(v)[::-1].copy() if np.ndim(v) == 1 and np.size(v) > 1 else None,
    "negated": lambda v: -np.asarray(v) if np.asarray(v).dtype.kind in "if" else None,
    "tiny": lambda v: np.asarray(v) * 1e-300 if np.asarray(v).dtype.kind == "f" else None,
}

ENTRY_CASES = [
    pytest.param(base, key, name, id=f"{base}-{key}-{name}")
    for base, arrays in ARRAYS.items()
    for key in sorted(arrays)
    for name, mutate in MUTATIONS.items()
    if mutate(arrays[key]) is not None
]


@pytest.mark.parametrize(("base", "key", "mutation"), ENTRY_CASES)
def test_replaced_entry(tmp_path: Path, base: str, key: str, mutation: str) -> None:
    arrays = dict(ARRAYS[base])
    original = {k: np.array(v, copy=True) for k, v in arrays.items()}
    arrays[key] = MUTATIONS[mutation](arrays[key])
    _outcome(_write(tmp_path / "c.npz", arrays), base)
    assert all(_bitwise(ARRAYS[base][k], v) for k, v in original.items())  # mutations copy


#: Entries without which a file cannot be a result; the rest (residual_bound, timings, info, points) are
#: optional (files of earlier versions lack them).
REQUIRED = {"indices", "weights", "degree", "residual", "tolerance", "precision", "n_input", "method",
            "basis_center", "basis_half_width", "weights_mp_exponent", "weights_mp_mantissa_hex"}


@pytest.mark.parametrize(("base", "key"), [(b, k) for b, a in ARRAYS.items() for k in sorted(a)])
def test_removed_entry(tmp_path: Path, base: str, key: str) -> None:
    arrays = {k: v for k, v in ARRAYS[base].items() if k != key}
    outcome = _outcome(_write(tmp_path / "c.npz", arrays), base)
    comp = BASES[base][0]
    name, _, position = key.rpartition(".")
    listed = name.startswith("info.") and position.isdigit()
    if key in REQUIRED or (key == "info" and comp.size > comp.num_moments):
        assert outcome == "rejected"  # (without the target size, the support exceeds N_(m,k))
    elif listed and int(position) < len(comp.info[name[len("info."):]]) - 1:
        assert outcome == "rejected"  # a gap in a list of arrays
    else:
        assert outcome == "ok"


def _tamper(base: str, **entries: Any) -> Arrays:
    return {**ARRAYS[base], **entries}


#: The issue's "loading trusts the file" list, each on every base: load itself must reject it.
def _trusting(base: str) -> dict[str, Arrays]:
    comp = BASES[base][0]
    idx, w = comp.indices, comp.weights
    cases = {
        "negative-index": _tamper(base, indices=np.r_[-1, idx[1:]]),
        "unsorted-indices": _tamper(base, indices=idx[::-1].copy()),
        "duplicate-index": _tamper(base, indices=np.r_[idx[:1], idx[:-1]]),
        "index-beyond-n_input": _tamper(base, indices=np.r_[idx[:-1], comp.n_input]),
        "float-indices": _tamper(base, indices=idx.astype(np.float64)),
        "negative-weight": _tamper(base, weights=np.r_[-w[0], w[1:]]),
        "nan-weight": _tamper(base, weights=np.r_[np.nan, w[1:]]),
        "zero-weight": _tamper(base, weights=np.r_[0.0, w[1:]]),
        "short-weights": _tamper(base, weights=w[:-1]),
        "degree-minus-one": _tamper(base, degree=np.int64(-1)),
        "degree-2.7": _tamper(base, degree=np.float64(2.7)),
        "residual-above-tolerance": _tamper(base, residual=np.float64(2 * comp.tolerance)),
        "nan-residual": _tamper(base, residual=np.float64(np.nan)),
        "negative-tolerance": _tamper(base, tolerance=np.float64(-1.0)),
        "zero-half-width": _tamper(base, basis_half_width=np.zeros(comp.dim)),
        "box-dimension-mismatch": _tamper(base, basis_center=np.zeros(comp.dim + 1)),
        "precision-zero": _tamper(base, precision=np.int64(0)),
        "support-above-bound": _tamper(base, degree=np.int64(0), info=np.str_('{"target_size": 1}')),
        "degree-beyond-any-reduction": _tamper(base, degree=np.int64(2**40)),
        "precision-beyond-limit": _tamper(base, precision=np.int64(10**9)),
        "target-size-text": _tamper(base, info=np.str_('{"target_size": "all"}')),
        "info-not-an-object": _tamper(base, info=np.str_("[1, 2]")),
        "info-bad-json": _tamper(base, info=np.str_("{")),
        "info-deep-json": _tamper(base, info=np.str_("[" * 100_000)),
        "timings-negative": _tamper(base, timings=np.str_('{"reduce": -1}')),
        "timings-text": _tamper(base, timings=np.str_('{"reduce": "slow"}')),
        "info-array-bad-name": _tamper(base, **{"info.a-b": np.zeros(2)}),
        "info-list-gap": _tamper(base, **{"info.x.0": np.zeros(2), "info.x.2": np.zeros(2)}),
        "points-wrong-rows": _tamper(base, points=ARRAYS[base]["points"][:-1]),
        "points-scalar": _tamper(base, points=np.float64(1.0)),
    }
    if comp.weights_mp is not None:
        man = ARRAYS[base]["weights_mp_mantissa_hex"]
        exp = ARRAYS[base]["weights_mp_exponent"]
        cases |= {
            "weights_mp-disagree": _tamper(base, weights_mp_exponent=exp + 1),
            "weights_mp-short": _tamper(base, weights_mp_mantissa_hex=man[:-1]),
            "weights_mp-not-hex": _tamper(base, weights_mp_mantissa_hex=np.array(["zz"] * man.size)),
            "weights_mp-too-long": _tamper(base, weights_mp_mantissa_hex=np.array(["f" * 10_000] * man.size)),
            "weights_mp-without-precision": _tamper(base, precision=np.int64(-1)),
        }
    else:
        cases["precision-without-weights_mp"] = _tamper(
            base, weights_mp_mantissa_hex=np.array(["1"] * comp.size), weights_mp_exponent=np.zeros(comp.size, int)
        )
    return cases


TRUSTING = [pytest.param(b, c, id=f"{b}-{c}") for b in BASES for c in _trusting(b)]


@pytest.mark.parametrize(("base", "case"), TRUSTING)
def test_load_rejects_what_a_fresh_result_never_is(tmp_path: Path, base: str, case: str) -> None:
    assert _outcome(_write(tmp_path / "c.npz", _trusting(base)[case]), base) == "rejected"


# ---------------------------------------------------------------------------------------- raw bytes
FILES = {name: io.BytesIO() for name in BASES}
for _name, _buffer in FILES.items():
    np.savez(_buffer, **ARRAYS[_name])
BYTES = {name: buffer.getvalue() for name, buffer in FILES.items()}


@pytest.mark.parametrize(("base", "fraction"), [(b, f / 40) for b in BASES for f in range(40)])
def test_truncated_file(tmp_path: Path, base: str, fraction: float) -> None:
    data = BYTES[base]
    path = tmp_path / "c.npz"
    path.write_bytes(data[: int(fraction * len(data))])
    assert _outcome(path, base) == "rejected"


def _flips(base: str, count: int) -> list[int]:
    """Bit positions: the first and last 64 bytes (zip headers), the rest spread evenly with a seed."""
    bits = len(BYTES[base]) * 8
    rng = np.random.default_rng(len(base))
    return sorted({*range(0, 512, 37), *range(bits - 512, bits, 41), *rng.integers(0, bits, count).tolist()})


@pytest.mark.parametrize(("base", "bit"), [(b, bit) for b in BASES for bit in _flips(b, 80)])
def test_flipped_bit(tmp_path: Path, base: str, bit: int) -> None:
    data = bytearray(BYTES[base])
    data[bit // 8] ^= 1 << (bit % 8)
    path = tmp_path / "c.npz"
    path.write_bytes(bytes(data))
    outcome = _outcome(path, base)
    # Zip checksums cover every array's bytes; a flip they do not see (a timestamp, a flag) must leave
    # the result exactly as saved.
    if outcome != "rejected":
        assert _same(Compression.load(path), BASES[base][0])


def _member(name: str, header: dict[str, Any], payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, archive.open(f"{name}.npy", "w") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(payload)
    return buffer.getvalue()


def _npz_with(base: str, **extra_members: bytes) -> bytes:
    """A genuine file plus raw members (bytes of a .npy) under the given names."""
    buffer = io.BytesIO(BYTES[base])
    with zipfile.ZipFile(buffer, "a") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate name we mean to write
        for name, raw in extra_members.items():
            archive.writestr(f"{name}.npy", raw)
    return buffer.getvalue()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("indices.npy", _npy(np.zeros(50_000_000, dtype=np.uint8)))  # 50 MB from ~50 kB
    return buffer.getvalue()


def _compressed(base: str) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **ARRAYS[base])
    return buffer.getvalue()


def _version3(base: str) -> bytes:
    raw = bytearray(_npy(BASES[base][0].indices))
    raw[6] = 3  # .npy format version 3.0 header (utf-8): never written by save
    return _npz_with(base, indices=bytes(raw))


HUGE = {"descr": "<f8", "fortran_order": False}
MALICIOUS: dict[str, Callable[[str], bytes]] = {
    "empty-file": lambda b: b"",
    "text-file": lambda b: b"indices,weights\n0,1.0\n",
    "random-bytes": lambda b: np.random.default_rng(0).bytes(4096),
    "npy-instead-of-npz": lambda b: _npy(BASES[b][0].indices),
    "npy-pickle": lambda b: _npy(np.array([{"a": 1}], dtype=object)),
    "huge-shape": lambda b: _member("indices", {**HUGE, "shape": (10**12,)}, b"\0" * 64),
    "huge-2d-shape": lambda b: _member("indices", {**HUGE, "shape": (2**62, 2**62)}, b"\0" * 64),
    "negative-shape": lambda b: _member("indices", {**HUGE, "shape": (-8,)}, b"\0" * 64),
    "short-payload": lambda b: _member("indices", {**HUGE, "shape": (100,)}, b"\0" * 64),
    "long-payload": lambda b: _member("indices", {**HUGE, "shape": (1,)}, b"\0" * 64),
    "object-member": lambda b: _member("indices", {"descr": "|O", "fortran_order": False, "shape": (1,)}, b"x"),
    "pickled-member": lambda b: _npz_with(b, extra=_npy(np.array([print], dtype=object))),
    "zero-itemsize": lambda b: _npz_with(b, extra=_npy(np.zeros(3, dtype="V0"))),
    "foreign-member": lambda b: _npz_with(b, **{"notes.txt\0": b"hello"}),
    "duplicate-member": lambda b: _npz_with(b, indices=_npy(BASES[b][0].indices[::-1].copy())),
    "version-3-header": _version3,
    "decompression-bomb": lambda b: _bomb(),
    "deflated-genuine": _compressed,
}


@pytest.mark.parametrize(("base", "case"), [(b, c) for b in BASES for c in MALICIOUS])
def test_foreign_and_malicious_files(tmp_path: Path, base: str, case: str) -> None:
    path = tmp_path / "c.npz"
    path.write_bytes(MALICIOUS[case](base))
    outcome = _outcome(path, base)
    assert outcome == ("ok" if case == "deflated-genuine" else "rejected")


def test_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Compression.load(tmp_path / "missing.npz")
    with pytest.raises(IsADirectoryError):
        Compression.load(tmp_path)


# -------------------------------------------------------------------------------------------- saving
UNSAVEABLE_INFO: dict[str, dict[Any, Any]] = {
    "function": {"callback": print},
    "set": {"cells": {1, 2}},
    "object-array": {"x": np.array([None, 1], dtype=object)},
    "list-with-object-array": {"x": [np.array([None], dtype=object)]},
    "bytes": {"raw": b"\x00"},
    "int-key": {1: 2},
    "dotted-key": {"a.b": 1},
    "empty-key": {"": 1},
}


@pytest.mark.parametrize(("base", "case"), [(b, c) for b in BASES for c in UNSAVEABLE_INFO])
def test_unsaveable_info_is_refused_before_writing(tmp_path: Path, base: str, case: str) -> None:
    comp = dataclasses.replace(BASES[base][0], info=UNSAVEABLE_INFO[case])
    with pytest.raises(InputError, match="info"):
        comp.save(tmp_path / "c.npz")
    assert list(tmp_path.iterdir()) == []


SAVEABLE_INFO: dict[str, dict[str, Any]] = {
    "empty": {},
    "numpy-scalars": {"target_size": np.int64(100), "ratio": np.float32(0.5), "flag": np.bool_(True)},
    "nested": {"levels": [1, [2, 3]], "search": {"steps": 3, "name": "binary"}},
    "empty-list": {"fine_clusters": []},
    "arrays": {"cell_of": np.arange(5), "masks": [np.ones(2, bool), np.zeros((2, 3))]},
    "nan": {"diameter": float("nan")},
    "unicode": {"engine": "cpu-\u00e9\u4e2d"},
}


@pytest.mark.parametrize(("base", "case"), [(b, c) for b in BASES for c in SAVEABLE_INFO])
def test_saveable_info_round_trips(tmp_path: Path, base: str, case: str) -> None:
    comp, pts, w = BASES[base]
    info = {**SAVEABLE_INFO[case], "target_size": max(comp.size, int(comp.info.get("target_size", 1)))}
    back = Compression.load(dataclasses.replace(comp, info=info).save(tmp_path / "c.npz"))
    check_compression(back, pts, w)
    expected = {k: v.item() if isinstance(v, np.generic) else v for k, v in info.items()}
    for key, value in expected.items():
        if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            assert all(np.array_equal(a, b) for a, b in zip(back.info[key], value, strict=True))
        elif isinstance(value, np.ndarray):
            assert np.array_equal(back.info[key], value) and back.info[key].dtype == value.dtype
        elif isinstance(value, float) and np.isnan(value):
            assert np.isnan(back.info[key])
        else:
            assert back.info[key] == value
    assert set(back.info) == set(expected)


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("points", ["short", "none", "list", "transposed"])
def test_save_with_points(tmp_path: Path, base: str, points: str) -> None:
    comp, pts, _ = BASES[base]
    given = {"short": pts[:-1], "none": None, "list": pts.tolist(), "transposed": pts.T}[points]
    if points in ("short", "transposed"):
        with pytest.raises(InputError, match="rows"):
            comp.save(tmp_path / "c.npz", points=given)
        return
    path = comp.save(tmp_path / "c.npz", points=given)
    assert _same(Compression.load(path), comp)
    with np.load(path, allow_pickle=False) as data:
        assert ("points" in data.files) == (given is not None)


# ---------------------------------------------------------------------------------- check_compression
NOT_COMPRESSIONS = [None, "c.npz", b"c.npz", 0, 1.5, [], {}, {"indices": [0]}, np.arange(3), Path("c.npz"),
                    BASES["recombine"][0].basis, ARRAYS["recombine"], object(), type]


@pytest.mark.parametrize("value", NOT_COMPRESSIONS, ids=lambda v: type(v).__name__)
def test_check_compression_refuses_other_objects(value: Any) -> None:
    with pytest.raises(TypeError, match="compression must be a Compression"):
        check_compression(value, PTS, W)


BAD_TOLS = [-1.0, -0.0, 0.0, float("nan"), float("inf"), -float("inf"), True, False, "1e-10", 1e-10j,
            [1e-10], np.array([1e-10]), np.float64("nan"), np.int64(-1), 10**400]


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("tol", BAD_TOLS, ids=lambda v: repr(v)[:20])
def test_check_compression_bad_tol(base: str, tol: Any) -> None:
    comp, pts, w = BASES[base]
    with pytest.raises(InputError, match="tol"):
        check_compression(comp, pts, w, tol=tol)


FIELDS = ["indices", "weights", "degree", "residual", "tolerance", "precision", "n_input", "weights_mp"]


def _replacement(base: str, name: str, mutation: str) -> Any:
    """Field ``name`` of base's result after ``mutation`` (a Python scalar for scalar fields), or None."""
    value = getattr(BASES[base][0], name)
    if value is None:
        return None
    replacement = MUTATIONS[mutation](np.asarray(value))
    if replacement is not None and np.ndim(replacement) == 0 and name not in ("indices", "weights"):
        return np.asarray(replacement).item()
    return replacement


FIELD_CASES = [
    pytest.param(b, f, m, id=f"{b}-{f}-{m}")
    for b in BASES
    for f in FIELDS
    for m in MUTATIONS
    if _replacement(b, f, m) is not None
]


@pytest.mark.parametrize(("base", "name", "mutation"), FIELD_CASES)
def test_check_compression_tampered_field(base: str, name: str, mutation: str) -> None:
    """A field replaced by a wrong value gives InvariantViolation (or passes if still correct), never a crash."""
    comp, pts, w = BASES[base]
    replacement = _replacement(base, name, mutation)
    dps = mpmath.mp.dps
    inputs = (pts.copy(), None if w is None else w.copy())
    try:
        check_compression(dataclasses.replace(comp, **{name: replacement}), pts, w)
    except InvariantViolation:
        pass
    assert mpmath.mp.dps == dps
    assert np.array_equal(pts, inputs[0]) and (w is None or np.array_equal(w, inputs[1]))  # never mutated
