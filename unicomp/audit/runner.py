r"""Run claim checks (optionally under planted defects) and collect what they found.

:func:`run_claim` imports ``unicomp.audit.checks.<id>``, calls its ``run(ctx)`` at the requested tier and
returns a :class:`ClaimRun`: the finding, or -- when the check raised before recording one -- the error.
:func:`run_mutants` runs a claim's check once under each mutant of its ``MUTANTS`` and returns one
:class:`MutantRun` per mutant (killed or survived).  :func:`audit` does both for a list of claims, prints a
progress line per run and writes the report (:mod:`unicomp.audit.report`).

At the full tier (or under a time budget) :func:`audit` resumes: a claim whose finding at the same tier is
already in ``<out>/runs/`` is loaded, not rerun, and a long check's finished units are loaded from
``<out>/units/`` (:mod:`unicomp.audit.cache`); ``rerun=True`` recomputes both.  A budget picks each claim's
tier from its measured expected time (:func:`unicomp.audit.schedule.choose_tier`).

Examples
--------
>>> from unicomp.audit.runner import run_claim
>>> run = run_claim("NEWTON", tier="quick", out_dir="/tmp/unicomp-audit-doctest")  # doctest: +SKIP
>>> run.status  # doctest: +SKIP
'holds'
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from unicomp.audit.cache import UnitStore, load_finding
from unicomp.audit.context import AuditContext, NotCheckable
from unicomp.audit.mutants import Mutant
from unicomp.audit.registry import DID_NOT_COMPLETE, Finding, Registry, get_claim, parse_claim_ids
from unicomp.audit.report import write_report
from unicomp.audit.schedule import TIER_ORDER, choose_tier, format_minutes
from unicomp.errors import UnicompError

__all__ = ["AuditResult", "ClaimRun", "MutantRun", "audit", "check_module", "run_claim", "run_mutants"]

#: Exceptions through which the project's own verification stops a check (a kill under a mutant).
VERIFICATION_ERRORS: tuple[type[BaseException], ...] = (AssertionError, UnicompError)


@dataclass
class ClaimRun:
    """One claim's check: its finding, or the error that stopped it before it recorded one.

    Attributes
    ----------
    claim_id : str
    finding : Finding or None
    error : str or None
        ``"ExceptionType: message"`` with the innermost frame, when the check raised.
    elapsed : float
        Wall-clock seconds.
    exception : BaseException or None
        The exception itself (not serialised).
    stored : dict or None
        For a finding loaded from an earlier run (resumed): its stored report entry (with the environment
        and date of the run that computed it).
    """

    claim_id: str
    finding: Finding | None
    error: str | None
    elapsed: float
    exception: BaseException | None = field(default=None, repr=False)
    stored: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def resumed(self) -> bool:
        """Whether the finding was loaded from an earlier run rather than computed now."""
        return self.stored is not None

    @property
    def status(self) -> str:
        """The verdict, or :data:`~unicomp.audit.registry.DID_NOT_COMPLETE`."""
        return self.finding.verdict if self.finding is not None else DID_NOT_COMPLETE


@dataclass
class MutantRun:
    """One claim's check under one planted defect.

    Attributes
    ----------
    claim_id, mutant, description : str
    status : str
        The verdict under the defect, or ``"raised <Type>"`` when the check stopped.
    killed : bool
        Whether the audit caught the defect (``"fails"``, or the project's verification raised).
    detail : str
        The evidence (or the error message), cut short.
    elapsed : float
    """

    claim_id: str
    mutant: str
    description: str
    status: str
    killed: bool
    detail: str
    elapsed: float


@dataclass
class AuditResult:
    """What :func:`audit` ran: the claim runs, the mutant runs and the report paths."""

    runs: list[ClaimRun]
    mutants: list[MutantRun] | None
    paths: dict[str, Path]

    @property
    def crashed(self) -> list[ClaimRun]:
        """The claim runs that did not complete."""
        return [r for r in self.runs if r.finding is None]


def check_module(claim_id: str) -> ModuleType:
    """The module measuring ``claim_id`` (``run(ctx)`` and ``MUTANTS``)."""
    return importlib.import_module(get_claim(claim_id).check_module)


def _describe(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message[:600]}{where}"


def _single_threaded() -> Callable[[], None]:
    """One BLAS and one torch thread while the checks run (they run many small problems; on two cores the
    default threading spends its time synchronising: a batched QR measured 100x slower); returns the undo."""
    from threadpoolctl import threadpool_limits

    limits = threadpool_limits(limits=1)
    restore_torch: Callable[[], None] = lambda: None  # noqa: E731
    if "torch" in sys.modules or importlib.util.find_spec("torch") is not None:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(1)
        restore_torch = lambda: torch.set_num_threads(before)  # noqa: E731

    def undo() -> None:
        limits.restore_original_limits()
        restore_torch()

    return undo


def run_claim(
    claim_id: str, *, tier: str = "quick", out_dir: str | os.PathLike[str], registry: Registry | None = None,
    units: UnitStore | None = None, progress: Callable[[str], None] | None = None,
) -> ClaimRun:
    """Run one claim's check; never raises for an error inside the check (it is returned instead).

    Parameters
    ----------
    claim_id : str
    tier : {"quick", "full"}
    out_dir : path
        Report directory (figures are written under it).
    registry : Registry, optional
        Where the finding is filed (a fresh one by default).
    units : UnitStore, optional
        Where the check's finished units are kept (a resumable run); ``None`` computes every unit.
    progress : callable, optional
        Receives a progress line after each unit.
    """
    registry = registry if registry is not None else Registry()
    claim = get_claim(claim_id)
    ctx = AuditContext(claim.id, tier, Path(out_dir), registry, units=units, progress=progress)
    start = time.perf_counter()
    undo = _single_threaded()
    error: BaseException | None = None
    try:
        check_module(claim.id).run(ctx)
    except NotCheckable:
        pass
    except Exception as exc:
        error = exc
    finally:
        undo()
    elapsed = time.perf_counter() - start
    finding = next((f for f in registry if f.id == claim.id), None)
    if error is None and finding is None:
        error = RuntimeError(f"the check of {claim.id} returned without recording a finding")
    return ClaimRun(claim.id, finding, None if error is None else _describe(error), elapsed, error)


def _mutant_run(claim_id: str, mutant: Mutant, run: ClaimRun) -> MutantRun:
    if run.finding is not None:
        killed = run.finding.verdict == "fails"
        status, detail = run.finding.verdict, run.finding.evidence
    else:
        killed = isinstance(run.exception, VERIFICATION_ERRORS)
        status = f"raised {type(run.exception).__name__}"
        detail = run.error or ""
    return MutantRun(claim_id, mutant.name, mutant.description, status, killed, detail[:300], run.elapsed)


def mutants_of(claim_id: str) -> tuple[Mutant, ...]:
    """The planted defects declared for ``claim_id``."""
    return tuple(getattr(check_module(claim_id), "MUTANTS", ()))


def run_mutants(
    claim_id: str, *, out_dir: str | os.PathLike[str], names: Sequence[str] | None = None,
    progress: Callable[[MutantRun], None] | None = None,
) -> list[MutantRun]:
    """Run ``claim_id``'s quick-tier check once under each of its mutants (or those in ``names``)."""
    results = []
    for mutant in mutants_of(claim_id):
        if names is not None and mutant.name not in names:
            continue
        folder = Path(out_dir) / "mutants" / mutant.name.replace("/", "-")  # a name like "no-1/c" is not a path
        with mutant.apply():
            run = run_claim(claim_id, tier="quick", out_dir=folder)
        result = _mutant_run(get_claim(claim_id).id, mutant, run)
        if progress is not None:
            progress(result)
        results.append(result)
    return results


def _resumed(out: Path, claim_id: str, tier: str) -> ClaimRun | None:
    """The claim's finding at ``tier`` already in ``out/runs/``, as a resumed :class:`ClaimRun`."""
    stored = load_finding(out, claim_id, tier)
    if stored is None:
        return None
    finding, row = stored
    return ClaimRun(finding.id, finding, None, finding.elapsed, stored=row)


def _earlier(out: Path, claim_id: str) -> ClaimRun | None:
    """The claim's finding already in ``out/runs/`` at the largest tier that has one."""
    return next(filter(None, (_resumed(out, claim_id, t) for t in TIER_ORDER)), None)


def _pending(out: Path, tier: str) -> dict[str, str]:
    """For each claim with units of ``tier`` stored in ``out/units/`` but no finding: how far it got."""
    notes = {}
    for claim_id in parse_claim_ids(None):
        counts = UnitStore(out / "units", claim_id, tier).progress()
        if counts is not None and load_finding(out, claim_id, tier) is None:
            notes[claim_id] = (f"not finished at the {tier} tier: {counts[0]} of {counts[1]} units stored in "
                               f"units/{claim_id}/; the next resumable run continues from them")
    return notes


def _remaining(out: Path, claim_id: str, rerun: bool) -> Callable[[str, float], float]:
    """``remaining(tier, expected)`` for :func:`~unicomp.audit.schedule.choose_tier`: 0 for a finding on disk,
    else the expected seconds less the fraction of units already finished."""
    def remaining(tier: str, expected: float) -> float:
        if not rerun and load_finding(out, claim_id, tier) is not None:
            return 0.0
        done = UnitStore(out / "units", claim_id, tier, reuse=not rerun).finished_fraction()
        return expected * (1.0 - done)

    return remaining


def audit(
    claims: str | Sequence[str] | None = None,
    *,
    tier: str = "quick",
    out_dir: str | os.PathLike[str],
    mutants: bool = False,
    stream: TextIO | None = None,
    rerun: bool = False,
    budget: float | None = None,
) -> AuditResult:
    """Run the checks of ``claims`` (all 21 by default), optionally their mutants, and write the report.

    Parameters
    ----------
    claims : str or sequence of str, optional
        Claim ids (``"BALL,PACKING"``); all by default.
    tier : {"quick", "full"}
        The tier of every claim (without ``budget``).
    out_dir : path
        Report directory.
    mutants : bool
        Also run each claim's check under its planted defects (quick tier).
    stream : text stream, optional
        Progress lines (stderr by default): ``[i/n] CLAIM: verdict (tier, s, total s)`` per claim, and the
        unit lines of long checks (:func:`~unicomp.audit.schedule.progress_line`).
    rerun : bool
        Recompute findings and units already in ``out_dir`` (a resumable run loads them).
    budget : float, optional
        Seconds for the whole audit: each claim runs at the largest tier whose expected remaining time fits
        what is left (:func:`~unicomp.audit.schedule.choose_tier`), or is left out when none fits.

    Notes
    -----
    The run is resumable at the full tier and under a budget: findings are looked up in ``out_dir/runs/``
    and units in ``out_dir/units/``; the claims not selected that have a finding there are reported as they
    stand (the report always describes the whole directory).
    """
    ids = parse_claim_ids(claims)
    out = Path(out_dir)
    stream = stream if stream is not None else sys.stderr
    resumable = tier == "full" or budget is not None
    start = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    registry = Registry()
    runs: list[ClaimRun] = []

    def say(line: str) -> None:
        print(line, file=stream, flush=True)

    def others() -> list[ClaimRun]:
        """A resumable report describes the whole directory: the findings of the claims not selected this time
        too, read when the report is written (another process may have added or replaced one since)."""
        if not resumable:
            return []
        return [run for run in (_earlier(out, c) for c in parse_claim_ids(None) if c not in ids) if run is not None]

    def view(mine: list[ClaimRun]) -> list[ClaimRun]:
        """What the report shows: this run's claims -- where one of them did not complete here but another
        process has filed its finding since this run started, that finding -- and the others'."""
        if not resumable:
            return mine

        def since(run: ClaimRun) -> ClaimRun:
            filed = _earlier(out, run.claim_id)
            when = filed.stored.get("environment", {}).get("time_utc", "") if filed and filed.stored else ""
            return filed if filed is not None and when >= started else run

        return [since(r) if r.finding is None else r for r in mine] + others()

    for i, claim_id in enumerate(ids, 1):
        claim_tier = tier
        if budget is not None:
            left = budget - (time.perf_counter() - start)
            fits = choose_tier(get_claim(claim_id).expected_s, left, remaining=_remaining(out, claim_id, rerun))
            if fits is None:
                say(f"[{i}/{len(ids)}] {claim_id}: left out (no tier's expected time fits the "
                    f"{format_minutes(left)} left of the budget)")
                continue
            claim_tier = fits
        run = _resumed(out, claim_id, claim_tier) if resumable and not rerun else None
        if run is None:
            expected = get_claim(claim_id).expected_s.get(claim_tier)
            if resumable:
                say(f"[{i}/{len(ids)}] {claim_id}: {claim_tier} tier, expected {format_minutes(expected)}")
            store = UnitStore(out / "units", claim_id, claim_tier, reuse=not rerun) if resumable else None
            run = run_claim(claim_id, tier=claim_tier, out_dir=out, registry=registry, units=store,
                            progress=say if resumable else None)
        runs.append(run)
        note = f" -- {run.error}" if run.error else ""
        how = (f"resumed: ran {run.elapsed:.1f} s on {run.stored.get('environment', {}).get('time_utc', '?')}"
               if run.stored is not None else f"{run.elapsed:.1f} s")
        say(f"[{i}/{len(ids)}] {claim_id}: {run.status} ({claim_tier}, {how}, total "
            f"{time.perf_counter() - start:.0f} s){note}")
        if resumable and not run.resumed:  # a finished claim is on disk at once, not after the whole audit
            write_report(view(runs), out, machine=True, pending=_pending(out, TIER_ORDER[0]))
    shown = view(runs)
    runs += others()
    mutant_runs: list[MutantRun] | None = [] if mutants else None
    if mutant_runs is not None:
        def show(m: MutantRun) -> None:
            say(f"  mutant {m.claim_id}/{m.mutant}: {'killed' if m.killed else 'SURVIVED'} ({m.status}, "
                f"{m.elapsed:.1f} s)")

        for run in runs:  # a check that did not complete cannot be judged under a defect
            if run.finding is not None:
                mutant_runs += run_mutants(run.claim_id, out_dir=out, progress=show)
    paths = write_report(shown, out, mutants=mutant_runs, machine=resumable,
                         pending=_pending(out, TIER_ORDER[0]) if resumable else None)
    return AuditResult(runs, mutant_runs, paths)
