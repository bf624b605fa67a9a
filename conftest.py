"""Shared pytest set-up: hypothesis profiles and mpmath hygiene."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import mpmath
import pytest
from hypothesis import HealthCheck, settings

# `--doctest-modules` imports every module of the package: the optional python-flint backend only where it is
# installed (tests/numerics/test_flint_backend.py skips by itself).
collect_ignore = [] if importlib.util.find_spec("flint") else ["unicomp/numerics/flint_backend.py"]

# CI=true loads a deterministic profile (same examples every run); locally the default profile explores.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=40,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=500, suppress_health_check=[HealthCheck.too_slow])
# HYPOTHESIS_PROFILE=thorough explores more examples on demand.
_default = "ci" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))


@pytest.fixture(autouse=True)
def _reset_mpmath() -> Iterator[None]:
    """Every test starts and ends at mpmath's default precision, whatever it (or a failure) did."""
    mpmath.mp.dps = 15
    yield
    mpmath.mp.dps = 15
