"""ERRATA (Thm 7, Lemma 2, Sec. 3.2): pytest entry of :mod:`unicomp.audit.checks.errata`."""


def test_errata(audit_claim):
    audit_claim("ERRATA")
