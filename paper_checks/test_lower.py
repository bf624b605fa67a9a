"""LOWER (Thm 8): pytest entry of :mod:`unicomp.audit.checks.lower`."""


def test_lower(audit_claim):
    audit_claim("LOWER")
