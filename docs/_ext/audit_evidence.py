"""Which audit result the documentation shows for each claim, and the README's full-tier verdict line.

Two directories may hold audit results:

``paper_checks/evidence/`` (committed)
    The full tier, written claim by claim by ``unicomp audit --full --out paper_checks/evidence``: a report
    directory (``report.md``, ``report.json``, ``runs/<ID>-<hash>.json``, ``figures/``) plus
    ``machine.json`` (CPU, cores, memory, OS, versions, git commit, date).
``paper_checks/report/`` (local, not committed)
    Whatever ``make test``, ``pytest paper_checks`` or ``unicomp audit`` last wrote: usually the quick tier.

In each directory a claim's *result* is its row of ``report.json`` when that row holds a finding (any verdict
except "not run" and "did not complete"), else the most recent finding for the claim in ``runs/`` -- so a
directory that is still being filled (a report not yet rewritten, or one written by a run of other claims)
still contributes what it has.  Of the two directories' results the one at the higher tier is shown (full
over quick); at equal tiers the committed evidence.  Each shown result carries its tier, its date, where it
came from and, for the full tier, the machine.  Either directory may be missing or hold only some claims.

Run as a script, the module checks or rewrites the README's line of full-tier verdict counts, computed from
the evidence directory alone (``--check`` exits 1 when the line is stale)::

    python docs/_ext/audit_evidence.py --check
    python docs/_ext/audit_evidence.py --write
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unicomp.audit.registry import CLAIMS, DID_NOT_COMPLETE
from unicomp.audit.report import NOT_RUN, verdict_counts

__all__ = ["EVIDENCE", "REPORT", "Result", "Shown", "folder_results", "main", "readme_line", "select"]

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE = ROOT / "paper_checks" / "evidence"
REPORT = ROOT / "paper_checks" / "report"
README = ROOT / "README.md"

#: Tiers in increasing scale; a result at a later tier is preferred.
TIER_ORDER = ("quick", "full")
#: The README line starts with this text (the script finds the line by it).
README_PREFIX = "**Latest full-tier verdicts**"
_UPDATE = " (`python docs/_ext/audit_evidence.py --write` rewrites this line from the evidence.)"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:  # a committed file that cannot be read is a real error
        raise ValueError(f"cannot read audit file {path}: {exc}") from exc


def _has_finding(row: Mapping[str, Any]) -> bool:
    return row.get("verdict") not in (None, NOT_RUN, DID_NOT_COMPLETE)


def _date(row: Mapping[str, Any]) -> str | None:
    env = row.get("environment")
    return env.get("time_utc") if isinstance(env, Mapping) else None


def _machine(row: Mapping[str, Any], machine_file: Mapping[str, Any]) -> str | None:
    """The machine a finding ran on, in words.

    The row's own environment says which platform and how many cores ran it; ``machine.json`` (written with
    the last report of the directory) adds the CPU model and memory when it describes the same platform and
    core count -- else the row's own record is all that is claimed.
    """
    env = row.get("environment")
    own = env.get("machine") if isinstance(env, Mapping) else None
    own = own if isinstance(own, Mapping) else {}
    same = own.get("platform") == machine_file.get("os") and own.get("cpu_count") == machine_file.get("cores")
    if machine_file and (same or not own):
        parts = [machine_file.get("cpu"), f"{machine_file['cores']} cores" if machine_file.get("cores") else None,
                 f"{machine_file['memory_gib']} GiB" if machine_file.get("memory_gib") else None,
                 machine_file.get("os")]
    else:
        parts = [own.get("processor"), f"{own['cpu_count']} cores" if own.get("cpu_count") else None,
                 own.get("platform")]
    return ", ".join(str(p) for p in parts if p) or None


@dataclass(frozen=True)
class Result:
    """One claim's finding as read from one directory.

    Attributes
    ----------
    row : dict
        The finding (a row of ``report.json`` or a ``runs/`` record).
    origin : {"evidence", "report"}
        Which directory it came from.
    machine : str or None
        The machine that produced it (see :func:`_machine`).
    date : str or None
        When (the row's environment, else ``machine.json``'s date), ISO 8601 in UTC.
    """

    row: dict[str, Any]
    origin: str
    machine: str | None
    date: str | None

    @property
    def tier(self) -> str:
        """The tier the finding was measured at."""
        return str(self.row.get("tier") or "quick")

    @property
    def label(self) -> str:
        """``"full tier, 2026-11-30 05:12 UTC, on <machine>"`` (the machine for the full tier only)."""
        when = self.date.replace("T", " ").replace("+00:00", " UTC") if self.date else "date not recorded"
        text = f"{self.tier} tier, {when}"
        if self.tier == "full":
            text += f", on {self.machine}" if self.machine else ", machine not recorded"
        return text

    @property
    def authors_source(self) -> str | None:
        """The authors' measured data the finding (and its figures) set ours against, if any."""
        authors = self.row.get("authors") or {}
        if not authors:
            return None
        return str(authors.get("source") or "their published CSVs")


@dataclass(frozen=True)
class Shown:
    """What the documentation shows for one claim: a result (or none) and notes on what is missing."""

    claim: str
    result: Result | None
    notes: tuple[str, ...] = field(default=())


