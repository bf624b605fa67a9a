"""NEWTON (Thm 6, appendix): pytest entry of :mod:`unicomp.audit.checks.newton`."""


def test_newton(audit_claim):
    audit_claim("NEWTON")
