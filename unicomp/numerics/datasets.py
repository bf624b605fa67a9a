r"""Weighted training data: compress a dataset so that its loss landscape is kept (paper, Sec. 4, Fig. 3).

The empirical loss :math:`L(\theta) = \frac1n \sum_i \ell(z_i; \theta)` is a symmetric function of the data
points :math:`z_i = (x_i, y_i)` (the input concatenated with its target), so the compression theory applies
with the data points as objects (:math:`m` = input dimension + target dimension).  A compression keeps a
subset :math:`S` with weights :math:`c_j` that reproduces every moment of degree :math:`\le k` of the
:math:`z_i`, and

.. math:: L'(\theta) = \frac{\sum_{j \in S} c_j\, \ell(z_j; \theta)}{\sum_{j \in S} c_j} \approx L(\theta)

for every :math:`\theta` in a bounded set (:mod:`unicomp.numerics.landscape` measures the gap).  Training
on the weighted set uses the weighted loss with full batches, or mini-batches drawn with probability
proportional to :math:`c_j` (then the plain mean loss of a batch is an unbiased estimate of :math:`L'`).

torch is needed only for :meth:`WeightedDataset.to_torch`, :func:`weighted_mean` on tensors and
:func:`weighted_sampler`; it is imported when they are called.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.errors import InputError
from unicomp.numerics.compress import Method
from unicomp.numerics.persistence import atomic_savez
from unicomp.numerics.reduce import reduce
from unicomp.numerics.result import Compression
from unicomp.validation import as_array, as_degree, as_int, as_points, as_positive_int, as_weights

if TYPE_CHECKING:
    from torch.utils.data import TensorDataset, WeightedRandomSampler

__all__ = [
    "WeightedDataset",
    "compress_dataset",
    "concat_objects",
    "weighted_mean",
    "weighted_sampler",
]

#: Keys this module adds to a compression's ``.npz`` file (the rest are :meth:`Compression.save`'s).
_DATA_KEYS = ("data_inputs", "data_targets", "data_center", "data_scale")


def concat_objects(
    inputs: ArrayLike, targets: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validate a dataset and form its objects, the rows :math:`z_i = (x_i, y_i)`.

    Parameters
    ----------
    inputs : array_like, shape (n, p) or (n,)
    targets : array_like, shape (n, q) or (n,)

    Returns
    -------
    inputs, targets, objects : ndarray, shapes (n, p), (n, q), (n, p + q)
        Float64 copies (a 1-D argument becomes one column).

    Examples
    --------
    >>> x, y, z = concat_objects([[0.0, 1.0], [2.0, 3.0]], [5.0, 6.0])
    >>> z.tolist()
    [[0.0, 1.0, 5.0], [2.0, 3.0, 6.0]]
    """
    x = as_points(inputs, "inputs")
    y = as_points(targets, "targets")
    if x.shape[0] != y.shape[0]:
        raise InputError(
            f"inputs and targets must have the same number of rows, got {x.shape[0]} and {y.shape[0]}"
        )
    return x, y, np.concatenate([x, y], axis=1)


