"""
Compress a dataset
==================

A regression dataset :math:`(x_1, x_2, y)` of 4,000 noisy samples is compressed to 200 weighted samples
that keep every moment of degree :math:`\\le 4` of the points :math:`z = (x, y) \\in \\mathbb{R}^3`
(:func:`~unicomp.numerics.datasets.compress_dataset`). Left: all samples, coloured by the target. Right: the
kept samples, area proportional to weight. The weighted loss :math:`\\sum_j c_j \\ell_j / \\sum_j c_j` of any
model then matches the full loss up to the degree-5 remainders (see the dataset tutorial).
"""

import matplotlib.pyplot as plt
import numpy as np

from unicomp.numerics.datasets import compress_dataset

rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, size=(4000, 2))
y = np.sin(2 * x[:, 0]) * np.cos(x[:, 1]) + rng.normal(0, 0.5, size=4000)
small = compress_dataset(x, y, degree=4, size=200)
print(small.compression.summary())

# A check anyone can read: the weighted mean of y**2 (a degree-2 moment of z) equals the full mean.
print(f"mean y^2: full {np.mean(y**2):.12f}, weighted subset {small.loss(small.targets ** 2):.12f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), sharex=True, sharey=True)
ax1.scatter(x[:, 0], x[:, 1], c=y, s=3, cmap="coolwarm", vmin=-2, vmax=2)
ax1.set_title("4,000 samples")
ax2.scatter(small.inputs[:, 0], small.inputs[:, 1], c=small.targets, cmap="coolwarm", vmin=-2, vmax=2,
            s=40 * small.weights / small.weights.mean(), edgecolors="k", linewidths=0.3)
ax2.set_title(f"{len(small)} weighted samples")
for ax in (ax1, ax2):
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
ax1.set_ylabel("$x_2$")
