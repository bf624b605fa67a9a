"""LANDSCAPE (Sec. 3.2): pytest entry of :mod:`unicomp.audit.checks.landscape`."""


def test_landscape(audit_claim):
    audit_claim("LANDSCAPE")
