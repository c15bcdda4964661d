"""One production run through the CLI on the embedded model (SmolLM2, in-process): the path
an operator runs, no test double anywhere. ~1 min on 2 cores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atelier.agents.models.catalog import SMOLLM2

from cli_helpers import atelier
from workflow_helpers import governed_studio, ok

pytestmark = pytest.mark.model


def test_a_run_on_the_embedded_model_through_the_cli(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1, provider="local")
    started = atelier(config, "run", "start")
    ok(started)
    assert "SmolLM2-135M" in started.out  # the tiny-model notice
    assert "episode 1" in started.out and "audit 1: proposal 2" in started.out

    [run] = json.loads(atelier(config, "run", "list", "--json").out)
    assert (run["id"], run["status"], run["episodes_done"]) == (1, "done", 1)
    assert "final audit proposal 2" in run["message"]
    status = json.loads(atelier(config, "run", "status", "1", "--json").out)
    assert status["episodes"][0]["status"] == "done"
    assert set(status["episodes"][0]["prompt_hashes"]) == {"scriptwriter", "designer", "layout",
                                                           "editor"}

    assets = json.loads(atelier(config, "assets", "list", "--json").out)
    kinds = {a["kind"] for a in assets}
    assert {"bible", "script", "sheet", "layout", "page_svg", "page_png", "episode_pdf"} <= kinds
    script = next(a for a in assets if a["kind"] == "script")
    assert script["provider"] == "local" and script["model"].startswith("SmolLM2")
    assert script["model_sha256"] == SMOLLM2.sha256  # the verified file that wrote it
    shown = json.loads(atelier(config, "assets", "show", str(script["id"]), "--json").out)
    assert shown["intact"] is True

    audits = json.loads(atelier(config, "audit", "list", "--json").out)
    assert [(a["index"], a["proposal_number"], a["status"]) for a in audits] == [(1, 2, "open")]
    report = atelier(config, "audit", "show", str(audits[0]["id"]))
    ok(report)
    assert "Audit 1 of run 1" in report.out and "scriptwriter" in report.out
