"""``unicomp bound``: value and formula on stdout, JSON and LaTeX, errors as exit status 2."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy

from unicomp.cli import main
from unicomp.cli._docs import parameters, plain
from unicomp.cli.bound import CALCULATORS
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
        (["bound", "rate_size", "--d", "1e4"], "the following arguments are required: --eps, --k, --m"),
        (["bound", "rate_size", "--d", "1e4", "--eps", "0.01", "--k", "2", "--m", "3"], "k > m - 1"),
        (["bound", "rate_size", "--d", "1e4", "--eps", "0.01", "--k", "2", "--m", "1", "--dd", "1"],
         "unrecognized arguments: --dd 1"),
        (["bound", "boost_min_degree", "--m", "3", "--sigma", "0.5", "--alpha", "1", "--certified"],
         "unrecognized arguments: --certified"),
        (["bound", "rate_size", "d"], "the following arguments are required: --d, --eps, --k, --m"),
        # Regression (issue 12): Fraction('1/0') raised ZeroDivisionError with a traceback.
        (["bound", "packing_diameter", "--d", "1/0", "--n", "11", "--m", "2", "--radius", "1"],
         "argument --d: expected a number"),
        (["bound", "packing_diameter", "--d", "1,,2", "--n", "11", "--m", "2", "--radius", "1"],
         "argument --d: expected a number"),
        (["bound", "polylog_degree", "--n", "1e6", "--m", "2", "--rho", "4", "--form", "x"], "invalid choice: 'x'"),
        (["bound", "list", "--text"], "'bound list' takes only --json"),
    ],
)
def test_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("unicomp bound: error: ")


def test_help_of_one_calculator_is_a_summary_and_one_line_per_option(capsys: pytest.CaptureFixture[str]) -> None:
    # Regression (issue 12): --help printed the whole numpydoc docstring, reST markup included.
    assert main(["bound", "packing_diameter", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--d VALUE --n VALUE --m VALUE" in out and "Lemma 1: among d points of a closed m-ball" in out
    assert "  --n VALUE       Cluster size N >= 2 (Algorithm 1 uses N = N_(m,k) + 1)." in out
    assert "  --radius VALUE  Radius R > 0 of the ball." in out
    assert ":math:" not in out and "``" not in out and "Examples" not in out and "Notes" not in out


def test_help_shows_choices_defaults_and_hyphenated_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bound", "polylog_error", "-h"]) == 0
    out = capsys.readouterr().out
    assert "--d-prime VALUE, --d_prime VALUE" in out and "--form {corrected,printed}" in out
    assert "(default corrected)" in out


def test_list_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    # Regression (issue 12): the summaries kept :math:`...` and ``...``.
    assert main(["bound", "list"]) == 0
    out = capsys.readouterr().out
    assert ":math:" not in out and "``" not in out and "\\" not in out
    assert "The smallest degree k for which compressing to d' = d^sigma keeps the scaling law." in out


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    # Regression (issue 12): 'bound list --json' printed text.
    assert main(["bound", "list", "--json"]) == 0
    data = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert set(data) == set(CALCULATORS)
    assert data["rate_size"]["parameters"]["eps"] == "Target error, eps > 0."


def test_comma_lists_evaluate_elementwise(capsys: pytest.CaptureFixture[str]) -> None:
    # Regression (issue 12): '--d 1000,8000' was rejected though the calculators take arrays.
    argv = ["bound", "packing_diameter", "--d", "1000,8000", "--n", "11", "--m", "2", "--radius", "1", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    expected = bounds.packing_diameter([1000, 8000], 11, 2, 1).value
    assert data["value"] == expected.tolist()


def test_json_numbers_are_numbers_keyed_by_flag_names(capsys: pytest.CaptureFixture[str]) -> None:
    # Regression (issue 12): arguments were strings keyed by formula symbols ("d'", "N").
    argv = ["bound", "rate_error", "--d", "1e6", "--d-prime", "100", "--k", "2", "--m", "1", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["arguments"] == {"d": 1e6, "d_prime": 100, "k": 2, "m": 1}
    assert data["value"] == bounds.rate_error(1e6, 100, 2, 1).value


def test_certified_json_interval_encloses_the_exact_value(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bound", "packing_diameter", "--d", "1000", "--n", "11", "--m", "2", "--radius", "1/3"]
    assert main([*argv, "--json", "--certified"]) == 0
    lower, upper = json.loads(capsys.readouterr().out)["value"]
    exact = bounds.packing_diameter(1000, 11, 2, Fraction(1, 3)).exact()
    assert sympy.Rational(lower) <= exact <= sympy.Rational(upper)  # floats read exactly; no tolerance


@pytest.mark.parametrize("name", sorted(CALCULATORS))
def test_parameters_reader_agrees_with_numpydoc(name: str) -> None:
    docscrape = pytest.importorskip("numpydoc.docscrape")
    fn = CALCULATORS[name]
    theirs = {n.strip(): (p.type, " ".join(p.desc)) for p in docscrape.FunctionDoc(fn)["Parameters"]
              for n in p.name.split(",")}
    ours = parameters(fn)
    assert set(ours) == set(theirs)
    for key, (kind, desc) in theirs.items():
        assert ours[key] == (plain(kind), plain(desc))
