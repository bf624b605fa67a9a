"""POLYLOG (Thm 7): pytest entry of :mod:`unicomp.audit.checks.polylog`."""


def test_polylog(audit_claim):
    audit_claim("POLYLOG")
