"""FTSP (Thm 1): pytest entry of :mod:`unicomp.audit.checks.ftsp`."""


def test_ftsp(audit_claim):
    audit_claim("FTSP")