def _machine_file(folder: Path) -> dict[str, Any]:
    path = folder / "machine.json"
    data = _read_json(path) if path.is_file() else {}
    return data if isinstance(data, dict) else {}


def _report_rows(folder: Path) -> dict[str, dict[str, Any]]:
    path = folder / "report.json"
    rows = _read_json(path) if path.is_file() else []
    return {r["id"]: r for r in rows if isinstance(r, dict) and "id" in r}


def _latest_runs(folder: Path) -> dict[str, dict[str, Any]]:
    """The most recent finding per claim among ``runs/<ID>-<hash>.json``."""
    latest: dict[str, dict[str, Any]] = {}
    for path in sorted((folder / "runs").glob("*.json")) if (folder / "runs").is_dir() else []:
        row = _read_json(path)
        if not isinstance(row, dict) or not _has_finding(row):
            continue
        claim = str(row.get("id"))
        if claim not in latest or (_date(row) or "") > (_date(latest[claim]) or ""):
            latest[claim] = row
    return latest


def folder_results(folder: Path, origin: str) -> tuple[dict[str, Result], dict[str, dict[str, Any]]]:
    """The results of one directory by claim, and its ``report.json`` rows that hold no finding.

    A missing directory, ``report.json``, ``runs/`` or ``machine.json`` just contributes nothing.
    """
    machine_file = _machine_file(folder)
    rows = _report_rows(folder)
    found = {cid: row for cid, row in rows.items() if _has_finding(row)}
    for cid, row in _latest_runs(folder).items():
        found.setdefault(cid, row)
    results = {}
    for cid, row in found.items():
        date = _date(row) or machine_file.get("date_utc")
        results[cid] = Result(row=row, origin=origin, machine=_machine(row, machine_file), date=date)
    unfinished = {cid: row for cid, row in rows.items() if cid not in found}
    return results, unfinished


def _rank(result: Result) -> int:
    return TIER_ORDER.index(result.tier) if result.tier in TIER_ORDER else -1


def select(evidence: Path = EVIDENCE, report: Path = REPORT) -> list[Shown]:
    """What to show for every claim of the registry, in the paper's order (see the module docstring)."""
    committed, unfinished = folder_results(evidence, "evidence")
    local, _ = folder_results(report, "report")
    shown = []
    for claim in CLAIMS:
        candidates = [r for r in (committed.get(claim.id), local.get(claim.id)) if r is not None]
        best = max(candidates, key=_rank, default=None)  # max keeps the first (committed) among equals
        notes = []
        row = unfinished.get(claim.id)
        if row is not None and row.get("verdict") == DID_NOT_COMPLETE:
            notes.append(f"The committed full-tier run did not complete: {row.get('evidence', 'no error recorded')}.")
        if best is None or best.tier != "full":
            notes.append("No committed full-tier evidence for this claim yet (`make audit-full` writes it to "
                         "`paper_checks/evidence/`).")
        shown.append(Shown(claim.id, best, tuple(notes)))
    return shown


def readme_line(evidence: Path = EVIDENCE) -> str:
    """The README's one line of full-tier verdict counts: the full-tier results of the evidence directory
    (read as for the pages: ``report.json``, and ``runs/`` for the claims it lacks)."""
    results = [r for r in folder_results(evidence, "evidence")[0].values() if r.tier == "full"]
    if not results:
        return (f"{README_PREFIX}: none committed yet (`make audit-full` writes them to `paper_checks/evidence/`)."
                + _UPDATE)
    counts = ", ".join(f"{verdict} {n}" for verdict, n in sorted(verdict_counts(r.row for r in results).items()))
    dates = sorted(r.date for r in results if r.date)
    when = f", latest run {dates[-1][:10]}" if dates else ""
    return (f"{README_PREFIX} (`paper_checks/evidence/`{when}): {len(results)} of {len(CLAIMS)} claims "
            f"at the full tier -- {counts}." + _UPDATE)


def _readme_lines(readme: Path) -> list[str]:
    return readme.read_text(encoding="utf-8").splitlines(keepends=True)


def main(argv: Iterable[str] | None = None) -> int:
    """``--check``: exit 1 if the README's line differs from :func:`readme_line`; ``--write``: rewrite it."""
    parser = argparse.ArgumentParser(description="Check or rewrite the README's full-tier verdict line.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 when the README's line is stale")
    mode.add_argument("--write", action="store_true", help="rewrite the README's line")
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--evidence", type=Path, default=EVIDENCE)
    args = parser.parse_args(None if argv is None else list(argv))
    lines = _readme_lines(args.readme)
    at = [i for i, line in enumerate(lines) if line.startswith(README_PREFIX)]
    if len(at) != 1:
        print(f"{args.readme}: expected exactly one line starting with {README_PREFIX!r}, found {len(at)}",
              file=sys.stderr)
        return 2
    expected = readme_line(args.evidence) + "\n"
    if lines[at[0]] == expected:
        return 0
    if args.check:
        print(f"{args.readme}:{at[0] + 1}: stale full-tier verdict line; expected\n{expected}", file=sys.stderr)
        return 1
    lines[at[0]] = expected
    args.readme.write_text("".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
