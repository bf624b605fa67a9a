"""
Fig. 2, reduced: error exponents
================================

A reduced version of the paper's Fig. 2 sweep (:func:`unicomp.experiments.fig2_error_scaling.run_fig2`):
the sigmoid test function, :math:`m = 2`, :math:`k = 1, 2, 3`, :math:`d = 1000 \\dots 8000` compressed to
:math:`d' = 0.1\\,d`, two trials. Small enough to run in seconds while these pages are built, and therefore
noisier than the audit's quick tier; the fitted exponents are printed next to the paper's. The audit
(claim ``FIG2``) runs the larger sweep and gives the verdict.
"""

from unicomp.experiments.fig2_error_scaling import REPORTED_ALPHA, run_fig2

result = run_fig2("quick", ms=(2,), ks=(1, 2, 3), ds=(1000, 2000, 4000, 8000), trials=2, high_precision=False)
for k in (1, 2, 3):
    alpha = result.data["float64"]["alpha"][f"m=2,k={k}"]
    print(f"m=2, k={k}: fitted alpha {alpha:.2f}, reported {REPORTED_ALPHA[2][k - 1]:.2f}, "
          f"Thm 4 guarantees {(k + 1) / 2 - 2:.2f}")
fig = result.figure
