"""Helpers shared by the experiment modules: tier configurations and torch threading."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import fields, replace
from typing import Any, TypeVar

from unicomp.errors import InputError

__all__ = ["resolve_tier", "torch_threads"]

C = TypeVar("C")


def resolve_tier(tiers: Mapping[str, C], tier: str, config: C | None, overrides: Mapping[str, Any]) -> C:
    """``config`` (default: ``tiers[tier]``) with the dataclass fields in ``overrides`` replaced.

    Raises
    ------
    InputError
        For a tier name that is not in ``tiers`` or an override that is not a field of the configuration
        (the message lists the valid names).
    """
    if config is None:
        if tier not in tiers:
            raise InputError(f"tier must be one of {sorted(tiers)}, got {tier!r}")
        config = tiers[tier]
    names = {f.name for f in fields(config)}  # type: ignore[arg-type]
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise InputError(f"unknown configuration field(s) {unknown}; valid: {sorted(names)}")
    return replace(config, **overrides) if overrides else config  # type: ignore[type-var]


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run with ``threads`` torch intra-op threads (``None``: unchanged); the setting is restored on exit.

    The experiments' networks are tiny: one thread is fastest, and on a busy machine extra threads spin and
    cost far more CPU time than they save.
    """
    import torch

    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
