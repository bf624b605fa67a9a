"""The audit audits itself: each claim's check run under its planted defects (:mod:`unicomp.audit.mutants`).

By default a quick subset runs (the claims whose mutant runs take seconds, so the CI budget holds);
``pytest paper_checks --all-mutants`` (or ``unicomp audit --mutants``) runs every claim's catalogue.  Each claim
must kill at least one of its mutants, and at least :data:`~unicomp.cli.audit.MIN_KILL_FRACTION` of all the
mutants run must be killed.
"""

from __future__ import annotations

from unicomp.audit.registry import CLAIMS
from unicomp.audit.report import kill_summary
from unicomp.audit.runner import mutants_of, run_mutants
from unicomp.cli.audit import MIN_KILL_FRACTION

#: Claims whose whole catalogue runs in CI (each mutant run takes seconds at the quick tier).
CI_SUBSET = ("FTSP", "NEWTON", "TCHAKALOFF", "PACKING", "GRADSCALE", "BOOST", "ERRATA")


def test_the_checks_kill_their_planted_defects(request, tmp_path):
    claims = [c.id for c in CLAIMS] if request.config.getoption("--all-mutants") else list(CI_SUBSET)
    runs = []
    for claim_id in claims:
        assert len(mutants_of(claim_id)) >= 2, f"{claim_id} declares fewer than two planted defects"
        runs += run_mutants(claim_id, out_dir=tmp_path)
    summary = kill_summary(runs, claims)
    survivors = "; ".join(f"{m.claim_id}/{m.mutant} ({m.status})" for m in runs if not m.killed)
    assert not summary["claims_killing_none"], f"claims killing none of their defects; survivors: {survivors}"
    assert summary["fraction"] >= MIN_KILL_FRACTION, f"killed {summary['killed']}/{summary['total']}: {survivors}"
