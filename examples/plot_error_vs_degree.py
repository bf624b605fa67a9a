"""
Error against the degree
========================

Compress 4,000 uniform points in the square to 400 of them (Algorithm 1,
:func:`~unicomp.numerics.compress.compress`) while keeping the moments of degree
:math:`k = 1, \\dots, 6`, and measure the error on two symmetric test functions of the paper: the
sigmoid average of Fig. 2 (analytic in a wide strip, so the error falls fast with :math:`k`) and the pole
function of Fig. 8, whose pole lies just outside the range of the data (a small radius of convergence, so
the error falls slowly and soon levels off). The baseline is a uniformly random subset of the same size
with equal weights.
"""

import matplotlib.pyplot as plt
import numpy as np

from unicomp.numerics.compress import compress
from unicomp.numerics.testfunctions import pole_function, sigmoid_function
from unicomp.verify import check_compression

rng = np.random.default_rng(0)
d, size, m = 4000, 400, 2
points = rng.uniform(-1, 1, size=(d, m))
functions = {"sigmoid (Fig. 2)": sigmoid_function(m), "pole (Fig. 8)": pole_function(m)}
degrees = np.arange(1, 7)

errors = {name: [] for name in functions}
for k in degrees:
    comp = compress(points, degree=int(k), size=size)  # verifies its own moment residual, raises if too large
    check_compression(comp, points)  # and an independent re-check of every invariant
    print(comp.summary())
    for name, f in functions.items():
        errors[name].append(f.error(comp, points))

subset = rng.choice(d, size=size, replace=False)
fig, ax = plt.subplots(figsize=(6, 4))
for (name, f), color in zip(functions.items(), ("C0", "C1"), strict=True):
    ax.semilogy(degrees, errors[name], "o-", color=color, label=f"{name}: compressed")
    naive = abs(f.value(points[subset]) - f.value(points))
    ax.axhline(naive, color=color, ls=":", label=f"{name}: random subset")
    print(f"{name}: errors {np.array2string(np.array(errors[name]), precision=2)}; random subset {naive:.2e}")
ax.set(xlabel="degree k", ylabel="|f(compressed) - f(original)|", title=f"d = {d} -> d' = {size}, m = {m}")
ax.legend(fontsize=8)
