r"""The audit report: a verdict table with a row for every claim, ``report.md``, ``report.json``, the
kill matrix of the planted defects, and one record per run.

Every report records the parameters, seeds, library versions and machine of the run, and keys each
finding by a hash of its parameters (:attr:`~unicomp.audit.registry.Finding.param_hash`): the file
``runs/<ID>-<hash>.json`` holds the full finding, so runs with different parameters never overwrite one
another.  ``report.json`` is a list with one entry per claim of the registry -- all 21, always: a claim whose
check raised has the status ``"did not complete"`` and the error as its evidence, a claim left out of this
audit has ``"not run"``.  ``mutants.json`` (when mutants ran) holds the kill matrix.

Examples
--------
>>> from unicomp.audit.registry import Finding
>>> from unicomp.audit.runner import ClaimRun
>>> run = ClaimRun("NEWTON", Finding("NEWTON", "holds", {"orders": 8}, "all identities expand to 0"), None, 0.1)
>>> rows = report_rows([run])
>>> len(rows), [r["verdict"] for r in rows if r["id"] in ("FTSP", "NEWTON")]
(21, ['not run', 'holds'])
>>> print(verdict_table(rows).splitlines()[3])
| NEWTON | Thm 6 (App.) | holds | all identities expand to 0 |
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unicomp.audit.cache import write_atomic
from unicomp.audit.registry import CLAIMS, DID_NOT_COMPLETE

if TYPE_CHECKING:
    from unicomp.audit.runner import ClaimRun, MutantRun

__all__ = ["NOT_RUN", "environment", "kill_summary", "machine_info", "report_rows", "runs_table", "verdict_counts",
           "verdict_table", "write_report"]

#: The status of a claim left out of this audit (``--claims``).
NOT_RUN = "not run"

_PACKAGES = ("unicomp", "numpy", "scipy", "sympy", "mpmath", "torch", "matplotlib", "hypothesis", "pytest")
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: Where the project writes reports (the quick tier's and the committed full-tier evidence), relative to the
#: checkout's root.
_OUTPUT_FOLDERS = ("paper_checks/report", "paper_checks/evidence")


def environment() -> dict[str, Any]:
    """Versions of the numerical stack, the machine, the thread settings of this process, and the git commit
    of the source checkout with the tracked files that differed from it (the code that ran is the commit plus
    those edits; ``None`` and ``[]`` for an installed wheel)."""
    commit = _git("rev-parse", "HEAD")
    # the audit's own output folders are not code: a report rewritten in place is not an edit of what ran
    modified = _git("status", "--porcelain", "--untracked-files=no", "--", ":(top)",
                    *(f":(top,exclude){folder}" for folder in _OUTPUT_FOLDERS)) if commit else None
    versions: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": sys.version.split()[0],
        "versions": versions,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cpu_count": os.cpu_count(),
        },
        "threads": {v: os.environ.get(v) for v in _THREAD_VARS},
        "time_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "git_modified": modified.splitlines() if modified else [],
    }


def _proc_field(path: str, key: str) -> str | None:
    """The value of ``key: value`` in a /proc file (``None`` off Linux or when absent)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return next((ln.split(":", 1)[1].strip() for ln in lines if ln.split(":", 1)[0].strip() == key), None)


def _git(*args: str) -> str | None:
    """The output of ``git args`` in the source checkout the package runs from (``None`` for an installed
    wheel or without git)."""
    try:
        done = subprocess.run(["git", *args], cwd=Path(__file__).parent, capture_output=True, text=True,
                              timeout=10, check=False)
    except OSError:
        return None
    return done.stdout.rstrip() if done.returncode == 0 else None


def machine_info() -> dict[str, Any]:
    """What ran the audit: CPU model, cores, memory, OS, Python and package versions, git commit (and the
    tracked files that differed from it: the code that ran is the commit plus those edits), date."""
    env = environment()
    mem = _proc_field("/proc/meminfo", "MemTotal")
    return {
        "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem.split()[0]) / 2**20, 1) if mem else None,
        "os": platform.platform(),
        "python": env["python"],
        "versions": env["versions"],
        "threads": env["threads"],
        "git_commit": env["git_commit"],
        "git_modified": env["git_modified"],
        "date_utc": env["time_utc"],
    }


def _cell(text: Any, limit: int = 400) -> str:
    s = " ".join(str(text).split()).replace("|", "\\|")
    return s if len(s) <= limit else s[: limit - 3] + "..."


