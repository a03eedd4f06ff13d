"""The layering rule holds, and its guard can fail: a probe module that makes ``ledger`` import
``projections`` (the bottom layer reaching up) breaks the import-linter contracts."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint() -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold():
    result = _lint()
    assert result.returncode == 0, result.stdout


def test_the_layers_contract_fails_when_the_ledger_imports_a_projection():
    probe = ROOT / "ledger" / f"_layer_probe_{uuid.uuid4().hex[:8]}.py"
    probe.write_text('"""A probe: the ledger must not import the read side."""\n'
                     "import projections.schema  # noqa: F401\n")
    try:
        result = _lint()
    finally:
        probe.unlink()
    assert result.returncode != 0
    assert "ledger BROKEN" in result.stdout or "BROKEN" in result.stdout
    assert probe.stem in result.stdout
