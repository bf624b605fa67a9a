"""Torch backend: features, the batched kernel and recombine agree with numpy; float32 still meets the float64
tolerance; the device is chosen in one place."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unicomp import recombine
from unicomp.errors import InputError
from unicomp.numerics.backends import Float64Backend
from unicomp.numerics.basis import ChebyshevBasis
from unicomp.numerics.compress import compress
from unicomp.numerics.kernel import eliminate
from unicomp.numerics.testfunctions import sigmoid_function
from unicomp.numerics.torch_backend import (
    TorchBackend,
    basis_features,
    chebyshev_features,
    compress_torch,
    resolve_device,
)

from .test_compress import check_algorithm1


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Small batched kernels: torch's thread pool only adds contention on a 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs CUDA")])]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("dtype", "rtol"), [(torch.float64, 1e-12), (torch.float32, 2e-5)])
def test_features_match_numpy(device: str, dtype: torch.dtype, rtol: float) -> None:
    # The recurrence has O(k^2) ulps of error on [-1, 1] (|T_k'| <= k^2 amplifies the input's rounding):
    # k^2 eps = 8e-15 (float64, seen 0) and 4e-6 (float32, seen 4.3e-6), so rtol is ~100x resp. ~5x that;
    # atol the same relative to the features' bound of one (entries near zero have no relative accuracy).
    pts = np.random.default_rng(0).uniform(-3, 5, size=(300, 3))
    basis = ChebyshevBasis.fit(pts, 6)
    got = basis_features(basis, torch.as_tensor(pts, dtype=dtype, device=device)).cpu().double().numpy()
    np.testing.assert_allclose(got, basis(pts), rtol=rtol, atol=rtol)
    u = torch.as_tensor(basis.scale(pts), dtype=dtype, device=device)
    assert chebyshev_features(u, 6).dtype == dtype


@pytest.mark.parametrize("device", DEVICES)
def test_batched_elimination_matches_numpy_in_float64(device: str) -> None:
    rng = np.random.default_rng(1)
    rows = rng.uniform(-1, 1, size=(5, 30, 10))
    rows[:, :, 0] = 1.0
    rows[3, 25:] = 0.0  # padding rows of a shorter problem
    w = rng.uniform(0.5, 2, size=(5, 30))
    w[3, 25:] = 0.0
    removals = np.array([20, 5, 0, 15, 12])
    ref = eliminate(Float64Backend(), rows, w, removals)
    backend = TorchBackend(device, torch.float64)
    got = backend.to_float(eliminate(backend, backend.asarray(rows), backend.asarray(w), removals))
    # Same pivots; weights differ only by the order of floating-point operations (LAPACK vs torch QR).
    # Seen 8e-15 relative; rtol 1e-9 leaves room for the conditioning of the null-space solves (loose), atol
    # for eliminated weights (exact zeros in both).
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
    assert ((ref > 0).sum(axis=1) == np.array([10, 25, 30, 10, 18])).all()
    moments = np.einsum("bmn,bm->bn", rows, ref)
    # moments are sums of 30 terms |row * w| <= 2 (values up to ~40): float64 rounding ~1e-14 (seen 1.4e-14)
    np.testing.assert_allclose(moments, np.einsum("bmn,bm->bn", rows, w), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_compress_torch_gives_a_verified_compression(device: str, dtype: torch.dtype) -> None:
    pts = np.random.default_rng(2).uniform(-1, 1, size=(3000, 3))
    comp = compress_torch(pts, degree=3, size=300, dtype=dtype, device=device)
    check_algorithm1(comp, pts)
    assert comp.size == 300 and comp.info["engine"] == f"torch-{device}-{str(dtype)[6:]}"
    ref = compress(pts, degree=3, size=300)
    f = sigmoid_function(3)
    if dtype == torch.float64:
        # float64: the same kept set as numpy, weights equal up to rounding
        assert np.array_equal(comp.indices, ref.indices)
        # rounding accumulated over ~2700 elimination steps in a different operation order (seen 2e-12)
        np.testing.assert_allclose(comp.weights, ref.weights, rtol=1e-8)
    # Either dtype: the error on the Fig. 2 function is of the same size as numpy's (a different support in
    # float32 changes the degree-4 remainder by O(1) factors, not orders of magnitude).
    # (+1e-15: float64 rounding floor of the error itself, should numpy's error be ~0)
    assert f.error(comp, pts) <= 10 * f.error(ref, pts) + 1e-15


@pytest.mark.parametrize("device", DEVICES)
def test_recombine_on_torch_matches_float64(device: str) -> None:
    pts = np.random.default_rng(4).uniform(-1, 1, size=(40000, 2))  # > chunk_size: the streamed round too
    ref = recombine(pts, degree=6)
    got = recombine(pts, degree=6, backend="torch", device=device)
    assert got.info["engine"] == f"torch-{device}-float64" and got.info["streamed_rounds"] == 1
    # same kernel, same pivot rule, float64 on both: the same support (the pivots are well separated)
    assert np.array_equal(got.indices, ref.indices)
    # verified in float64 like any recombination: 28 moments of 40000 unit-bounded terms, residual ~1e-16
    assert got.residual <= 1e-13 and got.size <= 28
    # rounding in a different operation order (torch vs LAPACK QR); the weights are O(1e3), so 1e-9 relative
    # is ~1e-6 absolute, far below any weight (loose on purpose: conditioning of the barycentre systems)
    np.testing.assert_allclose(got.weights, ref.weights, rtol=1e-9)


def test_bad_dtype_and_device() -> None:
    with pytest.raises(InputError, match="dtype"):
        TorchBackend("cpu", torch.int64)
    with pytest.raises(InputError, match="device must be"):
        resolve_device("tpu:0")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="CUDA is not available"):
            resolve_device("cuda")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert TorchBackend().device == resolve_device("auto")
