"""What a claim check is handed: the tier, where to write, and how to file its one finding.

A check module ``unicomp.audit.checks.<id>`` defines ``run(ctx)``; it measures its claim at the tier
``ctx.tier`` and ends with :meth:`AuditContext.record`.  The same context serves ``pytest paper_checks/``,
``unicomp audit`` and the planted-defect runs of :mod:`unicomp.audit.mutants`: a check never knows which.

A long check splits its work into *units* (:meth:`AuditContext.unit`: one seed, one configuration, one size
panel), each returning JSON-storable data.  A resumable audit (``unicomp audit --full``) hands the context a
:class:`~unicomp.audit.cache.UnitStore`: a finished unit is written to ``units/<ID>/`` and loaded instead of
recomputed when the audit is started again, and a progress line with the ETA
(:mod:`unicomp.audit.schedule`) is printed after each unit; :meth:`AuditContext.units` runs a list of
independent units and shares them with other processes running the same claim.  Without a store (the quick
tier, pytest, the planted defects) a unit is computed every time -- and its result goes through the same
JSON encoding, so a check sees the same values either way.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from unicomp.audit.anchors import Anchors, locate
from unicomp.audit.cache import UnitStore, decode, encode
from unicomp.audit.registry import Finding, Registry, get_claim
from unicomp.audit.schedule import eta_seconds, progress_line
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
    units : UnitStore, optional
        Where finished units are kept (a resumable audit); ``None``: every unit is computed.
    progress : callable, optional
        Called with one progress line (:func:`~unicomp.audit.schedule.progress_line`) after each unit.
    """

    def __init__(self, claim_id: str, tier: str, out_dir: str | Path, registry: Registry, *,
                 units: UnitStore | None = None, progress: Callable[[str], None] | None = None) -> None:
        if tier not in TIERS:
            raise InputError(f"tier must be one of {TIERS}, got {tier!r}")
        claim = get_claim(claim_id)
        self.claim_id = claim.id
        self.tier = tier
        self.out_dir = Path(out_dir)
        self._registry = registry
        self._figures: list[str] = []
        self._start = time.perf_counter()
        self._units = units
        self._progress = progress
        self._expected = claim.expected_s.get(tier)
        self._planned = 0
        self._done = 0
        self._asked = 0
        self._done_weight = 0.0
        self._unit_seconds: list[float] = []
        self._weights: list[float] = []
        self._computed_weights: list[float] = []
        self._cached_fraction = 0.0
        self._loaded_seconds = 0.0

    @property
    def full(self) -> bool:
        """Whether this is the paper-scale tier."""
        return self.tier == "full"

    def plan_units(self, total: int, weights: Sequence[float] | None = None) -> None:
        """Declare how many units this check runs at this tier (for the progress line and ``--budget``).

        ``weights`` (optional, one positive number per unit, in the order the units are asked for) are their
        relative costs -- a unit on twice the points, say, weighs 2 -- so that the ETA counts the units left
        by their cost, not their number (:func:`~unicomp.audit.schedule.eta_seconds`).
        """
        if total < 1:
            raise InputError(f"total must be a positive number of units, got {total!r}")
        if weights is not None:
            w = [float(x) for x in weights]
            if len(w) != total or not all(x > 0 and math.isfinite(x) for x in w):
                raise InputError(f"weights must be {total} positive finite numbers, one per unit, got {weights!r}")
            self._weights = w
        self._planned = int(total)
        if self._units is not None:
            self._cached_fraction = self._units.finished_fraction()
            self._units.plan(self._planned)

    def unit(self, name: str, params: Mapping[str, Any], compute: Callable[[], Any]) -> Any:
        """The result of one unit of work: loaded when a resumable audit finished it before, else computed.

        Parameters
        ----------
        name : str
            The unit's kind (``"seed"``, ``"panel"``; letters, digits, ``-``, ``_``).
        params : mapping
            What the result depends on besides the claim and tier (its seed, configuration, sizes): the key
            of the stored result, together with the claim, tier and ``name``.
        compute : callable
            Computes the result: JSON data, numpy arrays and scalars, tuples (no figures or tensors).

        Returns
        -------
        object
            ``compute()`` after a round trip through the JSON encoding (:func:`~unicomp.audit.cache.encode`),
            whether loaded or computed: arrays keep their dtype and shape, tuples stay tuples.
        """
        position = self._asked
        self._asked += 1
        return self._run_unit(name, params, compute, position)

    def units(self, name: str, work: Sequence[tuple[Mapping[str, Any], Callable[[], Any]]], *,
              poll: float = 10.0) -> list[Any]:
        """The results of independent units (``(params, compute)`` pairs, see :meth:`unit`), in order.

        In a resumable audit the units are shared with other processes running the same claim into the same
        folder: a unit another live process is computing (:meth:`~unicomp.audit.cache.UnitStore.lock`) is
        skipped, and after the rest this process waits for it, checking every ``poll`` seconds (and computes
        it itself if that process died).  Starting the same ``unicomp audit --full`` command a second time
        thus adds a worker to a long claim.
        """
        base, work = self._asked, list(work)
        self._asked += len(work)
        store = self._units
        if store is None or not store.reuse:  # nothing shared: one after the other
            return [self._run_unit(name, params, compute, base + i) for i, (params, compute) in enumerate(work)]
        results: dict[int, Any] = {}
        waiting, said = list(range(len(work))), False
        while waiting:
            progressed = False
            for i in list(waiting):
                params, compute = work[i]
                if store.stored(name, params):
                    results[i] = self._run_unit(name, params, compute, base + i)
                elif store.lock(name, params):
                    try:
                        results[i] = self._run_unit(name, params, compute, base + i)
                    finally:
                        store.unlock(name, params)
                else:
                    continue
                waiting.remove(i)
                progressed = True
            if waiting and not progressed:
                if self._progress is not None and not said:
                    self._progress(f"[{self.claim_id}] waiting for {len(waiting)} unit(s) another process is "
                                   f"computing (lock files in {store.folder})")
                said = True
                time.sleep(poll)
        return [results[i] for i in range(len(work))]

    def finished_units(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """The units ``name`` a resumable audit finished before, whatever their parameters, as
        ``(params, result)`` (:meth:`~unicomp.audit.cache.UnitStore.finished`; empty without a store): a check
        whose configuration grew can continue from them instead of starting over."""
        return self._units.finished(name) if self._units is not None else []

    def _run_unit(self, name: str, params: Mapping[str, Any], compute: Callable[[], Any], position: int) -> Any:
        """:meth:`unit` for the ``position``-th unit the check asks for (its weight in :meth:`plan_units`)."""
        found, result, stored = self._units.load(name, params) if self._units is not None else (False, None, 0.0)
        self._loaded_seconds += stored
        weight = self._weights[position] if position < len(self._weights) else None
        if not found:
            start = time.perf_counter()
            encoded = encode(compute(), f"unit {name!r} of {self.claim_id}")
            seconds = time.perf_counter() - start
            self._unit_seconds.append(seconds)
            if weight is not None:
                self._computed_weights.append(weight)
            if self._units is not None:
                self._units.save(name, params, encoded, seconds)
            result = decode(encoded)
        self._done += 1
        self._done_weight += weight or 0.0
        if self._progress is not None:
            total = max(self._planned, self._done)
            weighted = len(self._computed_weights) == len(self._unit_seconds) and self._weights
            eta = eta_seconds(self._expected, total=total, done=self._done, unit_seconds=self._unit_seconds,
                              cached_fraction=self._cached_fraction, elapsed=time.perf_counter() - self._start,
                              unit_weights=self._computed_weights if weighted else None,
                              remaining_weight=sum(self._weights) - self._done_weight if weighted else None)
            self._progress(progress_line(self.claim_id, done=self._done, total=total,
                                         elapsed=time.perf_counter() - self._start, eta=eta, resumed=found))
        return result

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
            tier=self.tier, figures=list(self._figures),
            elapsed=time.perf_counter() - self._start + self._loaded_seconds,
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
