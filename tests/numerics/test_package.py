"""The ``unicomp.numerics`` namespace: its exports, and the python-flint names served lazily."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

import unicomp.numerics

HAS_FLINT = importlib.util.find_spec("flint") is not None


def test_every_exported_name_resolves() -> None:
    missing = [name for name in unicomp.numerics.__all__ if not hasattr(unicomp.numerics, name)]
    assert missing == []
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = unicomp.numerics.no_such_name


@pytest.mark.skipif(not HAS_FLINT, reason="needs python-flint")
def test_certification_is_exported_with_flint() -> None:
    from unicomp.numerics import ResidualEnclosure, certify_residual, flint_backend

    assert certify_residual is flint_backend.certify_residual
    assert ResidualEnclosure is flint_backend.ResidualEnclosure
    assert {"ResidualEnclosure", "certify_residual"} <= set(unicomp.numerics.__all__)


_BLOCK_FLINT = """
import sys
sys.modules["flint"] = None  # import flint raises ImportError; importlib.util.find_spec("flint") is None
import unicomp.numerics
from unicomp.numerics import *
assert "certify_residual" not in unicomp.numerics.__all__, unicomp.numerics.__all__
try:
    from unicomp.numerics import certify_residual
except ImportError as exc:
    print(exc)
else:
    raise SystemExit("certify_residual imported without python-flint")
"""


def test_import_without_flint() -> None:
    # A fresh interpreter (this one may have imported flint) in which flint cannot be imported stands for a
    # machine without python-flint.
    done = subprocess.run([sys.executable, "-c", _BLOCK_FLINT], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "unicomp[flint]" in done.stdout
