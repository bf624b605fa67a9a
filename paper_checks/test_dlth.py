"""DLTH (Thm 5): pytest entry of :mod:`unicomp.audit.checks.dlth`."""


def test_dlth(audit_claim):
    audit_claim("DLTH")
