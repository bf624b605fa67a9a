"""Imports flow one way: the symbolic layer needs nothing numeric, the numpy-only experiments need no torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import unicomp

PACKAGE = Path(unicomp.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_theory_imports_nothing_from_numerics() -> None:
    offending = {
        str(path.relative_to(PACKAGE)): sorted(n for n in _imported_modules(path) if n.startswith("unicomp.numerics"))
        for path in sorted((PACKAGE / "theory").glob("*.py"))
    }
    assert {k: v for k, v in offending.items() if v} == {}


_BLOCK_TORCH = """
import importlib.abc, sys
class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is blocked for this test")
        return None
sys.meta_path.insert(0, _NoTorch())
import unicomp.experiments.fig2_error_scaling, unicomp.experiments.fig6_runtime, unicomp.experiments.fig8_polylog
import unicomp.theory
assert "torch" not in sys.modules
"""


def test_numpy_only_experiments_import_without_torch() -> None:
    # A fresh interpreter: this one has imported torch already.  An import hook that refuses torch (rather
    # than ``sys.modules["torch"] = None``, which scipy.stats's array-API probe trips over) stands for a
    # machine without torch.
    cmd = [sys.executable, "-c", _BLOCK_TORCH]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
