"""Unit tests of the network-claim helpers (:mod:`unicomp.audit.checks._networks`, DLTH/FIG4/FIG7 rules)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from unicomp.audit.checks import _networks as nw
from unicomp.audit.checks.dlth import cell_config, cell_key, shrink_verdict
from unicomp.audit.checks.fig4 import tolerances
from unicomp.experiments._common import mean_predictor_loss, moment_error
from unicomp.experiments.dlth_smooth import TIERS as SMOOTH_TIERS
from unicomp.experiments.fig4_dlth import REPORTED_FIG4
from unicomp.numerics import attention, networks
from unicomp.numerics.attention import CausalAttention
from unicomp.numerics.networks import compress_mlp, neuron_objects


def _net(width: int = 60) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, width), nn.Tanh(), nn.Linear(width, 1)).double()


def test_curve_gap_is_the_largest_log_factor_per_seed():
    ref = np.array([[1.0, 0.5, 0.25], [2.0, 1.0, 0.5]])
    other = ref * np.array([[1.0, 1.1, 1.0], [0.5, 1.0, 1.0]])
    np.testing.assert_allclose(nw.curve_gap(ref, other), [np.log(1.1), np.log(2.0)])


def test_tracking_fails_beyond_the_tolerance_and_is_inconclusive_when_coarser():
    ref = np.ones((2, 3))
    assert nw.tracking_outcome(ref, ref * 1.04, 0.05, "x")[0] == "holds"
    assert nw.tracking_outcome(ref, ref * 1.06, 0.05, "x")[0] == "fails"
    assert nw.tracking_outcome(ref, ref * 1.06, 0.05, "x", coarser="quick")[0] == "inconclusive"
    diverged = ref.copy()
    diverged[0, -1] = np.nan
    assert nw.tracking_outcome(ref, diverged, 0.05, "x", coarser="quick")[0] == "fails"  # not a matter of scale


def test_learned_needs_every_final_loss_below_the_fraction_of_the_mean_predictor():
    assert nw.learned_outcome([0.79, 0.5], 1.0, "x", "")[0] == "holds"
    assert nw.learned_outcome([0.81, 0.5], 1.0, "x", "full tier")[0] == "inconclusive"


def test_moment_outcome_threshold_and_nan():
    assert nw.moment_outcome(nw.MOMENT_TOL, "x")[0] == "holds"
    assert nw.moment_outcome(2 * nw.MOMENT_TOL, "x")[0] == "fails"
    assert nw.moment_outcome(float("nan"), "x")[0] == "fails"


def test_shrink_verdict_three_ways():
    x = np.arange(1.0, 6.0)
    rng = np.random.default_rng(0)
    noise = np.exp(0.1 * rng.standard_normal((5, 3)))
    assert shrink_verdict(x, np.exp(-x)[:, None] * noise, "G")[0][0] == "holds"
    assert shrink_verdict(x, np.ones((5, 3)) * noise, "G")[0][0] == "fails"
    # halves over the sweep in one seed, doubles in another: cannot decide
    mixed = np.column_stack([np.exp(-x), np.exp(0.5 * x), np.exp(-0.6 * x)])
    assert shrink_verdict(x, mixed, "G")[0][0] == "inconclusive"


def test_a_dlth_unit_is_keyed_by_its_own_run_not_the_other_widths():
    full = SMOOTH_TIERS["full"]
    fewer = replace(full, widths=full.widths[:-1], seeds=full.seeds[:2])
    # a tier with more widths or seeds shares the (seed, width) runs it has in common
    assert cell_key(full, 1, 2000) == cell_key(fewer, 1, 2000)
    assert cell_key(full, 1, 2000) != cell_key(full, 2, 2000) != cell_key(full, 2, 1000)
    # the degree sweep runs only at the sweep's width; elsewhere the one degree of the width sweep
    assert tuple(cell_config(full, 0, full.width).degrees) == tuple(full.degrees)
    assert tuple(cell_config(full, 0, 1000).degrees) == (full.degree,)


def test_moment_error_of_a_compression_is_tiny_and_of_a_subset_is_not():
    net = _net(200)
    comp = compress_mlp(net, degree=2, width=40)
    weights = comp.weights.numpy()
    assert moment_error(neuron_objects(net), comp.neuron_objects(), weights, 2) < 1e-10
    assert moment_error(neuron_objects(net), comp.neuron_objects(), weights, 3) > 1e-4  # degree 3 not matched


def test_mean_predictor_loss_is_the_variance():
    y = torch.tensor([[0.0], [2.0], [4.0]])
    assert mean_predictor_loss(y) == pytest.approx(8.0 / 3.0)


def test_fig4_tolerances_fall_back_to_the_printed_values():
    tol = tolerances({opt: None for opt in REPORTED_FIG4}, REPORTED_FIG4)
    assert tol["adam"] == pytest.approx(np.log(3.9 / 3.3))


def test_mutant_factories_plant_their_defects():
    # through the modules: a mutant swaps the bindings of unicomp's modules, not this test module's
    net = _net(200)
    with nw.unscaled_gradients(nw.MLP)():
        assert not networks.compress_mlp(net, degree=2, width=40).scale_gradients
    assert networks.compress_mlp(net, degree=2, width=40).scale_gradients
    clean = networks.compress_mlp(net, degree=2, width=40).weights
    with nw.perturbed_members(nw.MLP, relative=0.05)():
        bent = networks.compress_mlp(net, degree=2, width=40).weights
    assert 1e-3 < float(torch.max(torch.abs(bent / clean - 1))) < 0.5
    with nw.random_members(nw.MLP)():
        rand = networks.compress_mlp(net, degree=2, width=40)
    np.testing.assert_allclose(rand.weights.numpy(), 5.0)  # 200 / 40, equal weights of the same mass
    torch.manual_seed(0)
    layer = CausalAttention(1, 60, 2, 1, readout="last")
    with nw.random_members(nw.HEADS)():
        heads = attention.compress_heads(layer, degree=1, heads=20)
    np.testing.assert_allclose(heads.weights.numpy(), 3.0)