def report_rows(runs: Iterable[ClaimRun], pending: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One entry per claim of the registry, in the paper's order.

    A claim with a finding gets the finding's fields (:meth:`~unicomp.audit.registry.Finding.to_dict`); a
    claim whose check raised gets ``verdict = "did not complete"`` and the error as evidence; a claim not in
    ``runs``, ``"not run"`` with ``pending[id]`` as evidence where given (a resumable run's stored units).
    """
    by_id = {r.claim_id: r for r in runs}
    rows = []
    for claim in CLAIMS:
        run = by_id.get(claim.id)
        if run is not None and run.finding is not None:
            row = run.finding.to_dict()
            if run.stored is not None:  # loaded from an earlier run: keep when and where that ran
                row["environment"] = run.stored.get("environment")
                row["resumed"] = True
            rows.append(row)
            continue
        status, evidence = (DID_NOT_COMPLETE, run.error or "no finding") if run is not None else \
            (NOT_RUN, (pending or {}).get(claim.id, "not selected in this audit"))
        rows.append({"id": claim.id, "source": claim.source, "claim": claim.claim, "verdict": status,
                     "caveat": None, "evidence": evidence, "reference": claim.reference, "rule": claim.rule,
                     "measured": {}, "baseline": {}, "authors": {}, "params": {}, "seeds": [], "figures": [],
                     "elapsed_s": round(run.elapsed, 3) if run is not None else None})
    return rows


def verdict_table(rows: Iterable[dict[str, Any]], *, limit: int = 160) -> str:
    """A markdown table ``| id | source | verdict | evidence |``, evidence cut to ``limit`` characters."""
    lines = ["| id | source | verdict | evidence |", "|---|---|---|---|"]
    for r in rows:
        verdict = r["verdict"] if not r.get("caveat") else f"{r['verdict']} ({r['caveat']})"
        lines.append(f"| {r['id']} | {_cell(r['source'])} | {_cell(verdict, limit)} | "
                     f"{_cell(r['evidence'], limit)} |")
    return "\n".join(lines)


def runs_table(rows: Iterable[dict[str, Any]]) -> str:
    """A markdown table of when and at which code version each claim ran:
    ``| id | tier | verdict | wall time (s) | date (UTC) | code |`` (the wall time of a resumed claim adds the
    stored times of the units it loaded: the claim's time over every run that built it); the code is the
    short git commit, with ``+N files`` where N tracked files differed from it (a finding resumed from disk
    keeps its own)."""
    lines = ["| id | tier | verdict | wall time (s) | date (UTC) | code |", "|---|---|---|---|---|---|"]
    for r in rows:
        if "param_hash" not in r:
            continue
        env = r.get("environment") or {}
        commit = (env.get("git_commit") or "-")[:10]
        changed = len(env.get("git_modified") or ())
        code = f"{commit} +{changed} files" if changed else commit
        lines.append(f"| {r['id']} | {r['tier']} | {r['verdict']} | {r['elapsed_s']:.1f} | "
                     f"{env.get('time_utc', '-')} | {code} |")
    return "\n".join(lines)


def verdict_counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many claims have each verdict (or status)."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return counts


def kill_summary(mutant_runs: Sequence[MutantRun], claims: Iterable[str] = ()) -> dict[str, Any]:
    """Kill counts: overall, per claim ``[killed, planted]``, the claims that killed none of theirs, and the
    claims among ``claims`` (those whose mutants were due) that declared none."""
    per_claim: dict[str, list[bool]] = {c: [] for c in claims}
    for m in mutant_runs:
        per_claim.setdefault(m.claim_id, []).append(m.killed)
    killed = sum(sum(v) for v in per_claim.values())
    total = sum(len(v) for v in per_claim.values())
    return {
        "killed": killed,
        "total": total,
        "fraction": killed / total if total else None,
        "per_claim": {c: [sum(v), len(v)] for c, v in per_claim.items()},
        "claims_killing_none": [c for c, v in per_claim.items() if v and not any(v)],
        "claims_without_mutants": [c for c, v in per_claim.items() if not v],
    }


def kill_table(mutant_runs: Sequence[MutantRun], *, limit: int = 200) -> str:
    """The kill matrix as markdown: ``| claim | mutant | defect | verdict under it | killed | s |``."""
    lines = ["| claim | mutant | defect | verdict under it | killed | s |", "|---|---|---|---|---|---|"]
    for m in mutant_runs:
        lines.append(f"| {m.claim_id} | {m.mutant} | {_cell(m.description, limit)} | {_cell(m.status)} | "
                     f"{'yes' if m.killed else '**no**'} | {m.elapsed:.1f} |")
    return "\n".join(lines)


def _pretty(value: Any) -> str:
    """Indented JSON with every list of scalars kept on one line."""
    text = json.dumps(value, indent=1)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)


def _markdown(rows: Sequence[dict[str, Any]], env: dict[str, Any], mutants: Sequence[MutantRun] | None,
              summary: dict[str, Any] | None) -> str:
    lines = ["# unicomp paper audit", ""]
    tiers = ", ".join(sorted({r["tier"] for r in rows if r.get("tier")})) or "-"
    lines.append(f"Tier: {tiers}; generated {env['time_utc']}.")
    lines.append("Verdicts: " + ", ".join(f"{v}: {n}" for v, n in verdict_counts(rows).items()) + ".")
    lines += ["", verdict_table(rows, limit=400), ""]
    lines += ["## Runs (tier, wall time and date per claim)", "",
              "The wall time of a claim built over several runs adds the stored times of the units it loaded.", "",
              runs_table(rows), ""]
    if mutants is not None and summary is not None:
        lines += ["## Planted defects (the audit audits itself)", ""]
        lines.append(f"Killed {summary['killed']} of {summary['total']} planted defects"
                     + (f" ({100 * summary['fraction']:.0f}%)" if summary["total"] else "")
                     + "; claims that killed none of theirs: "
                     + (", ".join(summary["claims_killing_none"]) or "none")
                     + "; claims declaring none: " + (", ".join(summary["claims_without_mutants"]) or "none") + ".")
        lines += ["", kill_table(mutants), ""]
    for r in rows:
        lines += [f"## {r['id']} ({r['source']}): {r['verdict']}", "", f"**Claim.** {r['claim']}", ""]
        if r.get("caveat"):
            label = "Why it cannot decide" if r["verdict"] == "inconclusive" else "Caveat"
            lines += [f"**{label}.** {r['caveat']}", ""]
        lines += [f"**Reference.** {r['reference']}", "", f"**Rule.** {r['rule']}", ""]
        lines += [f"**Evidence.** {r['evidence']}", ""]
        if r["measured"]:
            lines += ["**Measured.**", "", "```json", _pretty(r["measured"]), "```", ""]
        if r["authors"]:
            lines += ["**Ours next to the authors' own numbers.**", "", "```json", _pretty(r["authors"]), "```", ""]
        if r["baseline"]:
            lines += ["**Uniform-random baseline.**", "", "```json", _pretty(r["baseline"]), "```", ""]
        if "param_hash" in r:
            lines.append(f"Parameters (hash `{r['param_hash']}`, tier {r['tier']}, {r['elapsed_s']} s): "
                         f"`{json.dumps(r['params'])}`; seeds {r['seeds']}.")
            lines.append("")
        for fig in r["figures"]:
            lines += [f"![{r['id']}]({fig})", ""]
    lines += ["## Environment", "", "```json", _pretty(env), "```", ""]
    return "\n".join(lines)


def write_report(
    runs: Iterable[ClaimRun], out_dir: str | os.PathLike[str], *, mutants: Sequence[MutantRun] | None = None,
    machine: bool = False, pending: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write ``report.md``, ``report.json``, ``runs/<ID>-<hash>.json`` and ``mutants.json`` under ``out_dir``.

    Parameters
    ----------
    runs : iterable of ClaimRun
        The claims run in this audit (any subset; the report still has a row for every claim).
    out_dir : path
        Report directory (created).
    mutants : sequence of MutantRun, optional
        The planted-defect runs when mutants were run (their kill matrix goes into ``report.md`` and
        ``mutants.json``; a completed claim without any is listed as declaring none).
    machine : bool
        Also write ``machine.json`` (:func:`machine_info`; the evidence of a full-tier run).
    pending : mapping, optional
        Claim id -> what a claim without a finding has so far (:func:`report_rows`).

    Returns
    -------
    dict
        ``{"markdown": path, "json": path}``, ``"mutants"`` when mutants ran, ``"machine"`` when asked for,
        and one ``"run:<ID>"`` entry per finding computed in this run (a resumed one keeps its stored file).
    """
    out = Path(out_dir)
    runs = list(runs)
    rows = report_rows(runs, pending)
    env = environment()
    paths: dict[str, Path] = {}
    for row in rows:
        if row.get("resumed"):
            continue
        row["environment"] = env
        if "param_hash" in row:
            run = out / "runs" / f"{row['id']}-{row['param_hash']}.json"
            write_atomic(run, json.dumps(row, indent=1) + "\n")
            paths[f"run:{row['id']}"] = run
    if machine:
        paths["machine"] = out / "machine.json"
        write_atomic(paths["machine"], json.dumps(machine_info(), indent=1) + "\n")
    paths["json"] = out / "report.json"
    write_atomic(paths["json"], json.dumps(rows, indent=1) + "\n")
    if mutants is not None:
        summary = kill_summary(mutants, [r.claim_id for r in runs if r.finding is not None])
        paths["mutants"] = out / "mutants.json"
        matrix = {"summary": summary, "runs": [vars(m) for m in mutants]}
        write_atomic(paths["mutants"], json.dumps(matrix, indent=1) + "\n")
    paths["markdown"] = out / "report.md"
    write_atomic(paths["markdown"], _markdown(rows, env, mutants, summary if mutants is not None else None))
    return paths
