"""``unicomp audit``: audit the paper's claims and write the verdict report.

Runs the checks of the claims asked for (all 21 by default) -- :mod:`unicomp.audit.checks`, the same
checks as ``pytest paper_checks/`` -- printing one progress line per check to stderr, then the verdict table
to stdout, and writes ``report.md``, ``report.json``, ``runs/`` and ``figures/`` to ``--out``.  At the
full tier (and with ``--budget``) it resumes: a claim already finished at that tier in ``--out`` is loaded,
and a long check's finished units (``units/``) are not recomputed; ``--rerun`` recomputes everything.
``--budget 90m`` runs each claim at the largest tier whose measured expected time fits what is left, and
leaves out a claim for which none does.  With
``--mutants`` each claim's check is also run under each of its planted defects and the kill matrix is added
to the report (``mutants.json``).  It needs only the installed package, not a source checkout.

Exit status: 0 when every check ran (whatever the verdicts: a claim that does not reproduce is a finding);
1 when a check raised before recording its verdict ("did not complete"); 3 when ``--mutants`` ran and the
audit missed its own bar (a claim killed none of its mutants, or fewer than 90% were killed overall);
2 for a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from unicomp.audit.report import kill_summary, report_rows, verdict_counts, verdict_table
from unicomp.audit.runner import audit
from unicomp.audit.schedule import parse_duration
from unicomp.errors import InputError

__all__ = ["EXIT_CRASHED", "EXIT_MUTANTS_SURVIVED", "MIN_KILL_FRACTION", "register", "run"]

_DEFAULT_OUT = "paper_checks/report"
EXIT_CRASHED = 1
EXIT_MUTANTS_SURVIVED = 3
#: The audit's bar for itself: at least this fraction of all planted defects killed (and every claim kills
#: at least one of its own).
MIN_KILL_FRACTION = 0.9


def register(sub: Any) -> None:
    """Add the ``audit`` sub-command."""
    p = sub.add_parser(
        "audit",
        help="audit the paper's claims and write a verdict report",
        description="Run the paper audit and write report.md, report.json and figures. Exit status: 0 every "
                    "check ran; 1 a check did not complete; 3 --mutants found the audit missing planted defects.",
    )
    p.add_argument("--full", action="store_true", help="the paper's scale (hours) instead of the quick tier")
    p.add_argument("--claims", default=None, metavar="ID,...",
                   help="comma-separated claim ids (default: all), e.g. BALL,PACKING")
    p.add_argument("--out", default=None, metavar="DIR", help=f"report directory (default {_DEFAULT_OUT})")
    p.add_argument("--rerun", action="store_true",
                   help="recompute the findings and units already in --out (the full tier resumes by default)")
    p.add_argument("--budget", default=None, metavar="DURATION",
                   help="time for the whole audit (90m, 2h, 1h30m): each claim runs at the largest tier whose "
                        "measured expected time fits what is left (resumable, like --full)")
    p.add_argument("--mutants", action="store_true",
                   help="also run each claim's check under its planted defects (quick tier) and report the kill "
                        "matrix")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the audit; see the module docstring for the exit status."""
    if (args.full or args.budget) and args.mutants:
        raise InputError("--mutants runs at the quick tier; leave out --full and --budget")
    if args.full and args.budget:
        raise InputError("--budget picks the tier of each claim; leave out --full")
    budget = parse_duration(args.budget) if args.budget else None
    out = Path(args.out) if args.out else Path(_DEFAULT_OUT)
    result = audit(args.claims, tier="full" if args.full else "quick", out_dir=out, mutants=args.mutants,
                   rerun=args.rerun, budget=budget)
    rows = [r for r in report_rows(result.runs) if r["verdict"] != "not run"]
    print("paper audit verdicts")
    print(verdict_table(rows, limit=110))
    print("verdicts: " + ", ".join(f"{v}: {n}" for v, n in verdict_counts(rows).items()))
    print(f"report: {result.paths['markdown']}")
    if result.crashed:
        names = ", ".join(r.claim_id for r in result.crashed)
        print(f"unicomp audit: checks that did not complete: {names}", file=sys.stderr)
        return EXIT_CRASHED
    if result.mutants is not None:
        summary = kill_summary(result.mutants, [r.claim_id for r in result.runs])
        missed = summary["claims_killing_none"] + summary["claims_without_mutants"]
        print(f"planted defects killed: {summary['killed']}/{summary['total']}; claims killing none of theirs "
              f"(or declaring none): {', '.join(missed) or 'none'}")
        if missed or not summary["total"] or summary["fraction"] < MIN_KILL_FRACTION:
            return EXIT_MUTANTS_SURVIVED
    return 0
