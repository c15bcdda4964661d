"""The Python StandardMerkleTree against OpenZeppelin's own JS library (node tier) and its
format's invariants (fast tier)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from atelier.governance.merkle import (
    LEAF_TYPES,
    StandardMerkleTree,
    leaf_hash,
    process_proof,
    verify,
)

GOVERNANCE = Path(__file__).resolve().parents[1] / "governance"


def leaves(n: int) -> list[tuple[str, bytes]]:
    return [(f"episode-{i // 7 + 1}/page-{i:02d}.png", hashlib.sha256(b"%d" % i).digest())
            for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20])
def test_every_leaf_proves_and_a_changed_one_does_not(n: int) -> None:
    items = leaves(n)
    tree = StandardMerkleTree.of(items)
    for leaf in items:
        assert verify(tree.root, leaf, tree.proof(leaf))
    path, digest = items[0]
    changed = (path, bytes([digest[0] ^ 1]) + digest[1:])
    assert not verify(tree.root, changed, tree.proof(items[0]))
    assert not verify(tree.root, ("other/" + path, digest), tree.proof(items[0]))


def test_the_root_does_not_depend_on_the_order_of_the_leaves() -> None:
    items = leaves(9)
    assert StandardMerkleTree.of(items).root == StandardMerkleTree.of(items[::-1]).root


def test_a_single_leaf_is_its_own_root_with_an_empty_proof() -> None:
    [leaf] = leaves(1)
    tree = StandardMerkleTree.of([leaf])
    assert tree.root == leaf_hash(*leaf) and tree.proof(leaf) == []
    assert process_proof(leaf_hash(*leaf), []) == tree.root


def test_an_empty_tree_and_an_unknown_leaf_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one leaf"):
        StandardMerkleTree.of([])
    with pytest.raises(KeyError, match="not a leaf"):
        StandardMerkleTree.of(leaves(3)).proof(("nope", b"\0" * 32))


_JS_CHECK = """
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { readFileSync } from "node:fs";
const input = JSON.parse(readFileSync(process.argv[1], "utf8"));
const built = StandardMerkleTree.of(input.values, input.types);
const loaded = StandardMerkleTree.load(input.dump);
const verified = input.proofs.map(([value, proof]) =>
  StandardMerkleTree.verify(input.root, input.types, value, proof));
const tampered = StandardMerkleTree.verify(input.root, input.types, input.tampered[0],
  input.tampered[1]);
console.log(JSON.stringify({ root: built.root, loadedRoot: loaded.root, verified, tampered,
  jsProof: built.getProof(input.values[0]) }));
"""


@pytest.mark.node
def test_openzeppelins_js_library_builds_our_root_and_verifies_our_proofs(
    tmp_path: Path,
) -> None:
    if shutil.which("node") is None or not (
            GOVERNANCE / "node_modules" / "@openzeppelin" / "merkle-tree").exists():
        pytest.fail("node and governance/node_modules are needed: run `npm ci` in governance/")
    items = leaves(13)
    tree = StandardMerkleTree.of(items)
    values = [[path, "0x" + digest.hex()] for path, digest in items]
    proofs = [[value, ["0x" + p.hex() for p in tree.proof(leaf)]]
              for value, leaf in zip(values, items, strict=True)]
    tampered = [[values[0][0], "0x" + "00" * 32], proofs[0][1]]
    data = tmp_path / "tree.json"
    data.write_text(json.dumps({"types": list(LEAF_TYPES), "values": values, "dump": tree.dump(),
                                "root": "0x" + tree.root.hex(), "proofs": proofs,
                                "tampered": tampered}))
    done = subprocess.run(["node", "--input-type=module", "-e", _JS_CHECK, str(data)],
                          cwd=GOVERNANCE, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["root"] == result["loadedRoot"] == "0x" + tree.root.hex()
    assert result["verified"] == [True] * len(items)
    assert result["tampered"] is False
    assert result["jsProof"] == proofs[0][1]
