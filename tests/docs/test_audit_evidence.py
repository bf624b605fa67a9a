"""The documentation shows committed full-tier evidence where it exists and the local (quick) report
otherwise, each labelled with tier and date; the README's full-tier verdict line matches the evidence.

Small fake report directories stand in for ``paper_checks/evidence`` and ``paper_checks/report``; one test
builds a two-page Sphinx project with them (seconds), the rest call the data layer directly.
"""

from __future__ import annotations

import importlib
import json
import sys
from html import unescape
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EXT = Path(__file__).resolve().parents[2] / "docs" / "_ext"
EVIDENCE_MACHINE = {"platform": "Linux-test", "processor": "x86_64", "cpu_count": 2}


def _load(name: str) -> ModuleType:
    """A module of docs/_ext, imported as Sphinx imports it (that folder on the path)."""
    if str(EXT) not in sys.path:
        sys.path.insert(0, str(EXT))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def ev() -> ModuleType:
    return _load("audit_evidence")


def _row(claim: str, verdict: str, tier: str, when: str, **extra: Any) -> dict[str, Any]:
    row = {"id": claim, "source": f"src {claim}", "verdict": verdict, "caveat": None, "tier": tier,
           "evidence": f"{claim} evidence at {tier}", "authors": {}, "figures": [], "param_hash": "abc",
           "environment": {"time_utc": when, "machine": EVIDENCE_MACHINE}}
    row.update(extra)
    return row


