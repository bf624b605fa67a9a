"""``unicomp bound``: value and formula on stdout, JSON and LaTeX, errors as exit status 2."""

from __future__ import annotations

import json

import pytest

from unicomp.cli import main
from unicomp.theory import bounds


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bound", "packing_diameter", "--d", "10000", "--n", "11", "--m", "2", "--radius", "1"]) == 0
    out = capsys.readouterr().out
    assert f"packing_diameter = {bounds.packing_diameter(10000, 11, 2, 1).value}" in out
    assert f"formula: {bounds.PACKING_FORMULA}" in out
    assert "kind: rigorous" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bound", "boost_min_degree", "--m", "3", "--sigma=0.5", "--alpha", "0.68", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["value"] == 13
    assert data["kind"] == "asymptotic"


def test_latex_and_certified(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bound", "polylog_degree", "--n", "1e6", "--m", "2", "--rho", "4", "--form", "printed"]
    assert main([*argv, "--latex", "--certified"]) == 0
    out = capsys.readouterr().out
    assert r"\frac{\left(N \rho m!\right)^{\frac{1}{m}}}{e}" in out
    assert out.startswith("polylog_degree = [1040.52019")


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bound", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("packing_diameter", "rate_size", "polylog_error", "lower_bound", "boost_min_degree"):
        assert name in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bound", "nosuch"], "unknown bound"),
        (["bound", "rate_size", "--d", "1e4"], "needs --eps, --k, --m"),
        (["bound", "rate_size", "--d", "1e4", "--eps", "0.01", "--k", "2", "--m", "3"], "k > m - 1"),
        (["bound", "rate_size", "--dd", "1"], "takes --d, --eps, --k, --m"),
        (["bound", "boost_min_degree", "--m", "3", "--sigma", "0.5", "--alpha", "1", "--certified"], "exact integer"),
        (["bound", "rate_size", "d"], "expected --param value"),
    ],
)
def test_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_help_of_one_calculator_lists_its_parameters(capsys) -> None:
    from unicomp.cli import main

    assert main(["bound", "packing_diameter", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--d VALUE --n VALUE --m VALUE --radius VALUE" in out and "Lemma 1" in out
