"""STRETCHED (Sec 5): pytest entry of :mod:`unicomp.audit.checks.stretched`."""


def test_stretched(audit_claim):
    audit_claim("STRETCHED")
