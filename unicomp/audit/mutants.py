r"""Planted defects: the audit audits itself.

A :class:`Mutant` is a realistic bug planted, for the length of one check, in a public function the check
relies on -- a rewrite that does nothing, a degree silently lowered, weights perturbed after the residual was
measured, a random subset in place of the compression.  The runner (:mod:`unicomp.audit.runner`) runs each
claim's check under each of its mutants (declared as ``MUTANTS`` in the claim's module) and reports the
kill matrix: a mutant is *killed* when the verdict is ``"fails"`` or the project's own verification
(an :class:`AssertionError` such as :class:`~unicomp.verify.invariants.InvariantViolation`, or a
:class:`~unicomp.errors.UnicompError`) stops the check.  ``"inconclusive"`` is not a kill.

Mutants live here and in the check modules only: the user's code paths carry no hooks.  :func:`replace`
swaps a public object for its defective version in every loaded ``unicomp`` module that holds it
(``from x import f`` bindings included) and restores it afterwards.

Examples
--------
>>> import unicomp.theory.symmetric as sym
>>> noop = replace("unicomp.theory.symmetric:power_sum_expression", lambda orig: lambda poly, objects: poly)
>>> with noop():
...     sym.power_sum_expression("x", [])
'x'
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from unicomp.errors import InputError

__all__ = [
    "Mutant",
    "combined",
    "lowered_degree",
    "perturbed_weights",
    "random_subset",
    "replace",
]

Planter = Callable[[], AbstractContextManager[None]]


@dataclass(frozen=True)
class Mutant:
    """A planted defect.

    Attributes
    ----------
    name : str
        Short identifier, unique within its claim (``"ball-lowered-degree"``).
    description : str
        The defect in words, as a reviewer would describe the bug.
    apply : callable
        ``apply()`` returns a context manager inside which the defect is planted.
    """

    name: str
    description: str
    apply: Planter


def _resolve(target: str) -> tuple[Any, str, Any]:
    """``"pkg.mod:attr"`` or ``"pkg.mod:Class.attr"`` -> (owner, attribute name, current object)."""
    module_name, sep, path = target.partition(":")
    if not sep or not path:
        raise InputError(f"target must look like 'package.module:attribute', got {target!r}")
    owner: Any = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part)
    if not hasattr(owner, name):
        raise InputError(f"{module_name} has no attribute {path!r} (target {target!r})")
    return owner, name, getattr(owner, name)


@contextmanager
def _swapped(target: str, make: Callable[[Any], Any]) -> Iterator[None]:
    owner, name, original = _resolve(target)
    mutant = make(original)
    raw = owner.__dict__.get(name, original) if isinstance(owner, type) else original
    restores: list[tuple[Any, str, Any]] = [(owner, name, raw)]
    setattr(owner, name, mutant)
    if not isinstance(owner, type):  # a module-level object: swap every binding of it in unicomp's modules
        for mod_name, mod in list(sys.modules.items()):
            if mod is None or mod is owner or not mod_name.startswith(("unicomp", "paper_checks")):
                continue
            for attr, value in list(vars(mod).items()):
                if value is original:
                    restores.append((mod, attr, value))
                    setattr(mod, attr, mutant)
    try:
        yield
    finally:
        for obj, attr, value in reversed(restores):
            setattr(obj, attr, value)
        # a module imported while the defect was active bound the mutant: give it the original too
        for mod_name, mod in list(sys.modules.items()):
            if mod is not None and mod_name.startswith(("unicomp", "paper_checks")):
                for attr, value in list(vars(mod).items()):
                    if value is mutant:
                        setattr(mod, attr, original)


def replace(target: str, make: Callable[[Any], Any]) -> Planter:
    """A planter that swaps ``target`` for ``make(original)`` while active.

    Parameters
    ----------
    target : str
        ``"package.module:attribute"`` or ``"package.module:Class.attribute"`` (a public name).
    make : callable
        Receives the original object and returns the defective one.
    """
    _resolve(target)  # fail at declaration time on a misspelt target
    return lambda: _swapped(target, make)


def combined(*planters: Planter) -> Planter:
    """Several defects planted together."""

    @contextmanager
    def _all() -> Iterator[None]:
        with ExitStack() as stack:
            for plant in planters:
                stack.enter_context(plant())
            yield

    return _all


def lowered_degree(target: str, by: int = 1) -> Planter:
    """The compressor matches ``by`` fewer moment orders than asked, and reports the degree it was asked.

    ``target`` must be a compressor taking ``degree=`` as a keyword and returning a ``Compression``.
    """

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def defective(*args: Any, **kwargs: Any) -> Any:
            asked = int(kwargs["degree"])
            kwargs["degree"] = max(1, asked - by)
            result = original(*args, **kwargs)
            return dataclasses.replace(result, degree=asked) if hasattr(result, "degree") else result

        return defective

    return replace(target, make)


def perturbed_weights(target: str, relative: float = 1e-3, seed: int = 0) -> Planter:
    """The compressor's weights are perturbed by a relative ``relative`` after the residual was measured."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def defective(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            noise = np.random.default_rng(seed).standard_normal(result.weights.shape)
            weights = np.abs(result.weights * (1.0 + relative * noise))
            return dataclasses.replace(result, weights=weights, weights_mp=None)

        return defective

    return replace(target, make)


def random_subset(target: str, seed: int = 0) -> Planter:
    """A uniformly random subset of the same size, with equal weights of the same total mass, in place of
    the compression (its reported residual is not re-measured)."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def defective(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            rng = np.random.default_rng(seed)
            indices = np.sort(rng.choice(result.n_input, size=result.size, replace=False)).astype(np.int64)
            weights = np.full(result.size, float(np.sum(result.weights)) / result.size)
            return dataclasses.replace(result, indices=indices, weights=weights, weights_mp=None)

        return defective

    return replace(target, make)
