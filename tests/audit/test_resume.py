"""The resumable full tier: units computed once and reloaded, findings resumed, --rerun, --budget, the ETA.

Every test runs a tiny fake check in place of a claim's module (``runner.check_module`` monkeypatched), so
the whole file takes about a second.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from unicomp.audit import runner
from unicomp.audit.cache import UnitStore, decode, encode, load_finding
from unicomp.audit.context import AuditContext
from unicomp.audit.registry import Registry, get_claim
from unicomp.audit.schedule import choose_tier, eta_seconds, parse_duration, progress_line
from unicomp.errors import InputError

CLAIM = "NEWTON"


class FakeCheck:
    """A check of ``CLAIM`` with ``units`` units; counts the units computed and the check's runs."""

    def __init__(self, units: int = 3) -> None:
        self.units = units
        self.computed: list[int] = []
        self.calls = 0
        self.results: list[Any] = []

    def run(self, ctx: AuditContext) -> None:
        self.calls += 1
        ctx.plan_units(self.units)
        self.results = [ctx.unit("seed", {"seed": s}, lambda s=s: self._compute(s)) for s in range(self.units)]
        ctx.record("holds", {"total": float(sum(r["sum"] for r in self.results))}, "fake check")

    def _compute(self, seed: int) -> dict[str, Any]:
        self.computed.append(seed)
        return {"sum": np.float64(seed), "values": np.arange(seed + 1, dtype=np.float32), "pair": (seed, "x")}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeCheck:
    check = FakeCheck()
    monkeypatch.setattr(runner, "check_module", lambda claim_id: SimpleNamespace(run=check.run))
    return check


def _audit(out: Path, **kwargs: Any) -> tuple[runner.AuditResult, str]:
    stream = io.StringIO()
    result = runner.audit(CLAIM, out_dir=out, stream=stream, **{"tier": "full", **kwargs})
    return result, stream.getvalue()


def test_a_unit_is_computed_once_and_reloaded_with_its_types(fake: FakeCheck, tmp_path: Path) -> None:
    _audit(tmp_path)
    first = fake.results
    assert fake.computed == [0, 1, 2]
    for path in (tmp_path / "runs").glob("*.json"):  # the finding gone: the check runs, its units reload
        path.unlink()
    _, log = _audit(tmp_path)
    assert fake.calls == 2 and fake.computed == [0, 1, 2]
    assert "[NEWTON 3/3 units]" in log and log.count(", resumed") == 3
    for a, b in zip(first, fake.results, strict=True):
        assert a["values"].dtype == b["values"].dtype == np.float32
        np.testing.assert_array_equal(a["values"], b["values"])
        assert a["pair"] == b["pair"] == (a["pair"][0], "x")
    assert len(list((tmp_path / "units" / CLAIM).glob("seed-*.json"))) == 3


def test_the_finished_units_of_a_name_are_listed_whatever_their_params(tmp_path: Path) -> None:
    store = UnitStore(tmp_path, CLAIM, "full")
    for seed in (0, 1):
        store.save("row", {"seed": seed, "cap": 4}, encode({"tried": (seed, 1.0)}), 1.0)
    store.save("seed", {"seed": 0}, encode(0), 1.0)  # another name
    UnitStore(tmp_path, CLAIM, "quick").save("row", {"seed": 2, "cap": 4}, encode({}), 1.0)  # another tier
    found = store.finished("row")
    assert sorted(p["seed"] for p, _ in found) == [0, 1] and {r["tried"] for _, r in found} == {(0, 1.0), (1, 1.0)}
    assert UnitStore(tmp_path, CLAIM, "full", reuse=False).finished("row") == []  # --rerun starts from nothing


def test_an_interrupted_check_resumes_after_its_last_finished_unit(fake: FakeCheck, tmp_path: Path) -> None:
    original = fake._compute

    def stop_at_two(seed: int) -> dict[str, Any]:
        if seed == 2:
            raise KeyboardInterrupt  # the session stopped in the third unit
        return original(seed)

    fake._compute = stop_at_two  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        _audit(tmp_path)
    fake._compute = original  # type: ignore[method-assign]
    _audit(tmp_path)
    assert fake.computed == [0, 1, 2]  # units 0 and 1 were not recomputed


