"""Symbolic layer: moment identities, the deep-set Taylor expansion and the paper's bounds as calculators."""

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
from unicomp.theory.taylor import deep_set_expansion, taylor_remainder

__all__ = [
    "BoundResult",
    "ball_error",
    "boost_min_degree",
    "boosted_exponent",
    "compressed_scaling_law",
    "deep_set_expansion",
    "lower_bound",
    "lower_bound_degree",
    "lower_bound_size",
    "packing_diameter",
    "polylog_degree",
    "polylog_error",
    "polylog_size",
    "rate_error",
    "rate_exponent",
    "rate_min_degree",
    "rate_size",
    "stretched_exponential",
    "taylor_remainder",
]
