r"""The paper's claims as data, and the findings an audit records about them.

Each of the 21 claims of ``CLAIMS.md`` is a :class:`Claim`: an id, where it comes from in the paper, the
statement, what the audit measures, the reference value (the paper's reported number, where there is
one) and the rule that turns the measurement into a verdict.  The texts live in one file,
``unicomp/audit/claims.toml`` (package data), read by this registry, the report and the documentation.
An audit check (:mod:`unicomp.audit.checks`) produces a :class:`Finding` -- the verdict with its measured
numbers, evidence, parameters, seeds and the authors' own numbers -- and files it in a :class:`Registry`;
:mod:`unicomp.audit.report` turns the registry into the report.

Verdicts (:data:`VERDICTS`):

- ``"holds"``: the measurement probes the claim and agrees with it;
- ``"holds with caveat"``: it supports the claim within a named limit (the caveat);
- ``"inconclusive"``: the measurement does not probe the claim (saturated, too few points, the network did
  not learn, an interval reaching the decision boundary); the caveat says why and what scale would decide;
- ``"fails"``: the measurement contradicts the claim (the evidence says how);
- ``"not checkable here"``: a component the check needs is not in this build.

A claim that does not reproduce is a finding (``"fails"``), never a failing test.  A check that raised
before recording anything has no finding: the report lists it as :data:`DID_NOT_COMPLETE` with the error.

Examples
--------
>>> from unicomp.audit.registry import get_claim
>>> get_claim("BALL").source
'Thm 3'
>>> len(CLAIMS)
21
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal, get_args

from unicomp.errors import InputError

__all__ = [
    "CLAIMS",
    "DID_NOT_COMPLETE",
    "VERDICTS",
    "Claim",
    "Finding",
    "Registry",
    "Verdict",
    "get_claim",
    "param_hash",
    "parse_claim_ids",
]

Verdict = Literal["holds", "holds with caveat", "inconclusive", "fails", "not checkable here"]
VERDICTS: tuple[str, ...] = get_args(Verdict)
#: The report's status for a claim whose check raised before recording a finding (not a verdict).
DID_NOT_COMPLETE = "did not complete"
_NEEDS_CAVEAT = ("holds with caveat", "inconclusive")


@dataclass(frozen=True)
class Claim:
    """One claim of the paper, as the audit contract states it.

    Attributes
    ----------
    id : str
        Upper-case identifier (``"BALL"``); the check is ``unicomp.audit.checks.<id lower>`` and its pytest
        entry ``paper_checks/test_<id lower>.py``.
    source : str
        Where in the paper (``"Thm 3"``, ``"Fig 2"``).
    claim : str
        The statement, in words.
    measured : str
        What the audit measures.
    reference : str
        The paper's reported value or the bound it is compared with.
    rule : str
        How the measurement becomes a verdict.
    expected_s : dict
        Measured wall-clock seconds of the check per tier (``{"quick": 3.1, "full": 248.0}``; a tier not
        measured yet is absent), read by the audit's ETA and ``--budget`` (:mod:`unicomp.audit.schedule`).
    """

    id: str
    source: str
    claim: str
    measured: str
    reference: str
    rule: str
    expected_s: Mapping[str, float] = field(default_factory=dict, compare=False)

    @property
    def module(self) -> str:
        """File name of the claim's pytest entry in ``paper_checks/``."""
        return f"test_{self.id.lower()}.py"

    @property
    def check_module(self) -> str:
        """Import path of the module that measures the claim (``run(ctx)`` and ``MUTANTS``)."""
        return f"unicomp.audit.checks.{self.id.lower()}"


def _load_claims() -> tuple[Claim, ...]:
    """The claims of ``claims.toml`` (package data), in the paper's audit order."""
    text = resources.files("unicomp.audit").joinpath("claims.toml").read_text(encoding="utf-8")
    entries = tomllib.loads(text)["claim"]
    return tuple(Claim(**{f: str(e[f]) for f in _CLAIM_FIELDS},
                       expected_s={t: float(v) for t, v in e.get("expected_s", {}).items()}) for e in entries)


_CLAIM_FIELDS = ("id", "source", "claim", "measured", "reference", "rule")
CLAIMS: tuple[Claim, ...] = _load_claims()
_BY_ID: dict[str, Claim] = {c.id: c for c in CLAIMS}


def get_claim(claim_id: str) -> Claim:
    """The :class:`Claim` with this id (case-insensitive); :class:`InputError` if unknown."""
    key = str(claim_id).strip().upper()
    if key not in _BY_ID:
        raise InputError(f"unknown claim id {claim_id!r}; expected one of {', '.join(_BY_ID)}")
    return _BY_ID[key]


def parse_claim_ids(text: str | Sequence[str] | None) -> list[str]:
    """Claim ids from ``"ID,ID,..."`` (or a sequence); ``None`` or empty means all, in registry order.

    >>> parse_claim_ids("ball, packing")
    ['BALL', 'PACKING']
    """
    if text is None:
        return [c.id for c in CLAIMS]
    parts = text.split(",") if isinstance(text, str) else list(text)
    ids = [get_claim(p).id for p in parts if str(p).strip()]
    if not ids:
        return [c.id for c in CLAIMS]
    return list(dict.fromkeys(ids))


