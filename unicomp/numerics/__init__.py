"""Numeric layer: stable bases, Caratheodory recombination, compressions, in float64, mpmath and torch.

The torch modules (:mod:`~unicomp.numerics.networks`, :mod:`~unicomp.numerics.attention`,
:mod:`~unicomp.numerics.training`, :mod:`~unicomp.numerics.landscape`, :mod:`~unicomp.numerics.torch_backend`)
are imported explicitly, so that torch stays an optional dependency.

:func:`~unicomp.numerics.flint_backend.certify_residual` and its result
:class:`~unicomp.numerics.flint_backend.ResidualEnclosure` need python-flint (``pip install unicomp[flint]``).
They are imported from :mod:`~unicomp.numerics.flint_backend` on first use, so ``import unicomp.numerics``
works without python-flint; using them without it raises :class:`ImportError` naming the extra.
"""

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from unicomp.multiindex import multi_indices, num_moments
from unicomp.numerics.basis import ChebyshevBasis, monomial_features
from unicomp.numerics.bootstrap import ScalingFit
from unicomp.numerics.caratheodory import moment_residual, recombine
from unicomp.numerics.compress import compress
from unicomp.numerics.datasets import WeightedDataset, compress_dataset, weighted_mean, weighted_sampler
from unicomp.numerics.distributed import compress_sharded
from unicomp.numerics.fitting import fit_loglog_slope, fit_power_law, fit_stretched_exponential
from unicomp.numerics.persistence import atomic_savez
from unicomp.numerics.reduce import reduce
from unicomp.numerics.result import Compression

if TYPE_CHECKING:  # for type checkers; at run time __getattr__ below imports them on first use
    from unicomp.numerics.flint_backend import ResidualEnclosure as ResidualEnclosure
    from unicomp.numerics.flint_backend import certify_residual as certify_residual

__all__ = [
    "ChebyshevBasis",
    "Compression",
    "ScalingFit",
    "WeightedDataset",
    "atomic_savez",
    "compress",
    "compress_dataset",
    "compress_sharded",
    "fit_loglog_slope",
    "fit_power_law",
    "fit_stretched_exponential",
    "moment_residual",
    "monomial_features",
    "multi_indices",
    "num_moments",
    "recombine",
    "reduce",
    "weighted_mean",
    "weighted_sampler",
]

#: Names served lazily from :mod:`unicomp.numerics.flint_backend` (python-flint is optional).
_FLINT_NAMES = ("ResidualEnclosure", "certify_residual")
if importlib.util.find_spec("flint") is not None:
    __all__ += _FLINT_NAMES


def __getattr__(name: str) -> Any:
    """Import the python-flint names on first use (PEP 562)."""
    if name not in _FLINT_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module("unicomp.numerics.flint_backend")
    except ImportError as exc:
        raise ImportError(
            f"unicomp.numerics.{name} needs python-flint: pip install 'unicomp[flint]' ({exc})"
        ) from exc
    value = getattr(module, name)
    globals()[name] = value
    return value
