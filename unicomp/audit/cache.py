r"""What a resumable audit keeps on disk: finished *units* of a long check, and finished findings.

A long check splits its work into units (one seed, one configuration, one size panel) with
:meth:`~unicomp.audit.context.AuditContext.unit`; a :class:`UnitStore` writes each finished unit's result to
``<out>/units/<ID>/<name>-<hash>.json``, the hash taken over ``(claim, tier, name, params)``
(:func:`unit_hash`), so an audit stopped after hours resumes after its last finished unit.  A unit being
computed holds a lock file next to it (``<name>-<hash>.lock``: the process id, its start and the host), so that several
processes running the same claim on one machine share its units out instead of computing each twice
(:meth:`UnitStore.lock`; a lock whose process has died is taken over).  A result is
stored as JSON -- never pickled -- through :func:`encode`, which tags what plain JSON would lose (numpy
arrays with their dtype and shape, tuples, mappings with non-string keys) so that :func:`decode` gives back
equal values of the same types.  :func:`load_finding` finds a claim's finished finding at a tier among the
``<out>/runs/<ID>-<hash>.json`` files the report wrote.

Examples
--------
>>> import numpy as np
>>> back = decode(encode({"x": np.arange(3.0), 2: (1, "a")}))
>>> back["x"], back[2]
(array([0., 1., 2.]), (1, 'a'))
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from unicomp.audit.registry import Finding, get_claim
from unicomp.errors import InputError

__all__ = ["UnitStore", "decode", "encode", "load_finding", "unit_hash", "write_atomic"]

_ARRAY, _TUPLE, _ITEMS = "__ndarray__", "__tuple__", "__items__"


def encode(value: Any, where: str = "result") -> Any:
    """JSON data for ``value``: numpy arrays and scalars, tuples and non-string keys tagged for :func:`decode`.

    Raises
    ------
    InputError
        For anything else that is not JSON data (a figure, a torch tensor, a model), naming ``where``.
    """
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise InputError(f"{where}: a {value.dtype} array cannot be stored as JSON (numbers only)")
        return {_ARRAY: value.tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, tuple):
        return {_TUPLE: [encode(v, where) for v in value]}
    if isinstance(value, list):
        return [encode(v, where) for v in value]
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value) and not {_ARRAY, _TUPLE, _ITEMS} & set(value):
            return {k: encode(v, where) for k, v in value.items()}
        return {_ITEMS: [[encode(k, where), encode(v, where)] for k, v in value.items()]}
    raise InputError(f"{where}: a {type(value).__name__} cannot be stored as JSON (a unit returns data only)")


def decode(data: Any) -> Any:
    """The value :func:`encode` was given (arrays with their dtype and shape, tuples, non-string keys)."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if _ARRAY in data:
        return np.array(data[_ARRAY], dtype=np.dtype(data["dtype"])).reshape(data["shape"])
    if _TUPLE in data:
        return tuple(decode(v) for v in data[_TUPLE])
    if _ITEMS in data:
        return {_hashable(decode(k)): decode(v) for k, v in data[_ITEMS]}
    return {k: decode(v) for k, v in data.items()}


