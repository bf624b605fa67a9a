"""BOOST (Sec. 5): pytest entry of :mod:`unicomp.audit.checks.boost`."""


def test_boost(audit_claim):
    audit_claim("BOOST")
