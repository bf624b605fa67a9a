"""The tutorials' code runs: every ``>>>`` example in ``docs/tutorials/*.md`` and ``docs/choosing.md`` is
executed as a doctest; and the docs extension's data paths (symbolic output, signatures, references)
behave (the audit pages are tested in ``tests/docs/``).

The full Sphinx build (``make docs``) is a CI step of its own; it is too slow for a unit test because it
executes the gallery and the numerical checks on the derivation pages.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import matplotlib
import pytest
import sympy

DOCS = Path(__file__).resolve().parents[1] / "docs"
# The tutorials, and the guide pages outside tutorials/ whose examples are executed too.
TUTORIALS = sorted(
    p
    for p in [*(DOCS / "tutorials").glob("*.md"), DOCS / "choosing.md"]
    if ">>> " in p.read_text(encoding="utf-8")
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def test_tutorials_found() -> None:
    # Guards the parametrisation below: an empty glob would silently test nothing.
    assert {"point_cloud.md", "real_data.md", "choosing.md"} <= {p.name for p in TUTORIALS}


@contextlib.contextmanager
def _single_thread_torch() -> Iterator[None]:
    """One intra-op thread while a tutorial trains: small models gain nothing from more, and on a busy
    2-core CI machine the threads' contention made the runs several times slower."""
    try:
        import torch
    except ImportError:  # tutorials that need torch will fail on their own import
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_examples(path: Path) -> None:
    matplotlib.use("Agg")
    text = path.read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, path.stem, str(path), 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    with _single_thread_torch():
        runner.run(test, clear_globs=True)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {path.name} failed (see above)"


def _docs_extension() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "docs" / "_ext" / "unicomp_docs.py"
    spec = importlib.util.spec_from_file_location("unicomp_docs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_symbolic_directive_formats_equations() -> None:
    ext = _docs_extension()
    x, y = sympy.symbols("x y")
    assert ext._equation((r"e_2", x**2 / 2 - y / 2)) == r"e_2 = \frac{x^{2}}{2} - \frac{y}{2}"
    assert ext._equation(sympy.Eq(x, y + 1)) == "x = y + 1"
    assert ext._equation("a^2") == "a^2"


def test_signatures_name_numpy_aliases() -> None:
    # Evaluated annotations expand ArrayLike into eight private protocol types; the hook writes it back.
    import numpy as np
    from numpy.typing import ArrayLike, NDArray
    from sphinx.util.typing import stringify_annotation

    ext = _docs_extension()
    expanded = (f"(points: {stringify_annotation(ArrayLike, 'smart')}, "
                f"weights: {stringify_annotation(ArrayLike | None, 'smart')})")
    assert "_SupportsArray" in expanded
    returned = stringify_annotation(NDArray[np.float64], "smart")
    signature, annotation = ext._process_signature(None, "function", "f", len, {}, expanded, returned)
    assert signature == "(points: ~numpy.typing.ArrayLike, weights: ~numpy.typing.ArrayLike | None)"
    assert annotation == "~numpy.typing.NDArray[~numpy.float64]"


def test_dataclass_factory_defaults_parseable() -> None:
    # ``= <factory>`` cannot be parsed by Sphinx 9 (sphinx-doc/sphinx#14159); each becomes the factory's call.
    import dataclasses

    @dataclasses.dataclass
    class Config:
        a: int = 1
        tags: list[str] = dataclasses.field(default_factory=list)
        table: dict[str, int] = dataclasses.field(default_factory=lambda: {"x": 1})

    ext = _docs_extension()
    signature = "(a: int = 1, tags: list[str] = <factory>, table: dict[str, int] = <factory>)"
    out, _ = ext._process_signature(None, "class", "Config", Config, {}, signature, None)
    assert out == "(a: int = 1, tags: list[str] = list(), table: dict[str, int] = ...)"


class _FakeDomain:
    """The py domain as the resolver sees it: a set of documented names; records what was resolved."""

    def __init__(self, documented: set[str]) -> None:
        self.documented = documented

    def get_objects(self) -> list[tuple[str, ...]]:
        return [(name,) for name in self.documented]

    def resolve_xref(self, env: object, doc: str, builder: object, kind: str, target: str, node: object,
                     contnode: object) -> tuple[str, str] | None:
        documented = target in self.documented or kind == "mod"
        return (kind, target) if documented else None


def _resolve(ext: ModuleType, target: str, reftype: str, documented: set[str], **context: str) -> object:
    from sphinx.addnodes import pending_xref

    node = pending_xref("", refdomain="py", reftype=reftype, reftarget=target, refdoc="api/x")
    for key, value in context.items():
        node[f"py:{key}"] = value
    env = SimpleNamespace(get_domain=lambda name: _FakeDomain(documented))
    return ext._resolve(SimpleNamespace(builder=None), env, node, None)


def test_references_the_build_could_not_resolve() -> None:
    ext = _docs_extension()
    protocol = "unicomp.numerics.backends.protocol.Backend"
    result = "unicomp.numerics.result.Compression"
    # An attribute of a re-exported protocol: its canonical entry.
    assert _resolve(ext, "unicomp.numerics.backends.Backend.tolerance", "attr", {protocol, f"{protocol}.tolerance"}) \
        == ("attr", f"{protocol}.tolerance")
    # A dataclass field described only in the class's Attributes section: the class.
    assert _resolve(ext, f"{result}.basis", "attr", {result}) == ("class", result)
    # A type alias named in an annotation (``Kind = Literal[...]``): its module.
    assert _resolve(ext, "Kind", "class", set(), module="unicomp.numerics.testfunctions") \
        == ("mod", "unicomp.numerics.testfunctions")
    # An object documented twice (defined in errors, re-exported by verify.invariants) counts once.
    twice = {"unicomp.errors.InvariantViolation", "unicomp.verify.invariants.InvariantViolation"}
    assert _resolve(ext, "InvariantViolation", "class", twice, module="unicomp.verify.claims") \
        == ("class", "unicomp.errors.InvariantViolation")
    # Anything else stays unresolved (and fails the nitpicky build).
    assert _resolve(ext, "unicomp.numerics.result.Compression.no_such_field", "attr", {result}) is None
