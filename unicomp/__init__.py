"""unicomp: the universal compression theory (arXiv:2510.00504) made runnable, checkable and usable.

A permutation-invariant function of d objects depends on them only through their moments; matching the
moments up to degree k on a weighted subset compresses the objects with a controlled error.

Layers
------
unicomp.theory
    Symbolic (sympy): moment identities, Taylor expansions, the theorems' bounds as calculators.
unicomp.numerics
    Float64, arbitrary precision (mpmath) and torch: bases, recombination, compression, networks, data.
unicomp.verify
    Hypothesis strategies, the compression invariants and one checker per paper claim.
"""

from unicomp.errors import ConvergenceError, InputError, InvariantViolation, PrecisionError, UnicompError
from unicomp.multiindex import multi_indices, num_moments
from unicomp.numerics.basis import ChebyshevBasis
from unicomp.numerics.caratheodory import recombine
from unicomp.numerics.compress import compress
from unicomp.numerics.datasets import compress_dataset
from unicomp.numerics.distributed import compress_sharded
from unicomp.numerics.reduce import reduce
from unicomp.numerics.result import Compression

__version__ = "0.1.0"

__all__ = [
    "ChebyshevBasis",
    "Compression",
    "ConvergenceError",
    "InputError",
    "InvariantViolation",
    "PrecisionError",
    "UnicompError",
    "__version__",
    "compress",
    "compress_dataset",
    "compress_sharded",
    "multi_indices",
    "num_moments",
    "recombine",
    "reduce",
]
