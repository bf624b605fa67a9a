"""The tutorials' code runs: every ``>>>`` example in ``docs/tutorials/*.md`` is executed as a doctest.

The full Sphinx build (``make docs``) is a CI step of its own; it is too slow for a unit test because it
executes the gallery and the numerical checks on the derivation pages.
"""

from __future__ import annotations

import contextlib
import doctest
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest

TUTORIALS = sorted(
    p
    for p in (Path(__file__).resolve().parents[1] / "docs" / "tutorials").glob("*.md")
    if ">>> " in p.read_text(encoding="utf-8")
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def test_tutorials_found() -> None:
    # Guards the parametrisation below: an empty glob would silently test nothing.
    assert any(p.name == "point_cloud.md" for p in TUTORIALS)


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
