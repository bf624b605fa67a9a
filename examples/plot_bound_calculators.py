"""
The bounds as calculators
=========================

Every bound of the paper is a function in :mod:`unicomp.theory.bounds` that returns the value together with
the sympy formula it came from. Left: Theorem 4's rate :math:`d\\,d'^{1-(k+1)/m}` for :math:`m = 2` and
:math:`d = 10^5` -- the asymptotic form, with its unknown constant set to one, so only the slopes mean
something. Right: Theorem 7's optimal degree as derived from the proof (:math:`\\rho` outside the
:math:`m`-th root) and as printed, for :math:`m = 2, 3`.
"""

import matplotlib.pyplot as plt
import numpy as np

from unicomp.theory.bounds import polylog_degree, rate_error

d_prime = np.geomspace(100, 10**4, 30)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
for k in (2, 3, 5, 7):
    res = rate_error(10**5, d_prime, k, 2)
    ax1.loglog(d_prime, res.value, label=f"k = {k}")
print("Thm 4 formula:", res.formula)
ax1.set(xlabel="kept objects d'", ylabel="E (O-constant = 1)", title="Thm 4, m = 2, d = 1e5")
ax1.legend()

n = np.geomspace(10, 10**5, 40)
for m, color in ((2, "C0"), (3, "C1")):
    for form, style in (("corrected", "-"), ("printed", "--")):
        ax2.loglog(n, polylog_degree(n, m, 3.0, form=form).value, style, color=color, label=f"m = {m}, {form}")
print("Thm 7, derived:", polylog_degree(10, 2, 3.0).formula)
print("Thm 7, printed:", polylog_degree(10, 2, 3.0, form="printed").formula)
ax2.set(xlabel="active objects N", ylabel="optimal degree", title=r"Thm 7, $\rho = 3$")
ax2.legend(fontsize=8)
