"""The paper audit's pytest glue (paper_checks/conftest.py): recording, figures, missing components."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import pytest

from paper_checks.conftest import Audit
from unicomp.verify.registry import Registry


def _audit(tmp_path) -> tuple[Audit, Registry, SimpleNamespace]:
    registry, node = Registry(), SimpleNamespace(user_properties=[])
    return Audit("PACKING", "quick", tmp_path, registry, node), registry, node


def test_record_files_one_finding_with_figures(tmp_path):
    audit, registry, node = _audit(tmp_path)
    fig, _ = plt.subplots()
    assert audit.figure(fig, "a") == "figures/PACKING-a.png" and (tmp_path / "figures" / "PACKING-a.png").is_file()
    finding = audit.record("holds", {"x": 1}, "because", params={"d": 3}, seeds=[0])
    assert list(registry) == [finding] and finding.figures == ["figures/PACKING-a.png"] and finding.elapsed >= 0
    assert ("verdict", "holds") in node.user_properties and not audit.full


def test_missing_component_is_not_checkable_and_skips(tmp_path):
    audit, registry, _ = _audit(tmp_path)
    assert audit.require("unicomp.verify").__name__ == "unicomp.verify"
    with pytest.raises(pytest.skip.Exception, match="not in this build"):
        audit.require("unicomp.no_such_layer")
    (finding,) = list(registry)
    assert finding.verdict == "not checkable here" and finding.measured == {"missing": "unicomp.no_such_layer"}
