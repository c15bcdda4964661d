"""Provenance end to end on the embedded chain: a published episode's files anchored once
(even across a crash), exported with their proofs, and checked by `atelier verify` from
outside the workspace; every bad input is one clear line and changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from atelier.governance.merkle import StandardMerkleTree
from atelier.governance.provenance import AnchorRefused, ProvenanceRegistry, studio_provenance
from atelier.store.database import Store
from atelier.workflows.audit import run_key
from atelier.workflows.runner import Runner

from cli_helpers import atelier
from workflow_helpers import governed_studio, studio_at


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A studio whose one-episode run is done (the same template as the export tests)."""
    config = governed_studio(tmp_path_factory.mktemp("provenance"), episodes=1, audit_every=1)
    studio = studio_at(config)
    with studio.open_store() as store:
        assert Runner(studio, store).start().status == "done"
    return config


@pytest.fixture(scope="module")
def exported(finished: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exported") / "run-1"
    result = atelier(finished, "assets", "export", "1", str(out), "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["proofs"]
    return out


def anchored_logs(config: Path) -> int:
    with studio_at(config).session() as dao:
        registry = studio_provenance(dao)
        event = registry.contract.events.Anchored()
        return len(dao.chain.get_logs(address=registry.address, topics=[event.topic]))


def test_a_published_episode_is_anchored_with_what_made_it(finished: Path) -> None:
    studio = studio_at(finished)
    with studio.open_store() as store:
        episode = store.episode(1, 1)
        run = store.run(1)
        files = {a.path.removeprefix("run-1/"): a.sha256 for a in store.assets(1, 1)}
    assert episode is not None and episode.provenance_root and episode.provenance_tx
    leaves = {path: digest for path, digest in episode.provenance_leaves or []}
    # pages, PDF, sheets, script, layout and the episode's reader page; the reader page is
    # anchored as published and rewritten as the run goes on (its audit's status), so only
    # its first version is the anchored one.
    assert set(leaves) == set(files)
    assert {"episode-01/index.html", "episode-01/episode.pdf"} <= set(leaves)
    assert {p for p in files if leaves[p] != files[p]} == {"episode-01/index.html"}
    with studio.session() as dao:
        record = studio_provenance(dao).record(bytes.fromhex(episode.provenance_root[2:]))
        goal_proposal = dao.proposal("1").id
    assert record is not None
    assert (record.run_key, record.run, record.episode, record.leaf_count) == (
        run_key(run), 1, 1, len(leaves))
    assert record.goal_proposal_id == goal_proposal
    assert record.prompts == episode.prompt_hashes
    assert anchored_logs(finished) == 1
    shown = json.loads(atelier(finished, "dao", "status", "--json").out)
    assert shown["contracts"]["provenance"] == studio.deployment().provenance
    assert (shown["anchoring"]["operator"], shown["anchoring"]["may_anchor"]) == (
        "deployer", True)


def test_exported_files_verify_against_the_chain(finished: Path, exported: Path,
                                                 tmp_path: Path) -> None:
    page = exported / "episode-01" / "page-01.png"
    assert (exported / "episode-01" / "page-01.png.proof.json").is_file()
    assert not (exported / "bible.json.proof.json").exists()  # the bible is no episode's
    # The reader page was rewritten since it was anchored (its audit's status): no proof, and
    # verify says this version was never anchored.
    assert not (exported / "episode-01" / "index.html.proof.json").exists()
    result = atelier(finished, "verify", str(exported / "episode-01" / "index.html"))
    assert result.code == 1 and "this version of it was never anchored" in result.err
    result = atelier(finished, "verify", str(page), "--json")
    assert result.code == 0, result.err
    shown = json.loads(result.out)
    assert (shown["verified"], shown["run"], shown["episode"]) == (True, 1, 1)
    assert shown["path"] == "episode-01/page-01.png"
    assert {a: p["version"] for a, p in shown["prompts"].items()} == {
        "designer": 1, "editor": 1, "layout": 1, "scriptwriter": 1}
    text = atelier(finished, "verify", str(page))
    assert text.code == 0 and "is the studio's" in text.out and "version 1" in text.out
    assert "goal proposal" in text.out and "1 (0x" in text.out
    # Moved anywhere without its proof, the workspace's store still finds it.
    loose = tmp_path / "somewhere.png"
    shutil.copyfile(page, loose)
    assert atelier(finished, "verify", str(loose), "--json").code == 0


def test_files_that_do_not_verify_are_told_apart(finished: Path, exported: Path,
                                                 tmp_path: Path) -> None:
    page = exported / "episode-01" / "page-01.png"
    proof = page.with_name(page.name + ".proof.json")
    changed = tmp_path / "page-01.png"
    data = bytearray(page.read_bytes())
    data[len(data) // 2] ^= 1
    changed.write_bytes(bytes(data))
    result = atelier(finished, "verify", str(changed), "--proof", str(proof))
    assert result.code == 1 and "changed: its sha256 is" in result.err
    other = exported / "episode-01" / "page-01.svg.proof.json"
    result = atelier(finished, "verify", str(page), "--proof", str(other))
    assert result.code == 1 and "changed" in result.err  # another file's proof
    # A proof forged to match: same file, its own one-leaf "tree", never anchored.
    forged = json.loads(proof.read_text())
    leaf = (forged["path"], bytes.fromhex(forged["sha256"][2:]))
    forged.update(proof=[], root="0x" + StandardMerkleTree.of([leaf]).root.hex())
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    result = atelier(finished, "verify", str(page), "--proof", str(tmp_path / "forged.json"))
    assert result.code == 1 and "not the studio's: root" in result.err
    # A proof whose siblings were tampered with leads nowhere.
    bent = json.loads(proof.read_text())
    bent["proof"][0] = "0x" + "ab" * 32
    (tmp_path / "bent.json").write_text(json.dumps(bent))
    result = atelier(finished, "verify", str(page), "--proof", str(tmp_path / "bent.json"))
    assert result.code == 1 and "the proof does not match" in result.err
    elsewhere = json.loads(proof.read_text())
    elsewhere["chainId"] = 999
    (tmp_path / "elsewhere.json").write_text(json.dumps(elsewhere))
    result = atelier(finished, "verify", str(page), "--proof", str(tmp_path / "elsewhere.json"))
    assert result.code == 1 and "the proof is for chain 999, this node is chain" in result.err
    stranger = tmp_path / "stranger.png"
    stranger.write_bytes(b"not made here")
    result = atelier(finished, "verify", str(stranger))
    assert result.code == 1 and "is not the studio's" in result.err
    assert "Traceback" not in result.err


def test_bad_input_is_one_line_and_exit_2(finished: Path, exported: Path, tmp_path: Path
                                          ) -> None:
    page = exported / "episode-01" / "page-01.png"
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    for args, message in (
        ((str(tmp_path / "missing.png"),), "no file"),
        ((str(page), "--proof", str(junk)), "is not a readable proof"),
        ((str(page), "--proof", str(tmp_path / "nope.json")), "no proof at"),
        ((str(page), "--registry", "0x1234"), "is not an address"),
    ):
        result = atelier(finished, "verify", *args)
        assert result.code == 2 and message in result.err, (args, result.err)
        assert "Traceback" not in result.err
    wrong = json.loads((page.with_name(page.name + ".proof.json")).read_text())
    wrong["root"] = "0x12"
    junk.write_text(json.dumps(wrong))
    result = atelier(finished, "verify", str(page), "--proof", str(junk))
    assert result.code == 2 and "root" in result.err


def test_a_workspace_from_before_provenance_says_so(finished: Path, exported: Path,
                                                    tmp_path: Path) -> None:
    copy = tmp_path / "old"
    shutil.copytree(finished.parent, copy)
    deployment_file = copy / ".atelier" / "deployment.json"
    data = json.loads(deployment_file.read_text())
    address = data.pop("provenance")
    deployment_file.write_text(json.dumps(data))
    page = exported / "episode-01" / "page-01.png"
    result = atelier(copy / "config.toml", "verify", str(page))
    assert result.code == 1 and "deployed before provenance existed" in result.err
    assert atelier(copy / "config.toml", "assets", "export", "1", str(tmp_path / "o")).code == 0
    assert not list((tmp_path / "o").rglob("*.proof.json"))
    status = atelier(copy / "config.toml", "dao", "status")
    assert status.code == 0 and "deployed before provenance existed" in status.out
    # A new run there publishes as before, says it does not anchor, and sends nothing.
    events: list[dict] = []
    studio = studio_at(copy / "config.toml")
    with studio.open_store() as store:
        outcome = Runner(studio, store, on_event=events.append).start(goal_id=1)
        assert outcome.run.status in ("paused", "done")
        assert store.episode(outcome.run.id or 0, 1).provenance_root is None  # type: ignore[union-attr]
    assert [e["skipped"] for e in events if e["event"] == "anchored"] == [
        "this studio has no provenance registry"]
    with studio.open_chain() as chain:  # the registry on the copy's chain got nothing new
        registry = ProvenanceRegistry(chain, address)
        event = registry.contract.events.Anchored()
        assert len(chain.get_logs(address=address, topics=[event.topic])) == 1


def test_a_crash_between_publish_and_anchor_reanchors_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    original = Store.set_provenance
    crashed: list[int] = []

    def crash_once(self: Store, run_id: int, number: int, **fields: object) -> object:
        if not crashed:  # the transaction went out; the process dies before the row
            crashed.append(number)
            raise RuntimeError("killed between anchor and store")
        return original(self, run_id, number, **fields)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "set_provenance", crash_once)
    studio = studio_at(config)
    with studio.open_store() as store, pytest.raises(RuntimeError, match="killed"):
        Runner(studio, store).start()
    assert anchored_logs(config) == 1
    with studio.open_store() as store:
        assert store.episode(1, 1).provenance_root is None  # type: ignore[union-attr]
        assert Runner(studio, store).resume(1).status == "done"
        episode = store.episode(1, 1)
    assert anchored_logs(config) == 1  # resumed: found on the chain, not sent again
    assert episode is not None and episode.provenance_root and episode.provenance_tx


def _role_proposal(config: Path, function: str) -> int:
    """Propose ``function(ANCHOR_ROLE, operator)`` on the provenance registry; its number."""
    from atelier.governance.accounts import dev_signer
    from atelier.governance.proposals import Action
    from atelier.governance.provenance import ANCHOR_ROLE

    with studio_at(config).session() as dao:
        registry = studio_provenance(dao)
        calldata = bytes.fromhex(registry.contract.encode_abi(
            function, [ANCHOR_ROLE, dev_signer("deployer").address])[2:])
        return dao.propose(dev_signer("alice"), [Action(registry.address, 0, calldata)],
                           f"{function} the operator's anchor role").number


def test_a_revoked_operator_stops_the_run_at_publish_until_the_dao_grants_it_again(
        tmp_path: Path) -> None:
    from workflow_helpers import pass_proposal

    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    pass_proposal(config, _role_proposal(config, "revokeRole"))
    studio = studio_at(config)
    with studio.open_store() as store:
        with pytest.raises(AnchorRefused, match="deployer may not anchor provenance"):
            Runner(studio, store).start()
        assert store.run(1).status == "failed"
        assert "may not anchor provenance" in store.run(1).message
        assert store.episode(1, 1).provenance_root is None  # type: ignore[union-attr]
    assert anchored_logs(config) == 0
    pass_proposal(config, _role_proposal(config, "grantRole"))
    with studio.open_store() as store:
        assert Runner(studio, store).resume(1).status == "done"
        assert store.episode(1, 1).provenance_root is not None  # type: ignore[union-attr]
    assert anchored_logs(config) == 1


@pytest.mark.anvil
def test_a_run_on_anvil_anchors_once_across_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same crash on a JSON-RPC node: the resumed publish finds the root and its
    transaction in the node's logs."""
    from atelier.governance.chain.anvil import find_anvil, running_anvil

    if find_anvil() is None:
        pytest.fail("anvil is missing: run `npm ci` in governance/")
    original = Store.set_provenance
    crashed: list[int] = []

    def crash_once(self: Store, run_id: int, number: int, **fields: object) -> object:
        if not crashed:
            crashed.append(number)
            raise RuntimeError("killed between anchor and store")
        return original(self, run_id, number, **fields)  # type: ignore[arg-type]

    with running_anvil() as url:
        config = governed_studio(tmp_path, episodes=1, audit_every=1,
                                 extra_config=f'[chain]\nkind = "rpc"\nrpc_url = "{url}"\n')
        monkeypatch.setattr(Store, "set_provenance", crash_once)
        studio = studio_at(config)
        with studio.open_store() as store, pytest.raises(RuntimeError, match="killed"):
            Runner(studio, store).start()
        with studio.open_store() as store:
            assert Runner(studio, store).resume(1).status == "done"
            episode = store.episode(1, 1)
        assert anchored_logs(config) == 1
        assert episode is not None and episode.provenance_tx
        with studio.session() as dao:
            receipt = dao.chain.w3.eth.get_transaction_receipt(episode.provenance_tx)
        assert receipt["status"] == 1 and receipt["to"] == studio.deployment().provenance


def test_a_proof_path_with_control_characters_is_refused(finished: Path, exported: Path,
                                                         tmp_path: Path) -> None:
    page = exported / "episode-01" / "page-01.png"
    proof = json.loads(page.with_name(page.name + ".proof.json").read_text())
    proof["path"] = "episode-01/\x1b[2Jpage-01.png"
    (tmp_path / "escape.json").write_text(json.dumps(proof))
    result = atelier(finished, "verify", str(page), "--proof", str(tmp_path / "escape.json"))
    assert result.code == 2 and "path" in result.err and "\x1b" not in result.err
