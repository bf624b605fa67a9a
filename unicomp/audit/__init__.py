"""The paper audit, shipped with the package: ``unicomp audit`` works from an installed wheel.

- :mod:`unicomp.audit.registry`: the 21 claims as data (texts from ``claims.toml``) and the findings;
- :mod:`unicomp.audit.checks`: one module per claim, measuring it (``run(ctx)``) and declaring the planted
  defects it must catch (``MUTANTS``);
- :mod:`unicomp.audit.context`: what a check is handed; :mod:`unicomp.audit.anchors`: the authors' own
  measured data, found at run time;
- :mod:`unicomp.audit.mutants`: planted defects; :mod:`unicomp.audit.runner`: runs checks and mutants;
  :mod:`unicomp.audit.report`: the report with a row for every claim and the kill matrix.

``pytest paper_checks/`` runs the same checks through thin pytest entries.
"""
