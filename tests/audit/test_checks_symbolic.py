"""Unit tests of the symbolic group's audit helpers (FTSP, NEWTON, GRADSCALE, EQUIVARIANT, ERRATA, BOOST)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
import torch

from unicomp.audit.checks import _symbolic as helpers
from unicomp.audit.checks.boost import _share_interval, _share_outcome, printed_min_degree
from unicomp.audit.checks.equivariant import param_gap
from unicomp.audit.checks.errata import _bound, _evaluator
from unicomp.errors import InputError


def test_exact_outcome_fails_on_any_counter_example():
    assert helpers.exact_outcome("x", [])[0] == "holds"
    verdict, text = helpers.exact_outcome("x", ["first", "second"])
    assert verdict == "fails" and "first" in text and "2 counter-example" in text


def test_leftover_symbols_finds_object_variables_only():
    x, y, z = sp.symbols("x y z")
    q = sp.Function("q")
    assert helpers.leftover_symbols(q(1, 0) ** 2 + z, [x, y]) == set()
    assert helpers.leftover_symbols(x * q(1, 0) + y**2, [x, y]) == {x, y}


def test_select_neurons_permutes_and_repeats():
    net = helpers.tanh_mlp(4, seed=1)
    x = torch.as_tensor(np.random.default_rng(0).uniform(-1, 1, size=(5, 2)))
    perm = np.array([3, 1, 0, 2])
    with torch.no_grad():
        assert torch.allclose(helpers.select_neurons(net, perm)(x), net(x), atol=1e-14)
        doubled = helpers.select_neurons(net, np.repeat(np.arange(4), 2))
        bias = net[2].bias
        assert torch.allclose(doubled(x) - bias, 2 * (net(x) - bias), atol=1e-14)  # every neuron twice
    hidden, _ = helpers.linear_layers(helpers.select_neurons(net, perm))
    assert torch.equal(hidden.weight, net[0].weight[torch.as_tensor(perm)])


def test_linear_layers_rejects_other_networks():
    with pytest.raises(InputError, match="Sequential"):
        helpers.linear_layers(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh()))


def test_param_gap_zero_for_the_permuted_copy_and_positive_otherwise():
    net = helpers.tanh_mlp(5, seed=0)
    perm = np.array([4, 2, 0, 1, 3])
    assert param_gap(net, helpers.select_neurons(net, perm), perm) == 0.0
    assert param_gap(net, helpers.select_neurons(net, np.arange(5)), perm) > 0.0


def test_both_precisions_and_regression_problem():
    assert helpers.both_precisions(len) == {"float32": 7, "float64": 7}
    data, probe = helpers.regression_problem(seed=3, n=10, n_probe=4)
    assert len(data) == 10 and probe.shape == (4, 2)
    x = data.inputs.numpy()
    np.testing.assert_allclose(data.targets.numpy(), np.sin(3 * x[:, 0]) * np.cos(2 * x[:, 1]))
    with pytest.raises(InputError):
        helpers.regression_problem(n=0)


@pytest.mark.parametrize(("m", "sigma", "alpha", "k"), [
    (3, Fraction(1, 2), Fraction(68, 100), 13),  # the paper's example: threshold 13.08
    (2, Fraction(1, 2), Fraction(1, 2), 8),  # threshold exactly 8: k + 1 > 8 needs k = 8
    (1, Fraction(1, 2), Fraction(1, 2), 4),  # threshold 4
])
def test_printed_min_degree_is_the_smallest_k_above_the_threshold(m, sigma, alpha, k):
    threshold = m * (1 + (1 + alpha) / sigma)
    assert printed_min_degree(m, sigma, alpha) == k
    assert k + 1 > threshold >= k  # smallest: k itself fails the strict inequality


def test_share_rule_separates_negligible_from_dominant_compression_error():
    rng = np.random.default_rng(0)
    gap = rng.normal(size=(3, 40))
    tiny, same = 1e-9 * rng.normal(size=gap.shape), rng.normal(size=gap.shape)
    share, low, high = _share_interval(tiny, gap)
    assert share.max() < 1e-8 and low <= share.max() <= high
    assert _share_outcome(share, low, high, "x")[0] == "holds"
    assert _share_outcome(*_share_interval(same, gap), "x")[0] == "fails"
    assert _share_outcome(np.array([0.05]), 0.02, 0.09, "x")[0] == "inconclusive"


def test_errata_evaluator_reads_relations_and_matches_symbols_by_name():
    x = sp.Symbol("x", positive=True)
    k = sp.Symbol("k", integer=True)
    bound = _bound(sp.LessThan(sp.Function("T")(x), x**k))
    assert bound == x**k
    assert float(_evaluator(bound, ("x", "k"))(2, 3)) == 8.0
    with pytest.raises(AssertionError, match="depends on"):
        _evaluator(bound, ("x",))
