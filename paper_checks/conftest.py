"""``pytest paper_checks/``: the paper audit as pytest tests, one thin entry per claim.

Each ``test_<id>.py`` runs the claim's check, :mod:`unicomp.audit.checks.<id>`, through
:func:`unicomp.audit.runner.run_claim` (the same runner as ``unicomp audit``).  A claim that does not
reproduce is a verdict (``"fails"``) in the report, not a failing test; a test fails when its check raised
before recording a verdict (the report lists that claim as "did not complete" with the error).  At the end
of the session the verdict table is printed and the report -- a row for each of the 21 claims -- is written
to ``--audit-out`` (default ``paper_checks/report``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pytest

from unicomp.audit.registry import Registry
from unicomp.audit.report import report_rows, verdict_counts, verdict_table, write_report
from unicomp.audit.runner import ClaimRun, run_claim

_HERE = Path(__file__).resolve().parent
_RUNS = pytest.StashKey[list[ClaimRun]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("unicomp audit", "paper audit (paper_checks/)")
    group.addoption("--full", action="store_true", default=False,
                    help="run the paper audit at the paper's scale (hours) instead of the quick tier")
    group.addoption("--audit-out", default=None, metavar="DIR",
                    help="directory for the audit report (default paper_checks/report)")
    group.addoption("--all-mutants", action="store_true", default=False,
                    help="run every claim's planted defects in test_self_audit.py (default: a quick subset)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RUNS] = []


def _out_dir(config: pytest.Config) -> Path:
    opt = config.getoption("--audit-out")
    return Path(opt).resolve() if opt else _HERE / "report"


@pytest.fixture(scope="session")
def tier(request: pytest.FixtureRequest) -> str:
    """``"full"`` with ``--full``, else ``"quick"``."""
    return "full" if request.config.getoption("--full") else "quick"


@pytest.fixture
def audit_claim(request: pytest.FixtureRequest, tier: str) -> Callable[[str], ClaimRun]:
    """Run one claim's check; the test fails if the check raised before recording its verdict."""
    config = request.config

    def run(claim_id: str) -> ClaimRun:
        result = run_claim(claim_id, tier=tier, out_dir=_out_dir(config), registry=Registry())
        config.stash[_RUNS].append(result)
        request.node.user_properties.append(("claim", result.claim_id))
        request.node.user_properties.append(("verdict", result.status))
        if result.finding is None:
            pytest.fail(f"{result.claim_id} did not complete: {result.error}", pytrace=False)
        if result.status == "not checkable here":
            pytest.skip(result.finding.evidence)
        return result

    return run


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    runs = config.stash.get(_RUNS, [])
    if not runs:
        return
    paths = write_report(runs, _out_dir(config))
    rows = [r for r in report_rows(runs) if r["verdict"] != "not run"]
    tr = terminalreporter
    tr.section("paper audit verdicts")
    tr.write_line(verdict_table(rows, limit=110))
    counts = ", ".join(f"{v}: {n}" for v, n in verdict_counts(rows).items())
    tr.write_line(f"verdicts: {counts or 'none'}")
    tr.write_line(f"report: {paths['markdown']}")
