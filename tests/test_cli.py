"""The `atelier` CLI on the embedded chain: init, goals, proposals, votes, time, JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli_helpers import atelier, write_config

REPO = Path(__file__).resolve().parents[1]


def test_listings_page_newest_first_and_json_lists_all(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert atelier(config, "init").code == 0
    for n in range(1, 5):
        assert atelier(config, "goal", "propose", "--title", f"Series {n}").code == 0
    table = atelier(config, "proposals", "list", "--limit", "2")
    assert table.code == 0
    assert "Series 4" in table.out and "Series 3" in table.out and "Series 2" not in table.out
    assert "proposals 1 to 2 of 4; the next with --offset 2" in table.out
    rest = atelier(config, "proposals", "list", "--limit", "2", "--offset", "2")
    assert "Series 1" in rest.out and "Series 3" not in rest.out
    assert "the next with" not in rest.out
    listed = json.loads(atelier(config, "proposals", "list", "--json").out)
    assert [p["number"] for p in listed] == [4, 3, 2, 1]
    past = atelier(config, "proposals", "list", "--offset", "9")
    assert past.code == 0 and "no proposals past the first 9 (there are 4)" in past.out
    negative = atelier(config, "proposals", "list", "--limit", "-1")
    assert negative.code == 2 and "Traceback" not in negative.err + negative.out


def test_full_lifecycle_through_the_cli(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert atelier(config, "init").code == 0
    proposed = atelier(config, "goal", "propose", "--title", "Night Market", "--brief",
                       "Stalls that only open after midnight.", "--as", "bob")
    assert proposed.code == 0, proposed.err
    assert "proposal 1" in proposed.out
    assert "voting opens in" in proposed.out

    early = atelier(config, "vote", "1", "for", "--as", "alice")
    assert early.code == 1
    assert "voting on proposal 1 opens in" in early.err
    assert "Traceback" not in early.err + early.out

    assert atelier(config, "chain", "advance", "11s").code == 0
    assert atelier(config, "vote", "1", "for", "--as", "alice", "--reason", "yes").code == 0
    signed = atelier(config, "vote", "1", "against", "--as", "carol", "--by-signature")
    assert signed.code == 0, signed.err
    assert "carol voted against on proposal 1 with 100 reputation" in signed.out
    again = atelier(config, "vote", "1", "for", "--as", "alice")
    assert (again.code, again.err.strip()) == (1, "error: alice already voted on proposal 1")
    outsider = atelier(config, "vote", "1", "for", "--as", "mallory")
    assert "mallory had no voting power when proposal 1 opened" in outsider.err

    shown = json.loads(atelier(config, "proposals", "show", "1", "--json").out)
    assert shown["state"] == "Active"
    assert shown["votes"] == {"for": str(100 * 10**18), "against": str(100 * 10**18),
                              "abstain": "0"}
    assert "createGoal" in shown["actions"][0]["summary"]
    assert "Stalls that only open after midnight." in shown["description"]

    voted = atelier(config, "vote", "1", "for", "--as", "bob", "--json")  # ties are defeated
    assert voted.code == 0, voted.err
    assert json.loads(voted.out)["proposal"]["proposer_name"] == "bob"  # named, as in show
    assert atelier(config, "chain", "advance", "5m").code == 0
    listed = json.loads(atelier(config, "proposals", "list", "--json").out)
    assert [p["state"] for p in listed] == ["Succeeded"]
    assert atelier(config, "queue", "1").code == 0
    early_exec = atelier(config, "execute", "1")
    assert early_exec.code == 1
    assert "the timelock delay ends in" in early_exec.err
    assert atelier(config, "chain", "advance", "1m").code == 0
    assert atelier(config, "execute", "1").code == 0
    assert "already executed" in atelier(config, "execute", "1").out

    goals = json.loads(atelier(config, "goal", "list", "--json").out)
    assert [(g["id"], g["title"], g["active"], g["proposal"]) for g in goals] == [
        (1, "Night Market", True, 1)]
    status = json.loads(atelier(config, "dao", "status", "--json").out)
    assert status["members"] == {"alice": 100, "bob": 100, "carol": 100}
    assert status["settings"]["voting_delay"] == 10


def test_json_output_never_contains_private_keys(tmp_path: Path) -> None:
    from atelier.governance.accounts import dev_signers

    config = write_config(tmp_path)
    outputs = [atelier(config, "init", "--json"), atelier(config, "accounts", "list", "--json"),
               atelier(config, "dao", "status", "--json")]
    text = "".join(r.out + r.err for r in outputs)
    for signer in dev_signers().values():
        assert signer.account.key.hex().removeprefix("0x") not in text
    assert dev_signers()["alice"].address in text  # the check above looked at real output
    stored = "".join(p.read_text(errors="ignore") for p in (tmp_path / ".atelier").glob("*.json"))
    for signer in dev_signers().values():
        assert signer.account.key.hex().removeprefix("0x") not in stored


def test_init_refuses_an_existing_workspace_unless_forced(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert atelier(config, "init").code == 0
    first = json.loads((tmp_path / ".atelier" / "deployment.json").read_text())
    refused = atelier(config, "init")
    assert refused.code == 1
    assert "already holds a studio" in refused.err
    assert "--force" in refused.err
    forced = atelier(config, "init", "--force")
    assert forced.code == 0, forced.err
    backups = list(tmp_path.glob(".atelier.bak-*"))
    assert len(backups) == 1
    assert json.loads((backups[0] / "deployment.json").read_text()) == first
    assert (tmp_path / ".atelier" / "deployment.json").exists()


def test_commands_before_init_say_what_to_do(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = atelier(config, "proposals", "list")
    assert result.code == 1
    assert "no studio in workspace" in result.err
    assert "atelier init" in result.err


def test_unknown_proposal_and_account(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    atelier(config, "init")
    missing = atelier(config, "proposals", "show", "9")
    assert (missing.code, "no proposal '9'" in missing.err) == (1, True)
    stranger = atelier(config, "goal", "propose", "--title", "x", "--as", "zed")
    assert stranger.code == 1
    assert "no dev account called 'zed'" in stranger.err


def test_invalid_goal_and_duration_are_clear(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    atelier(config, "init")
    bad_goal = atelier(config, "goal", "propose", "--title", "x", "--episodes", "2",
                       "--audit-every", "3")
    assert bad_goal.code == 1
    assert "audit_every (3) cannot exceed episodes (2)" in bad_goal.err
    bad_time = atelier(config, "chain", "advance", "soon")
    assert bad_time.code == 1
    assert "'soon' is not a duration; write e.g. '90s'" in bad_time.err


def test_unreachable_rpc_node_is_a_clear_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[chain]\nkind = "rpc"\n'
                          'rpc_url = "http://127.0.0.1:9/v3/SECRETKEY"\nrequest_timeout = "2s"\n')
    result = atelier(config, "chain", "status")
    assert result.code == 1
    assert "cannot reach the chain node at http://127.0.0.1:9" in result.err
    assert "SECRETKEY" not in result.err + result.out
    assert "Traceback" not in result.err


@pytest.mark.model
def test_demo_runs_the_governed_loop_on_the_embedded_model(tmp_path: Path) -> None:
    """README command 1, on the real bundled model (~3 min): goal, run, audit with a prompt
    rewrite, reviews, vote, resume, curation of episode 2, episode 2 on the new prompt, the
    final audit with the editor's rewrite."""
    shutil.copytree(REPO / "prompts", tmp_path / "prompts")
    config = write_config(tmp_path)
    result = atelier(config, "demo", "--workspace", str(tmp_path / "demo"))
    assert result.code == 0, result.err
    assert "goal 1 is active on-chain" in result.out
    assert "the run pauses at audit 1" in result.out
    assert "demo finished" in result.out
    assert (tmp_path / "prompts").joinpath("scriptwriter.prompty").read_text() == (
        REPO / "prompts" / "scriptwriter.prompty").read_text()  # the demo drafts on a copy
    demo = ("--workspace", str(tmp_path / "demo"))
    listed = atelier(config, *demo, "proposals", "list", "--json")  # newest first
    states = {p["number"]: p["state"] for p in json.loads(listed.out)}
    assert (states[1], states[2], states[3]) == ("Executed",) * 3  # goal, audit 1, audit 2
    assert "members review episode 1" in result.out
    assert "the run pauses at curation ballot 1: 2 outlines of episode 2" in result.out
    reviews = json.loads(atelier(config, *demo, "reviews", "list", "--json").out)
    assert [(r["member"], r["valid"]) for r in reviews] == [
        ("alice", True), ("bob", True), ("carol", True)]
    [ballot] = json.loads(atelier(config, *demo, "curate", "list", "--json").out)
    assert (ballot["episode"], ballot["status"], ballot["winner"]) == (2, "closed", 2)
    status = json.loads(atelier(config, *demo, "run", "status", "1", "--json").out)
    assert status["status"] == "done"
    first, second = (e["prompt_hashes"]["scriptwriter"] for e in status["episodes"])
    assert first != second
    assert status["audits"][0]["proposed_prompts"] == {"scriptwriter": second}
    # The final audit read the reviews: the editor drafted a scriptwriter rewrite (or the
    # report says why its draft was dropped).
    audits = json.loads(atelier(config, *demo, "audit", "list", "--json").out)
    report = json.loads(atelier(config, *demo, "audit", "show", str(audits[1]["id"]),
                                "--json").out)["report_markdown"]
    assert "| scriptwriter | 2.33 | 3 |" in report
    assert ("drafted by the editor agent" in report) == ("scriptwriter" in
                                                         audits[1]["proposed_prompts"])
    assert "drafted by the editor agent" in report or "the editor's draft" in report
    pdfs = json.loads(atelier(config, *demo, "assets", "list", "--kind", "episode_pdf",
                              "--json").out)
    assert len(pdfs) == 2
    kinds = {a["kind"] for a in json.loads(atelier(config, *demo, "assets", "list",
                                                   "--json").out)}
    assert {"page_svg", "page_png", "sheet_png", "reader_index", "reader_episode"} <= kinds
    assert "read it:" in result.out
    # The economy: episode 1 released and sold, the income split by contribution, claimed.
    assert (states[4], states[5]) == ("Executed", "Executed")  # the release, the split
    assert "dave buys release 1 for 0.05 ETH" in result.out
    [release] = json.loads(atelier(config, *demo, "release", "list", "--json").out)
    assert release["owner"] == "dave"
    claims = result.out[result.out.index("each payee claims"):]
    assert "operator work" in claims and "review" in claims  # the deployer ran the run
    assert "nothing to claim" in atelier(config, *demo, "revenue", "claim", "--as",
                                         "deployer").err  # all of it was claimed
    # Each episode was anchored when published; the demo ends verifying an exported page.
    assert "anchored episode 1's" in result.out and "anchored episode 2's" in result.out
    ending = result.out[result.out.index("anyone can check one"):]
    assert "page-01.png is the studio's" in ending and "run 1, episode 1" in ending
    assert "scriptwriter prompt" in ending and "(version 1)" in ending


def test_demo_without_prompt_files_says_where_it_looked(tmp_path: Path) -> None:
    config = write_config(tmp_path, prompts=False)
    result = atelier(config, "demo", "--workspace", str(tmp_path / "demo"))
    assert result.code == 1
    assert f"no prompt files at {tmp_path / 'prompts'}" in result.err
    assert "[prompts] dir" in result.err and "Traceback" not in result.err
    assert not (tmp_path / "demo").exists()


def test_init_after_chain_status_uses_the_fresh_folder(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    status = json.loads(atelier(config, "chain", "status", "--json").out)
    assert status["dao"] is False
    created = atelier(config, "init")
    assert created.code == 0, created.err
    assert not list(tmp_path.glob(".atelier.bak-*"))
