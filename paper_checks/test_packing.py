"""PACKING (Lemma 1): pytest entry of :mod:`unicomp.audit.checks.packing`."""


def test_packing(audit_claim):
    audit_claim("PACKING")
