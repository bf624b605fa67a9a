"""Numeric layer: stable bases, Caratheodory recombination, compressions, in float64, mpmath and torch.

The torch modules (:mod:`~unicomp.numerics.networks`, :mod:`~unicomp.numerics.attention`,
:mod:`~unicomp.numerics.training`, :mod:`~unicomp.numerics.landscape`, :mod:`~unicomp.numerics.torch_backend`)
are imported explicitly, so that torch stays an optional dependency.
"""

from unicomp.multiindex import multi_indices, num_moments
from unicomp.numerics.basis import ChebyshevBasis, monomial_features
from unicomp.numerics.bootstrap import ScalingFit
from unicomp.numerics.caratheodory import moment_residual, recombine
from unicomp.numerics.compress import compress
from unicomp.numerics.datasets import WeightedDataset, compress_dataset, weighted_mean, weighted_sampler
from unicomp.numerics.distributed import compress_sharded
from unicomp.numerics.fitting import fit_loglog_slope, fit_power_law, fit_stretched_exponential
from unicomp.numerics.reduce import reduce
from unicomp.numerics.result import Compression, atomic_savez

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
