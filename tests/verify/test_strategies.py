"""Hypothesis strategies (unicomp.verify.strategies) and a property test built on them."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings

from unicomp import num_moments, recombine
from unicomp.errors import InputError
from unicomp.verify import check_compression
from unicomp.verify.strategies import (
    FAMILIES,
    AnalyticDeepSet,
    deep_set_functions,
    degenerate_family,
    small_networks,
    symmetric_polynomials,
    weighted_point_clouds,
)


@settings(max_examples=30, deadline=None)
@given(weighted_point_clouds(max_points=40))
def test_recombination_invariants_on_every_family(cloud):
    points, weights = cloud
    assert points.ndim == 2 and weights.shape == (points.shape[0],) and weights.sum() > 0
    assert np.all(np.isfinite(points)) and np.all(weights >= 0)
    comp = recombine(points, weights, degree=2, precision=30)
    check_compression(comp, points, weights)


def test_degenerate_families():
    for kind in FAMILIES:
        pts, w = degenerate_family(kind, 30, 2, seed=1)
        assert pts.shape[0] == w.shape[0] and w.sum() > 0
    assert np.unique(degenerate_family("duplicates", 30, 2)[0], axis=0).shape[0] <= 10
    assert np.sum(degenerate_family("zero_weights", 30, 2)[1] == 0) > 0
    with pytest.raises(InputError):
        degenerate_family("nope", 3, 1)


@settings(max_examples=20, deadline=None)
@given(deep_set_functions(2))
def test_deep_set_functions_are_symmetric_and_weighted(f):
    assert isinstance(f, AnalyticDeepSet)
    pts = np.random.default_rng(0).uniform(-0.4, 0.4, size=(6, 2))
    value = f(pts)
    assert np.isfinite(value)
    # float64: reordering/regrouping a sum of 6 values g <= e^1.3 changes it by a few ulps of ~20 (~1e-14);
    # the outer h has |h'| <= 1, and abs covers values near zero where rel means nothing.
    assert f(pts[::-1]) == pytest.approx(value, rel=1e-12, abs=1e-12)
    assert f(pts[:3], weights=[2.0, 2.0, 2.0]) == pytest.approx(f(np.repeat(pts[:3], 2, axis=0)), rel=1e-12,
                                                                 abs=1e-12)


@settings(max_examples=20, deadline=None)
@given(small_networks(max_width=8))
def test_small_networks_weights_multiply_neurons(net):
    x = np.random.default_rng(1).uniform(-1, 1, size=(5, net.w.shape[1]))
    assert net.objects.shape == (net.v.shape[0], net.w.shape[1] + 2)
    doubled = net(x, weights=np.full(net.v.shape[0], 2.0))
    # x2 commutes with float rounding, so equal unless products underflow (parameters may be ~1e-308); the
    # tolerance only absorbs such underflow.
    np.testing.assert_allclose(doubled, 2 * net(x), rtol=1e-12, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(symmetric_polynomials(max_objects=3, max_dim=2))
def test_symmetric_polynomials_are_invariant(case):
    poly, objects = case
    swapped = poly.xreplace({s: t for a, b in [(objects[0], objects[-1])] for s, t in
                             [*zip(a, b, strict=True), *zip(b, a, strict=True)]})
    assert sp.expand(swapped - poly) == 0
    assert num_moments(len(objects[0]), 1) == len(objects[0]) + 1
