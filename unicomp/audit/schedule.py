r"""Time for a long audit: durations, the ETA of a running claim, and the tier a time budget affords.

Expected seconds per claim and tier are measured numbers kept in ``claims.toml``
(:attr:`~unicomp.audit.registry.Claim.expected_s`).  While a claim runs, its ETA is

.. math::

    \text{ETA} = \begin{cases}
        \max(0,\ T_\text{expected}\,(1 - f) - t_\text{computed}) & \text{before its first computed unit,} \\
        \bar t_\text{unit}\,(n - j) & \text{after } j \text{ of } n \text{ units, } \bar t_\text{unit}
        \text{ the mean of the units computed in this run,}
    \end{cases}

with :math:`f` the fraction of its units loaded from an earlier run (:func:`eta_seconds`).  Where the check
gave its units relative costs :math:`w_i` (their sizes, say), the second case is
:math:`\frac{\sum_\text{computed} t_i}{\sum_\text{computed} w_i} \sum_\text{left} w_i`: units that grow no
longer make the ETA run low.  A budget picks,
claim by claim, the largest tier whose expected remaining time -- :math:`T_\text{expected}(1 - f)`, or 0
for a finding already on disk -- fits what is left of it (:func:`choose_tier`).

Examples
--------
>>> parse_duration("1h30m"), parse_duration("90m"), parse_duration("45")
(5400.0, 5400.0, 45.0)
>>> eta_seconds(600.0, total=4, done=1, unit_seconds=[200.0])
600.0
>>> format_minutes(3300)
'55 min'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence

from unicomp.errors import InputError

__all__ = ["TIER_ORDER", "choose_tier", "eta_seconds", "format_minutes", "parse_duration", "progress_line"]

#: Tiers from the largest down: the order a budget tries them in.
TIER_ORDER = ("full", "quick")

_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str) -> float:
    """Seconds in ``"2h"``, ``"90m"``, ``"1h30m"``, ``"45s"`` or a plain number of seconds.

    Raises
    ------
    InputError
        Naming ``--budget`` when the text is not such a duration or is not positive.
    """
    s = str(text).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", s):
        seconds = float(s)
    elif re.fullmatch(r"(\d+(\.\d+)?[hms])+", s):
        seconds = sum(float(v) * _UNITS[u] for v, u in re.findall(r"(\d+(?:\.\d+)?)([hms])", s))
    else:
        raise InputError(f"--budget must be a duration like 90m, 2h, 1h30m or seconds, got {text!r}")
    if not seconds > 0:
        raise InputError(f"--budget must be positive, got {text!r}")
    return seconds


def eta_seconds(expected: float | None, *, total: int, done: int, unit_seconds: Sequence[float],
                cached_fraction: float = 0.0, elapsed: float = 0.0, unit_weights: Sequence[float] | None = None,
                remaining_weight: float | None = None) -> float | None:
    """Seconds left in a claim (see the module docstring); ``None`` when nothing is known yet.

    >>> eta_seconds(None, total=3, done=1, unit_seconds=[10.0], unit_weights=[1.0], remaining_weight=6.0)
    60.0

    Parameters
    ----------
    expected : float or None
        The claim's measured seconds at this tier (``claims.toml``), ``None`` if never measured.
    total, done : int
        Units planned, and finished so far (computed or loaded).
    unit_seconds : sequence of float
        Seconds of each unit computed in this run (loaded ones are not included).
    cached_fraction : float
        Fraction of the units found on disk when the claim started.
    elapsed : float
        Seconds computed so far in this run (used before the first unit finished).
    unit_weights, remaining_weight : optional
        The relative costs of the units computed in this run (one per entry of ``unit_seconds``) and the sum
        of the costs of the units not yet done: the ETA is then seconds per unit of cost times the cost left.
    """
    if unit_seconds and unit_weights is not None and remaining_weight is not None:
        return sum(unit_seconds) / sum(unit_weights) * remaining_weight
    if unit_seconds and total > 0:
        return sum(unit_seconds) / len(unit_seconds) * max(0, total - done)
    if expected is None:
        return None
    return max(0.0, expected * (1.0 - cached_fraction) - elapsed)


def format_minutes(seconds: float | None) -> str:
    """``"55 min"`` (``"12 s"`` under a minute, ``"?"`` for unknown)."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.0f} min"


def progress_line(claim_id: str, *, done: int, total: int, elapsed: float, eta: float | None,
                  resumed: bool = False) -> str:
    """``"[FIG3 3/8 units] 41 min elapsed, ETA 55 min"`` (``", resumed"`` for a unit loaded from disk).

    >>> progress_line("FIG3", done=3, total=8, elapsed=2460, eta=3300)
    '[FIG3 3/8 units] 41 min elapsed, ETA 55 min'
    """
    return (f"[{claim_id} {done}/{total} units] {format_minutes(elapsed)} elapsed, ETA {format_minutes(eta)}"
            + (", resumed" if resumed else ""))


def choose_tier(expected: Mapping[str, float], left: float, *, remaining: Callable[[str, float], float]
                ) -> str | None:
    """The largest tier of :data:`TIER_ORDER` whose expected remaining seconds fit in ``left``.

    Parameters
    ----------
    expected : mapping
        The claim's measured seconds per tier (a tier absent is never picked unless ``remaining`` is 0).
    left : float
        Seconds left of the budget.
    remaining : callable
        ``remaining(tier, expected_seconds)``: what is still to compute at that tier (0 for a finding on disk,
        ``expected * (1 - cached fraction)`` otherwise).

    Returns
    -------
    str or None
        ``None`` when no tier fits.

    >>> choose_tier({"quick": 10, "full": 900}, 600, remaining=lambda t, e: e)
    'quick'
    >>> choose_tier({"quick": 10, "full": 900}, 600, remaining=lambda t, e: e / 2)
    'full'
    """
    for tier in TIER_ORDER:
        need = remaining(tier, expected.get(tier, math.inf))
        if need <= left:
            return tier
    return None
