r"""Fig. 5: compression improves scaling laws -- (a) in the dataset size, (b) in the network width.

Theory (paper, Sec. 4): if the test loss follows :math:`L(d) = L_0 + (d_0/d)^\alpha` and a compression to
:math:`d' = d^\sigma` objects keeps :math:`L`, then as a function of the compressed size
:math:`L = L_0 + (d_0'/d')^{\alpha/\sigma}`: the exponent is multiplied by :math:`1/\sigma`.  Here
:math:`d' = \lfloor 16\sqrt d \rfloor` (:math:`\sigma = 1/2`, ideal exponent :math:`2\alpha`), :math:`k = 6`,
AdamW with cosine decay.

(a) *Data*: the teacher-student task of Fig. 3 (:mod:`unicomp.experiments.fig3_dataset`); for each
:math:`d` a student is trained on :math:`d` samples (original) and on the weighted :math:`d'`-point
compression of them (compressed).  (b) *Width*: the cylindrical-harmonic task of Fig. 4
(:mod:`unicomp.experiments.fig4_dlth`); a width-:math:`d` ReLU network (original) and its neuron compression
to width :math:`d'` at initialisation, trained with the 1/c rule (compressed).  The exponents are fitted
(:func:`unicomp.numerics.fitting.fit_power_law`, bootstrap over seeds) to the original losses against
:math:`d` and to the compressed losses against :math:`d'`.

*Reported* fitted exponents: (a) 0.683 (original) -> 1.271 (compressed; ideal 1.366);
(b) 0.308 -> 0.608 (ideal 0.616).  The paper does not state the epochs or batch size of (a); the full tier
trains as the authors' script does (:data:`TIERS`), the quick tier full-batch for a fixed number of steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from torch import nn

from unicomp.errors import ConvergenceError, InputError
from unicomp.experiments._common import ExperimentResult, moment_error, resolve_tier, torch_threads
from unicomp.experiments.fig3_dataset import (
    as_train_data,
    dataset_moment_error,
    make_teacher,
    student,
    teacher_data,
    weighted_train_data,
)
from unicomp.experiments.fig4_dlth import harmonic_data
from unicomp.numerics.bootstrap import ScalingFit
from unicomp.numerics.compress import Method
from unicomp.numerics.datasets import compress_dataset
from unicomp.numerics.fitting import fit_loglog_slope, fit_power_law
from unicomp.numerics.networks import compress_mlp, neuron_objects
from unicomp.numerics.training import TrainConfig, paired_runs

__all__ = ["REPORTED_FIG5", "TIERS", "Fig5Config", "assemble", "cell_key", "compressed_size", "panel_cells", "run_cell",
           "run_fig5"]

#: Reported fitted exponents (original, compressed) for the data (a) and width (b) panels (paper, Fig. 5).
REPORTED_FIG5: dict[str, tuple[float, float]] = {"data": (0.683, 1.271), "width": (0.308, 0.608)}


@dataclass(frozen=True)
class Fig5Config:
    """Parameters of both panels of Fig. 5 (see :data:`TIERS`).

    ``data_*`` fields configure panel (a) (``data_epochs`` full-batch steps, or epochs of :math:`d` samples
    drawn in batches of ``min(data_batch_size, d // 2)``, as in the authors' script), ``width_*`` panel (b).
    """

    data_sizes: Sequence[int] = tuple(2**e for e in range(9, 20))
    data_epochs: int = 2000
    data_batch_size: int | None = None
    data_lr: float = 1e-2
    teacher_width: int = 50
    noise: float = 3.0
    n_test: int = 100_000
    widths: Sequence[int] = tuple(2**e for e in range(9, 15))
    width_n_train: int = 20_000
    width_epochs: int = 2000
    width_batch_size: int = 128
    width_lr: float = 1e-3
    width_noise: float = 0.2
    factor: float = 16.0
    degree: int = 6
    seeds: int = 3
    n_boot: int = 200
    seed: int = 0
    method: Method = "partition"
    device: str = "auto"
    threads: int | None = 1


#: ``quick``: panel (a) on d = 2^10..2^13, 400 full-batch AdamW steps, 3 seeds (about 20 s on 2 idle CPU
#: cores); panel (b) is lightly trained at this tier (the high-frequency harmonic needs thousands of
#: epochs, its test MSE hardly falls over the widths: ``dynamic_range``), so it is for the full tier.
#: ``full``: the authors' own setting (their ``fig5_scaling_law/trainds.py`` and ``width.py``): panel (a)
#: d = 2^9..2^19 (2^8 is not compressed by 16 sqrt d), AdamW lr 1e-3, 2048 epochs of d samples drawn in
#: batches of min(512, d/2), 5 seeds; panel (b) widths 2^9..2^14, 2000 epochs of batch 128 (a GPU job).
TIERS: dict[str, Fig5Config] = {
    "quick": Fig5Config(
        data_sizes=(2**10, 2**11, 2**12, 2**13),
        data_epochs=400,
        n_test=5000,
        widths=(2**9, 2**10, 2**11, 2**12),
        width_n_train=6000,
        width_epochs=50,
        width_lr=3e-3,
    ),
    "full": Fig5Config(data_epochs=2048, data_batch_size=512, data_lr=1e-3, seeds=5),
}


def compressed_size(d: int, factor: float = 16.0) -> int:
    r""":math:`d' = \lfloor \mathrm{factor} \sqrt d \rfloor` (paper, Fig. 5: factor 16, :math:`\sigma = 1/2`).

    Examples
    --------
    >>> compressed_size(2**10), compressed_size(2**14)
    (512, 2048)
    """
    return math.floor(factor * math.sqrt(d))


def _check_sizes(sizes: Sequence[int], factor: float, name: str) -> list[tuple[int, int]]:
    pairs = [(int(d), compressed_size(int(d), factor)) for d in sizes]
    bad = [d for d, dp in pairs if dp >= d]
    if bad:
        raise InputError(f"{name}: no compression at {bad} (need {factor} sqrt(d) < d)")
    return pairs


def panel_cells(config: Fig5Config, panel: str) -> list[tuple[int, int]]:
    """The cells ``(s, i)`` of a panel -- seed index ``s``, size index ``i`` -- in the order they run; each
    cell is independent of the others (:func:`run_cell`)."""
    sizes = config.data_sizes if panel == "data" else config.widths
    _check_sizes(sizes, config.factor, "data_sizes" if panel == "data" else "widths")
    return [(s, i) for s in range(config.seeds) for i in range(len(sizes))]


def cell_key(config: Fig5Config, panel: str, s: int, i: int) -> dict[str, Any]:
    """Everything cell ``(s, i)`` of ``panel`` depends on (:func:`run_cell`): its size and :math:`d'`, its
    seeds, and the fields of ``config`` that its panel reads -- not the other sizes, widths or the number of
    seeds, so a run on more (or fewer) sizes or seeds shares the cells it has in common with this one.

    Examples
    --------
    >>> from dataclasses import replace
    >>> full = TIERS["full"]
    >>> cell_key(full, "data", 1, 0) == cell_key(replace(full, data_sizes=full.data_sizes[:3], seeds=2), "data", 1, 0)
    True
    """
    if panel not in ("data", "width"):
        raise InputError(f"panel must be 'data' or 'width', got {panel!r}")
    sizes = config.data_sizes if panel == "data" else config.widths
    d, dp = _check_sizes(sizes, config.factor, "data_sizes" if panel == "data" else "widths")[i]
    fields = (("teacher_width", "noise", "data_epochs", "data_batch_size", "data_lr") if panel == "data" else
              ("width_n_train", "width_noise", "width_epochs", "width_batch_size", "width_lr"))
    key = {"panel": panel, "size": d, "compressed_size": dp, "seed": config.seed,
           "cell_seed": config.seed + 1000 * s + i, "n_test": config.n_test, "degree": config.degree,
           "method": config.method, "device": config.device, **{f: getattr(config, f) for f in fields}}
    if panel == "width":  # the training set is shared by the widths of one seed
        key["data_seed"] = config.seed + 1000 * s
    return key


def run_cell(config: Fig5Config, panel: str, s: int, i: int) -> dict[str, Any]:
    """One cell of a panel: the original trained at size :math:`d` and the compressed at :math:`d'`.

    Returns
    -------
    dict
        ``test_mse`` (original, compressed) final test MSE, ``kept`` the size the compression kept,
        ``moment_error`` (:func:`~unicomp.experiments._common.moment_error` of the compressed dataset's rows
        :math:`z = (x, y)`, or of the compressed network's neurons).
    """
    if panel not in ("data", "width"):
        raise InputError(f"panel must be 'data' or 'width', got {panel!r}")
    with torch_threads(config.threads):
        return (_data_cell if panel == "data" else _width_cell)(config, s, i)


def _data_cell(config: Fig5Config, s: int, i: int) -> dict[str, Any]:
    key = cell_key(config, "data", s, i)  # its size and seed, as the cell is keyed
    d, dp, seed = key["size"], key["compressed_size"], key["cell_seed"]
    teacher = make_teacher(config.teacher_width, config.seed)
    x_test, y_test = teacher_data(teacher, config.n_test, noise=0.0, seed=config.seed + 10**6)
    x, y = teacher_data(teacher, d, noise=config.noise, seed=seed)
    ds = compress_dataset(x, y, degree=config.degree, size=dp, method=config.method, seed=seed)
    cfg = TrainConfig(
        optimizer="adamw",
        lr=config.data_lr,
        epochs=config.data_epochs,
        batch_size=None if config.data_batch_size is None else min(config.data_batch_size, d // 2),
        weighting="loss" if config.data_batch_size is None else "sampler",
        samples_per_epoch=d,
        seed=seed,
        device=config.device,
        eval_epochs=[config.data_epochs],
    )
    runs = paired_runs(
        student(config.teacher_width, seed),
        {"original": as_train_data(x, y), "compressed": weighted_train_data(ds)},
        cfg,
        test=as_train_data(x_test, y_test),
    )
    return {"test_mse": [runs["original"].test_loss[-1], runs["compressed"].test_loss[-1]], "kept": len(ds),
            "moment_error": dataset_moment_error(x, y, ds, config.degree)}


def _width_cell(config: Fig5Config, s: int, i: int) -> dict[str, Any]:
    import torch

    key = cell_key(config, "width", s, i)  # its width, seed and training set's seed, as the cell is keyed
    d, dp, seed = key["size"], key["compressed_size"], key["cell_seed"]
    test = harmonic_data(config.n_test, noise=0.0, seed=config.seed + 10**6)
    data = harmonic_data(config.width_n_train, noise=config.width_noise, seed=key["data_seed"])
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(2, d), nn.ReLU(), nn.Linear(d, 1))
    compressed = compress_mlp(net, degree=config.degree, width=dp, method=config.method, seed=seed)
    c = compressed.weights.detach().to("cpu", torch.float64).numpy()
    cfg = TrainConfig(
        optimizer="adamw",
        lr=config.width_lr,
        epochs=config.width_epochs,
        batch_size=config.width_batch_size,
        seed=seed,
        device=config.device,
        eval_epochs=[config.width_epochs],
    )
    runs = paired_runs({"original": net, "compressed": compressed}, data, cfg, test=test)
    return {"test_mse": [runs["original"].test_loss[-1], runs["compressed"].test_loss[-1]],
            "kept": compressed.width,
            "moment_error": moment_error(neuron_objects(net), compressed.neuron_objects(), c, config.degree)}


def _panel_arrays(config: Fig5Config, panel: str, cells: Mapping[tuple[int, int], Mapping[str, Any]]
                  ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Final test MSE, shape (seeds, sizes, 2): original at d, compressed at d'; the kept sizes; and the
    moment errors -- gathered from the cells of :func:`run_cell`."""
    n = len(config.data_sizes if panel == "data" else config.widths)
    out = np.zeros((config.seeds, n, 2))
    kept = np.zeros((config.seeds, n), dtype=np.int64)
    moments = np.zeros((config.seeds, n))
    for (s, i), cell in cells.items():
        out[s, i] = cell["test_mse"]
        kept[s, i] = cell["kept"]
        moments[s, i] = cell["moment_error"]
    return out, kept, moments


def _fits(
    sizes: NDArray[np.float64], compressed: NDArray[np.float64], losses: NDArray[np.float64], seed: int, n_boot: int
) -> dict[str, Any]:
    """Power-law and log-log fits of the original (vs d) and compressed (vs d') losses.

    A fit whose bootstrap does not converge is recorded as ``None`` with the reason (and NaN exponents):
    the measured losses are kept either way.
    """
    fits: dict[str, ScalingFit | None] = {}
    failures: dict[str, str] = {}
    for j, (name, x) in enumerate((("original", sizes), ("compressed", compressed))):
        for key, fitter in ((name, fit_power_law), (f"{name}_loglog", fit_loglog_slope)):
            try:
                fits[key] = fitter(x, losses[:, :, j], seed=seed, n_boot=n_boot, average="mean")
            except ConvergenceError as exc:
                fits[key], failures[key] = None, str(exc)

    def alpha(key: str) -> float:
        fit = fits[key]
        return float("nan") if fit is None else fit.params["alpha"]

    return {
        "fits": {
            k: None if f is None else {"params": f.params, "ci": f.ci, "summary": f.summary()} for k, f in fits.items()
        },
        "fit_failures": failures,
        "exponent_original": alpha("original"),
        "exponent_compressed": alpha("compressed"),
        "exponent_ideal": 2 * alpha("original"),
        "objects": fits,
    }


def _dynamic_range(losses: NDArray[np.float64]) -> float:
    """Largest over smallest seed-mean loss of the original runs: a fitted exponent means something only
    when the loss actually changes over the range (an unconverged panel stays flat, ratio near 1)."""
    mean = losses[:, :, 0].mean(axis=0)
    return float(mean.max() / mean.min())


def _plot(
    ax: Any,
    sizes: NDArray[np.float64],
    compressed: NDArray[np.float64],
    losses: NDArray[np.float64],
    fits: dict[str, Any],
    xlabel: str,
) -> Any:
    mean = losses.mean(axis=0)
    for j, (name, x) in enumerate((("original", sizes), ("compressed", compressed))):
        fit = fits["objects"][name]
        label = name if fit is None else f"{name} (alpha = {fit.params['alpha']:.2f})"
        line = ax.loglog(x, mean[:, j], "o", label=label)[0]
        if fit is not None:
            grid = np.geomspace(x.min(), x.max(), 50)
            p = fit.params
            ax.loglog(grid, p["L0"] + p["a"] * grid ** -p["alpha"], "-", color=line.get_color())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test MSE")
    ax.legend()
    return ax


def run_fig5(
    tier: str = "quick",
    *,
    config: Fig5Config | None = None,
    panels: Sequence[str] = ("data", "width"),
    **overrides: Any,
) -> ExperimentResult:
    """Run Fig. 5 at a tier (or a given config, with field ``overrides``); returns data and figure.

    ``data[panel]`` (``"data"``, ``"width"``) holds the sizes, compressed sizes, the final test MSE per
    seed (shape (seeds, sizes, 2): original, compressed), the sizes the compressions actually kept
    (``kept_sizes``, shape (seeds, sizes)), ``dynamic_range`` (largest over smallest mean
    original loss; near 1 means no scaling was measured), the fits with bootstrap intervals, the fitted
    exponents (original vs :math:`d`, compressed vs :math:`d'`, ideal :math:`2\\alpha`) and the reported ones.

    Examples
    --------
    A toy run of panel (a) (the tiers are far larger):

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> tiny = dict(data_sizes=(300, 400, 500, 600), data_epochs=2, n_test=300, degree=2, seeds=2, n_boot=20,
    ...             device="cpu")
    >>> result = run_fig5("quick", panels=("data",), **tiny)
    >>> result.data["data"]["test_mse"].shape, result.data["data"]["compressed_sizes"].tolist()
    ((2, 4, 2), [277.0, 320.0, 357.0, 391.0])
    >>> sorted(result.data["data"]["fits"])
    ['compressed', 'compressed_loglog', 'original', 'original_loglog']
    """
    config = resolve_tier(TIERS, tier, config, overrides)
    unknown = set(panels) - {"data", "width"}
    if unknown or not panels:
        raise InputError(f"panels must be a non-empty subset of ('data', 'width'), got {panels!r}")
    with torch_threads(config.threads):
        return _run(config, panels)


def _run(config: Fig5Config, panels: Sequence[str]) -> ExperimentResult:
    start = time.perf_counter()
    cells = {p: {c: run_cell(config, p, *c) for c in panel_cells(config, p)} for p in panels}
    return assemble(config, cells, seconds=time.perf_counter() - start)


def assemble(config: Fig5Config, cells: Mapping[str, Mapping[tuple[int, int], Mapping[str, Any]]], *,
             seconds: float) -> ExperimentResult:
    """The result of :func:`run_fig5` from every cell of each panel (``cells[panel][(s, i)]``, from
    :func:`run_cell`): the fits and the figure; ``seconds`` is recorded as the run's time."""
    import matplotlib.pyplot as plt

    panels = list(cells)
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.8), squeeze=False)
    out: dict[str, Any] = {"config": asdict(config), "reported": REPORTED_FIG5}
    for ax, panel in zip(axes[0], panels, strict=True):
        sizes_cfg = config.data_sizes if panel == "data" else config.widths
        sizes = np.array(sizes_cfg, dtype=np.float64)
        compressed = np.array([compressed_size(int(d), config.factor) for d in sizes_cfg], dtype=np.float64)
        losses, kept, moments = _panel_arrays(config, panel, cells[panel])
        fits = _fits(sizes, compressed, losses, config.seed, config.n_boot)
        _plot(
            ax,
            sizes,
            compressed,
            losses,
            fits,
            "samples d (compressed: d')" if panel == "data" else "width d (compressed: d')",
        )
        ax.set_title(f"({'a' if panel == 'data' else 'b'}) {panel} scaling, k = {config.degree}")
        out[panel] = {
            "sizes": sizes,
            "compressed_sizes": compressed,
            "test_mse": losses,
            "kept_sizes": kept,
            "moment_error": float(moments.max()),
            "dynamic_range": _dynamic_range(losses),
            **{k: v for k, v in fits.items() if k != "objects"},
        }
    fig.tight_layout()
    out["seconds"] = seconds
    return ExperimentResult(out, fig)