def _write(folder: Path, rows: list[dict[str, Any]] | None, runs: list[dict[str, Any]] = (),
           figures: list[str] = (), machine: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if rows is not None:
        (folder / "report.json").write_text(json.dumps(rows), encoding="utf-8")
        (folder / "report.md").write_text(f"# report of {folder.name}\n", encoding="utf-8")
    for i, run in enumerate(runs):
        (folder / "runs").mkdir(exist_ok=True)
        (folder / "runs" / f"{run['id']}-{i:012d}.json").write_text(json.dumps(run), encoding="utf-8")
    for name in figures:
        (folder / "figures").mkdir(exist_ok=True)
        (folder / "figures" / name).write_bytes(b"\x89PNG fake")
    if machine is not None:
        (folder / "machine.json").write_text(json.dumps(machine), encoding="utf-8")
    return folder


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """Evidence: FIG3 full (authors' data, two figures), FIG4 did not complete, LOWER full only in runs/
    (two records, the later one wins).  Report: quick FIG3, FIG4, NEWTON; PACKING only in runs/."""
    evidence = _write(tmp_path / "evidence", [
        _row("FIG3", "holds", "full", "2026-11-30T05:00:00+00:00", figures=["figures/FIG3.png",
             "figures/FIG3-authors.png"], authors={"source": "fig3/loss.csv"}),
        _row("FIG4", "did not complete", "full", "2026-11-30T05:10:00+00:00"),
        {"id": "LOWER", "verdict": "not run"},
    ], runs=[_row("LOWER", "fails", "full", "2026-11-30T04:00:00+00:00"),
             _row("LOWER", "holds with caveat", "full", "2026-11-30T04:30:00+00:00", caveat="a named limit")],
        figures=["FIG3.png", "FIG3-authors.png"],
        machine={"cpu": "Test CPU 9000", "cores": 2, "memory_gib": 7.8, "os": "Linux-test",
                 "date_utc": "2026-11-30T05:20:00+00:00", "git_commit": "0" * 40})
    report = _write(tmp_path / "report", [
        _row("FIG3", "holds with caveat", "quick", "2026-11-30T03:00:00+00:00"),
        _row("FIG4", "inconclusive", "quick", "2026-11-30T03:00:00+00:00", figures=["figures/FIG4.png"],
             authors={"source": "fig4/"}, caveat="the paper's scale decides (--full: a GPU job)"),
        _row("NEWTON", "holds", "quick", "2026-11-30T03:00:00+00:00"),
        {"id": "PACKING", "verdict": "not run"},
    ], runs=[_row("PACKING", "holds", "quick", "2026-11-29T12:00:00+00:00")], figures=["FIG4.png"])
    return evidence, report


def test_full_evidence_first_then_the_local_report(ev: ModuleType, dirs: tuple[Path, Path]) -> None:
    shown = {s.claim: s for s in ev.select(*dirs)}
    assert len(shown) == 21  # every claim of the registry, shown or not
    fig3, fig4, lower, newton, packing = (shown[c].result for c in ("FIG3", "FIG4", "LOWER", "NEWTON", "PACKING"))
    # The committed full tier wins over the local quick result of the same claim.
    assert (fig3.origin, fig3.tier, fig3.row["verdict"]) == ("evidence", "full", "holds")
    assert fig3.label == "full tier, 2026-11-30 05:00:00 UTC, on Test CPU 9000, 2 cores, 7.8 GiB, Linux-test"
    assert fig3.authors_source == "fig3/loss.csv"
    assert shown["FIG3"].notes == ()
    # A full-tier run that did not complete: the quick result, and a note saying why there is no full one.
    assert (fig4.origin, fig4.tier, fig4.row["verdict"]) == ("report", "quick", "inconclusive")
    assert fig4.label == "quick tier, 2026-11-30 03:00:00 UTC"  # no machine for the quick tier
    assert any("did not complete" in n for n in shown["FIG4"].notes)
    # A claim only in runs/ (report.json not yet rewritten): its latest record.
    assert (lower.origin, lower.row["verdict"]) == ("evidence", "holds with caveat")
    assert (newton.origin, newton.tier) == ("report", "quick")
    assert (packing.origin, packing.row["verdict"]) == ("report", "holds")
    assert any("No committed full-tier evidence" in n for n in shown["NEWTON"].notes)
    assert shown["FTSP"].result is None


def test_missing_directories_show_nothing_and_say_so(ev: ModuleType, tmp_path: Path) -> None:
    shown = ev.select(tmp_path / "no-evidence", tmp_path / "no-report")
    assert [s.result for s in shown] == [None] * 21
    assert all(s.notes for s in shown)


def test_machine_json_only_describes_the_machine_it_matches(ev: ModuleType, tmp_path: Path) -> None:
    other = {"cpu": "Another CPU", "cores": 64, "os": "Linux-elsewhere"}
    folder = _write(tmp_path / "e", [_row("BALL", "holds", "full", "2026-11-30T05:00:00+00:00")], machine=other)
    (ball,) = ev.folder_results(folder, "evidence")[0].values()
    assert ball.machine == "x86_64, 2 cores, Linux-test"  # the row's own record, not machine.json's
    bare = _write(tmp_path / "f", [_row("BALL", "holds", "full", "2026-11-30T05:00:00+00:00", environment={})],
                  machine={**other, "date_utc": "2026-12-01T00:00:00+00:00"})
    (ball,) = ev.folder_results(bare, "evidence")[0].values()
    assert ball.label == "full tier, 2026-12-01 00:00:00 UTC, on Another CPU, 64 cores, Linux-elsewhere"


def test_readme_line_counts_the_full_tier_and_is_checked(ev: ModuleType, dirs: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    evidence, _ = dirs
    line = ev.readme_line(evidence)
    assert "2 of 21 claims at the full tier -- holds 1, holds with caveat 1." in line  # FIG3, LOWER (runs/)
    assert "latest run 2026-11-30" in line
    assert "none committed yet" in ev.readme_line(tmp_path / "absent")
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{ev.README_PREFIX}: 0 of 21, hand-typed\nend\n", encoding="utf-8")
    args = ["--readme", str(readme), "--evidence", str(evidence)]
    assert ev.main(["--check", *args]) == 1
    assert ev.main(["--write", *args]) == 0
    assert readme.read_text(encoding="utf-8") == f"intro\n{line}\nend\n"
    assert ev.main(["--check", *args]) == 0
    readme.write_text("no such line\n", encoding="utf-8")
    assert ev.main(["--check", *args]) == 2


def test_the_readme_states_the_committed_count(ev: ModuleType) -> None:
    # Fails as soon as evidence is added or changed without rewriting the line (see audit_evidence.py).
    assert ev.main(["--check"]) == 0, "README's full-tier line is stale: python docs/_ext/audit_evidence.py --write"


def test_pages_label_tier_date_and_authors(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    from sphinx.application import Sphinx

    evidence, report = dirs
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXT)!r})\nextensions = ['myst_parser', 'audit_pages']\n"
        f"unicomp_audit_evidence = {str(evidence)!r}\nunicomp_audit_report = {str(report)!r}\n"
        "exclude_patterns = ['_generated']\n", encoding="utf-8")
    (src / "index.md").write_text(
        "# t\n\n```{unicomp-audit} FIG3\n```\n\n```{unicomp-audit} FIG4\n```\n\n```{unicomp-audit} FTSP\n```\n\n"
        "```{unicomp-audit-table}\n```\n\n```{toctree}\ngallery\n```\n", encoding="utf-8")
    (src / "gallery.rst").write_text("Gallery\n=======\n\n.. unicomp-audit-figures::\n", encoding="utf-8")
    app = Sphinx(str(src), str(src), str(out), str(tmp_path / "doctrees"), "html", status=None,
                 warningiserror=True, freshenv=True)
    app.build()
    html = unescape((out / "index.html").read_text(encoding="utf-8"))
    assert "FIG3 (src FIG3), full tier, 2026-11-30 05:00:00 UTC, on Test CPU 9000" in html
    # Of FIG3's two figures only the one named -authors claims the authors' data; FIG4's one figure does.
    assert html.count("Shows the authors' own measured counterpart (moment_compression/fig3/loss.csv) with ours") == 1
    assert "Shows the authors' own measured counterpart (moment_compression/fig4/) with ours" in html
    assert "The committed full-tier run did not complete" in html
    assert "caveat: the paper's scale decides (--full: a GPU job)." in html  # as written: no smart quotes
    assert "No audit result for claim FTSP" in html
    assert (out / "_images" / "FIG3-authors.png").is_file()
    gallery = unescape((out / "gallery.html").read_text(encoding="utf-8"))
    assert "2 of 21 claims shown at the full tier, 3 at the quick tier, 16 without a result." in gallery
    assert "inconclusive</strong> (with a caveat, in the report)." in gallery
    generated = src / "_generated" / "audit"
    assert (generated / "evidence" / "report.md").read_text(encoding="utf-8") == "# report of evidence\n"
    # Unchanged results leave shown.json untouched (pages are not re-read); a missing report gets the note.
    stamp = (generated / "shown.json").stat().st_mtime_ns
    _load("audit_pages").prepare(src, evidence, tmp_path / "gone")
    assert "No report was in `paper_checks/report/`" in (generated / "report" / "report.md").read_text("utf-8")
    assert (generated / "shown.json").stat().st_mtime_ns != stamp  # the quick results went away
    before = (generated / "shown.json").stat().st_mtime_ns
    _load("audit_pages").prepare(src, evidence, tmp_path / "gone")
    assert (generated / "shown.json").stat().st_mtime_ns == before


def test_evidence_committed_as_runs_only(ev: ModuleType, tmp_path: Path) -> None:
    # The full tier's findings may be committed without report.json/report.md: they are still shown.
    evidence = _write(tmp_path / "evidence", None, runs=[_row("BALL", "holds", "full", "2026-11-30T05:00:00+00:00")])
    (ball,) = [s.result for s in ev.select(evidence, tmp_path / "none") if s.result is not None]
    assert (ball.row["id"], ball.tier, ball.origin) == ("BALL", "full", "evidence")
    assert "1 of 21 claims at the full tier -- holds 1." in ev.readme_line(evidence)
    old = tmp_path / "src" / "_generated" / "audit"
    (old / "runs").mkdir(parents=True)
    (old / "report.md").write_text("an older layout's copy", encoding="utf-8")
    _load("audit_pages").prepare(tmp_path / "src", evidence, tmp_path / "none")
    assert sorted(p.name for p in old.iterdir()) == ["evidence", "report", "shown.json"]
    note = (tmp_path / "src" / "_generated" / "audit" / "evidence" / "report.md").read_text(encoding="utf-8")
    assert "No report was in `paper_checks/evidence/`" in note and "Its findings in `runs/` are shown" in note
