"""
Compress a point cloud
======================

Reduce 5,000 points in the square to at most :math:`N_{2,k} = \\binom{k+2}{2}` of them, keeping every moment of
degree at most :math:`k`, and draw the kept points with areas proportional to their new weights. The kept
points are a subset of the input -- compression never moves a point, it only re-weights.
"""

import matplotlib.pyplot as plt
import numpy as np

from unicomp import recombine
from unicomp.verify import check_compression

rng = np.random.default_rng(1)
points = np.concatenate(
    [rng.normal([-0.4, 0.2], 0.25, size=(3000, 2)), rng.normal([0.5, -0.3], 0.15, size=(2000, 2))]
)

fig, axes = plt.subplots(1, 3, figsize=(10, 3.6), sharex=True, sharey=True)
for ax, degree in zip(axes, (2, 4, 8), strict=True):
    comp = recombine(points, degree=degree)
    check_compression(comp, points)  # raises if any invariant is broken
    kept = comp.take(points)
    ax.scatter(points[:, 0], points[:, 1], s=1, color="0.8", rasterized=True)
    ax.scatter(kept[:, 0], kept[:, 1], s=600 * comp.weights / comp.weights.max(), color="C3", alpha=0.7)
    ax.set_title(f"k = {degree}: {comp.size} of {comp.n_input} points")
    ax.set_aspect("equal")
    print(comp.summary())
fig.suptitle("Kept points, area proportional to weight")
