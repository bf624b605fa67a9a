"""The sympy symbols shared by every formula of :mod:`unicomp.theory` (one symbol per quantity)."""

from __future__ import annotations

import sympy as sp

__all__ = [
    "BY_ARGUMENT",
    "L0",
    "A",
    "B",
    "M",
    "R",
    "alpha",
    "alpha_prime",
    "d",
    "d0",
    "d_prime",
    "eps",
    "k",
    "lip",
    "m",
    "n",
    "r",
    "rho",
    "sigma",
]

d = sp.Symbol("d", positive=True)  #: number of objects (total weight)
d_prime = sp.Symbol("d'", positive=True)  #: size of the compressed set
k = sp.Symbol("k", integer=True, nonnegative=True)  #: moment degree
m = sp.Symbol("m", integer=True, positive=True)  #: object dimension
n = sp.Symbol("N", integer=True, positive=True)  #: cluster size / number of active objects
r = sp.Symbol("r", nonnegative=True)  #: cluster diameter
R = sp.Symbol("R", positive=True)  #: radius of the ball holding the objects
rho = sp.Symbol("rho", positive=True)  #: radius of analyticity of g
M = sp.Symbol("M", nonnegative=True)  #: bound on |g| on the polydisc
lip = sp.Symbol("L_h", nonnegative=True)  #: Lipschitz constant of h
eps = sp.Symbol("epsilon", positive=True)  #: tolerated error
sigma = sp.Symbol("sigma", positive=True)  #: compression exponent, d' = d**sigma
alpha = sp.Symbol("alpha", positive=True)  #: scaling-law exponent
alpha_prime = sp.Symbol("alpha'", positive=True)  #: stretched-exponential rate
A = sp.Symbol("A", positive=True)  #: Thm 8 prefactor constant
B = sp.Symbol("B", positive=True)  #: Thm 8 rate constant
L0 = sp.Symbol("L_0", real=True)  #: irreducible loss
d0 = sp.Symbol("d_0", positive=True)  #: scaling-law scale

#: The symbol each calculator argument (by its key in :class:`~unicomp.theory._results.Arguments`) stands for.
BY_ARGUMENT: dict[str, sp.Symbol] = {
    "d": d,
    "d_prime": d_prime,
    "k": k,
    "m": m,
    "n": n,
    "r": r,
    "radius": R,
    "rho": rho,
    "bound": M,
    "lipschitz": lip,
    "eps": eps,
    "sigma": sigma,
    "alpha": alpha,
    "rate": alpha_prime,
    "a": A,
    "b": B,
    "loss_floor": L0,
    "d0": d0,
}
