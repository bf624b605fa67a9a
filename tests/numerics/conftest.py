"""The one parametrised fixture that runs a test on every backend (as POT does for its backends)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from unicomp.numerics.backends import Backend, get_backend

HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_FLINT = importlib.util.find_spec("flint") is not None


def _cuda() -> bool:
    if not HAS_TORCH:
        return False
    import torch

    return bool(torch.cuda.is_available())


BACKENDS = [
    pytest.param(("float64", None, None), id="float64"),
    pytest.param(("mpmath", 30, None), id="mpmath-30"),
    pytest.param(("flint", 30, None), id="flint-30", marks=pytest.mark.skipif(not HAS_FLINT, reason="needs flint")),
    pytest.param(("torch", None, "cpu"), id="torch-cpu", marks=pytest.mark.skipif(not HAS_TORCH, reason="needs torch")),
    pytest.param(("torch", None, "cuda"), id="torch-cuda",
                 marks=[pytest.mark.gpu, pytest.mark.skipif(not _cuda(), reason="needs CUDA")]),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Each backend, inside its precision context."""
    name, digits, device = request.param
    be = get_backend(digits, name, device)
    with be.context():
        yield be
