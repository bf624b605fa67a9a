"""Numeric layer: stable bases, Caratheodory recombination, compressions, in float64, mpmath and torch."""

from unicomp.numerics.basis import ChebyshevBasis, monomial_features, multi_indices, num_moments
from unicomp.numerics.caratheodory import moment_residual, recombine
from unicomp.numerics.compress import compress
from unicomp.numerics.result import Compression

__all__ = [
    "ChebyshevBasis",
    "Compression",
    "compress",
    "moment_residual",
    "monomial_features",
    "multi_indices",
    "num_moments",
    "recombine",
]
