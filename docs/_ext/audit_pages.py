"""Sphinx extension: the audit's claims, and its results on the documentation pages labelled with tier and date.

Which result a claim shows -- the committed full-tier evidence in ``paper_checks/evidence/`` where it exists,
else the local report in ``paper_checks/report/`` (usually the quick tier) -- is decided by
:mod:`audit_evidence`.

Configuration: ``unicomp_audit_evidence`` and ``unicomp_audit_report`` name other directories to read (the
tests point them at small fake ones); empty, the default, means the two above.

On ``builder-inited``
    Each directory's ``report.md`` and ``figures/`` are mirrored into ``docs/_generated/audit/evidence/`` and
    ``docs/_generated/audit/report/`` (file times kept, so unchanged results do not make Sphinx re-read the
    pages); a directory without a report gets a short note saying so and how to produce it.  The choice for
    every claim is written to ``docs/_generated/audit/shown.json`` (rewritten only when it changes): the
    directives below read it, and every page using them depends on it.

``unicomp-claims``
    The claims the audit checks, as a table read from ``unicomp/audit/claims.toml``.

``unicomp-audit CLAIM``
    The claim's verdict, caveat and evidence, labelled "full tier, <date>, on <machine>" or "quick tier,
    <date>", with where it came from; then its figures, each captioned with the same label.  A caption says
    when the figure sets our curves beside the authors' own measured data (the finding records the authors'
    source; of a claim with several figures, those named ``<ID>-authors*`` when there are such, else all).

``unicomp-audit-table``
    One row per claim: verdict, tier, date, machine (full tier) and source directory.

``unicomp-audit-figures``
    Every claim's figures, under a heading with its verdict, captioned as above (the gallery's first part).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from audit_evidence import EVIDENCE, REPORT, Shown, select
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from unicomp.audit.registry import CLAIMS

__all__ = ["AuditDirective", "AuditFiguresDirective", "AuditTableDirective", "ClaimsDirective", "prepare", "setup"]

ORIGINS = {"evidence": "committed evidence, `paper_checks/evidence/`",
           "report": "local report, `paper_checks/report/`"}
_HOW = {"evidence": "run `make audit-full` (`unicomp audit --full --out paper_checks/evidence`)",
        "report": "run `make test` (or `pytest paper_checks`, or `unicomp audit`)"}


def _note(origin: str, runs: bool) -> str:
    found = (" Its findings in `runs/` are shown claim by claim on the audit page, the gallery and the derivation "
             "pages.") if runs else ""
    return (f"```{{note}}\nNo report was in `paper_checks/{origin}/` when this copy of the documentation was "
            f"built, so none is shown here.{found} To include one, {_HOW[origin]} and rebuild.\n```\n")


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _mirror(source: Path, target: Path, origin: str) -> None:
    """``report.md`` and ``figures/`` of ``source`` into ``target`` (times kept), or the no-report note."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    if (source / "report.md").is_file():
        shutil.copy2(source / "report.md", target / "report.md")
    else:
        (target / "report.md").write_text(_note(origin, any((source / "runs").glob("*.json"))), encoding="utf-8")
    if (source / "figures").is_dir():
        shutil.copytree(source / "figures", target / "figures")


def _entry(shown: Shown) -> dict[str, Any]:
    entry: dict[str, Any] = {"claim": shown.claim, "notes": list(shown.notes), "result": None}
    r = shown.result
    if r is not None:
        row = r.row
        figures = [str(f) for f in row.get("figures") or []]
        named = [f for f in figures if Path(f).stem.startswith(f"{shown.claim}-authors")]
        entry["result"] = {
            "verdict": row.get("verdict"), "caveat": row.get("caveat"), "evidence": row.get("evidence", ""),
            "source": row.get("source", ""), "tier": r.tier, "label": r.label, "origin": r.origin,
            "figures": figures, "authors_source": r.authors_source,
            "with_authors": (named or figures) if r.authors_source else [],
        }
    return entry


