"""The paper audit's pytest glue: the ``--full`` tier, the ``audit`` recorder and the session report.

Each module ``test_<id>.py`` audits one claim of ``CLAIMS.md`` and files exactly one finding through the
``audit`` fixture.  At the end of the session the verdict table is printed and ``report.md``,
``report.json``, ``runs/`` and ``figures/`` are written to ``--audit-out`` (default
``paper_checks/report``).  A claim that does not reproduce is a verdict, not a failure; a test fails only
when its check cannot run or a compression breaks its invariants.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pytest

from unicomp.verify.registry import Finding, Registry, get_claim
from unicomp.verify.report import verdict_counts, verdict_table, write_report

_HERE = Path(__file__).resolve().parent
_REGISTRY = pytest.StashKey[Registry]()
# Audit checks that raised (the logreport hook has no config to reach a stash); reset per session.
_SESSION_ERRORS: list[str] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("unicomp audit", "paper audit (paper_checks/)")
    group.addoption("--full", action="store_true", default=False,
                    help="run the paper audit at the paper's scale (hours) instead of the quick tier")
    group.addoption("--audit-out", default=None, metavar="DIR",
                    help="directory for the audit report (default paper_checks/report)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_REGISTRY] = Registry()
    _SESSION_ERRORS.clear()


def _claim_id(module: ModuleType) -> str:
    name = module.__name__.rsplit(".", 1)[-1]
    return get_claim(name.removeprefix("test_")).id


class Audit:
    """Records one claim's finding; handed to each check as the ``audit`` fixture."""

    def __init__(
        self, claim_id: str, tier: str, out_dir: Path, registry: Registry, node: pytest.Item
    ) -> None:
        self.claim_id = claim_id
        self.tier = tier
        self.out_dir = out_dir
        self._registry = registry
        self._node = node
        self._figures: list[str] = []
        self._start = time.perf_counter()

    @property
    def full(self) -> bool:
        """Whether this is the paper-scale tier."""
        return self.tier == "full"

    def figure(self, fig: Any, name: str = "") -> str:
        """Save a figure as ``figures/<ID>[-name].png``; returns the path relative to the report."""
        import matplotlib.pyplot as plt

        rel = f"figures/{self.claim_id}{'-' + name if name else ''}.png"
        path = self.out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        self._figures.append(rel)
        return rel

    def record(
        self,
        verdict: str,
        measured: dict[str, Any],
        evidence: str,
        *,
        caveat: str | None = None,
        params: dict[str, Any] | None = None,
        seeds: list[int] | None = None,
        baseline: dict[str, Any] | None = None,
    ) -> Finding:
        """File the finding (once per claim)."""
        finding = Finding(
            self.claim_id, verdict, dict(measured), evidence, caveat=caveat, params=dict(params or {}),
            seeds=list(seeds or []), baseline=dict(baseline or {}), tier=self.tier,
            figures=list(self._figures), elapsed=time.perf_counter() - self._start,
        )
        self._registry.record(finding)
        self._node.user_properties.append(("claim", self.claim_id))
        self._node.user_properties.append(("verdict", verdict))
        return finding

    def require(self, module: str) -> ModuleType:
        """Import a component the check needs; if it does not exist, record "not checkable here" and skip."""
        try:
            return importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (module == exc.name or module.startswith(exc.name + ".")):
                raise  # the component exists but one of its own imports is broken: a real error
            reason = f"component {module} is not in this build (missing module {exc.name})"
            self.record("not checkable here", {"missing": module}, reason)
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def single_thread() -> Iterator[None]:
    """One BLAS thread and one torch thread per check (restored afterwards).

    The checks run many small problems; on the 2-core CI machine multi-threaded BLAS and torch spend their
    time starting and synchronising threads (a batched QR of Algorithm 1 measured 100x slower with the
    default OpenBLAS threading than with one thread).
    """
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tier(request: pytest.FixtureRequest) -> str:
    """``"full"`` with ``--full``, else ``"quick"``."""
    return "full" if request.config.getoption("--full") else "quick"


def _out_dir(config: pytest.Config) -> Path:
    opt = config.getoption("--audit-out")
    return Path(opt).resolve() if opt else _HERE / "report"


@pytest.fixture
def audit(request: pytest.FixtureRequest, tier: str) -> Audit:
    """The recorder for this module's claim."""
    config = request.config
    claim_id = _claim_id(request.module)
    return Audit(claim_id, tier, _out_dir(config), config.stash[_REGISTRY], request.node)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed and "paper_checks" in report.nodeid.replace("\\", "/"):
        summary = report.longreprtext.strip().splitlines()
        last = summary[-1] if summary else "failed"
        _SESSION_ERRORS.append(f"{report.nodeid} ({report.when}): {last}")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    registry = config.stash.get(_REGISTRY, None)
    errors = list(_SESSION_ERRORS)
    if not registry and not errors:
        return
    out = _out_dir(config)
    paths = write_report(registry or [], out, errors=errors)
    tr = terminalreporter
    tr.section("paper audit verdicts")
    tr.write_line(verdict_table(registry or [], limit=110))
    counts = ", ".join(f"{v}: {n}" for v, n in verdict_counts(registry or []).items())
    tr.write_line(f"verdicts: {counts or 'none'}; checks that did not complete: {len(errors)}")
    tr.write_line(f"report: {paths['markdown']}")