@dataclass(frozen=True, eq=False)
class WeightedDataset:
    r"""A weighted subset of a dataset that keeps the moments of its points :math:`z = (x, y)`.

    Attributes
    ----------
    inputs : ndarray, shape (d', p) or (d',)
        Kept inputs (in the original units), 1-D when the inputs were given 1-D.
    targets : ndarray, shape (d', q) or (d',)
        Their targets, 1-D when the targets were given 1-D (as scikit-learn keeps ``y``'s shape), so
        ``prediction - targets`` never broadcasts to a matrix.
    weights : ndarray, shape (d',)
        Positive weights :math:`c_j`; they sum to the original number of points :math:`n`.
    compression : Compression
        The compression of the objects; its ``indices`` are the kept rows of the original data and its
        basis refers to the standardised objects :math:`(z - \mathrm{center}) / \mathrm{scale}`.
    center, scale : ndarray, shape (p + q,)
        The affine map applied to the objects before compressing (zeros and ones when not standardised).
    """

    inputs: NDArray[np.float64]
    targets: NDArray[np.float64]
    weights: NDArray[np.float64]
    compression: Compression
    center: NDArray[np.float64]
    scale: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.weights.shape[0])

    @property
    def indices(self) -> NDArray[np.int64]:
        """Rows of the original data that were kept, shape (d',)."""
        return self.compression.indices

    @property
    def objects(self) -> NDArray[np.float64]:
        """The kept objects :math:`z_j = (x_j, y_j)`, shape (d', p + q), original units."""
        return np.column_stack([self.inputs, self.targets])

    def standardize(self, objects: ArrayLike) -> NDArray[np.float64]:
        """Map objects (shape (N, p + q)) to the coordinates the compression was computed in (bit for bit)."""
        return _to_unit(np.asarray(objects, dtype=np.float64), self.center, self.scale)

    def loss(self, per_sample: ArrayLike) -> Any:
        r"""The weighted loss :math:`\sum_j c_j \ell_j / \sum_j c_j` from per-sample losses (shape (d',)).

        Works on numpy arrays and torch tensors (then differentiable); see :func:`weighted_mean`.
        """
        return weighted_mean(per_sample, self.weights)

    def to_torch(self, device: Any = None, dtype: Any = None) -> TensorDataset:
        """A torch ``TensorDataset`` yielding ``(x, y, c)`` triples (float32 unless ``dtype`` is given)."""
        import torch
        from torch.utils.data import TensorDataset

        kw = {"device": device, "dtype": torch.float32 if dtype is None else dtype}
        return TensorDataset(
            torch.as_tensor(self.inputs, **kw),
            torch.as_tensor(self.targets, **kw),
            torch.as_tensor(self.weights, **kw),
        )

    def sampler(self, num_samples: int | None = None, seed: int = 0) -> WeightedRandomSampler:
        """Mini-batch sampler over the kept points with probability proportional to weight (see
        :func:`weighted_sampler`); ``num_samples`` defaults to the original dataset size per epoch."""
        n = self.compression.n_input if num_samples is None else num_samples
        return weighted_sampler(self.weights, n, seed=seed)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write one ``.npz`` file atomically.

        The file is also a valid :meth:`Compression.save` file (``Compression.load`` reads it, and its
        ``points`` entry holds the kept objects in original units); the dataset adds the kept inputs,
        targets and the standardisation.
        """
        arrays = self.compression.to_arrays()
        arrays["points"] = self.objects
        arrays.update(zip(_DATA_KEYS, (self.inputs, self.targets, self.center, self.scale), strict=True))
        return atomic_savez(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> WeightedDataset:
        """Read a file written by :meth:`save`."""
        comp = Compression.load(path)
        with np.load(path, allow_pickle=False) as data:
            missing = [key for key in _DATA_KEYS if key not in data.files]
            if missing:
                raise InputError(f"{path} is not a weighted dataset file (missing {', '.join(missing)})")
            x, y, center, scale = (np.asarray(data[key]) for key in _DATA_KEYS)
        return cls(inputs=x, targets=y, weights=comp.weights, compression=comp, center=center, scale=scale)


def compress_dataset(
    inputs: ArrayLike,
    targets: ArrayLike,
    *,
    degree: int,
    size: int | None = None,
    standardize: bool = True,
    method: Method = "partition",
    precision: int | None = None,
    seed: int | np.random.Generator = 0,
) -> WeightedDataset:
    r"""Compress a dataset to a weighted subset that keeps the moments of its points :math:`(x, y)`.

    Parameters
    ----------
    inputs : array_like, shape (n, p) or (n,)
    targets : array_like, shape (n, q) or (n,)
    degree : int
        Moments of total degree :math:`\le k` of the objects :math:`z = (x, y)` are kept.
    size : int, optional
        Target number of kept points :math:`N_{m,k} \le d' \le n` (clustered compression, Algorithm 1,
        via :func:`unicomp.numerics.compress.compress`); ``None`` (default, the smallest compression)
        recombines all points at once to at most :math:`N_{m,k} = \binom{m+k}{k}` of them,
        :math:`m = p + q`.
    standardize : bool
        Scale each coordinate of the objects to zero mean and unit variance before compressing (default).
        The moment conditions are unaffected (an affine map keeps the polynomials of degree
        :math:`\le k`), but the clusters of Algorithm 1 are formed by distance, which should not depend on
        the units of the inputs and targets.  Computed on the columns divided by their largest magnitude,
        so data near the float64 limits (1e200, 1e-200) neither overflows nor underflows.
    method, precision, seed
        Passed to :func:`~unicomp.numerics.compress.compress` (``precision`` also to
        :func:`~unicomp.recombine`).

    Returns
    -------
    WeightedDataset
        The kept rows in original units (``inputs`` and ``targets`` keep the number of dimensions they
        were given with), their weights (summing to :math:`n`), and the compression.

    Notes
    -----
    Why moments are the right target (paper, Sec. 4): for a loss that is analytic in :math:`z`,
    :math:`\ell(z;\theta) = \sum_{|e| \le k} a_e(\theta) z^e + O(|z - z_0|^{k+1})` around each cluster centre,
    and the weighted sums of the :math:`z^e` are reproduced exactly, so the weighted loss differs from the
    full loss only by the remainder terms, uniformly over a bounded set of :math:`\theta`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, size=(500, 2))
    >>> y = np.sin(x[:, 0]) + x[:, 1] ** 2
    >>> ds = compress_dataset(x, y, degree=2, size=None)
    >>> len(ds) <= 10, round(float(ds.weights.sum()), 9)
    (True, 500.0)
    >>> ds.targets.shape == ds.weights.shape
    True
    >>> float(abs(ds.loss(ds.targets ** 2) - np.mean(y ** 2))) < 1e-9
    True
    """
    x, y, objects = concat_objects(inputs, targets)
    k = as_degree(degree)
    if standardize:
        scaled, center, scale = _standardized(objects)
    else:
        scaled, center, scale = objects, np.zeros(objects.shape[1]), np.ones(objects.shape[1])
    comp = reduce(scaled, degree=k, size=size, method=method, precision=precision, seed=seed)
    one_d = [np.ndim(as_array(a, name)) == 1 for a, name in ((inputs, "inputs"), (targets, "targets"))]
    return WeightedDataset(
        inputs=x[comp.indices, 0] if one_d[0] else x[comp.indices],
        targets=y[comp.indices, 0] if one_d[1] else y[comp.indices],
        weights=comp.weights,
        compression=comp,
        center=center,
        scale=scale,
    )


def _standardized(objects: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                                           NDArray[np.float64]]:
    """Columns to zero mean and unit variance: ``(scaled, center, scale)`` with ``scaled = (z - center) / scale``.

    Mean and standard deviation are taken of each column divided by a power of two :math:`2^s` near its
    largest magnitude (exact), so squares neither overflow (1e200) nor underflow (1e-200).  A constant
    column (zero deviation) is only centred: its scale is :math:`2^s` (one for an all-zero column).
    """
    top = np.max(np.abs(objects), axis=0)
    shift = np.where(top > 0, np.frexp(top)[1], 0)
    unit = np.ldexp(objects, -shift)
    std = unit.std(axis=0)
    center = np.ldexp(unit.mean(axis=0), shift)
    scale = np.ldexp(np.where(std > 0, std, 1.0), shift)
    scale = np.where(scale > 0, scale, np.ldexp(1.0, shift))  # a spread below the float64 range: centred only
    # The stored centre and scale are rounded (subnormal data round them coarsely): the coordinates are
    # computed from the stored values, as WeightedDataset.standardize computes them.
    return _to_unit(objects, center, scale), center, scale


def _to_unit(objects: NDArray[np.float64], center: NDArray[np.float64], scale: NDArray[np.float64]
             ) -> NDArray[np.float64]:
    """``(objects - center) / scale`` computed after dividing all three by :math:`2^s`, the power of two of
    ``scale`` (exact), so that neither the difference overflows (1e308) nor the quotient loses digits to
    subnormal rounding."""
    s = np.frexp(scale)[1]
    return (np.ldexp(objects, -s) - np.ldexp(center, -s)) / np.ldexp(scale, -s)


def weighted_mean(values: Any, weights: Any) -> Any:
    r"""The weighted mean :math:`\sum_j c_j v_j / \sum_j c_j` over the first axis.

    Parameters
    ----------
    values : ndarray or torch.Tensor, shape (d',) or (d', ...)
        Per-sample values (losses); a torch tensor keeps its autograd graph.
    weights : array_like or torch.Tensor, shape (d',)
        Non-negative weights with a positive sum.

    Returns
    -------
    float-like (numpy scalar / array or torch tensor), shape ``values.shape[1:]``

    Examples
    --------
    >>> float(weighted_mean(np.array([1.0, 3.0]), np.array([3.0, 1.0])))
    1.5
    """
    if type(values).__module__.startswith("torch"):
        import torch

        w = torch.as_tensor(weights, dtype=values.dtype, device=values.device)
        shape = (-1,) + (1,) * (values.dim() - 1)
        return (w.reshape(shape) * values).sum(dim=0) / w.sum()
    v = np.asarray(values, dtype=np.float64)
    w64 = np.asarray(weights, dtype=np.float64)
    if w64.shape != v.shape[:1]:
        raise InputError(f"weights must have shape ({v.shape[0]},) to match the values, got {w64.shape}")
    return np.tensordot(w64, v, axes=(0, 0)) / w64.sum()


def weighted_sampler(weights: ArrayLike, num_samples: int, *, seed: int = 0) -> WeightedRandomSampler:
    r"""Indices drawn with replacement, :math:`P(j) = c_j / \sum_l c_l` (torch ``WeightedRandomSampler``).

    A mini-batch :math:`B` of such indices gives :math:`\mathbb{E}[\frac{1}{|B|}\sum_{j\in B}\ell_j] = L'`,
    the weighted loss, so the batch loss is the plain mean (do not weight it again).

    Parameters
    ----------
    weights : array_like, shape (d',)
    num_samples : int
        Indices per pass (an "epoch").
    seed : int
        Seed of the sampler's own generator, so the draw order is reproducible.
    """
    import torch
    from torch.utils.data import WeightedRandomSampler

    w = as_weights(weights, None)
    generator = torch.Generator().manual_seed(as_int(seed, "seed"))
    return WeightedRandomSampler(
        w.tolist(), as_positive_int(num_samples, "num_samples"), replacement=True, generator=generator
    )
