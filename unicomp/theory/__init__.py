"""Symbolic layer (sympy, exact): moment identities, the deep-set Taylor expansion, the paper's bounds as
calculators, compressed-dynamics derivations and the errata.

Modules
-------
symmetric
    Newton–Girard; the multivariate fundamental theorem (Thm 1): symmetric polynomial -> power sums.
taylor
    The deep-set Taylor expansion in centred moments and the Cauchy remainder bound (Thm 3).
bounds
    Lemma 1, Thms 3, 4, 7, 8 as calculators returning :class:`BoundResult`.
scaling
    Scaling-law corollaries (boost condition, boosted exponent, stretched exponential).
dynamics
    The 1/c gradient rule of compressed dynamics and Adam's invariance, derived.
errata
    Printed statements re-derived from their proofs, with corrected forms.
"""

from unicomp.theory._results import BoundResult
from unicomp.theory.bounds import (
    ball_error,
    boost_min_degree,
    boosted_exponent,
    compressed_scaling_law,
    lower_bound,
    lower_bound_degree,
    lower_bound_size,
    packing_diameter,
    polylog_degree,
    polylog_error,
    polylog_size,
    rate_error,
    rate_exponent,
    rate_min_degree,
    rate_size,
    stretched_exponential,
)
from unicomp.theory.dynamics import Derivation, adam_invariance, gradient_scaling
from unicomp.theory.errata import Erratum, all_errata
from unicomp.theory.symmetric import (
    elementary_in_power_sums,
    expand_power_sums,
    moment_expression,
    power_sum_expression,
    power_sum_in_elementary,
    reduce_tensor_moment,
    tensor_moment,
)
from unicomp.theory.taylor import deep_set_expansion, taylor_remainder

__all__ = [
    "BoundResult",
    "Derivation",
    "Erratum",
    "adam_invariance",
    "all_errata",
    "ball_error",
    "boost_min_degree",
    "boosted_exponent",
    "compressed_scaling_law",
    "deep_set_expansion",
    "elementary_in_power_sums",
    "expand_power_sums",
    "gradient_scaling",
    "lower_bound",
    "lower_bound_degree",
    "lower_bound_size",
    "moment_expression",
    "packing_diameter",
    "polylog_degree",
    "polylog_error",
    "polylog_size",
    "power_sum_expression",
    "power_sum_in_elementary",
    "rate_error",
    "rate_exponent",
    "rate_min_degree",
    "rate_size",
    "reduce_tensor_moment",
    "stretched_exponential",
    "taylor_remainder",
    "tensor_moment",
]
