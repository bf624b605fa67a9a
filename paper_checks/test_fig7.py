"""FIG7 (Fig. 7): pytest entry of :mod:`unicomp.audit.checks.fig7`."""


def test_fig7(audit_claim):
    audit_claim("FIG7")
