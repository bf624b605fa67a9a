"""What a check is handed (unicomp.audit.context): recording, figures, missing components, the authors' data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from unicomp.audit.anchors import ENV_VAR, Anchors, locate
from unicomp.audit.context import AuditContext, NotCheckable
from unicomp.audit.registry import Registry
from unicomp.errors import InputError


def test_record_files_one_finding_with_figures(tmp_path):
    registry = Registry()
    ctx = AuditContext("packing", "quick", tmp_path, registry)
    fig, _ = plt.subplots()
    assert ctx.figure(fig, "a") == "figures/PACKING-a.png" and (tmp_path / "figures" / "PACKING-a.png").is_file()
    finding = ctx.record("holds", {"x": 1}, "because", params={"d": 3}, seeds=[0], authors={"theirs": 2})
    assert list(registry) == [finding] and finding.figures == ["figures/PACKING-a.png"] and finding.elapsed >= 0
    assert finding.authors == {"theirs": 2} and not ctx.full
    with pytest.raises(InputError, match="already"):
        ctx.record("fails", {}, "twice")
    with pytest.raises(InputError, match="tier"):
        AuditContext("PACKING", "medium", tmp_path, registry)


def test_missing_component_is_not_checkable_and_stops(tmp_path):
    registry = Registry()
    ctx = AuditContext("BALL", "full", tmp_path, registry)
    assert ctx.require("unicomp.verify").__name__ == "unicomp.verify" and ctx.full
    with pytest.raises(NotCheckable, match="not in this build"):
        ctx.require("unicomp.no_such_layer")
    (finding,) = list(registry)
    assert finding.verdict == "not checkable here" and finding.measured == {"missing": "unicomp.no_such_layer"}


def test_anchors_read_csv_and_locate(tmp_path, monkeypatch):
    root = tmp_path / "moment_compression"
    (root / "fig").mkdir(parents=True)
    (root / "compressor.py").write_text("")
    (root / "fig" / "a.csv").write_text(",m,name\n0,1.5,x\n1,,y\n")
    monkeypatch.setenv(ENV_VAR, str(root))
    anchors = locate()
    assert anchors == Anchors(root.resolve())
    table = anchors.read_csv("fig/a.csv")
    assert list(table) == ["index", "m", "name"] and table["name"].tolist() == ["x", "y"]
    np.testing.assert_array_equal(table["m"], [1.5, np.nan])
    with pytest.raises(InputError, match="no file"):
        anchors.read_csv("fig/missing.csv")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    assert locate() is None
