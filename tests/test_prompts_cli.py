"""`atelier prompts ...`: founding prompts approved at init, drafts, diffs, proposals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cli_helpers import atelier, write_config

REPO_PROMPTS = Path(__file__).resolve().parents[1] / "prompts"


def _studio(tmp_path: Path) -> Path:
    shutil.copytree(REPO_PROMPTS, tmp_path / "prompts")
    config = write_config(tmp_path)
    assert atelier(config, "init").code == 0
    return config


def test_founding_prompts_are_approved_and_drafts_are_noticed(tmp_path: Path) -> None:
    config = _studio(tmp_path)
    rows = json.loads(atelier(config, "prompts", "list", "--json").out)
    assert [(r["agent"], r["status"], r["version"]) for r in rows] == [
        ("scriptwriter", "approved", 1), ("designer", "approved", 1), ("layout", "approved", 1),
        ("editor", "approved", 1)]
    assert all(r["stored"] for r in rows)

    draft = tmp_path / "prompts" / "layout.prompty"
    draft.write_text(draft.read_text().replace("Most panels are normal.",
                                               "Most panels are normal; vary them."))
    rows = {r["agent"]: r for r in json.loads(atelier(config, "prompts", "list", "--json").out)}
    assert rows["layout"]["status"] == "draft differs"
    assert rows["layout"]["working"] != rows["layout"]["approved"]
    shown = atelier(config, "prompts", "diff", "layout")
    assert shown.code == 0
    assert "+panel gets. Most panels are normal; vary them." in shown.out
    assert "-panel gets. Most panels are normal." in shown.out


def test_propose_a_draft_then_pass_it(tmp_path: Path) -> None:
    config = _studio(tmp_path)
    draft = tmp_path / "prompts" / "designer.prompty"
    draft.write_text(draft.read_text().replace("a few strong colours", "two strong colours"))
    key = "sk-proj-Zx81abcdefghijklmnop42"
    refused = atelier(config, "prompts", "propose", "designer", "--note", f"key {key}")
    assert refused.code == 1 and "the note holds what looks like a secret" in refused.err
    assert key not in refused.out + refused.err
    proposed = atelier(config, "prompts", "propose", "designer", "--note", "Simpler palettes.",
                       "--json")
    assert proposed.code == 0, proposed.err
    number = json.loads(proposed.out)["proposal"]
    shown = json.loads(atelier(config, "proposals", "show", str(number), "--json").out)
    assert "Simpler palettes." in shown["description"]
    assert "two strong colours" in shown["description"]  # the full new text travels along
    assert "```diff" in shown["description"]
    assert "## Compliance findings" in shown["description"]  # what the ethics committee reads
    assert "\nNone found.\n" in shown["description"]
    assert "setPromptHash" in shown["actions"][0]["summary"]
    again = atelier(config, "prompts", "propose", "designer", "--note", "Simpler palettes.")
    assert again.code == 0  # idempotent: the same proposal
    assert f"proposal {number}" in again.out

    atelier(config, "chain", "advance", "11s")
    for voter in ("alice", "bob"):
        assert atelier(config, "vote", str(number), "for", "--as", voter).code == 0
    atelier(config, "chain", "advance", "5m")
    assert atelier(config, "queue", str(number)).code == 0
    atelier(config, "chain", "advance", "61s")
    assert atelier(config, "execute", str(number)).code == 0

    rows = {r["agent"]: r for r in json.loads(atelier(config, "prompts", "list", "--json").out)}
    assert (rows["designer"]["status"], rows["designer"]["version"]) == ("approved", 2)
    history = json.loads(atelier(config, "prompts", "history", "designer", "--json").out)
    assert history["approved_version"] == 2
    assert [(v["proposal"], v["state"], v["current"]) for v in history["versions"]] == [
        (number, "Executed", True)]


def test_proposing_an_unchanged_or_broken_prompt_is_refused(tmp_path: Path) -> None:
    config = _studio(tmp_path)
    same = atelier(config, "prompts", "propose", "layout")
    assert same.code == 1
    assert "already the approved version" in same.err
    broken = tmp_path / "prompts" / "layout.prompty"
    broken.write_text(broken.read_text().replace("temperature: 0.2", "temperature: hot"))
    refused = atelier(config, "prompts", "propose", "layout")
    assert refused.code == 1
    assert "layout.prompty" in refused.err and "temperature" in refused.err
    checked = atelier(config, "prompts", "check")
    assert checked.code == 1
    assert "✓ scriptwriter" in checked.out and "✗ layout" in checked.out
    unknown = atelier(config, "prompts", "diff", "painter")
    assert "no agent called 'painter'" in unknown.err


def test_init_refuses_a_broken_prompt_before_deploying(tmp_path: Path) -> None:
    shutil.copytree(REPO_PROMPTS, tmp_path / "prompts")
    bad = tmp_path / "prompts" / "scriptwriter.prompty"
    bad.write_text(bad.read_text().replace("kind: jinja2", "kind: mustache"))
    config = write_config(tmp_path)
    result = atelier(config, "init")
    assert result.code == 1
    assert "scriptwriter.prompty" in result.err
    assert not (tmp_path / ".atelier" / "deployment.json").exists()
