"""One module per claim of the paper (``unicomp.audit.checks.<id>``).

Each defines ``run(ctx)``, which measures the claim as the paper states it at the tier ``ctx.tier`` and
files one finding with :meth:`~unicomp.audit.context.AuditContext.record`, and ``MUTANTS``, the planted
defects (:class:`~unicomp.audit.mutants.Mutant`) its verdict must catch.  The module docstring states the
construction, the verdict rule and the reason for every tolerance.
"""
