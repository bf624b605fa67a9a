"""GRADSCALE (Def. 5): pytest entry of :mod:`unicomp.audit.checks.gradscale`."""


def test_gradscale(audit_claim):
    audit_claim("GRADSCALE")
