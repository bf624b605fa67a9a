"""The audit report writer (unicomp.audit.report): a row for every claim, crashed checks, the kill matrix."""

from __future__ import annotations

import json

from unicomp.audit.registry import CLAIMS, Finding
from unicomp.audit.report import environment, kill_summary, report_rows, verdict_counts, verdict_table, write_report
from unicomp.audit.runner import ClaimRun, MutantRun


def _runs() -> list[ClaimRun]:
    ball = Finding("BALL", "holds", {"slope": 3.0}, "slope 3 | fine", params={"k": 2}, seeds=[0],
                   baseline={"random": 1.0}, figures=["figures/BALL.png"], authors={"theirs": 1.5})
    fig4 = Finding("FIG4", "inconclusive", {}, "did not learn", caveat="quick tier: test MSE = predict-0")
    return [ClaimRun("BALL", ball, None, 1.0), ClaimRun("FIG4", fig4, None, 2.0),
            ClaimRun("RATE", None, "ValueError: boom (at rate.py:3)", 0.5)]


def _mutants() -> list[MutantRun]:
    return [MutantRun("BALL", "ball-low", "degree lowered", "fails", True, "slope 2", 0.3),
            MutantRun("BALL", "ball-rand", "random subset", "holds", False, "slope 3", 0.3),
            MutantRun("FIG4", "fig4-noop", "1/c off", "inconclusive", False, "", 0.2)]


def test_rows_cover_every_claim_with_status():
    rows = report_rows(_runs())
    assert [r["id"] for r in rows] == [c.id for c in CLAIMS]
    status = {r["id"]: r["verdict"] for r in rows}
    assert status["BALL"] == "holds" and status["FIG4"] == "inconclusive"
    assert status["RATE"] == "did not complete" and status["FTSP"] == "not run"
    assert next(r for r in rows if r["id"] == "RATE")["evidence"].startswith("ValueError: boom")
    assert verdict_counts(rows) == {"not run": 18, "holds": 1, "inconclusive": 1, "did not complete": 1}


def test_table_escapes_pipes_and_shows_caveats():
    lines = verdict_table([r for r in report_rows(_runs()) if r["verdict"] != "not run"]).splitlines()
    assert lines[0] == "| id | source | verdict | evidence |" and len(lines) == 5
    assert "slope 3 \\| fine" in lines[2]
    assert "inconclusive (quick tier: test MSE = predict-0)" in lines[4]  # claim order: BALL, RATE, FIG4


def test_kill_summary_flags_claims_that_kill_none_or_declare_none():
    summary = kill_summary(_mutants(), ["BALL", "FIG4", "LOWER"])
    assert summary["killed"] == 1 and summary["total"] == 3 and abs(summary["fraction"] - 1 / 3) < 1e-12
    assert summary["per_claim"] == {"BALL": [1, 2], "FIG4": [0, 1], "LOWER": [0, 0]}
    assert summary["claims_killing_none"] == ["FIG4"] and summary["claims_without_mutants"] == ["LOWER"]


def test_write_report(tmp_path):
    paths = write_report(_runs(), tmp_path / "out", mutants=_mutants())
    entries = json.loads(paths["json"].read_text())
    assert len(entries) == 21
    for e in entries:
        assert {"id", "source", "claim", "verdict", "measured", "reference", "evidence", "environment"} <= set(e)
    md = paths["markdown"].read_text()
    assert "## BALL (Thm 3): holds" in md and "![BALL](figures/BALL.png)" in md and "ValueError: boom" in md
    assert "**Why it cannot decide.** quick tier" in md and "Ours next to the authors' own numbers" in md
    assert "Killed 1 of 3 planted defects (33%)" in md and "| BALL | ball-rand | random subset | holds | **no** |" in md
    matrix = json.loads(paths["mutants"].read_text())
    assert matrix["summary"]["claims_killing_none"] == ["FIG4"] and len(matrix["runs"]) == 3
    run = json.loads(paths["run:BALL"].read_text())
    assert paths["run:BALL"].name == f"BALL-{run['param_hash']}.json" and "run:RATE" not in paths
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_environment_records_machine_and_threads():
    env = environment()
    assert env["python"] and env["machine"]["cpu_count"] and "OMP_NUM_THREADS" in env["threads"]
