"""EQUIVARIANT (Lemma 3, App. C): pytest entry of :mod:`unicomp.audit.checks.equivariant`."""


def test_equivariant(audit_claim):
    audit_claim("EQUIVARIANT")
