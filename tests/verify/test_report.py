"""The audit report writer (unicomp.verify.report)."""

from __future__ import annotations

import json

from unicomp.verify.registry import Finding, Registry
from unicomp.verify.report import environment, verdict_counts, verdict_table, write_report


def _registry() -> Registry:
    reg = Registry()
    reg.record(Finding("BALL", "holds", {"slope": 3.0}, "slope 3 | fine", params={"k": 2}, seeds=[0],
                       baseline={"random": 1.0}, figures=["figures/BALL.png"]))
    reg.record(Finding("FIG4", "holds with caveat", {}, "ordering only", caveat="quick tier"))
    return reg


def test_table_escapes_pipes_and_shows_caveats():
    table = verdict_table(_registry())
    lines = table.splitlines()
    assert lines[0] == "| id | source | verdict | evidence |" and len(lines) == 4
    assert "slope 3 \\| fine" in lines[2]
    assert "holds with caveat (quick tier)" in lines[3]
    assert verdict_counts(_registry()) == {"holds": 1, "holds with caveat": 1}


def test_write_report(tmp_path):
    paths = write_report(_registry(), tmp_path / "out", errors=["paper_checks/test_x.py::test_x (call): boom"])
    entries = json.loads(paths["json"].read_text())
    assert [e["id"] for e in entries] == ["BALL", "FIG4"]
    for e in entries:
        assert {"id", "source", "claim", "verdict", "measured", "reference", "evidence", "params", "seeds",
                "param_hash", "environment"} <= set(e)
        assert e["environment"]["versions"]["numpy"]
    md = paths["markdown"].read_text()
    assert "## BALL (Thm 3): holds" in md and "![BALL](figures/BALL.png)" in md and "boom" in md
    run = json.loads(paths["run:BALL"].read_text())
    assert paths["run:BALL"].name == f"BALL-{run['param_hash']}.json"
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_environment_records_machine_and_threads():
    env = environment()
    assert env["python"] and env["machine"]["cpu_count"] and "OMP_NUM_THREADS" in env["threads"]
