"""The claim registry and findings (unicomp.audit.registry)."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from unicomp.audit.registry import CLAIMS, VERDICTS, Finding, Registry, get_claim, param_hash, parse_claim_ids
from unicomp.errors import InputError

CLAIMS_MD = Path(__file__).resolve().parents[3] / "shared" / "paper" / "CLAIMS.md"
PAPER_CHECKS = Path(__file__).resolve().parents[2] / "paper_checks"


def test_twenty_one_unique_claims_with_every_field():
    assert len(CLAIMS) == 21
    assert len({c.id for c in CLAIMS}) == 21
    for c in CLAIMS:
        assert c.id == c.id.upper() and all((c.source, c.claim, c.measured, c.reference, c.rule))


@pytest.mark.skipif(not CLAIMS_MD.is_file(), reason="the shared CLAIMS.md is not next to this checkout")
def test_ids_match_the_contract():
    rows = [line.split("|")[1].strip() for line in CLAIMS_MD.read_text().splitlines()
            if line.startswith("| ") and not line.startswith("| id") and not line.startswith("|---")]
    assert [c.id for c in CLAIMS] == rows


def test_every_claim_has_its_check_and_its_pytest_entry():
    missing = [c.module for c in CLAIMS if not (PAPER_CHECKS / c.module).is_file()]
    missing += [c.check_module for c in CLAIMS if importlib.util.find_spec(c.check_module) is None]
    assert missing == []


def test_claim_texts_come_from_the_packaged_toml():
    entries = tomllib.loads(resources.files("unicomp.audit").joinpath("claims.toml").read_text())["claim"]
    assert [e["id"] for e in entries] == [c.id for c in CLAIMS]
    assert all(e["rule"] == c.rule and e["reference"] == c.reference for e, c in zip(entries, CLAIMS, strict=True))


def test_lookup_and_parsing():
    assert get_claim("ball").id == "BALL"
    with pytest.raises(InputError, match="unknown claim id"):
        get_claim("NOPE")
    assert parse_claim_ids(None) == [c.id for c in CLAIMS]
    assert parse_claim_ids("") == [c.id for c in CLAIMS]
    assert parse_claim_ids(" fig2 ,ball,FIG2") == ["FIG2", "BALL"]
    with pytest.raises(InputError):
        parse_claim_ids("BALL,unknown")


def test_finding_validation():
    with pytest.raises(InputError, match="verdict"):
        Finding("BALL", "maybe", {}, "x")
    with pytest.raises(InputError, match="caveat"):
        Finding("BALL", "holds with caveat", {}, "x")
    with pytest.raises(InputError, match="caveat"):  # an inconclusive verdict must say why and what would decide
        Finding("BALL", "inconclusive", {}, "x")
    with pytest.raises(InputError, match="evidence"):
        Finding("BALL", "holds", {}, "  ")
    with pytest.raises(InputError, match="tier"):
        Finding("BALL", "holds", {}, "x", tier="medium")
    assert set(VERDICTS) == {"holds", "holds with caveat", "inconclusive", "fails", "not checkable here"}


def test_finding_to_dict_is_json_and_keyed_by_parameters():
    f = Finding("RATE", "fails", {"slope": np.float64(-0.5), "curve": np.arange(3), "bad": float("nan")},
                "slope too shallow", params={"d": np.int64(10)}, seeds=[0, 1])
    entry = json.loads(json.dumps(f.to_dict()))
    assert {"id", "source", "claim", "verdict", "measured", "reference", "evidence", "authors"} <= set(entry)
    assert entry["measured"] == {"slope": -0.5, "curve": [0, 1, 2], "bad": "nan"}
    assert entry["param_hash"] == param_hash("RATE", {"d": 10}, "quick") != param_hash("RATE", {"d": 11}, "quick")
    assert param_hash("RATE", {"d": 10}, "full") != entry["param_hash"]


def test_registry_orders_by_claim_and_refuses_duplicates():
    reg = Registry()
    reg.record(Finding("ERRATA", "holds", {}, "e"))
    reg.record(Finding("FTSP", "holds", {}, "f"))
    assert [f.id for f in reg] == ["FTSP", "ERRATA"] and len(reg) == 2 and "FTSP" in reg
    with pytest.raises(InputError, match="already"):
        reg.record(Finding("FTSP", "fails", {}, "again"))
    assert [e["id"] for e in reg.to_list()] == ["FTSP", "ERRATA"]
