"""The registry of backends: names, lazy imports of the optional ones, and the automatic choice."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from unicomp.errors import InputError
from unicomp.numerics.backends.numpy_backends import Float64Backend, MPMathBackend
from unicomp.numerics.backends.protocol import Backend

__all__ = ["available_backends", "get_backend", "register_backend"]


@dataclass(frozen=True)
class _Entry:
    """A registered backend: its factory (or ``"module:attribute"`` to import lazily) and its kind."""

    factory: Callable[..., Backend] | str
    high_precision: bool


_REGISTRY: dict[str, _Entry] = {
    "float64": _Entry(lambda digits, device: Float64Backend(), high_precision=False),
    "mpmath": _Entry(lambda digits, device: MPMathBackend(digits), high_precision=True),
    "flint": _Entry("unicomp.numerics.flint_backend:FlintBackend", high_precision=True),
    "torch": _Entry("unicomp.numerics.torch_backend:TorchBackend", high_precision=False),
}
#: The Python package each lazily imported backend needs (checked before importing it).
_REQUIRES = {"flint": "flint", "torch": "torch"}
#: Order in which a precision without a backend name picks a high-precision backend.
_HIGH_PRECISION_ORDER = ("flint", "mpmath")


def register_backend(name: str, factory: Callable[..., Backend], *, high_precision: bool = False) -> None:
    """Make ``factory(digits, device)`` available as ``get_backend(name=name)``.

    A ``high_precision`` backend takes ``digits`` (decimal digits) and is considered, after the built-in
    order (flint, mpmath), for a precision without a name only if registered under one of those names.
    """
    if not isinstance(name, str) or not name:
        raise InputError(f"backend name must be a non-empty string, got {name!r}")
    _REGISTRY[name] = _Entry(factory, high_precision)


def _importable(name: str) -> bool:
    """Whether backend ``name`` can be built here (its optional dependency is installed)."""
    module = _REQUIRES.get(name)
    return module is None or importlib.util.find_spec(module) is not None


def available_backends() -> list[str]:
    """Names of the registered backends whose dependencies are installed."""
    return [name for name in _REGISTRY if _importable(name) and _factory_or_none(name) is not None]


def _factory_or_none(name: str) -> Callable[..., Backend] | None:
    entry = _REGISTRY[name]
    if not isinstance(entry.factory, str):
        return entry.factory
    module_name, attribute = entry.factory.split(":")
    try:
        cls = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        return None
    return lambda digits, device: cls(digits) if entry.high_precision else cls(device=device)


def get_backend(precision: int | None = None, name: str | Backend | None = None, device: Any = None) -> Backend:
    """The backend for a precision and an optional name (or a ready :class:`Backend`, returned as is).

    Parameters
    ----------
    precision : int, optional
        Decimal digits of an arbitrary-precision run; ``None`` for hardware floats.
    name : str or Backend, optional
        ``"float64"``, ``"mpmath"``, ``"flint"``, ``"torch"`` or a registered name.  ``None``: float64
        without ``precision``, else ``"flint"`` when python-flint is importable, else ``"mpmath"``.
    device : str or torch.device, optional
        Only for ``"torch"`` (default: CUDA when available, see
        :func:`unicomp.numerics.torch_backend.resolve_device`).

    Raises
    ------
    InputError
        Unknown name, a missing optional dependency, a precision given to a hardware-float backend (or
        missing for a high-precision one), or a device given to a backend without devices.
    """
    if name is not None and not isinstance(name, str):
        if isinstance(name, Backend):
            return name
        raise InputError(f"backend must be a name or a Backend, got {name!r}")
    if name is None:
        name = "float64" if precision is None else next(
            n for n in _HIGH_PRECISION_ORDER if _importable(n) and _factory_or_none(n) is not None
        )
    if name not in _REGISTRY:
        raise InputError(f"backend must be one of {sorted(_REGISTRY)}, got {name!r}")
    entry = _REGISTRY[name]
    if entry.high_precision and precision is None:
        raise InputError(f"backend {name!r} needs precision=<decimal digits>")
    if not entry.high_precision and precision is not None:
        raise InputError(f"backend {name!r} works in hardware floats; precision must be None, got {precision!r}")
    if device is not None and name != "torch":
        raise InputError(f"device is only used by the torch backend, got device={device!r} for {name!r}")
    factory = _factory_or_none(name) if _importable(name) else None
    if factory is None:
        extra = {"flint": "flint", "torch": "torch"}.get(name, name)
        raise InputError(f"backend {name!r} is not available: install the extra, pip install 'unicomp[{extra}]'")
    return factory(precision, device)
