"""FIG5 (Fig. 5): pytest entry of :mod:`unicomp.audit.checks.fig5`."""


def test_fig5(audit_claim):
    audit_claim("FIG5")
