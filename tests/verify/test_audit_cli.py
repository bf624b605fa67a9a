"""``unicomp audit`` (unicomp.cli.audit): argument handling, and one real audit run in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from argparse import Namespace

import pytest

from unicomp.cli import main
from unicomp.cli.audit import build_pytest_args, find_checks
from unicomp.errors import UnicompError


def test_pytest_arguments(tmp_path):
    checks = find_checks()
    args = build_pytest_args(Namespace(claims="packing,BALL", full=True, out=str(tmp_path)), checks)
    assert args[:2] == [str(checks / "test_packing.py"), str(checks / "test_ball.py")]
    assert f"--audit-out={tmp_path.resolve()}" in args and "--full" in args
    default = build_pytest_args(Namespace(claims=None, full=False, out=None), checks)
    assert len([a for a in default if a.endswith(".py")]) == 21 and "--full" not in default


def test_unknown_claim_is_a_user_error(capsys):
    assert main(["audit", "--claims", "NOPE"]) == 2
    assert "unknown claim id 'NOPE'" in capsys.readouterr().err


def test_missing_checkout_is_reported(monkeypatch, tmp_path):
    monkeypatch.setattr("unicomp.cli.audit.Path.is_file", lambda self: False)
    with pytest.raises(UnicompError, match="source checkout"):
        find_checks()


def test_audit_runs_and_writes_the_report(tmp_path):
    out = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "unicomp", "audit", "--claims", "PACKING", "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[1/2]" in proc.stderr and "PACKING: holds" in proc.stderr  # progress lines
    assert "paper audit verdicts" in proc.stdout
    entries = json.loads((out / "report.json").read_text())
    assert [e["id"] for e in entries] == ["PACKING"] and (out / "figures" / "PACKING.png").is_file()