def prepare(srcdir: Path, evidence: Path = EVIDENCE, report: Path = REPORT) -> None:
    """Mirror both directories under ``srcdir/_generated/audit`` and write ``shown.json``."""
    base = srcdir / "_generated" / "audit"
    for stale in base.glob("*") if base.is_dir() else []:  # e.g. an older layout's files
        if stale.is_dir() and stale.name not in {"evidence", "report"}:
            shutil.rmtree(stale)
        elif stale.is_file() and stale.name != "shown.json":
            stale.unlink()
    for origin, source in (("evidence", evidence), ("report", report)):
        _mirror(source, base / origin, origin)
    shown = [_entry(s) for s in select(evidence, report)]
    _write_if_changed(base / "shown.json", json.dumps(shown, indent=1) + "\n")


def _prepare(app: Sphinx) -> None:
    evidence, report = app.config.unicomp_audit_evidence, app.config.unicomp_audit_report
    prepare(Path(app.srcdir), Path(evidence) if evidence else EVIDENCE, Path(report) if report else REPORT)


def _verbatim(children: list[nodes.Node]) -> nodes.container:
    """``children`` in a container whose text Sphinx leaves as written (no smart quotes: ``--full`` stays)."""
    container = nodes.container(classes=["unicomp-audit"])
    container.extend(children)
    container["support_smartquotes"] = False
    return container


def _inline(text: str) -> list[nodes.Node]:
    """``text`` as inline nodes, each span between backticks as code (the same on Markdown and rst pages)."""
    return [nodes.literal(part, part) if i % 2 else nodes.Text(part)
            for i, part in enumerate(text.split("`")) if part]


class _AuditBase(SphinxDirective):
    """Reads ``_generated/audit/shown.json`` (and makes the page depend on it)."""

    def shown(self) -> list[dict[str, Any]]:
        path = Path(self.env.srcdir) / "_generated" / "audit" / "shown.json"
        self.env.note_dependency(str(path))
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []

    def heading(self, entry: dict[str, Any], *, caveat: bool = True) -> nodes.paragraph:
        """``Audit, claim X (label; from ...): **verdict** -- caveat: ... .``; with ``caveat=False`` (the gallery)
        a caveat is mentioned, not quoted."""
        result = entry["result"]
        para = nodes.paragraph()
        para += nodes.Text(f"Audit, claim {entry['claim']} ({result['label']}; from ")
        para += _inline(ORIGINS[result["origin"]])
        para += nodes.Text("): ")
        para += nodes.strong(text=str(result["verdict"]))
        if result["caveat"]:
            para += nodes.Text(f" -- caveat: {result['caveat']}" if caveat else " (with a caveat, in the report)")
        para += nodes.Text(".")
        return para

    def figures(self, entry: dict[str, Any]) -> list[nodes.Node]:
        """The claim's figures, each captioned with the tier, date, machine and the authors' data it shows."""
        result = entry["result"]
        out: list[nodes.Node] = []
        for figure in result["figures"]:
            if not (Path(self.env.srcdir) / "_generated" / "audit" / result["origin"] / figure).is_file():
                text = f"(Figure {figure} is listed by the finding but was not in the {result['origin']} directory.)"
                out.append(nodes.paragraph(text, text))
                continue
            uri = f"/_generated/audit/{result['origin']}/{figure}"
            node = nodes.figure(classes=["unicomp-audit-figure"])
            node += nodes.image(uri=uri, alt=f"audit figure {figure} for {entry['claim']}")
            caption = f"{entry['claim']} ({result['source']}), {result['label']}."
            if figure in result["with_authors"]:
                source = result["authors_source"]
                caption += f" Shows the authors' own measured counterpart (moment_compression/{source}) with ours."
            node += nodes.caption(caption, caption)
            out.append(node)
        return out

    def notes(self, entry: dict[str, Any]) -> list[nodes.Node]:
        out: list[nodes.Node] = []
        for note in entry["notes"]:
            para = nodes.paragraph()
            para += nodes.emphasis("", "", *_inline(note))
            out.append(para)
        return out


