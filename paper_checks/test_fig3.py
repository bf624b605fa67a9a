"""FIG3 (Fig. 3): pytest entry of :mod:`unicomp.audit.checks.fig3`."""


def test_fig3(audit_claim):
    audit_claim("FIG3")
