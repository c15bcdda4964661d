"""The ProvenanceRegistry on a real chain (embedded, and anvil in its tier): one root per
episode, a record naming what made it, OpenZeppelin's MerkleProof agreeing with Python's
tree, and an anchor role the timelock grants and revokes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from atelier.governance.accounts import dev_signer
from atelier.governance.dao import StudioDAO
from atelier.governance.merkle import StandardMerkleTree
from atelier.governance.proof_file import proof_for
from atelier.governance.proposals import Action
from atelier.governance.provenance import (
    ANCHOR_ROLE,
    AnchorRefused,
    ProvenanceRegistry,
    studio_provenance,
)
from atelier.governance.tx import transact
from atelier.kernel.errors import TransactionFailed

from cli_helpers import atelier
from dao_helpers import pass_and_execute

RUN_KEY = hashlib.sha256(b"run").digest()
PROMPTS = {"scriptwriter": "0x" + "11" * 32, "designer": "0x" + "22" * 32}
LEAVES = [(f"episode-1/page-{i}.png", hashlib.sha256(bytes([i])).digest()) for i in range(5)]


def anchor(registry: ProvenanceRegistry, root: bytes, episode: int = 1):
    return registry.anchor(dev_signer("deployer"), root=root, run_key=RUN_KEY, run=3,
                           episode=episode, leaf_count=len(LEAVES), goal_proposal_id=77,
                           prompts=PROMPTS)


def test_an_episode_is_anchored_once_and_its_files_prove_on_chain(dao: StudioDAO) -> None:
    registry = studio_provenance(dao)
    tree = StandardMerkleTree.of(LEAVES)
    assert registry.record(tree.root) is None
    done = anchor(registry, tree.root)
    assert done.tx is not None and done.gas_used is not None
    record = registry.record(tree.root)
    assert record is not None
    assert (record.run_key, record.run, record.episode, record.leaf_count,
            record.goal_proposal_id, record.prompts) == (RUN_KEY, 3, 1, 5, 77, PROMPTS)
    for leaf in LEAVES:  # OpenZeppelin's MerkleProof accepts every proof Python wrote
        assert registry.verify_asset(tree.root, tree.proof(leaf), *leaf)
    path, digest = LEAVES[0]
    assert not registry.verify_asset(tree.root, tree.proof(LEAVES[0]), path,
                                     bytes([digest[0] ^ 1]) + digest[1:])
    # Anchoring again (a resumed publish) sends nothing.
    head = dao.chain.w3.eth.block_number
    again = anchor(registry, tree.root)
    assert (again.tx, again.gas_used) == (done.tx, None)
    # Another root for the same episode is refused before anything is sent ...
    other = StandardMerkleTree.of(LEAVES[:4]).root
    with pytest.raises(AnchorRefused, match="already has another root"):
        anchor(registry, other)
    assert dao.chain.w3.eth.block_number == head
    # ... and the contract itself refuses a root twice and an episode twice, by name.
    signer = dev_signer("deployer")
    fn = registry.contract.functions
    with pytest.raises(TransactionFailed, match="already anchored") as twice:
        transact(dao.chain, signer, fn.anchor(tree.root, RUN_KEY, 3, 2, 5, 77, [], []),
                 action="anchoring", explain=dao.explain)
    assert twice.value.error_name == "RootAlreadyAnchored"
    with pytest.raises(TransactionFailed, match="one root per episode") as episode:
        transact(dao.chain, signer, fn.anchor(other, RUN_KEY, 3, 1, 4, 77, [], []),
                 action="anchoring", explain=dao.explain)
    assert episode.value.error_name == "EpisodeAlreadyAnchored"
    assert dao.chain.w3.eth.block_number == head
    assert registry.prompt_versions({"scriptwriter": PROMPTS["scriptwriter"]}) == {
        "scriptwriter": None}  # a hash the studio never approved has no version


def test_the_timelock_revokes_the_operators_anchor_role(dao: StudioDAO) -> None:
    registry = studio_provenance(dao)
    operator = dev_signer("deployer")
    assert registry.can_anchor(operator.address)
    # Only the timelock administers the role: the operator cannot grant it to anyone.
    with pytest.raises(TransactionFailed) as refused:
        transact(dao.chain, operator,
                 registry.contract.functions.grantRole(ANCHOR_ROLE, dev_signer("alice").address),
                 action="granting", explain=dao.explain)
    assert refused.value.error_name == "AccessControlUnauthorizedAccount"
    calldata = bytes.fromhex(registry.contract.encode_abi(
        "revokeRole", [ANCHOR_ROLE, operator.address])[2:])
    proposal = dao.propose(dev_signer("alice"), [Action(registry.address, 0, calldata, "")],
                           "Revoke the operator's anchor role")
    assert proposal.actions[0].summary.startswith("ProvenanceRegistry.revokeRole(role=0x")
    assert proposal.actions[0].summary.endswith("account=deployer)")
    pass_and_execute(dao, proposal)
    assert not registry.can_anchor(operator.address)
    root = StandardMerkleTree.of(LEAVES).root
    head = dao.chain.w3.eth.block_number
    with pytest.raises(AnchorRefused, match="never granted it the anchor role or has revoked"):
        anchor(registry, root)
    with pytest.raises(TransactionFailed, match="may not anchor provenance"):
        transact(dao.chain, operator, registry.contract.functions.anchor(
            root, RUN_KEY, 3, 1, 5, 77, [], []), action="anchoring", explain=dao.explain)
    assert dao.chain.w3.eth.block_number == head and registry.record(root) is None


@pytest.mark.anvil
@pytest.mark.parametrize("chain", ["anvil"], indirect=True)  # a stranger's node: JSON-RPC
def test_a_stranger_verifies_a_file_with_its_proof_an_rpc_url_and_the_registry(
        dao: StudioDAO, tmp_path: Path) -> None:
    """`atelier verify` from a folder with no studio: the file, its proof, a node, an address."""
    files = {f"episode-01/page-{i:02d}.png": f"page {i}".encode() for i in range(1, 4)}
    leaves = [(path, hashlib.sha256(data).digest()) for path, data in files.items()]
    tree = StandardMerkleTree.of(leaves)
    registry = studio_provenance(dao)
    anchor(registry, tree.root)
    page = tmp_path / "page-02.png"
    page.write_bytes(files["episode-01/page-02.png"])
    proof_for(tree, leaves[1], registry=registry.address, chain_id=dao.chain.w3.eth.chain_id,
              run=3, episode=1).save(tmp_path / "page-02.png.proof.json")
    nowhere = tmp_path / "no-config.toml"
    url = dao.chain.url  # type: ignore[attr-defined]
    result = atelier(nowhere, "verify", str(page), "--rpc-url", url, "--registry",
                     registry.address)
    assert result.code == 0, result.err
    assert "is the studio's: episode-01/page-02.png of run 3, episode 1" in result.out
    # The registry taken from the proof alone is named as such.
    result = atelier(nowhere, "verify", str(page), "--rpc-url", url)
    assert result.code == 0 and "from the proof file: check that it is" in result.out
    # Another contract at the registry's address, or a changed byte: refused in words.
    result = atelier(nowhere, "verify", str(page), "--rpc-url", url, "--registry",
                     dao.deployment.token)
    assert result.code == 1 and "is not a provenance registry" in result.err
    page.write_bytes(files["episode-01/page-02.png"] + b"!")
    result = atelier(nowhere, "verify", str(page), "--rpc-url", url, "--registry",
                     registry.address)
    assert result.code == 1 and "changed" in result.err and "Traceback" not in result.err
