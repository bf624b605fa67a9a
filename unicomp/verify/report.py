r"""The audit report: a verdict table, ``report.md``, ``report.json`` and one record per run.

Every report records the parameters, seeds, library versions and machine of the run, and keys each
finding by a hash of its parameters (:attr:`~unicomp.verify.registry.Finding.param_hash`): the file
``runs/<ID>-<hash>.json`` holds the full finding, so runs with different parameters never overwrite one
another, while ``report.json`` (a list of ``{id, source, claim, verdict, measured, reference, evidence,
...}``) and ``report.md`` describe the latest audit.

Examples
--------
>>> from unicomp.verify.registry import Finding, Registry
>>> reg = Registry()
>>> reg.record(Finding("NEWTON", "holds", {"orders": 8}, "all identities expand to 0"))
>>> print(verdict_table(reg))  # doctest: +NORMALIZE_WHITESPACE
| id | source | verdict | evidence |
|---|---|---|---|
| NEWTON | Thm 6 (App.) | holds | all identities expand to 0 |
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from unicomp.verify.registry import Finding

__all__ = ["environment", "verdict_counts", "verdict_table", "write_report"]

_PACKAGES = ("unicomp", "numpy", "scipy", "sympy", "mpmath", "torch", "matplotlib", "hypothesis", "pytest")
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def environment() -> dict[str, Any]:
    """Versions of the numerical stack, the machine and the thread settings of this process."""
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
    }


def _cell(text: Any, limit: int = 400) -> str:
    s = " ".join(str(text).split()).replace("|", "\\|")
    return s if len(s) <= limit else s[: limit - 3] + "..."


def verdict_table(findings: Iterable[Finding], *, limit: int = 160) -> str:
    """A markdown table ``| id | source | verdict | evidence |``, evidence cut to ``limit`` characters."""
    rows = ["| id | source | verdict | evidence |", "|---|---|---|---|"]
    for f in findings:
        verdict = f.verdict if not f.caveat else f"{f.verdict} ({f.caveat})"
        rows.append(
            f"| {f.id} | {_cell(f.claim.source)} | {_cell(verdict, limit)} | {_cell(f.evidence, limit)} |"
        )
    return "\n".join(rows)


def verdict_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings have each verdict."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.verdict] = counts.get(f.verdict, 0) + 1
    return counts


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _pretty(value: Any) -> str:
    """Indented JSON with every list of scalars kept on one line."""
    text = json.dumps(value, indent=1)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)


def _markdown(findings: Sequence[Finding], env: dict[str, Any], errors: Sequence[str]) -> str:
    lines = ["# unicomp paper audit", ""]
    tiers = ", ".join(sorted({f.tier for f in findings})) or "-"
    lines.append(f"Tier: {tiers}; generated {env['time_utc']}.")
    counts = verdict_counts(findings)
    lines.append("Verdicts: " + ", ".join(f"{v}: {n}" for v, n in counts.items()) + ".")
    lines += ["", verdict_table(findings, limit=400), ""]
    if errors:
        lines += ["## Checks that did not complete", ""]
        lines += [f"- {e}" for e in errors]
        lines.append("")
    for f in findings:
        d = f.to_dict()
        lines += [f"## {f.id} ({d['source']}): {f.verdict}", "", f"**Claim.** {d['claim']}", ""]
        if f.caveat:
            lines += [f"**Caveat.** {f.caveat}", ""]
        lines += [f"**Reference.** {d['reference']}", "", f"**Rule.** {d['rule']}", ""]
        lines += [f"**Evidence.** {f.evidence}", ""]
        lines += ["**Measured.**", "", "```json", _pretty(d["measured"]), "```", ""]
        if d["baseline"]:
            lines += ["**Uniform-random baseline.**", "", "```json", _pretty(d["baseline"])]
            lines += ["```", ""]
        lines.append(f"Parameters (hash `{d['param_hash']}`, tier {f.tier}, {d['elapsed_s']} s): "
                     f"`{json.dumps(d['params'])}`; seeds {d['seeds']}.")
        lines.append("")
        for fig in f.figures:
            lines += [f"![{f.id}]({fig})", ""]
    lines += ["## Environment", "", "```json", _pretty(env), "```", ""]
    return "\n".join(lines)


def write_report(
    findings: Iterable[Finding], out_dir: str | os.PathLike[str], *, errors: Sequence[str] = ()
) -> dict[str, Path]:
    """Write ``report.md``, ``report.json`` and ``runs/<ID>-<hash>.json`` under ``out_dir``.

    Parameters
    ----------
    findings : iterable of Finding
        The recorded findings (figure paths in them are relative to ``out_dir``).
    out_dir : path
        Report directory (created).
    errors : sequence of str
        Checks that raised instead of recording a verdict (listed in ``report.md``).

    Returns
    -------
    dict
        ``{"markdown": path, "json": path}`` and one ``"run:<ID>"`` entry per finding.
    """
    out = Path(out_dir)
    items = list(findings)
    env = environment()
    entries = []
    paths: dict[str, Path] = {}
    for f in items:
        entry = f.to_dict()
        entry["environment"] = env
        entries.append(entry)
        run = out / "runs" / f"{f.id}-{f.param_hash}.json"
        _write_atomic(run, json.dumps(entry, indent=1) + "\n")
        paths[f"run:{f.id}"] = run
    paths["json"] = out / "report.json"
    _write_atomic(paths["json"], json.dumps(entries, indent=1) + "\n")
    paths["markdown"] = out / "report.md"
    _write_atomic(paths["markdown"], _markdown(items, env, errors))
    return paths
