"""FIG4 (Fig. 4): pytest entry of :mod:`unicomp.audit.checks.fig4`."""


def test_fig4(audit_claim):
    audit_claim("FIG4")
