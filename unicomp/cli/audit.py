"""``unicomp audit``: audit the paper's claims and write the verdict report.

Runs the ``paper_checks/`` modules of the claims asked for (all by default) under pytest -- the same
checks as ``pytest paper_checks/`` -- printing one progress line per check, then the verdict table, and
writes ``report.md``, ``report.json``, ``runs/`` and ``figures/`` to ``--out``.  A claim that does not
reproduce is a verdict in the report; the exit status is non-zero only when a check could not run (or a
compression broke its invariants).  Needs a source checkout (``paper_checks/`` next to the package) and
pytest.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from unicomp.errors import UnicompError
from unicomp.verify.registry import get_claim, parse_claim_ids

__all__ = ["ProgressPlugin", "find_checks", "register", "run"]

_DEFAULT_OUT = "paper_checks/report"


def find_checks() -> Path:
    """The ``paper_checks/`` directory of the source checkout this package was imported from."""
    root = Path(__file__).resolve().parents[2]
    checks = root / "paper_checks"
    if not (checks / "conftest.py").is_file():
        raise UnicompError(
            f"paper_checks/ not found next to the package ({root}); the audit runs from a source checkout"
        )
    return checks


class ProgressPlugin:
    """A pytest plugin printing ``[i/n] CLAIM verdict (seconds)`` as each check finishes."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = 0
        self.done = 0
        self._start = time.perf_counter()

    def pytest_collection_finish(self, session: Any) -> None:
        self.total = len(session.items)
        print(f"unicomp audit: {self.total} checks collected", file=self.stream, flush=True)

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when != "call" and not (report.failed or report.skipped):
            return
        if report.when == "teardown" and not report.failed:
            return
        self.done += 1
        props = dict(report.user_properties)
        label = props.get("claim", report.nodeid.split("::")[-1])
        verdict = props.get("verdict") or report.outcome
        elapsed = time.perf_counter() - self._start
        print(f"[{self.done}/{self.total}] {label}: {verdict} ({report.duration:.1f} s, total {elapsed:.0f} s)",
              file=self.stream, flush=True)


def register(sub: Any) -> None:
    """Add the ``audit`` sub-command."""
    p = sub.add_parser(
        "audit",
        help="audit the paper's claims and write a verdict report",
        description="Run the paper audit (paper_checks/) and write report.md, report.json and figures.",
    )
    p.add_argument("--full", action="store_true", help="the paper's scale (hours) instead of the quick tier")
    p.add_argument("--claims", default=None, metavar="ID,...",
                   help="comma-separated claim ids (default: all), e.g. BALL,PACKING")
    p.add_argument("--out", default=None, metavar="DIR", help=f"report directory (default {_DEFAULT_OUT})")
    p.set_defaults(func=run)


def build_pytest_args(args: argparse.Namespace, checks: Path) -> list[str]:
    """The pytest command line for the parsed ``audit`` arguments."""
    ids = parse_claim_ids(args.claims)
    out = Path(args.out).resolve() if args.out else checks / "report"
    files = [str(checks / get_claim(i).module) for i in ids]
    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise UnicompError(f"audit modules not found: {', '.join(missing)}")
    cmd = [*files, "-q", "--no-header", "-p", "no:cacheprovider", f"--audit-out={out}"]
    if args.full:
        cmd.append("--full")
    return cmd


def run(args: argparse.Namespace) -> int:
    """Run the audit; exit status 0 when every check ran, 1 when one could not."""
    try:
        import pytest
    except ImportError:  # pragma: no cover - pytest is a dev dependency
        raise UnicompError("the audit needs pytest (pip install 'unicomp[dev]')") from None
    checks = find_checks()
    cmd = build_pytest_args(args, checks)
    status = pytest.main(cmd, plugins=[ProgressPlugin()])
    return 0 if status == 0 else 1
