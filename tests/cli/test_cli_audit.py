"""``unicomp audit`` (unicomp.cli.audit): exit statuses, output streams, and one real run in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

from unicomp.audit.mutants import Mutant, replace
from unicomp.cli import main


def _holds(ctx):
    ctx.record("holds", {}, "fine")


def test_unknown_claim_is_a_user_error(capsys):
    assert main(["audit", "--claims", "NOPE"]) == 2
    assert "unknown claim id 'NOPE'" in capsys.readouterr().err
    assert main(["audit", "--full", "--mutants", "--claims", "NEWTON"]) == 2


def test_exit_status_tells_a_crashed_check_from_a_verdict(fake_check, tmp_path, capsys):
    fake_check("NEWTON", lambda ctx: ctx.record("fails", {}, "the identity does not expand to 0"))
    assert main(["audit", "--claims", "NEWTON", "--out", str(tmp_path)]) == 0  # a failing claim is a finding
    out = capsys.readouterr()
    assert "| NEWTON | Thm 6 (App.) | fails |" in out.out and "[1/1] NEWTON: fails" in out.err
    fake_check("FTSP", lambda ctx: 1 / 0)
    assert main(["audit", "--claims", "NEWTON,FTSP", "--out", str(tmp_path)]) == 1
    assert "did not complete: FTSP" in capsys.readouterr().err
    rows = json.loads((tmp_path / "report.json").read_text())
    assert len(rows) == 21 and {r["id"]: r["verdict"] for r in rows}["FTSP"] == "did not complete"


def test_exit_status_when_planted_defects_survive(fake_check, tmp_path, capsys):
    survivor = Mutant("noop", "changes nothing", replace("unicomp:recombine", lambda orig: orig))
    fake_check("NEWTON", _holds, (survivor,))
    assert main(["audit", "--claims", "NEWTON", "--mutants", "--out", str(tmp_path)]) == 3
    assert "planted defects killed: 0/1" in capsys.readouterr().out
    fake_check("NEWTON", _holds)  # no mutants declared: the bar is missed too
    assert main(["audit", "--claims", "NEWTON", "--mutants", "--out", str(tmp_path)]) == 3
    assert "(or declaring none): NEWTON" in capsys.readouterr().out


def test_a_real_audit_in_a_subprocess(tmp_path):
    out = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "unicomp", "audit", "--claims", "NEWTON", "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[1/1] NEWTON:" in proc.stderr and "paper audit verdicts" in proc.stdout
    assert "[1/1]" not in proc.stdout  # progress on stderr, results on stdout
    rows = json.loads((out / "report.json").read_text())
    assert len(rows) == 21 and sum(r["verdict"] != "not run" for r in rows) == 1
