r"""The paper's claims as data, and the findings an audit records about them.

Each of the 21 claims of ``CLAIMS.md`` is a :class:`Claim`: an id, where it comes from in the paper, the
statement, what the audit measures, the reference value (the paper's reported number, where there is
one) and the rule that turns the measurement into a verdict.  An audit check produces a
:class:`Finding` -- the verdict with its measured numbers, evidence, parameters and seeds -- and files
it in a :class:`Registry`; :mod:`unicomp.verify.report` turns the registry into the report.

A claim that does not reproduce is a finding (verdict ``"fails"`` with the evidence), never a failing
test; a check that cannot run at all is reported as ``"not checkable here"`` with the reason.

Examples
--------
>>> from unicomp.verify.registry import get_claim
>>> get_claim("BALL").source
'Thm 3'
>>> len(CLAIMS)
21
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from unicomp.errors import InputError

__all__ = [
    "CLAIMS",
    "VERDICTS",
    "Claim",
    "Finding",
    "Registry",
    "Verdict",
    "get_claim",
    "param_hash",
    "parse_claim_ids",
]

Verdict = Literal["holds", "holds with caveat", "fails", "not checkable here"]
VERDICTS: tuple[str, ...] = get_args(Verdict)


@dataclass(frozen=True)
class Claim:
    """One claim of the paper, as the audit contract states it.

    Attributes
    ----------
    id : str
        Upper-case identifier (``"BALL"``); the audit module is ``paper_checks/test_<id lower>.py``.
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
    """

    id: str
    source: str
    claim: str
    measured: str
    reference: str
    rule: str

    @property
    def module(self) -> str:
        """File name of the audit module in ``paper_checks/``."""
        return f"test_{self.id.lower()}.py"


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "FTSP", "Thm 1",
        "a permutation-invariant polynomial of d objects in R^m is a polynomial in the power sums "
        "p_1..p_d; p_k (k > d) is a function of p_1..p_d",
        "exact symbolic expansion of the power-sum expression minus the polynomial, over many (d, m, degree)",
        "exact equality (difference expands to 0)",
        "holds if every difference is identically 0; fails with the first counter-example",
    ),
    Claim(
        "NEWTON", "Thm 6 (App.)",
        "power sums <-> elementary symmetric polynomials (Newton-Girard)",
        "exact symbolic round trip e -> p -> e and p -> e -> p for orders 1..n",
        "exact equality",
        "holds if every identity expands to 0",
    ),
    Claim(
        "TCHAKALOFF", "Thm 2",
        "a discrete measure reduces to <= C(m+k,k) of its own atoms with weights >= 0, moments 0..k kept",
        "size, positivity and moment residual of recombine() on generic and degenerate families, in float64 "
        "and at 50 digits",
        "size <= N_{m,k}; residual <= 1e-10 (float64) / 1e-45 (50 digits)",
        "holds if every family passes check_compression in both precisions; caveat if float64 needs "
        "higher precision for some family",
    ),
    Claim(
        "BALL", "Thm 3",
        "reducing a cluster of diameter r costs O(d r^{k+1})",
        "slope of log error vs log r (fixed cluster shape scaled by r) and of log error vs log d",
        "slope in r >= k+1; slope in d <= 1",
        "holds if the bootstrap 95% interval of the r-slope reaches k+1 and that of the d-slope reaches 1 "
        "from below",
    ),
    Claim(
        "PACKING", "Lemma 1",
        "among d points in a radius-R ball some N lie within diameter 4R/((d/(N-1)-1)^{1/m}-1)",
        "exact minimum diameter of an N-subset (exhaustive search) for random and quasi-uniform sets",
        "Lemma 1 diameter from unicomp.theory.bounds.packing_diameter",
        "holds if the exact minimum never exceeds the bound",
    ),
    Claim(
        "RATE", "Thm 4",
        "E = O(d d'^{1-(k+1)/m}); with d' = d^sigma the error vanishes when k > (1+1/sigma)m - 1",
        "error of the greedy compression vs d' (fixed d) and vs d (d' = d^sigma)",
        "slope vs d' <= 1-(k+1)/m; slope vs d <= 1+sigma(1-(k+1)/m)",
        "holds if the measured slopes are at least as steep as the bound's (bootstrap 95% interval)",
    ),
    Claim(
        "FIG2", "Fig 2",
        "error exponent alpha ~= (k+1)/m + 0.5 for the sigmoid test function, d' = 0.1 d",
        "fitted alpha of E ~ d^-alpha over the sweep, with bootstrap intervals",
        "m=3: 1.06 1.50 1.86 2.22 2.53 2.93; m=2: 1.36 1.90 2.45 2.89 3.73 4.40; "
        "m=4: 0.89 1.30 1.58 1.81 1.92 2.08 (k=1..6)",
        "holds if the reported alpha lies in the measured interval widened by the sweep's spread; caveat "
        "on a reduced sweep",
    ),
    Claim(
        "POLYLOG", "Thm 7",
        "with k ~ d'^{1/m}, d' = O(log^m(d/eps)) suffices; error ~ exp(-c d'^{1/m})",
        "high-precision error vs d' with k tracking d'^{1/m}; fit of log E against d'^{1/m}",
        "log E linear in d'^{1/m} with negative slope",
        "holds if the stretched-exponential fit is significantly decreasing and fits better than a power law",
    ),
    Claim(
        "FIG8", "Fig 8",
        "compression to 120 log d (m=1) and 20 log^2 d (m=2) gives errors that do not grow with d",
        "error vs d in float64 and in high precision",
        "m=1: 1e-11..1e-14; m=2: ~1e-8 (d=1000) to 2.6e-12 (d=64000)",
        "holds if the fitted slope of log E vs log d is not significantly positive",
    ),
    Claim(
        "LOWER", "Thm 8",
        "for quasi-uniform sets no d'-point weighted set beats A d exp(-B d'^{1/m})",
        "integral of q^2 for a polynomial q vanishing on the compressed atoms; fit of A, B",
        "error >= A d exp(-B d'^{1/m}) with A, B > 0",
        "holds if the measured gap is positive and its log decreases at most linearly in d'^{1/m}",
    ),
    Claim(
        "EQUIVARIANT", "Lemma 3, App. C",
        "GD, SGD (fixed batches), Adam steps commute with permuting neurons",
        "max |T(P theta) - P T(theta)| over random permutations and optimisers",
        "0 up to rounding",
        "holds if the gap is at rounding level for every optimiser",
    ),
    Claim(
        "GRADSCALE", "Def 5",
        "scaling neuron j's gradient by 1/c_j reproduces the per-neuron update; Adam cancels it up to eps",
        "symbolic gradient identity; numeric gap between the compressed and per-neuron updates",
        "exact identity; numeric gap at rounding level",
        "holds if the identity is exact and the numeric gap is at rounding level",
    ),
    Claim(
        "DLTH", "Thm 5",
        "a width-d network compressed at init trains along the same trajectory (every step, every readout)",
        "trajectory gap (tanh and ReLU) vs k and vs d at fixed ratio",
        "gap shrinks with k and with d",
        "holds if the gap decreases with k (tanh); caveat where ReLU breaks the assumption",
    ),
    Claim(
        "FIG4", "Fig 4",
        "width 10^4 -> 10^3, k=5: compressed and original test-loss curves nearly indistinguishable across "
        "SGD/Adam/AdamW/Rprop; naive subnetwork worse",
        "final test MSE of original / compressed / naive per optimiser",
        "SGD 9.6e-3/1.00e-2/1.28e-2; Adam 3.3e-4/3.9e-4/1.5e-3; AdamW 4.0e-4/4.6e-4/2.6e-3; "
        "Rprop 3.6e-3/4.0e-3/1.1e-2",
        "holds if compressed is closer to original than naive for every optimiser",
    ),
    Claim(
        "FIG7", "Fig 7",
        "4000 -> 800 attention heads (k=3) track the original; random heads do worse",
        "test MSE curves of original / compressed / naive heads",
        "epoch 0: 0.267/0.260/0.303; epoch 10: 0.0719/0.0709/0.132; epoch 50: 0.0665/0.0665/0.0698",
        "holds if compressed is closer to original than naive",
    ),
    Claim(
        "LANDSCAPE", "Sec 3.2",
        "a compressed weighted dataset leaves the loss and its gradient unchanged over a bounded parameter "
        "set",
        "sup over sampled parameters of |L - L'| and of the gradient gap, vs k",
        "gap shrinks with k",
        "holds if the sup gap decreases with k and beats a random subset of the same size",
    ),
    Claim(
        "FIG3", "Fig 3",
        "teacher-student data 10^4 -> 10^3 (k=5): compressed test MSE close to the original; first-10^3 "
        "baseline several times worse",
        "final test MSE original / compressed / naive (full batch and batch 256)",
        "SGD fb 0.0291/0.0315/0.126; AdamW fb 0.0171/0.0189/0.226; SGD bs256 0.0153/0.0167/0.229; "
        "Adam bs256 0.0157/0.0172/0.270",
        "holds if compressed is within the seed spread of original and naive is worse",
    ),
    Claim(
        "BOOST", "Sec 5",
        "L = L0 + (d0/d)^alpha becomes exponent alpha/sigma in d' = d^sigma if k+1 > m(1+(1+alpha)/sigma) "
        "(k >= 13 for m=3, sigma=1/2, alpha=0.68)",
        "symbolic minimal degree; measured exponents",
        "k_min = 13 for m=3, sigma=1/2, alpha=0.68",
        "holds if the calculator gives 13 and measured exponents grow by about 1/sigma",
    ),
    Claim(
        "FIG5", "Fig 5",
        "data exponent 0.683 -> 1.271 (ideal 1.366); width 0.308 -> 0.608 (ideal 0.616)",
        "fitted scaling exponents with bootstrap intervals",
        "data 0.683 -> 1.271; width 0.308 -> 0.608",
        "holds if the compressed exponent exceeds the original's significantly; reference values compared "
        "with the intervals",
    ),
    Claim(
        "STRETCHED", "Sec 5",
        "compressing to log^m d gives L0 + exp(-alpha' d'^{1/m})",
        "fit of a power law and of a stretched exponential to measured curves",
        "stretched exponential fits",
        "holds if the stretched-exponential fit is at least as good as the power law",
    ),
    Claim(
        "ERRATA", "Thm 7, Lemma 2, Sec 3.2",
        "printed formulas that do not follow from their proofs (rho placement in Thm 7, Remez-step bound "
        "direction, sign of an exponent in a worked example)",
        "symbolic/numeric inconsistency of each printed formula and the corrected statement",
        "the printed formulas",
        "holds (the erratum is confirmed) if the printed form disagrees with the derivation",
    ),
)

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
        Required for ``"holds with caveat"``.
    params : dict
        Every parameter of the run (sizes, degrees, tolerances and why).
    seeds : list of int
        Seeds used.
    baseline : dict
        The uniform-random baseline's numbers, where the claim has one.
    tier : str
        ``"quick"`` or ``"full"``.
    figures : list of str
        Paths of the figures written.
    elapsed : float
        Wall-clock seconds of the check.
    """

    id: str
    verdict: str
    measured: dict[str, Any]
    evidence: str
    caveat: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=list)
    baseline: dict[str, Any] = field(default_factory=dict)
    tier: str = "quick"
    figures: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def __post_init__(self) -> None:
        self.id = get_claim(self.id).id
        if self.verdict not in VERDICTS:
            raise InputError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if self.verdict == "holds with caveat" and not self.caveat:
            raise InputError("a 'holds with caveat' verdict needs the caveat")
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
