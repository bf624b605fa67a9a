"""FIG8 (Fig 8): pytest entry of :mod:`unicomp.audit.checks.fig8`."""


def test_fig8(audit_claim):
    audit_claim("FIG8")
