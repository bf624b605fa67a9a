"""FIG2 (Fig 2): pytest entry of :mod:`unicomp.audit.checks.fig2`."""


def test_fig2(audit_claim):
    audit_claim("FIG2")
