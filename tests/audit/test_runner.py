"""Running checks and their planted defects (unicomp.audit.runner), with fake check modules."""

from __future__ import annotations

import io

import pytest

from unicomp.audit.mutants import Mutant, replace
from unicomp.audit.runner import audit, run_claim, run_mutants
from unicomp.errors import PrecisionError
from unicomp.verify.invariants import InvariantViolation


def _holds_unless_flag(ctx):
    from unicomp.theory import errata

    flag = getattr(errata, "_audit_test_flag", "ok")
    verdict = {"ok": "holds", "bad": "fails", "vague": "inconclusive"}[flag]
    ctx.record(verdict, {"flag": flag}, f"flag is {flag}", caveat="cannot tell" if verdict == "inconclusive" else None)


def _flag(value):
    from unicomp.theory import errata

    errata._audit_test_flag = "ok"  # the attribute must exist to be replaced
    return replace("unicomp.theory.errata:_audit_test_flag", lambda orig: value)


@pytest.fixture
def newton(fake_check):
    def raising(error):
        def plant():
            return replace("unicomp.theory.errata:_audit_test_flag", lambda orig: _Raise(error))()
        return plant

    return fake_check("NEWTON", _holds_unless_flag, (
        Mutant("bad", "makes the measurement fail", _flag("bad")),
        Mutant("vague", "makes it undecidable", _flag("vague")),
        Mutant("invariant", "trips the project's own verification", raising(InvariantViolation("moments lost"))),
        Mutant("precision", "trips a PrecisionError", raising(PrecisionError("residual too large"))),
        Mutant("typo", "a bug in the check itself", raising(TypeError("not a kill"))),
    ))


class _Raise(str):
    """A flag whose use raises: ``{...}[flag]`` hashes it."""

    def __new__(cls, error):
        obj = super().__new__(cls, "raise")
        obj.error = error
        return obj

    def __hash__(self):
        raise self.error


def test_a_finding_or_the_error(fake_check, tmp_path, newton):
    run = run_claim("newton", out_dir=tmp_path)
    assert run.status == "holds" and run.error is None and run.elapsed >= 0

    def crash(ctx):
        raise ValueError("a bug in the check")

    fake_check("FTSP", crash)
    run = run_claim("FTSP", out_dir=tmp_path)
    assert run.status == "did not complete" and run.error.startswith("ValueError: a bug in the check")
    fake_check("BALL", lambda ctx: None)
    assert "without recording a finding" in run_claim("BALL", out_dir=tmp_path).error


def test_kills_are_failing_verdicts_or_the_projects_own_verification(tmp_path, newton):
    _flag("ok")  # create the attribute the mutants replace
    runs = {m.mutant: m for m in run_mutants("NEWTON", out_dir=tmp_path)}
    assert {name: m.killed for name, m in runs.items()} == {
        "bad": True, "vague": False, "invariant": True, "precision": True, "typo": False}
    assert runs["vague"].status == "inconclusive" and runs["typo"].status == "raised TypeError"
    assert run_claim("NEWTON", out_dir=tmp_path).status == "holds"  # every defect was removed again


def test_audit_writes_every_row_and_the_kill_matrix(tmp_path, newton):
    _flag("ok")
    stream = io.StringIO()
    result = audit("NEWTON", out_dir=tmp_path, mutants=True, stream=stream)
    assert "[1/1] NEWTON: holds" in stream.getvalue() and "mutant NEWTON/typo: SURVIVED" in stream.getvalue()
    assert len(result.mutants) == 5 and not result.crashed
    assert "Killed 3 of 5 planted defects (60%)" in result.paths["markdown"].read_text()
