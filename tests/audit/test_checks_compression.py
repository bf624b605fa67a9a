"""Helpers of the compression-theory checks (TCHAKALOFF, BALL, PACKING, RATE, LOWER): each test can fail."""

from __future__ import annotations

import numpy as np
import pytest

from unicomp import recombine
from unicomp.audit.checks import _compression as grp
from unicomp.audit.checks.lower import envelope, judge, witness_gap
from unicomp.audit.checks.packing import brute_force, min_diameter_subset
from unicomp.audit.checks.rate import authors_slopes
from unicomp.audit.mutants import replace
from unicomp.errors import InputError
from unicomp.theory import bounds
from unicomp.verify.invariants import InvariantViolation, check_compression


@pytest.fixture
def cloud() -> np.ndarray:
    return np.random.default_rng(3).uniform(-1, 1, size=(150, 2))


def test_check_compression_at_the_asked_degree_sees_a_degree_lowered_and_reported(cloud):
    assert check_compression(recombine(cloud, degree=3), cloud, degree=3).size <= 10
    with replace("unicomp.numerics.caratheodory:recombine", grp.degree_lowered)():
        from unicomp.numerics import caratheodory

        lowered = caratheodory.recombine(cloud, degree=3)
    assert lowered.degree == 2  # the defect reports itself honestly ...
    with pytest.raises(InvariantViolation, match="moment residual"):
        check_compression(lowered, cloud, degree=3)  # ... and is still caught at the degree asked for
    with pytest.raises(InputError, match="degree"):
        check_compression(lowered, cloud, degree=-1)


def test_chebyshev_grid_factor_bounds_the_supremum():
    # T_7(x) T_0(y) + random lower terms: the supremum on a fine grid never exceeds factor x the node maximum
    rng = np.random.default_rng(0)
    nodes, factor = grp.chebyshev_grid(2, 7)
    fine = np.stack(np.meshgrid(*([np.linspace(-1, 1, 401)] * 2), indexing="ij"), axis=-1).reshape(-1, 2)
    for _ in range(5):
        coef = rng.standard_normal((8, 8))
        coef[np.add.outer(np.arange(8), np.arange(8)) > 7] = 0  # total degree <= 7

        def p(x: np.ndarray, c: np.ndarray = coef) -> np.ndarray:
            return np.polynomial.chebyshev.chebval2d(x[:, 0], x[:, 1], c)

        assert np.abs(p(fine)).max() <= factor * np.abs(p(nodes)).max()
    assert 1.0 < factor < 1.05  # the oversampling keeps the factor within 5% (m = 2)
    with pytest.raises(InputError):
        grp.chebyshev_grid(0, 3)


def test_subset_error_is_the_rescaled_subset_sum():
    g = np.arange(10.0)
    err = grp.subset_error(g, 5, np.random.default_rng(1))
    pick = np.random.default_rng(1).choice(10, size=5, replace=False)
    assert err == pytest.approx(abs(45.0 - 2 * g[pick].sum()), abs=1e-12)
    with pytest.raises(InputError, match="size"):
        grp.subset_error(g, 11, np.random.default_rng(0))


def test_bound_mutant_factories_change_the_value():
    shifted = grp.bound_shifted(-1)(bounds.lower_bound_degree)
    assert int(shifted(10, 1).value) == int(bounds.lower_bound_degree(10, 1).value) - 1
    scaled = grp.bound_scaled(0.25)(bounds.packing_diameter)
    full = float(bounds.packing_diameter(100, 3, 2, 1.0).value)
    assert float(scaled(100, 3, 2, 1.0).value) == pytest.approx(full / 4)


def test_witness_vanishes_on_the_atoms_and_integrates_the_rest():
    pts = np.linspace(-1, 1, 200)[:, None]
    atoms = pts[::20]  # 10 atoms: k = 10 (binom(1 + k, 1) > 10)
    gap, vanish = witness_gap(pts, atoms, np.full(10, 20.0), 10)
    assert vanish < 1e-12 and gap > 0
    # atoms = every point: q vanishes everywhere, nothing is left to integrate
    gap_all, _ = witness_gap(pts[:12], pts[:12], np.ones(12), 12)
    assert abs(gap_all) < 1e-20


def test_envelope_recovers_an_exponential_and_needs_positive_b():
    t = np.array([2.0, 4.0, 6.0])
    a, b, scatter = envelope(t, 0.3 * np.exp(-0.7 * t))
    assert (a, b) == (pytest.approx(0.3), pytest.approx(0.7)) and scatter < 1e-12
    a, b, _ = envelope(t, np.array([0.1, 0.2, 0.3]))  # a rising gap: any B > 0 fits, the smallest is taken
    assert 0 < b < 1e-300 and a == pytest.approx(0.1)


def _rows(gap_over_d, ds=(1000, 2000), ts=(2, 3, 4, 5, 6, 7)) -> list[dict]:
    return [{"d": d, "d_prime": t, "t": float(t), "k": t, "k_minimal": True, "vanish": 0.0,
             "gap_over_d": float(gap_over_d(t, d))} for d in ds for t in ts]


def test_judge_fails_a_super_exponential_fall_and_sublinear_growth_in_d():
    outcomes, fit = judge(1, _rows(lambda t, d: 1 / t**2), bounds)
    verdicts = [v for v, _ in outcomes]
    assert fit["B"] > 0 and fit["calibration_d"] == 1000
    assert verdicts == ["holds"] * 4  # construction, positivity, calculator = formula, polynomial decay above bound
    assert judge(1, _rows(lambda t, d: np.exp(-(t**2))), bounds)[0][-1][0] == "fails"
    assert judge(1, _rows(lambda t, d: 1000 / d / t), bounds)[0][-1][0] == "fails"  # gap constant in d


def test_judge_fails_a_broken_construction_and_is_inconclusive_on_few_sizes():
    rows = _rows(lambda t, d: 1 / t)
    rows[3]["vanish"] = 1e-3
    assert judge(1, rows, bounds)[0][0][0] == "fails"
    assert judge(1, _rows(lambda t, d: 1 / t, ts=(2, 3, 4)), bounds)[0][-1][0] == "inconclusive"


def test_exact_search_equals_brute_force():
    rng = np.random.default_rng(11)
    for m, d, n in ((1, 8, 3), (2, 9, 4), (3, 8, 4)):
        pts = rng.uniform(-1, 1, size=(d, m))
        assert min_diameter_subset(pts, n) == brute_force(pts, n)


class _Table:
    """A stand-in for the authors' repository holding one synthetic Fig. 2 table."""

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table

    def read_csv(self, rel: str) -> dict[str, np.ndarray]:
        return self.table


def test_authors_slopes_fit_the_exponent_and_flag_the_floor():
    ds = np.repeat([1000.0, 2000.0, 4000.0, 8000.0], 3)
    noise = np.tile([0.9, 1.0, 1.1], 4)
    err = np.concatenate([1e-2 * (ds / 1000) ** -2.5 * noise, np.full(12, 1e-16)])
    table = {"m": np.r_[np.full(12, 2.0), np.full(12, 1.0)], "k": np.r_[np.full(12, 3.0), np.full(12, 6.0)],
             "d": np.r_[ds, ds], "orig": np.full(24, 0.5), "comp": 0.5 + err}
    out = authors_slopes(_Table(table))
    assert out["m=2 k=3"]["slope"] == pytest.approx(-2.5, abs=0.05) and out["m=2 k=3"]["within_bound"]
    assert out["m=1 k=6"]["slope"] is None
