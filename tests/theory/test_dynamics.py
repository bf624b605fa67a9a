"""Compressed dynamics: the 1/c gradient rule (GD/SGD) and Adam's invariance, derived symbolically."""

from __future__ import annotations

import pytest
import sympy as sp

from unicomp.errors import InputError
from unicomp.theory.dynamics import _same, adam_invariance, gradient_scaling


@pytest.mark.parametrize(("n", "batch"), [(2, 1), (3, 2)])
def test_gradient_scaling_reproduces_per_neuron_update(n: int, batch: int) -> None:
    der = gradient_scaling(n, batch)
    assert der.verified, [c for c in der.checks if not c[1]]
    assert len(der.checks) == 3 * (1 + 2 * n)


def test_adam_invariance() -> None:
    der = adam_invariance(3)
    assert der.verified, [c for c in der.checks if not c[1]]
    assert len(der.checks) == 6


def test_equality_check_can_fail() -> None:
    # The identity checker must reject non-identities, or the derivations above would prove nothing.
    c, eps, g = sp.symbols("c epsilon g", positive=True)
    assert not _same(c * g / (c * g + eps), g / (g + eps))
    assert _same(c * g / (c * g + eps), g / (g + eps / c))
    assert not _same(sp.Function("ell")(g) * c, sp.Function("ell")(g))


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="at least 2"):
        gradient_scaling(1)
    with pytest.raises(InputError, match="positive integer"):
        adam_invariance(0)