def test_a_finished_claim_is_on_disk_before_the_audit_ends(fake: FakeCheck, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def by_claim(claim_id: str) -> SimpleNamespace:
        if claim_id == "PACKING":  # the second claim: the session stops inside it
            return SimpleNamespace(run=lambda ctx: (_ for _ in ()).throw(KeyboardInterrupt))
        return SimpleNamespace(run=fake.run)

    monkeypatch.setattr(runner, "check_module", by_claim)
    with pytest.raises(KeyboardInterrupt):
        runner.audit(f"{CLAIM},PACKING", tier="full", out_dir=tmp_path, stream=io.StringIO())
    assert load_finding(tmp_path, CLAIM, "full") is not None


def test_a_claim_that_crashed_here_but_finished_elsewhere_shows_the_finding(fake: FakeCheck, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def crash_after_another_process_finished(ctx: AuditContext) -> None:
        runner.audit(CLAIM, tier="full", out_dir=tmp_path, stream=io.StringIO())  # the other process
        raise RuntimeError("this process ran out of precision")

    calls = iter([crash_after_another_process_finished, fake.run])
    monkeypatch.setattr(runner, "check_module", lambda claim_id: SimpleNamespace(run=next(calls)))
    result, _ = _audit(tmp_path)
    assert result.crashed  # this process's own failure is still its exit status
    row = next(r for r in json.loads((tmp_path / "report.json").read_text()) if r["id"] == CLAIM)
    assert row["verdict"] == "holds"  # the directory's report shows the finding on disk


def test_the_report_says_how_far_an_unfinished_claim_got(fake: FakeCheck, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    original = fake._compute

    def stop_at_two(seed: int) -> dict[str, Any]:
        if seed == 2:
            raise KeyboardInterrupt
        return original(seed)

    fake._compute = stop_at_two  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        _audit(tmp_path)
    monkeypatch.setattr(runner, "check_module", lambda claim_id: SimpleNamespace(
        run=lambda ctx: ctx.record("holds", {}, "another claim")))
    runner.audit("PACKING", tier="full", out_dir=tmp_path, stream=io.StringIO())
    row = next(r for r in json.loads((tmp_path / "report.json").read_text()) if r["id"] == CLAIM)
    assert row["verdict"] == "not run" and "2 of 3 units stored" in row["evidence"]


def test_a_finished_finding_is_resumed_not_rerun(fake: FakeCheck, tmp_path: Path) -> None:
    first, _ = _audit(tmp_path)
    result, log = _audit(tmp_path)
    assert fake.calls == 1
    assert result.runs[0].resumed and result.runs[0].finding.to_dict() == first.runs[0].finding.to_dict()
    assert "resumed: ran" in log
    report = json.loads((tmp_path / "report.json").read_text())
    row = next(r for r in report if r["id"] == CLAIM)
    assert row["resumed"]
    stored = load_finding(tmp_path, CLAIM, "full")
    assert stored is not None and stored[1]["environment"]["time_utc"] == row["environment"]["time_utc"]
    assert load_finding(tmp_path, CLAIM, "quick") is None  # another tier is never taken for this one


def test_a_resumed_claim_counts_the_time_of_the_units_it_loaded(fake: FakeCheck, tmp_path: Path) -> None:
    store = UnitStore(tmp_path / "units", CLAIM, "full")
    for s in range(3):  # three units finished by an earlier run, an hour each
        store.save("seed", {"seed": s}, encode({"sum": float(s)}), 3600.0)
    result, _ = _audit(tmp_path)
    assert fake.computed == [] and 3 * 3600.0 <= result.runs[0].finding.elapsed < 3 * 3600.0 + 60.0


def test_rerun_recomputes_the_finding_and_every_unit(fake: FakeCheck, tmp_path: Path) -> None:
    _audit(tmp_path)
    result, _ = _audit(tmp_path, rerun=True)
    assert fake.calls == 2 and fake.computed == [0, 1, 2, 0, 1, 2]
    assert not result.runs[0].resumed


def test_the_quick_tier_neither_resumes_nor_stores_units(fake: FakeCheck, tmp_path: Path) -> None:
    _audit(tmp_path, tier="quick")
    _audit(tmp_path, tier="quick")
    assert fake.calls == 2 and fake.computed == [0, 1, 2] * 2
    assert not (tmp_path / "units").exists() and not (tmp_path / "machine.json").exists()


def test_the_full_tier_writes_machine_and_the_runs_table(fake: FakeCheck, tmp_path: Path) -> None:
    _audit(tmp_path)
    machine = json.loads((tmp_path / "machine.json").read_text())
    assert {"cpu", "cores", "memory_gib", "os", "python", "versions", "git_commit", "date_utc"} <= set(machine)
    row = next(line for line in (tmp_path / "report.md").read_text().splitlines()
               if line.startswith(f"| {CLAIM} | full | holds |"))
    commit = json.loads((tmp_path / "report.json").read_text())[0]["environment"]["git_commit"]
    assert (commit or "-")[:10] in row.split("|")[6]  # the code version the finding ran at


def test_the_report_shows_what_another_process_finished_meanwhile(fake: FakeCheck, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def other_process(ctx: AuditContext) -> None:  # PACKING, finished by a second audit while NEWTON runs
        ctx.record("fails", {}, "another process")

    def newton(ctx: AuditContext) -> None:
        runner.audit("PACKING", tier="full", out_dir=tmp_path, stream=io.StringIO())
        fake.run(ctx)

    monkeypatch.setattr(runner, "check_module",
                        lambda claim_id: SimpleNamespace(run=newton if claim_id == CLAIM else other_process))
    _audit(tmp_path)
    verdicts = {r["id"]: r["verdict"] for r in json.loads((tmp_path / "report.json").read_text())}
    assert verdicts[CLAIM] == "holds" and verdicts["PACKING"] == "fails"


@pytest.fixture
def expected(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    times = get_claim(CLAIM).expected_s
    monkeypatch.setitem(times, "quick", 1.0)  # type: ignore[index]
    monkeypatch.setitem(times, "full", 1000.0)  # type: ignore[index]
    return times  # type: ignore[return-value]


def test_budget_picks_the_largest_tier_that_fits(fake: FakeCheck, expected: dict[str, float], tmp_path: Path) -> None:
    result, _ = _audit(tmp_path / "a", budget=60.0)
    assert [r.finding.tier for r in result.runs if r.finding] == ["quick"]
    result, _ = _audit(tmp_path / "b", budget=2000.0)
    assert [r.finding.tier for r in result.runs if r.finding] == ["full"]
    result, log = _audit(tmp_path / "c", budget=0.5)
    assert result.runs == [] and "left out" in log


def test_budget_counts_the_units_already_finished(fake: FakeCheck, expected: dict[str, float],
                                                  tmp_path: Path) -> None:
    store = UnitStore(tmp_path / "units", CLAIM, "full")
    store.plan(3)
    for s in range(3):  # all three units of the full tier on disk: nothing left to compute
        store.save("seed", {"seed": s}, encode({"sum": float(s)}), 1.0)
    result, _ = _audit(tmp_path, budget=60.0)
    assert [r.finding.tier for r in result.runs if r.finding] == ["full"] and fake.computed == []


def test_choose_tier_and_eta_arithmetic() -> None:
    assert choose_tier({"quick": 10, "full": 900}, 899, remaining=lambda t, e: e) == "quick"
    assert choose_tier({"quick": 10, "full": 900}, 900, remaining=lambda t, e: e) == "full"
    assert choose_tier({"quick": 10}, 10**6, remaining=lambda t, e: e) == "quick"  # full never measured
    assert choose_tier({"quick": 10, "full": 900}, 5, remaining=lambda t, e: e) is None
    # before a unit: expected x (1 - cached fraction) - elapsed, never below 0
    assert eta_seconds(1000.0, total=4, done=0, unit_seconds=[], cached_fraction=0.5, elapsed=100.0) == 400.0
    assert eta_seconds(100.0, total=4, done=0, unit_seconds=[], elapsed=500.0) == 0.0
    assert eta_seconds(None, total=4, done=0, unit_seconds=[]) is None
    # after units: mean computed unit x units left (loaded units count as done, not in the mean)
    assert eta_seconds(1000.0, total=8, done=3, unit_seconds=[60.0, 120.0]) == 450.0
    # with relative costs: seconds per unit of cost x the cost left (units growing 1, 2, 4, 8 after one)
    assert eta_seconds(None, total=4, done=1, unit_seconds=[30.0], unit_weights=[1.0], remaining_weight=14.0) == 420.0
    line = progress_line("FIG3", done=3, total=8, elapsed=2460, eta=3300)
    assert line == "[FIG3 3/8 units] 41 min elapsed, ETA 55 min"


def test_the_eta_counts_the_cost_of_the_units_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []

    def record(expected: float | None, **kwargs: Any) -> float:
        seen.append({**kwargs, "unit_weights": list(kwargs["unit_weights"])})  # a copy: the context appends
        return 0.0

    monkeypatch.setattr("unicomp.audit.context.eta_seconds", record)
    ctx = AuditContext(CLAIM, "full", tmp_path, Registry(), units=UnitStore(tmp_path / "units", CLAIM, "full"),
                       progress=lambda line: None)
    ctx.plan_units(3, weights=[1.0, 2.0, 4.0])
    for s in range(3):
        ctx.unit("seed", {"seed": s}, lambda s=s: s)
    assert [(k["unit_weights"], k["remaining_weight"]) for k in seen] == [([1.0], 6.0), ([1.0, 2.0], 4.0),
                                                                          ([1.0, 2.0, 4.0], 0.0)]
    with pytest.raises(InputError, match="weights"):
        ctx.plan_units(2, weights=[1.0, 0.0])


def test_parse_duration() -> None:
    assert [parse_duration(t) for t in ("2h", "90m", "1h30m", "45s", "10", "1.5h")] == [7200, 5400, 5400, 45, 10, 5400]
    for bad in ("", "soon", "-5m", "0", "5d"):
        with pytest.raises(InputError, match="--budget"):
            parse_duration(bad)


def test_unit_encoding_round_trip_and_refusals() -> None:
    value = {"a": np.arange(6, dtype=np.int16).reshape(2, 3), 3: [np.float64(1.5), (1, 2)], "t": None}
    back = decode(json.loads(json.dumps(encode(value))))
    assert back["a"].dtype == np.int16 and back["a"].shape == (2, 3) and back[3] == [1.5, (1, 2)]
    with pytest.raises(InputError, match="unit 'seed'"):
        encode({"fig": object()}, "unit 'seed'")
    with pytest.raises(InputError, match="unit name"):
        UnitStore("/tmp", CLAIM, "full").path("../escape", {})


def test_units_without_a_store_are_computed_every_time(tmp_path: Path) -> None:
    ctx = AuditContext(CLAIM, "full", tmp_path, Registry())
    calls = []
    for _ in range(2):
        ctx.unit("seed", {"seed": 0}, lambda: calls.append(1) or {"x": np.ones(2)})
    assert len(calls) == 2 and not (tmp_path / "units").exists()


def _locked_by(store: UnitStore, params: dict[str, Any], pid: int, **started: str) -> None:
    """Write the lock of unit ``seed`` ``params`` as process ``pid`` on this host would."""
    path = store.path("seed", params).with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": pid, "host": socket.gethostname(), **started}), encoding="utf-8")


def test_units_skip_what_another_process_computes_and_wait_for_it(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store, lines = UnitStore(tmp_path / "units", CLAIM, "full"), list[str]()
    ctx = AuditContext(CLAIM, "full", tmp_path, Registry(), units=store, progress=lines.append)
    _locked_by(store, {"seed": 1}, os.getppid())  # a live process on this host holds unit 1
    computed: list[int] = []

    def other_process_finishes(seconds: float) -> None:  # what the holder does while this one polls
        store.save("seed", {"seed": 1}, encode({"by": "other"}), 5.0)
        store.unlock("seed", {"seed": 1})

    monkeypatch.setattr("unicomp.audit.context.time.sleep", other_process_finishes)
    results = ctx.units("seed", [({"seed": s}, lambda s=s: computed.append(s) or {"by": s}) for s in range(3)])
    assert computed == [0, 2]
    assert results == [{"by": 0}, {"by": "other"}, {"by": 2}]
    assert sum("waiting for 1 unit(s) another process" in line for line in lines) == 1
    assert not list(store.folder.glob("*.lock"))


def test_a_dead_process_lock_is_taken_over_and_a_failed_unit_releases_its_lock(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    store = UnitStore(tmp_path / "units", CLAIM, "full")
    ctx = AuditContext(CLAIM, "full", tmp_path, Registry(), units=store)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    _locked_by(store, {"seed": 0}, int(gone.stdout))  # that process has exited
    monkeypatch.setattr("unicomp.audit.context.time.sleep", lambda s: pytest.fail("waited for a dead process"))
    assert ctx.units("seed", [({"seed": 0}, lambda: 7)]) == [7]
    if sys.platform == "linux":  # a live process id, but not the process that took the lock (/proc tells)
        _locked_by(store, {"seed": 2}, os.getppid(), started="another boot:0")
        assert ctx.units("seed", [({"seed": 2}, lambda: 8)]) == [8]

    def broken() -> None:
        raise RuntimeError("unit failed")

    with pytest.raises(RuntimeError, match="unit failed"):
        ctx.units("seed", [({"seed": 1}, broken)])
    assert not list(store.folder.glob("*.lock")) and not store.stored("seed", {"seed": 1})


def _worker(out: str, log: str) -> None:
    """One of two processes running the same claim's units (a module-level function: a child process runs it)."""
    ctx = AuditContext(CLAIM, "full", out, Registry(), units=UnitStore(Path(out) / "units", CLAIM, "full"))

    def compute(s: int) -> int:
        fd = os.open(Path(log) / f"computed-{s}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)  # fails if computed twice
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        time.sleep(0.2)
        return s * s

    assert ctx.units("seed", [({"seed": s}, partial(compute, s)) for s in range(8)], poll=0.05) == [
        s * s for s in range(8)]


def test_two_processes_share_a_claims_units_and_compute_each_once(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.mkdir()
    mp = multiprocessing.get_context("fork")
    workers = [mp.Process(target=_worker, args=(str(tmp_path), str(log))) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    owners = {p.name: p.read_text() for p in log.iterdir()}
    assert sorted(owners) == sorted(f"computed-{s}" for s in range(8))
    assert len(set(owners.values())) == 2  # both processes computed some of them
