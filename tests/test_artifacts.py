"""The committed contract artifacts are exactly what the pinned compiler builds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.node

GOVERNANCE = Path(__file__).resolve().parents[1] / "governance"


def test_rebuilding_the_contracts_reproduces_the_committed_artifacts(tmp_path: Path) -> None:
    if shutil.which("node") is None or not (GOVERNANCE / "node_modules" / "solc").exists():
        pytest.fail("node and governance/node_modules are needed: run `npm ci` in governance/")
    subprocess.run(["node", "build.mjs", "--out", str(tmp_path)], cwd=GOVERNANCE, check=True,
                   capture_output=True, timeout=300)
    committed = sorted(p.name for p in (GOVERNANCE / "artifacts").glob("*.json"))
    rebuilt = sorted(p.name for p in tmp_path.glob("*.json"))
    assert rebuilt == committed
    for name in committed:
        expected = (GOVERNANCE / "artifacts" / name).read_bytes()
        assert (tmp_path / name).read_bytes() == expected, name