def _jsonable(value: Any) -> Any:
    """Plain JSON data from numpy scalars/arrays, tuples and mappings (anything else via ``str``)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return _jsonable(tolist())
    return str(value)


def param_hash(claim_id: str, params: Mapping[str, Any], tier: str) -> str:
    """Twelve hex digits of the SHA-256 of the canonical JSON of ``(claim_id, tier, params)``.

    >>> param_hash("BALL", {"k": 2}, "quick") == param_hash("BALL", {"k": 2}, "quick")
    True
    """
    blob = json.dumps([claim_id, tier, _jsonable(params)], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass
class Finding:
    """What an audit check measured about one claim, and its verdict.

    Attributes
    ----------
    id : str
        The claim id.
    verdict : str
        One of :data:`VERDICTS`.
    measured : dict
        The measured numbers (JSON-serialisable after conversion).
    evidence : str
        Why the verdict follows from the numbers.
    caveat : str or None
        Required for ``"holds with caveat"`` (the named limit) and ``"inconclusive"`` (why the measurement
        does not decide, and what scale would).
    params : dict
        Every parameter of the run (sizes, degrees, tolerances and why).
    seeds : list of int
        Seeds used.
    baseline : dict
        The uniform-random baseline's numbers, where the claim has one.
    authors : dict
        The authors' own measured numbers next to ours (read from their repository at run time), where the
        claim has them; empty when their data were not found.
    tier : str
        ``"quick"`` or ``"full"``.
    figures : list of str
        Paths of the figures written.
    elapsed : float
        Wall-clock seconds of the check; for a resumed check, this run's seconds plus the stored seconds of
        the units it loaded (the claim's time over all the runs that built it).
    """

    id: str
    verdict: str
    measured: dict[str, Any]
    evidence: str
    caveat: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=list)
    baseline: dict[str, Any] = field(default_factory=dict)
    authors: dict[str, Any] = field(default_factory=dict)
    tier: str = "quick"
    figures: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def __post_init__(self) -> None:
        self.id = get_claim(self.id).id
        if self.verdict not in VERDICTS:
            raise InputError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if self.verdict in _NEEDS_CAVEAT and not self.caveat:
            raise InputError(f"a {self.verdict!r} verdict needs the caveat (the limit, or why it cannot decide)")
        if not str(self.evidence).strip():
            raise InputError("a finding needs evidence (why the verdict follows from the numbers)")
        if self.tier not in ("quick", "full"):
            raise InputError(f"tier must be 'quick' or 'full', got {self.tier!r}")

    @property
    def claim(self) -> Claim:
        """The claim this finding is about."""
        return get_claim(self.id)

    @property
    def param_hash(self) -> str:
        """Hash of the parameters (the key of this run in the report)."""
        return param_hash(self.id, self.params, self.tier)

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Finding:
        """The finding a report entry (:meth:`to_dict`, e.g. a stored ``runs/<ID>-<hash>.json``) was made from."""
        return cls(
            str(row["id"]), str(row["verdict"]), dict(row["measured"]), str(row["evidence"]),
            caveat=row.get("caveat"), params=dict(row.get("params") or {}), seeds=list(row.get("seeds") or []),
            baseline=dict(row.get("baseline") or {}), authors=dict(row.get("authors") or {}),
            tier=str(row.get("tier", "quick")), figures=list(row.get("figures") or []),
            elapsed=float(row.get("elapsed_s") or 0.0),
        )

    def to_dict(self) -> dict[str, Any]:
        """The report entry: ``{id, source, claim, verdict, measured, reference, evidence, ...}``."""
        c = self.claim
        return _jsonable(
            {
                "id": c.id,
                "source": c.source,
                "claim": c.claim,
                "verdict": self.verdict,
                "caveat": self.caveat,
                "measured": self.measured,
                "reference": c.reference,
                "evidence": self.evidence,
                "rule": c.rule,
                "baseline": self.baseline,
                "authors": self.authors,
                "params": self.params,
                "seeds": self.seeds,
                "param_hash": self.param_hash,
                "tier": self.tier,
                "figures": self.figures,
                "elapsed_s": round(self.elapsed, 3),
            }
        )


class Registry:
    """The findings of one audit run, in the order they were recorded (one per claim id).

    >>> reg = Registry()
    >>> reg.record(Finding("NEWTON", "holds", {"orders": 8}, "all identities expand to 0"))
    >>> [f.verdict for f in reg]
    ['holds']
    """

    def __init__(self) -> None:
        self._findings: dict[str, Finding] = {}

    def record(self, finding: Finding) -> None:
        """File a finding; recording the same claim twice is an error (each claim has one verdict)."""
        if finding.id in self._findings:
            raise InputError(f"claim {finding.id} already has a finding in this audit")
        self._findings[finding.id] = finding

    def __iter__(self) -> Iterator[Finding]:
        order = {c.id: i for i, c in enumerate(CLAIMS)}
        return iter(sorted(self._findings.values(), key=lambda f: order[f.id]))

    def __len__(self) -> int:
        return len(self._findings)

    def __contains__(self, claim_id: object) -> bool:
        return claim_id in self._findings

    def to_list(self) -> list[dict[str, Any]]:
        """All findings as report entries, in claim order."""
        return [f.to_dict() for f in self]
