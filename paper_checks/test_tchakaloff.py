"""TCHAKALOFF (Thm 2): pytest entry of :mod:`unicomp.audit.checks.tchakaloff`."""


def test_tchakaloff(audit_claim):
    audit_claim("TCHAKALOFF")
