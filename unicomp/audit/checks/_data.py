r"""Helpers shared by the dataset-compression claims (LANDSCAPE, FIG3, FIG5): the excess-loss fraction, the
scaling exponents of mean loss curves with a paired bootstrap, and planted defects of the weighted dataset.

Excess fraction
    Three runs trained from the same initialisation -- on all the data (test loss :math:`L_o`), on the
    compressed weighted data (:math:`L_c`) and on a subset of the same size (:math:`L_n`) -- give
    :math:`q = (L_c - L_o) / (L_n - L_o)`: the share of the subset's excess test loss that the compression
    leaves.  A compression that keeps the loss landscape has :math:`q \approx 0`; a random subset in its
    place has :math:`q \approx 1`.

Exponents of mean curves
    The paper's Fig. 5 exponents are least-squares slopes of :math:`\log \bar L` against :math:`\log d`,
    :math:`\bar L` the mean over seeds (refitting the authors' own data this way gives their reported
    0.683, 1.271, 0.308 and 0.608 to three digits).  :func:`exponent_boot` computes the same slope for the
    original curve (against :math:`d`) and the compressed one (against :math:`d'`), and their ratio, with a
    bootstrap that resamples seeds within each size -- the same seeds for both curves, because the compressed
    run of a seed compresses that seed's data.

Planted defects
    :func:`~unicomp.numerics.datasets.compress_dataset` returns a :class:`~unicomp.numerics.datasets.WeightedDataset`
    whose rows and weights are built from the compression; the factories here break that assembly *after*
    the compression (which still passes its own invariants): random rows, perturbed or dropped weights,
    targets detached from their inputs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from unicomp.audit.anchors import Anchors
from unicomp.audit.mutants import Planter, replace
from unicomp.errors import InputError
from unicomp.numerics.datasets import WeightedDataset, concat_objects
from unicomp.verify.claims import Outcome

__all__ = [
    "AUTHORS_FIG5",
    "COMPRESS_DATASET",
    "DATASET_MOMENT_TOL",
    "ExponentBoot",
    "authors_fig5",
    "boost_verdict",
    "dataset_defect",
    "dataset_moment_outcome",
    "equal_weights",
    "excess_fraction",
    "exponent_boot",
    "inputs_only",
    "perturbed_weights",
    "random_rows",
    "random_subset_dataset",
    "shuffled_targets",
]

#: The public dataset compressor every defect here is planted in.
COMPRESS_DATASET = "unicomp.numerics.datasets:compress_dataset"
#: Where the authors' Fig. 5 data live in their repository.
AUTHORS_FIG5 = {
    "data": "fig5_scaling_law/trainds_scaling.csv",
    "width": "fig5_scaling_law/CPU_harm_AdamW_k6_trains20000_noise0.2_bs128_lr0.001_epoch2000",
}

#: Largest accepted :func:`~unicomp.experiments._common.moment_error` of a compressed dataset (its rows
#: z = (x, y) against the full data's, measured on the dataset as returned).  The compression is float64 and
#: verifies its own residual to about 1e-10 of the mass; 1e-8 leaves a 100x margin, while two of 1000 weights
#: swapped, a lower degree or a random subset move some moment by 1e-4 or more.
DATASET_MOMENT_TOL = 1e-8


def dataset_moment_outcome(errors: ArrayLike, what: str) -> tuple[str, str]:
    """Sub-check "every compressed dataset carries the full data's moments up to degree k".

    >>> dataset_moment_outcome([1e-13, 2e-12], "x")[0], dataset_moment_outcome([1e-13, 1e-4], "x")[0]
    ('holds', 'fails')
    """
    worst = float(np.max(np.asarray(errors, dtype=np.float64)))
    text = f"{what}: largest moment error of the compressed data {worst:.1e} (tolerance {DATASET_MOMENT_TOL:g})"
    if np.isfinite(worst) and worst <= DATASET_MOMENT_TOL:
        return "holds", text
    return "fails", text + "; the weighted rows are not a degree-k compression of the data"


def excess_fraction(original: ArrayLike, compressed: ArrayLike, naive: ArrayLike) -> NDArray[np.float64]:
    r"""The share of a subset's excess test loss that the compression leaves, :math:`(L_c - L_o)/(L_n - L_o)`.

    Elementwise over equal-shaped arrays (e.g. one entry per seed).  :class:`InputError` where the subset is
    not worse than the original (:math:`L_n \le L_o`): the fraction is then undefined, and the caller must
    first decide whether the runs separate a compression from a subset at all.

    >>> excess_fraction([1.0, 1.0], [1.5, 2.0], [3.0, 2.0]).tolist()
    [0.25, 1.0]
    """
    lo, lc, ln = (np.asarray(a, dtype=np.float64) for a in (original, compressed, naive))
    if not lo.shape == lc.shape == ln.shape:
        raise InputError(f"the three losses must have one shape, got {lo.shape}, {lc.shape}, {ln.shape}")
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(lc)) and np.all(np.isfinite(ln))):
        raise InputError("losses must be finite")
    if np.any(ln <= lo):
        raise InputError("the subset's loss must exceed the original's for the excess fraction to exist")
    return (lc - lo) / (ln - lo)


@dataclass(frozen=True)
class ExponentBoot:
    r"""Exponents of the original and the compressed mean loss curves, their ratio, and bootstrap replicates.

    Attributes
    ----------
    original, compressed, ratio : float
        :math:`\alpha_o` (slope of :math:`-\log \bar L_o` against :math:`\log d`), :math:`\alpha_c` (against
        :math:`\log d'`) and :math:`\alpha_c / \alpha_o`.
    boot : ndarray, shape (n_boot, 3)
        The same three from resamples (columns in that order).
    """

    original: float
    compressed: float
    ratio: float
    boot: NDArray[np.float64]

    def interval(self, which: str, level: float = 0.95) -> tuple[float, float]:
        """Percentile interval of ``"original"``, ``"compressed"`` or ``"ratio"``."""
        column = {"original": 0, "compressed": 1, "ratio": 2}[which]
        values = self.boot[:, column]
        lo, hi = np.quantile(values[np.isfinite(values)], [(1 - level) / 2, (1 + level) / 2])
        return float(lo), float(hi)


def _slopes(logx: NDArray[np.float64], means: NDArray[np.float64]) -> NDArray[np.float64]:
    """Least-squares slope of log(means) against logx, over the last axis."""
    xc = logx - logx.mean()
    logs = np.log(means)
    return (logs - logs.mean(axis=-1, keepdims=True)) @ xc / (xc @ xc)


def exponent_boot(
    sizes: ArrayLike, compressed_sizes: ArrayLike, samples: Sequence[ArrayLike], *, n_boot: int = 2000,
    seed: int = 0,
) -> ExponentBoot:
    r"""Exponents of the mean loss curves (original vs :math:`d`, compressed vs :math:`d'`) and their ratio.

    Parameters
    ----------
    sizes, compressed_sizes : array_like, shape (n,)
        :math:`d` and :math:`d'` (at least two distinct values each).
    samples : sequence of n arrays, shape (s_j, 2)
        Final test losses at each size, one row per seed: column 0 original, column 1 compressed; positive.
        The seed counts may differ between sizes (the runs at different sizes are independent).
    n_boot : int
        Resamples: at each size the rows are drawn with replacement (a row keeps its pair of losses: the
        compressed run of a seed compresses that seed's data).
    seed : int
        Seed of the resampling.

    Returns
    -------
    ExponentBoot

    Examples
    --------
    >>> d = np.array([100.0, 400.0, 1600.0]); dp = np.sqrt(d)
    >>> loss = np.stack([d ** -0.5, dp ** -1.0], axis=-1)
    >>> fit = exponent_boot(d, dp, [np.repeat(row[None], 3, axis=0) for row in loss], n_boot=50)
    >>> round(fit.original, 6), round(fit.compressed, 6), round(fit.ratio, 6)
    (0.5, 1.0, 2.0)
    """
    x = np.log(np.asarray(sizes, dtype=np.float64))
    xp = np.log(np.asarray(compressed_sizes, dtype=np.float64))
    rows = [np.asarray(a, dtype=np.float64) for a in samples]
    if x.ndim != 1 or xp.shape != x.shape or len(rows) != x.size:
        raise InputError(f"need one sample array per size and sizes of one shape, got {len(rows)} for {x.shape}")
    if any(a.ndim != 2 or a.shape[1] != 2 or a.shape[0] < 1 for a in rows):
        raise InputError("each sample array must have shape (seeds, 2): original, compressed")
    if np.unique(x).size < 2 or np.unique(xp).size < 2:
        raise InputError("the exponents need at least two distinct sizes")
    if not all(np.all(np.isfinite(a)) and np.all(a > 0) for a in rows):
        raise InputError("losses must be finite and positive (the exponents are fitted in log space)")
    rng = np.random.default_rng(seed)
    boot = np.stack([a[rng.integers(0, a.shape[0], size=(n_boot, a.shape[0]))].mean(axis=1) for a in rows],
                    axis=1)  # (n_boot, n, 2)
    mean = np.array([a.mean(axis=0) for a in rows])
    alpha_o, alpha_c = -float(_slopes(x, mean[:, 0])), -float(_slopes(xp, mean[:, 1]))
    boot_o, boot_c = -_slopes(x, boot[..., 0]), -_slopes(xp, boot[..., 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_boot = np.where(boot_o > 0, boot_c / boot_o, np.nan)
    ratio = alpha_c / alpha_o if alpha_o > 0 else float("nan")
    return ExponentBoot(alpha_o, alpha_c, ratio, np.column_stack([boot_o, boot_c, ratio_boot]))


def boost_verdict(fit: ExponentBoot, ideal: float, reported: Sequence[float], *, what: str) -> Outcome:
    r"""Verdict for "compression multiplies the exponent by about ``ideal``" (measured by the authors:
    ``reported``, one or more ratios).

    With the 95% interval :math:`[r_-, r_+]` of the ratio :math:`\alpha_c/\alpha_o` and the band
    :math:`B` from the smallest to the largest of ``ideal`` and the ``reported`` ratios:

    * original exponent not resolved above 0 (an interval reaching 0 leaves the ratio undefined), or
      :math:`r_- \le 1 \le r_+` while :math:`r_+ \ge \min B` (no boost cannot be told from the claimed one)
      -> ``"inconclusive"``;
    * :math:`r_+ < \min B` -> ``"fails"`` (a boost smaller than every reported ratio and the ideal, or none);
    * the interval meets :math:`B` -> ``"holds"``;
    * :math:`r_- > \max B` -> ``"holds with caveat"`` (a larger boost than the theory's :math:`1/\sigma`:
      the compressed curve is not yet in its asymptotic regime).

    >>> good = ExponentBoot(0.7, 1.3, 1.86, np.array([[0.7, 1.3, 1.8], [0.7, 1.3, 1.9]]))
    >>> boost_verdict(good, 2.0, [1.86], what="data")[0]
    'holds'
    >>> flat = ExponentBoot(0.7, 0.7, 1.0, np.array([[0.7, 0.7, 0.95], [0.7, 0.7, 1.05]]))
    >>> boost_verdict(flat, 2.0, [1.86], what="data")[0]
    'fails'
    """
    band = (min(ideal, *reported), max(ideal, *reported))
    lo_o, hi_o = fit.interval("original")
    if lo_o <= 0 or not np.isfinite(fit.ratio):
        return "inconclusive", (f"{what}: original exponent {fit.original:.3f} [{lo_o:.3f}, {hi_o:.3f}] not "
                                "resolved above 0, the ratio is undefined")
    lo, hi = fit.interval("ratio")
    authors = ", ".join(f"{r:.2f}" for r in reported)
    text = (f"{what}: exponent ratio compressed/original {fit.ratio:.2f} [{lo:.2f}, {hi:.2f}] vs band "
            f"[{band[0]:.2f}, {band[1]:.2f}] (ideal 1/sigma = {ideal:g}, authors {authors})")
    if hi < band[0]:
        return "fails", text + ": the boost is below the band"
    if lo <= 1.0:
        return "inconclusive", text + ": the interval reaches 1 (no boost cannot be excluded)"
    if lo > band[1]:
        return "holds with caveat", text + ": a larger boost than 1/sigma (not yet in the asymptotic regime)"
    return "holds", text


def authors_fig5(anchors: Anchors, panel: str) -> dict[tuple[int, int], NDArray[np.float64]]:
    """The authors' final test losses of Fig. 5, ``{(d, d'): array (seeds, 2)}`` (original, compressed).

    ``panel="data"`` reads ``fig5_scaling_law/trainds_scaling.csv`` (one row per seed and size);
    ``panel="width"`` reads the last row of each ``d<d>_dstop<d'>_seed<s>.csv`` of their width run.
    """
    out: dict[tuple[int, int], list[list[float]]] = {}
    if panel == "data":
        table = anchors.read_csv(AUTHORS_FIG5["data"])
        for d, dp, lo, lc in zip(table["d"], table["dstop"], table["test_loss_orig"], table["test_loss_cp"],
                                 strict=True):
            out.setdefault((int(d), int(dp)), []).append([lo, lc])
    elif panel == "width":
        folder = AUTHORS_FIG5["width"]
        for path in sorted((anchors.root / folder).glob("d*_dstop*_seed*.csv")):
            match = re.fullmatch(r"d(\d+)_dstop(\d+)_seed\d+\.csv", path.name)
            if match is None:
                continue
            table = anchors.read_csv(f"{folder}/{path.name}")
            out.setdefault((int(match[1]), int(match[2])), []).append(
                [table["test_loss_orig"][-1], table["test_loss_cp"][-1]])
        if not out:
            raise InputError(f"the authors' repository at {anchors.root} has no width-panel files in {folder}")
    else:
        raise InputError(f"panel must be 'data' or 'width', got {panel!r}")
    return {key: np.asarray(rows, dtype=np.float64) for key, rows in sorted(out.items())}



# ---------------------------------------------------------------------------------------------------------
# Planted defects in the assembly of the weighted dataset (see the module notes).


def dataset_defect(edit: Callable[[WeightedDataset, NDArray[np.float64], NDArray[np.float64]], WeightedDataset],
                   target: str = COMPRESS_DATASET) -> Planter:
    """A planter that passes the result of ``compress_dataset(inputs, targets, ...)`` through
    ``edit(dataset, inputs, targets)`` (inputs and targets as 2-D float arrays)."""

    def make(original: Callable[..., WeightedDataset]) -> Callable[..., WeightedDataset]:
        def defective(inputs: Any, targets: Any, **kwargs: Any) -> WeightedDataset:
            ds = original(inputs, targets, **kwargs)
            x, y, _ = concat_objects(inputs, targets)
            return edit(ds, x, y)

        return defective

    return replace(target, make)


def random_subset_dataset(
    ds: WeightedDataset, inputs: ArrayLike, targets: ArrayLike, *, seed: int = 0
) -> WeightedDataset:
    """``ds`` with its rows replaced by a uniformly random subset of the data of the same size, equal weights
    of the same total (the naive baseline; its ``compression`` is left as it was).

    >>> from unicomp.numerics.datasets import compress_dataset
    >>> x = np.linspace(-1, 1, 50)[:, None]; y = x ** 2
    >>> naive = random_subset_dataset(compress_dataset(x, y, degree=2, size=None), x, y)
    >>> len(naive), float(naive.weights.sum()), bool(np.all(naive.targets == naive.inputs ** 2))
    (5, 50.0, True)
    """
    x, y, _ = concat_objects(inputs, targets)
    rows = np.random.default_rng(seed).choice(x.shape[0], size=len(ds), replace=False)
    weights = np.full(len(ds), float(ds.weights.sum()) / len(ds))
    return dataclasses.replace(ds, inputs=x[rows], targets=y[rows], weights=weights)


def random_rows(seed: int = 0) -> Planter:
    """A uniformly random subset of the rows, equal weights of the same total, in place of the kept rows."""
    return dataset_defect(lambda ds, x, y: random_subset_dataset(ds, x, y, seed=seed))


def perturbed_weights(relative: float, seed: int = 0) -> Planter:
    """The weights multiplied by :math:`|1 + \\mathrm{relative} \\cdot N(0, 1)|` after the compression."""

    def edit(ds: WeightedDataset, x: NDArray[np.float64], y: NDArray[np.float64]) -> WeightedDataset:
        noise = np.random.default_rng(seed).standard_normal(len(ds))
        return dataclasses.replace(ds, weights=np.abs(ds.weights * (1.0 + relative * noise)))

    return dataset_defect(edit)


def equal_weights() -> Planter:
    """The kept rows with their weights dropped (all equal, same total)."""

    def edit(ds: WeightedDataset, x: NDArray[np.float64], y: NDArray[np.float64]) -> WeightedDataset:
        return dataclasses.replace(ds, weights=np.full(len(ds), float(ds.weights.sum()) / len(ds)))

    return dataset_defect(edit)


def shuffled_targets(seed: int = 0) -> Planter:
    """The kept targets permuted among the kept rows (an index bug: each input paired with another's target)."""

    def edit(ds: WeightedDataset, x: NDArray[np.float64], y: NDArray[np.float64]) -> WeightedDataset:
        order = np.random.default_rng(seed).permutation(len(ds))
        return dataclasses.replace(ds, targets=ds.targets[order])

    return dataset_defect(edit)


def inputs_only() -> Planter:
    """The targets left out of the compressed objects: the rows are chosen and weighted to keep the moments of
    the inputs alone, and carry their targets along unmatched."""

    def make(original: Callable[..., WeightedDataset]) -> Callable[..., WeightedDataset]:
        def defective(inputs: Any, targets: Any, **kwargs: Any) -> WeightedDataset:
            x, y, _ = concat_objects(inputs, targets)
            ds = original(x, np.zeros((x.shape[0], 1)), **kwargs)
            return dataclasses.replace(ds, targets=y[ds.indices])

        return defective

    return replace(COMPRESS_DATASET, make)
