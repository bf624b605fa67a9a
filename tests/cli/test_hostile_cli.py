"""Hostile input for every command of ``unicomp``, generated systematically and run in-process through
:func:`unicomp.cli.main`.

* ``compress`` and ``compress-dataset`` get malformed and malicious files (empty, ragged, non-UTF-8, NUL
  bytes, non-finite cells, ``.npy`` files holding pickles, strings, complex numbers, 3-D arrays, headers
  declaring huge shapes, truncated data, a zip renamed ``.npy``, a directory) as points, weights and tables.
* ``bound`` gets every calculator with each required argument replaced by hostile text (NaN, infinities,
  overflowing decimals, ``1/0``, empty lists, mismatched list lengths, huge integers, words).
* ``demo`` and the top-level parser get hostile numbers and argument lists.

Every case ends in one of two ways: exit status 0 with a result checked here (the compression verified by
:func:`~unicomp.verify.invariants.check_compression` against the input as read; a bound's JSON value equal to
the calculator's own value), or exit status 2 with exactly one line on stderr that is not a traceback.  An
unexpected exception escapes ``main`` and fails the case.  Input files are never changed, nothing is
unpickled (a pickle that would create a file on loading is offered), mpmath's precision is unchanged, and a
second run prints the same output.  Case count: ``pytest --collect-only -q tests/cli/test_hostile_cli.py``.
"""

from __future__ import annotations

import inspect
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

from unicomp.cli import main
from unicomp.cli._io import read_table
from unicomp.cli.bound import CALCULATORS, _values, json_value
from unicomp.numerics.datasets import WeightedDataset
from unicomp.numerics.result import Compression
from unicomp.verify.invariants import check_compression

_RNG = np.random.default_rng(5)
TRAP = "unicomp-unpickled-trap"
_TABLE = _RNG.uniform(-1, 1, size=(60, 3))