class AuditDirective(_AuditBase):
    """The verdict, evidence and figures of one claim, with tier, date and (full tier) machine."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        claim = self.arguments[0].upper()
        entry = next((e for e in self.shown() if e["claim"] == claim), None)
        if entry is None or entry["result"] is None:
            text = (f"No audit result for claim {claim} was present when these pages were built; run "
                    f"`unicomp audit --claims {claim}` (quick tier) or `make audit-full` and rebuild to show it.")
            return [_verbatim([nodes.paragraph("", "", *_inline(text))])]
        evidence = str(entry["result"]["evidence"])
        return [_verbatim([self.heading(entry), nodes.paragraph(evidence, evidence), *self.notes(entry),
                           *self.figures(entry)])]


def _table(name: str, widths: list[int], header: list[str], rows: list[list[str]]) -> nodes.table:
    """A plain-text table (one paragraph per cell)."""
    table = nodes.table(classes=[name])
    group = nodes.tgroup(cols=len(widths))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head, body = nodes.thead(), nodes.tbody()
    group += head
    group += body
    for cells, into in [(header, head)] + [(r, body) for r in rows]:
        line = nodes.row()
        for text in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text, text)
            line += entry
        into += line
    return table


class ClaimsDirective(SphinxDirective):
    """The claims the audit checks, as a table read from ``unicomp/audit/claims.toml`` (the one source of the
    claim texts) through :mod:`unicomp.audit.registry`."""

    def run(self) -> list[nodes.Node]:
        rows = [[c.id, c.source, c.claim, c.rule] for c in CLAIMS]
        return [_table("unicomp-claims", [10, 12, 40, 38], ["id", "source", "claim", "verdict rule"], rows)]


class AuditTableDirective(_AuditBase):
    """Every claim's shown verdict, tier, date and origin as a table."""

    def run(self) -> list[nodes.Node]:
        rows = []
        for entry in self.shown():
            r = entry["result"]
            if r is None:
                rows.append([entry["claim"], "", "no result", "", ""])
                continue
            verdict = str(r["verdict"]) + (f" ({r['caveat']})" if r["caveat"] else "")
            rows.append([entry["claim"], r["source"], verdict, r["label"], f"paper_checks/{r['origin']}/"])
        header = ["claim", "source", "verdict", "tier, date, machine", "from"]
        table = _table("unicomp-audit-table", [12, 10, 30, 30, 18], header, rows)
        table["support_smartquotes"] = False
        return [table]


class AuditFiguresDirective(_AuditBase):
    """Every claim's figures under a heading with its verdict (the gallery of the audit's figures)."""

    def run(self) -> list[nodes.Node]:
        shown = self.shown()
        tiers = [e["result"]["tier"] if e["result"] else "no result" for e in shown]
        summary = (f"{tiers.count('full')} of {len(shown)} claims shown at the full tier, "
                   f"{tiers.count('quick')} at the quick tier, {tiers.count('no result')} without a result.")
        out: list[nodes.Node] = [nodes.paragraph(summary, summary)]
        for entry in shown:
            if entry["result"] is None or not entry["result"]["figures"]:
                continue
            out.append(nodes.rubric(entry["claim"], entry["claim"]))
            out.append(self.heading(entry, caveat=False))
            out.extend(self.figures(entry))
        return [_verbatim(out)]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives, the mirroring hook and the two directories (empty: ``paper_checks/...``)."""
    app.add_config_value("unicomp_audit_evidence", "", "env", types=[str])
    app.add_config_value("unicomp_audit_report", "", "env", types=[str])
    app.add_directive("unicomp-claims", ClaimsDirective)
    app.add_directive("unicomp-audit", AuditDirective)
    app.add_directive("unicomp-audit-table", AuditTableDirective)
    app.add_directive("unicomp-audit-figures", AuditFiguresDirective)
    app.connect("builder-inited", _prepare)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
