"""Tier resolution shared by the experiments."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from unicomp.errors import InputError
from unicomp.experiments._common import resolve_tier


@dataclass(frozen=True)
class _Config:
    size: int = 10
    epochs: int = 2


TIERS = {"quick": _Config(), "full": _Config(size=1000, epochs=50)}


def test_tier_and_overrides() -> None:
    assert resolve_tier(TIERS, "full", None, {}) == _Config(1000, 50)
    assert resolve_tier(TIERS, "quick", None, {"epochs": 7}) == _Config(10, 7)
    assert resolve_tier(TIERS, "quick", _Config(3, 3), {"size": 4}) == _Config(4, 3)


def test_unknown_tier_and_field_name_the_valid_ones() -> None:
    with pytest.raises(InputError, match=r"tier must be one of \['full', 'quick'\]"):
        resolve_tier(TIERS, "medium", None, {})
    with pytest.raises(InputError, match=r"unknown configuration field\(s\) \['epoch'\]; valid: \['epochs', 'size'\]"):
        resolve_tier(TIERS, "quick", None, {"epoch": 3})
