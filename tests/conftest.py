"""Shared test fixtures: fake claim checks for the audit machinery (a check module planted in ``sys.modules``)."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable

import pytest

from unicomp.audit.context import AuditContext
from unicomp.audit.mutants import Mutant


@pytest.fixture
def fake_check(monkeypatch: pytest.MonkeyPatch) -> Callable[..., types.ModuleType]:
    """``fake_check("NEWTON", run, mutants)`` installs ``unicomp.audit.checks.newton`` for one test."""

    def install(claim_id: str, run: Callable[[AuditContext], None], mutants: tuple[Mutant, ...] = ()
                ) -> types.ModuleType:
        name = f"unicomp.audit.checks.{claim_id.lower()}"
        module = types.ModuleType(name)
        module.run = run  # type: ignore[attr-defined]
        module.MUTANTS = mutants  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, module)
        return module

    return install
