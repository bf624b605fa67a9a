"""
Fig. 8, reduced: polylogarithmic compression
============================================

A reduced version of the paper's Fig. 8 (:func:`unicomp.experiments.fig8_polylog.run_fig8`): the pole test
function in :math:`m = 1`, compressed to :math:`120 \\log d` points with the degree raised until the error
stops falling, for :math:`d = 1000, 2000, 4000`, in float64 only. In float64 the error soon reaches the
rounding floor, which is why the paper's evidence is weak and why the audit (claims ``POLYLOG`` and
``FIG8``) repeats the experiment in high precision.
"""

from unicomp.experiments.fig8_polylog import run_fig8

result = run_fig8("quick", ms=(1,), ds=(1000, 2000, 4000), high_precision=False)
for row in result.data["float64"]["m=1"]:
    print(f"d={row['d']}: d'={row['size']}, best degree {row['best_degree']}, error {row['best_error']:.1e}")
fig = result.figure
