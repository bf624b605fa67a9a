"""RATE (Thm 4): pytest entry of :mod:`unicomp.audit.checks.rate`."""


def test_rate(audit_claim):
    audit_claim("RATE")
