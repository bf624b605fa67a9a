"""BALL (Thm 3): pytest entry of :mod:`unicomp.audit.checks.ball`."""


def test_ball(audit_claim):
    audit_claim("BALL")
