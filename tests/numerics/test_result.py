"""The Compression result type: derived attributes, take / weighted_sum, summary, save / load round trip.

Malformed and malicious files are in tests/test_hostile_persistence.py."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import numpy as np
import pytest

from unicomp import Compression, InputError, compress, recombine
from unicomp.numerics.basis import ChebyshevBasis
from unicomp.verify.invariants import check_compression


@pytest.fixture(scope="module")
def points() -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, size=(300, 2))


def test_derived_attributes(points: np.ndarray) -> None:
    comp = recombine(points, degree=3)
    assert comp.dim == 2 and comp.num_moments == 10 and comp.size == comp.indices.shape[0] <= 10
    assert comp.mass == pytest.approx(300.0, rel=1e-12)  # the mass is a moment: kept to the residual (~1e-16)
    np.testing.assert_array_equal(comp.take(points), points[comp.indices])
    values = points[:, 0] ** 2
    # x^2 is a moment of degree 2 <= 3: the weighted sum reproduces it to the residual times the mass
    assert comp.weighted_sum(values) == pytest.approx(values.sum(), rel=1e-12)
    with pytest.raises(InputError, match="300 rows"):
        comp.take(points[:10])


def test_summary_and_dict(points: np.ndarray) -> None:
    comp = recombine(points, degree=2)
    assert comp.summary().startswith("recombine: 300 -> ") and "certified" not in comp.summary()
    data = comp.to_dict()
    assert data["residual_bound"] is None and data["n_input"] == 300 and data["method"] == "recombine"
    certified = Compression(comp.indices, comp.weights, comp.degree, comp.residual, comp.tolerance, None,
                            comp.n_input, comp.basis, "x", residual_bound=2.5e-17)
    assert "certified <= 2.500e-17" in certified.summary()


def test_save_load_round_trip(points: np.ndarray, tmp_path: Path) -> None:
    comp = recombine(points, degree=3, precision=30)
    path = comp.save(tmp_path / "c.npz", points=points)
    back = Compression.load(path)
    np.testing.assert_array_equal(back.indices, comp.indices)
    np.testing.assert_array_equal(back.weights, comp.weights)
    assert back.precision == 30 and back.residual == comp.residual and back.residual_bound == comp.residual_bound
    assert all(a == b for a, b in zip(back.weights_mp, comp.weights_mp, strict=True))  # exact mantissas
    assert isinstance(back.basis, ChebyshevBasis) and back.basis.degree == 3
    with np.load(path) as data:
        np.testing.assert_array_equal(data["points"], points[comp.indices])
    bounded = Compression(comp.indices, comp.weights, 3, comp.residual, comp.tolerance, None, 300, comp.basis,
                          "x", residual_bound=1e-40)
    assert Compression.load(bounded.save(tmp_path / "b.npz")).residual_bound == 1e-40


def test_algorithm1_result_keeps_info_and_timings_and_verifies_after_loading(tmp_path: Path) -> None:
    # Regression: info (with target_size) and timings were not saved, so a loaded --size result failed
    # check_compression with "support 200 exceeds the allowed 10".
    pts = np.random.default_rng(3).uniform(-1, 1, size=(2000, 2))
    comp = compress(pts, degree=3, size=200)
    back = Compression.load(comp.save(tmp_path / "c.npz"))
    check_compression(back, pts)
    assert back.info["target_size"] == 200 and dict(back.timings) == dict(comp.timings)
    assert set(back.info) == set(comp.info)
    for key, value in comp.info.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(back.info[key], value)
        elif isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            assert all(np.array_equal(a, b) for a, b in zip(back.info[key], value, strict=True))
        else:
            assert back.info[key] == value


def test_repr_is_one_short_line_whatever_info_holds() -> None:
    # info of a partition run holds per-cell arrays (cell_of: one entry per input point); repr and
    # summary must not print them.
    pts = np.random.default_rng(4).uniform(-1, 1, size=(20000, 2))
    comp = compress(pts, degree=2, size=500)
    assert comp.info["cell_of"].size == 20000
    assert "\n" not in repr(comp) and len(repr(comp)) < 300 and len(comp.summary()) < 300


def test_save_beyond_pythons_decimal_conversion_limit(tmp_path: Path) -> None:
    # Regression: mantissas were written in decimal, which Python refuses beyond ~4,300 digits.
    pts = np.random.default_rng(5).uniform(-1, 1, size=(20, 1))
    comp = recombine(pts, degree=1, precision=5000)
    assert comp.weights_mp is not None
    back = Compression.load(comp.save(tmp_path / "c.npz"))
    assert back.weights_mp is not None and all(a == b for a, b in zip(back.weights_mp, comp.weights_mp, strict=True))
    check_compression(back, pts)


def test_unsaveable_info_is_named(tmp_path: Path, points: np.ndarray) -> None:
    comp = recombine(points, degree=1)
    with pytest.raises(InputError, match="info cannot be saved"):
        dataclasses.replace(comp, info={"callback": print}).save(tmp_path / "c.npz")
    with pytest.raises(InputError, match="identifiers"):
        dataclasses.replace(comp, info={"a.b": 1}).save(tmp_path / "c.npz")
    assert not (tmp_path / "c.npz").exists()


def test_load_rejects_a_npy_file_and_a_huge_declared_shape(tmp_path: Path, points: np.ndarray) -> None:
    np.save(tmp_path / "a.npy", points)
    with pytest.raises(InputError, match=r"\.npy file"):
        Compression.load(tmp_path / "a.npy")
    # A member whose header declares 10^12 float64 values (8 TB) over a few bytes: rejected from the
    # header, before anything is allocated.
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive, archive.open("indices.npy", "w") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
        fh.write(b"\0" * 16)
    with pytest.raises(InputError, match="declares shape"):
        Compression.load(tmp_path / "huge.npz")


def test_files_of_the_earlier_decimal_format_still_load(tmp_path: Path, points: np.ndarray) -> None:
    comp = recombine(points, degree=2, precision=30)
    arrays = comp.to_arrays()
    hexadecimal = arrays.pop("weights_mp_mantissa_hex")
    arrays["weights_mp_mantissa"] = np.array([str(int(str(man), 16)) for man in hexadecimal])
    np.savez(tmp_path / "old.npz", **arrays)
    back = Compression.load(tmp_path / "old.npz")
    assert back.weights_mp is not None and all(a == b for a, b in zip(back.weights_mp, comp.weights_mp, strict=True))