def _csv(rows: np.ndarray, header: str | None = "a,b,y") -> bytes:
    lines = ([header] if header else []) + [",".join(repr(float(v)) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _npy(arr: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def _npy_header(shape: tuple[int, ...], payload: bytes = b"\0" * 64, descr: str = "<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + payload


class _Trap:
    """Unpickling this object creates the file ``TRAP`` in the working directory: loading must never do it."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (TRAP, "w"))


def _pickled() -> bytes:
    return _npy(np.array([_Trap(), 1.0], dtype=object), allow_pickle=True)


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("arr_0.npy", _npy(_TABLE))
    return buf.getvalue()


#: name -> (file name, content); content None makes a directory.
FILES: dict[str, tuple[str, bytes | None]] = {
    "good_csv": ("t.csv", _csv(_TABLE)),
    "good_csv_no_header": ("t.csv", _csv(_TABLE, None)),
    "good_npy": ("t.npy", _npy(_TABLE)),
    "bom_no_header": ("t.csv", b"\xef\xbb\xbf" + _csv(_TABLE, None)),
    "bom_header": ("t.csv", b"\xef\xbb\xbf" + _csv(_TABLE)),
    "crlf": ("t.csv", _csv(_TABLE).replace(b"\n", b"\r\n")),
    "txt_extension": ("t.txt", _csv(_TABLE)),
    "upper_extension": ("t.CSV", _csv(_TABLE)),
    "duplicate_header": ("t.csv", _csv(_TABLE, "y,b,y")),
    "duplicate_rows": ("t.csv", _csv(np.repeat(_TABLE[:3], 20, axis=0))),
    "one_row": ("t.csv", _csv(_TABLE[:1])),
    "one_column": ("t.csv", _csv(_TABLE[:, :1], "y")),
    "collinear": ("t.csv", _csv(np.outer(np.linspace(-1, 1, 60), [1.0, 2.0, -1.0]))),
    "constant_column": ("t.csv", _csv(np.column_stack([_TABLE[:, :2], np.ones(60)]))),
    "scale_1e150": ("t.csv", _csv(_TABLE * 1e150)),
    "scale_1e-150": ("t.csv", _csv(_TABLE * 1e-150)),
    "overflowing_cell": ("t.csv", b"a,b,y\n1,2,3\n1e400,5,6\n7,8,9\n"),
    "empty": ("t.csv", b""),
    "blank_lines": ("t.csv", b"\n \n\t\n"),
    "bom_only": ("t.csv", b"\xef\xbb\xbf"),
    "header_only": ("t.csv", b"a,b,y\n"),
    "ragged": ("t.csv", b"1,2,3\n4,5\n6,7,8\n"),
    "missing_cell": ("t.csv", b"a,b,y\n1,,3\n4,5,6\n"),
    "text_cell": ("t.csv", b"a,b,y\n1,two,3\n4,5,6\n"),
    "nan_cell": ("t.csv", b"a,b,y\n1,nan,3\n4,5,6\n"),
    "inf_cell": ("t.csv", b"a,b,y\n1,-inf,3\n4,5,6\n"),
    "latin1": ("t.csv", "\xe9,b,y\n1,2,3\n4,5,6\n".encode("latin-1")),
    "utf16": ("t.csv", _csv(_TABLE).decode().encode("utf-16")),
    "nul_bytes": ("t.csv", b"1,2,3\n4,\x005,6\n"),
    "semicolons": ("t.csv", b"1;2;3\n4;5;6\n"),
    "huge_field": ("t.csv", b"1," + b"9" * 200_000 + b",3\n"),
    "binary_garbage": ("t.csv", bytes(range(256)) * 4),
    "unknown_extension": ("t.dat", _csv(_TABLE)),
    "npz_extension": ("t.npz", _zip()),
    "zip_named_npy": ("t.npy", _zip()),
    "not_npy": ("t.npy", b"not an npy file at all"),
    "pickle_trap": ("t.npy", _pickled()),
    "npy_strings": ("t.npy", _npy(np.array([["1", "2"], ["3", "4"]]))),
    "npy_complex": ("t.npy", _npy(_TABLE + 1j)),
    "npy_structured": ("t.npy", _npy(np.zeros(4, dtype=[("a", "<f8"), ("b", "<i4")]))),
    "npy_3d": ("t.npy", _npy(np.zeros((4, 3, 2)))),
    "npy_scalar": ("t.npy", _npy(np.array(3.0))),
    "npy_empty": ("t.npy", _npy(np.zeros((0, 3)))),
    "npy_1d": ("t.npy", _npy(_TABLE[:, 0].copy())),
    "npy_bool": ("t.npy", _npy(_TABLE > 0)),
    "npy_int": ("t.npy", _npy((_TABLE * 100).astype(np.int64))),
    "npy_float16": ("t.npy", _npy(_TABLE.astype(np.float16))),
    "npy_float32": ("t.npy", _npy(_TABLE.astype(np.float32))),
    "npy_fortran": ("t.npy", _npy(np.asfortranarray(_TABLE))),
    "npy_big_endian": ("t.npy", _npy(_TABLE.astype(">f8"))),
    "npy_nan": ("t.npy", _npy(np.where(_TABLE > 0.9, np.nan, _TABLE))),
    "npy_huge_shape": ("t.npy", _npy_header((10**12, 3))),
    "npy_truncated": ("t.npy", _npy(_TABLE)[:-40]),
    "npy_bad_descr": ("t.npy", _npy_header((2, 2), descr="<q9")),
    "directory": ("t.csv", None),
}

#: Argument lists; FILE stands for the hostile file, GOOD for a well-formed points file.
COMMANDS: dict[str, list[str]] = {
    "compress": ["compress", "FILE", "-k", "2", "-o", "OUT.npz"],
    "compress_size": ["compress", "FILE", "-k", "1", "--size", "8", "-o", "OUT.npz"],
    "compress_weights": ["compress", "GOOD", "-k", "2", "--weights", "FILE", "-o", "OUT.npz"],
    "dataset_by_number": ["compress-dataset", "FILE", "--targets", "1", "-k", "2", "-o", "OUT.npz"],
    "dataset_by_name": ["compress-dataset", "FILE", "--targets", "y", "-k", "1", "--size", "8", "-o", "OUT.npz"],
}


def _one_error_line(err: str, command: str) -> None:
    assert err.count("\n") == 1 and err.startswith(f"unicomp {command}: error: "), err
    assert "Traceback" not in err


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    precision = mpmath.mp.prec
    code = main(argv)
    assert mpmath.mp.prec == precision
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(FILES))
def test_files(case: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
               monkeypatch: pytest.MonkeyPatch) -> None:
    trap = tmp_path / TRAP
    monkeypatch.chdir(tmp_path)
    name, content = FILES[case]
    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    good = tmp_path / "good.npy"
    good.write_bytes(FILES["good_npy"][1] or b"")
    outputs = [tmp_path / f"out{i}.npz" for i in range(2)]
    runs = []
    for out in outputs:
        argv = [{"FILE": str(path), "GOOD": str(good), "OUT.npz": str(out)}.get(a, a) for a in COMMANDS[command]]
        code, out, err = _run(argv, capsys)
        runs.append((code, _untimed(out), err))
    assert not trap.exists(), "a pickle was loaded"
    assert content is None or path.read_bytes() == content
    (code, out, err), again = runs
    assert again == (code, _untimed(out).replace(str(outputs[0]), str(outputs[1])), err)
    if code == 2:
        _one_error_line(err, argv[0])
        assert not outputs[0].exists()
        return
    assert code == 0 and err == ""
    table = read_table(good if command == "compress_weights" else path)[1]
    if argv[0] == "compress":
        comp = Compression.load(outputs[0])
        points, weights = (table, None) if command != "compress_weights" else (read_table(good)[1],
                                                                               read_table(path)[1][:, 0])
        check_compression(comp, points, weights)
        assert _same_arrays(comp, Compression.load(outputs[1]))
    else:
        ds = WeightedDataset.load(outputs[0])
        objects = table[:, [*range(1, table.shape[1]), 0]] if command == "dataset_by_number" else table
        check_compression(ds.compression, ds.standardize(objects))
        assert _same_arrays(ds.compression, WeightedDataset.load(outputs[1]).compression)


def _untimed(text: str) -> str:
    """The summary line without its (varying) run time."""
    return re.sub(r", [0-9.]+ s -> ", ", -> ", text)


def _same_arrays(a: Compression, b: Compression) -> bool:
    return bool(np.array_equal(a.indices, b.indices) and np.array_equal(a.weights, b.weights))


#: Valid arguments for every calculator (each call below replaces one of them).
BASE = {"d": "1000000", "d_prime": "1000", "n": "11", "m": "2", "k": "3", "radius": "1", "rho": "2", "bound": "1",
        "lipschitz": "1", "diameter": "0.1", "eps": "0.01", "sigma": "0.5", "alpha": "0.5", "a": "1", "b": "1",
        "d0": "1", "loss_floor": "0", "rate": "1"}
HOSTILE = ["nan", "-inf", "-1", "0", "1e400", "1e-400", "1/0", "abc", "", ",", "1,nan", "1/3", "2.5", "1e308",
           "9" * 400, " 7 ", "1,2,3", "3,4"]


def _bound_cases() -> list[tuple[str, str, str]]:
    cases = []
    for name, fn in sorted(CALCULATORS.items()):
        required = [p.name for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty]
        cases += [(name, param, value) for param in required for value in HOSTILE]
    return cases


@pytest.mark.parametrize(("name", "param", "value"), _bound_cases())
def test_bound(name: str, param: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    fn = CALCULATORS[name]
    given = {p.name: BASE[p.name] for p in inspect.signature(fn).parameters.values()
             if p.default is inspect.Parameter.empty} | {param: value}
    # The last required argument is a two-element list: "1,2,3" and "3,4" test lists that do not broadcast.
    last = list(given)[-1]
    if param != last:
        given[last] = f"{given[last]},{given[last]}"
    argv = ["bound", name, *[f"--{k}={v}" for k, v in given.items()], "--json"]
    code, out, err = _run(argv, capsys)
    assert _run(argv, capsys) == (code, out, err)
    if code == 2:
        _one_error_line(err, "bound")
        assert param in err or param.replace("_", "-") in err or last in err, err
        return
    assert code == 0 and err == ""
    expected = fn(**{k: _values(v) for k, v in given.items()})
    data = json.loads(out)
    assert data["value"] == json_value(expected.value)
    # A float64 overflow is never shown as a plain number: the value is null and the note says why.
    assert "null" not in json.dumps(data["value"]) or "not finite in float64" in data["note"]


DEMO_HOSTILE = ["-1", "0", "1", "abc", "1e3", "2.5", "", "9" * 30, "0x10"]


@pytest.mark.parametrize("flag", ["--points", "--dim", "--degree", "--seed"])
@pytest.mark.parametrize("value", DEMO_HOSTILE)
def test_demo(flag: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    flags = {"--points": "300", "--dim": "2", "--degree": "2", "--seed": "0"} | {flag: value}
    argv = ["demo", *[f"{k}={v}" for k, v in flags.items()]]
    code, out, err = _run(argv, capsys)
    if code == 2:
        _one_error_line(err, "demo")
        assert flag in err
        return
    assert code == 0 and "|error|" in out and err == ""


@pytest.mark.parametrize(
    "argv",
    [[], ["nosuch"], ["compress"], ["compress", "x.csv"], ["compress", "x.csv", "-k"], ["compress", "x.csv", "-k", "x"],
     ["compress", "x.csv", "-k", "2", "--method", "x"], ["compress-dataset", "x.csv", "-k", "2"],
     ["bound"], ["bound", "nosuch"], ["bound", "rate_size", "--d"], ["bound", "rate_size", "d"],
     ["demo", "--bogus"], ["--bogus"], ["bound", "list", "--bogus"]],
)
def test_command_lines(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert err.count("\n") == 1 and ": error: " in err and "Traceback" not in err


def test_every_command_is_in_the_corpus() -> None:
    from unicomp.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    covered = {argv[0] for argv in COMMANDS.values()} | {"bound", "demo", "audit"}  # audit: tests/cli/test_cli_audit
    assert set(sub.choices) == covered  # type: ignore[union-attr]



@pytest.mark.parametrize(
    ("output", "outcome"),
    [("x.npz", "npz"), ("x.NPZ", "npz"), ("sub/new/x.npz", "npz"), ("x.csv", "csv"), ("x.json", "json"),
     ("x", "unknown extension ''"), ("x.txt", "unknown extension '.txt'"), ("x.npy", "unknown extension '.npy'"),
     (".", "unknown extension"), ("folder.npz", "is a directory"), ("t.npy/x.npz", "is not a directory"),
     ("t.npy", "unknown extension '.npy'")],
)
def test_outputs(output: str, outcome: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.npy").write_bytes(FILES["good_npy"][1] or b"")
    (tmp_path / "folder.npz").mkdir()
    code, out, err = _run(["compress", "t.npy", "-k", "2", "-o", output], capsys)
    if outcome in ("npz", "csv", "json"):
        assert code == 0 and out.strip().endswith(f"-> {output}")
        text = (tmp_path / output).read_bytes()
        if outcome == "npz":
            check_compression(Compression.load(tmp_path / output), _TABLE)
        elif outcome == "json":
            data = json.loads(text)
            assert data["n_input"] == 60 and data["point"] == _TABLE[data["index"]].tolist()
        else:
            assert text.splitlines()[0] == b"index,weight,point1,point2,point3"
        return
    _one_error_line(err, "compress")
    assert outcome in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.npz", "t.npy"]  # nothing written