def _hashable(key: Any) -> Any:
    return tuple(_hashable(k) for k in key) if isinstance(key, list | tuple) else key


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder (never a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def unit_hash(claim_id: str, tier: str, name: str, params: Mapping[str, Any]) -> str:
    """Twelve hex digits of the SHA-256 of the canonical JSON of ``(claim, tier, name, params)``.

    >>> unit_hash("FIG3", "full", "seed", {"seed": 0}) == unit_hash("FIG3", "full", "seed", {"seed": 1})
    False
    """
    blob = json.dumps([claim_id, tier, name, encode(dict(params), f"unit {name!r} params")], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started, as the boot and the clock tick since boot (Linux's ``/proc``), so that a
    process id reused by a later process is told apart; ``None`` where ``/proc`` does not say."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return f"{boot}:{stat.rsplit(')', 1)[1].split()[19]}"  # field 22, counted after the command name


class UnitStore:
    """The finished units of one claim at one tier, under ``<root>/<ID>/``.

    Parameters
    ----------
    root : path
        The units folder (``<out>/units``).
    claim_id, tier : str
    reuse : bool
        Load a unit already on disk (``False``: recompute and overwrite it, ``--rerun``).
    """

    def __init__(self, root: str | os.PathLike[str], claim_id: str, tier: str, *, reuse: bool = True) -> None:
        self.claim_id = get_claim(claim_id).id
        self.tier = tier
        self.folder = Path(root) / self.claim_id
        self.reuse = reuse

    def path(self, name: str, params: Mapping[str, Any]) -> Path:
        """Where the unit ``name`` with ``params`` is stored."""
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise InputError(f"unit name must be letters, digits, '-' or '_', got {name!r}")
        return self.folder / f"{name}-{unit_hash(self.claim_id, self.tier, name, params)}.json"

    def load(self, name: str, params: Mapping[str, Any]) -> tuple[bool, Any, float]:
        """``(True, result, seconds it took)`` for a finished unit on disk (when reusing), else
        ``(False, None, 0.0)``."""
        path = self.path(name, params)
        if not (self.reuse and path.is_file()):
            return False, None, 0.0
        record = json.loads(path.read_text(encoding="utf-8"))
        return True, decode(record["result"]), float(record.get("seconds", 0.0))

    def save(self, name: str, params: Mapping[str, Any], encoded: Any, seconds: float) -> Path:
        """Store a finished unit (``encoded`` from :func:`encode`) with the seconds it took."""
        path = self.path(name, params)
        record = {"claim": self.claim_id, "tier": self.tier, "name": name,
                  "params": encode(dict(params), f"unit {name!r} params"), "seconds": round(seconds, 3),
                  "time_utc": datetime.now(UTC).isoformat(timespec="seconds"), "result": encoded}
        write_atomic(path, json.dumps(record) + "\n")
        return path

    def stored(self, name: str, params: Mapping[str, Any]) -> bool:
        """Whether the unit is finished on disk and would be loaded (when reusing)."""
        return self.reuse and self.path(name, params).is_file()

    def finished(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """Every finished unit ``name`` of this claim and tier on disk, as ``(params, result)`` (empty when
        not reusing): what a unit whose parameters changed can start from (a search continued to a higher
        cap, say), where its own key finds nothing."""
        if not self.reuse:
            return []
        found = []
        for path in sorted(self.folder.glob(f"{name}-*.json")):
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.get("tier") == self.tier and record.get("name") == name:
                found.append((decode(record["params"]), decode(record["result"])))
        return found

    def _lock_path(self, name: str, params: Mapping[str, Any]) -> Path:
        return self.path(name, params).with_suffix(".lock")

    def lock(self, name: str, params: Mapping[str, Any]) -> bool:
        """Claim the unit for this process: ``True`` if this process may compute it now (it created the lock,
        or took over the lock of a process that has died), ``False`` if a live process holds it."""
        path = self._lock_path(name, params)
        path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):  # the second try follows the removal of a dead process's lock
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if self.locked(name, params):
                    return False
                path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"pid": os.getpid(), "host": socket.gethostname(), "started": _process_start(os.getpid()),
                           "time_utc": datetime.now(UTC).isoformat(timespec="seconds")}, fh)
            return True
        return False

    def unlock(self, name: str, params: Mapping[str, Any]) -> None:
        """Release this process's lock on the unit (done or abandoned)."""
        self._lock_path(name, params).unlink(missing_ok=True)

    def locked(self, name: str, params: Mapping[str, Any]) -> bool:
        """Whether another live process holds the unit's lock.  A lock from another host counts as held (its
        process cannot be asked); one from this host whose process id no longer runs is not."""
        path = self._lock_path(name, params)
        try:
            owner = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return False
        except ValueError:  # being written by its owner this instant
            return True
        if owner.get("host") != socket.gethostname():
            return True
        pid = int(owner.get("pid", 0))
        if pid <= 0 or pid == os.getpid():  # no process named (never signal 0 or -1: a group, every process)
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # alive, owned by another user
            pass
        started = owner.get("started")  # a process id reused after a restart is another process
        return started is None or started == _process_start(pid)

    def plan(self, total: int) -> None:
        """Record how many units the check has at this tier (read by :meth:`finished_fraction`)."""
        write_atomic(self.folder / f"plan-{self.tier}.json", json.dumps({"tier": self.tier, "units": total}) + "\n")

    def progress(self) -> tuple[int, int] | None:
        """``(finished, planned)`` units of this tier on disk, or ``None`` without a plan."""
        plan = self.folder / f"plan-{self.tier}.json"
        if not plan.is_file():
            return None
        total = int(json.loads(plan.read_text(encoding="utf-8"))["units"])
        done = 0
        for path in self.folder.glob("*-*.json"):
            if path.name.startswith("plan-"):
                continue
            done += json.loads(path.read_text(encoding="utf-8")).get("tier") == self.tier
        return min(done, total), total

    def finished_fraction(self) -> float:
        """The fraction of this tier's planned units already on disk (0 without a plan, or when not reusing)."""
        counts = self.progress() if self.reuse else None
        return counts[0] / counts[1] if counts is not None and counts[1] > 0 else 0.0


def load_finding(out_dir: str | os.PathLike[str], claim_id: str, tier: str) -> tuple[Finding, dict[str, Any]] | None:
    """The newest finished finding of ``claim_id`` at ``tier`` in ``<out>/runs/`` and its stored record."""
    claim = get_claim(claim_id).id
    best: tuple[str, dict[str, Any]] | None = None
    for path in (Path(out_dir) / "runs").glob(f"{claim}-*.json"):
        row = json.loads(path.read_text(encoding="utf-8"))
        if row.get("id") != claim or row.get("tier") != tier or "param_hash" not in row:
            continue
        when = str(row.get("environment", {}).get("time_utc", ""))
        if best is None or when > best[0]:
            best = (when, row)
    if best is None:
        return None
    return Finding.from_dict(best[1]), best[1]
