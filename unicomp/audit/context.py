"""What a claim check is handed: the tier, where to write, and how to file its one finding.

A check module ``unicomp.audit.checks.<id>`` defines ``run(ctx)``; it measures its claim at the tier
``ctx.tier`` and ends with :meth:`AuditContext.record`.  The same context serves ``pytest paper_checks/``,
``unicomp audit`` and the planted-defect runs of :mod:`unicomp.audit.mutants`: a check never knows which.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from unicomp.audit.anchors import Anchors, locate
from unicomp.audit.registry import Finding, Registry, get_claim
from unicomp.errors import InputError

__all__ = ["TIERS", "AuditContext", "NotCheckable"]

TIERS = ("quick", "full")


class NotCheckable(Exception):
    """Raised by :meth:`AuditContext.require` after it filed a ``"not checkable here"`` finding."""


class AuditContext:
    """The recorder handed to one claim check.

    Parameters
    ----------
    claim_id : str
        The claim being checked.
    tier : {"quick", "full"}
        ``"quick"`` (minutes, the default) or ``"full"`` (the paper's scale).
    out_dir : path
        The report directory; figures go to ``out_dir/figures/``.
    registry : Registry
        Where the finding is filed.
    """

    def __init__(self, claim_id: str, tier: str, out_dir: str | Path, registry: Registry) -> None:
        if tier not in TIERS:
            raise InputError(f"tier must be one of {TIERS}, got {tier!r}")
        self.claim_id = get_claim(claim_id).id
        self.tier = tier
        self.out_dir = Path(out_dir)
        self._registry = registry
        self._figures: list[str] = []
        self._start = time.perf_counter()

    @property
    def full(self) -> bool:
        """Whether this is the paper-scale tier."""
        return self.tier == "full"

    def anchors(self) -> Anchors | None:
        """The authors' repository with their measured data, or ``None`` where it is not on this machine."""
        return locate()

    def figure(self, fig: Any, name: str = "") -> str:
        """Save a matplotlib figure as ``figures/<ID>[-name].png`` and close it; returns the relative path."""
        import matplotlib.pyplot as plt

        rel = f"figures/{self.claim_id}{'-' + name if name else ''}.png"
        path = self.out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        self._figures.append(rel)
        return rel

    def record(
        self,
        verdict: str,
        measured: dict[str, Any],
        evidence: str,
        *,
        caveat: str | None = None,
        params: dict[str, Any] | None = None,
        seeds: list[int] | None = None,
        baseline: dict[str, Any] | None = None,
        authors: dict[str, Any] | None = None,
    ) -> Finding:
        """File the claim's finding (once); see :class:`~unicomp.audit.registry.Finding` for the fields."""
        finding = Finding(
            self.claim_id, verdict, dict(measured), evidence, caveat=caveat, params=dict(params or {}),
            seeds=list(seeds or []), baseline=dict(baseline or {}), authors=dict(authors or {}),
            tier=self.tier, figures=list(self._figures), elapsed=time.perf_counter() - self._start,
        )
        self._registry.record(finding)
        return finding

    def require(self, module: str) -> ModuleType:
        """Import a component the check needs; if it is not in this build, file "not checkable here" and stop.

        Raises
        ------
        NotCheckable
            After filing the finding, when ``module`` (or a parent package) does not exist.
        """
        try:
            return importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (module == exc.name or module.startswith(exc.name + ".")):
                raise  # the component exists but one of its own imports is broken: a real error
            reason = f"component {module} is not in this build (missing module {exc.name})"
            self.record("not checkable here", {"missing": module}, reason)
            raise NotCheckable(reason) from exc
