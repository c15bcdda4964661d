"""OpenZeppelin's StandardMerkleTree in Python, for the studio's asset leaves.

The layout follows ``@openzeppelin/merkle-tree`` (v1, ``standard-v1``) exactly: leaves are
double-hashed ABI encodings, sorted by hash, stored at the end of a flat array in reverse
order; each parent hashes its sorted pair. So the JS library's ``StandardMerkleTree.verify``
accepts our proofs, ``load`` accepts our dumps, and OpenZeppelin's ``MerkleProof`` (through
``ProvenanceRegistry.verifyAsset``) checks them on-chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak

#: An asset leaf: its path relative to the run folder and the file's sha256. The one place
#: the leaf types are written; the contract's ``leafOf`` hashes the same pair.
LEAF_TYPES: tuple[str, str] = ("string", "bytes32")

AssetLeaf = tuple[str, bytes]  # (path, sha256 digest)


def leaf_hash(path: str, sha256: bytes) -> bytes:
    """``keccak256(bytes.concat(keccak256(abi.encode(path, sha256))))``."""
    return keccak(keccak(abi_encode(list(LEAF_TYPES), [path, sha256])))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root ``proof`` leads to from ``leaf`` (``MerkleProof.processProof``)."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify(root: bytes, leaf: AssetLeaf, proof: Sequence[bytes]) -> bool:
    return process_proof(leaf_hash(*leaf), proof) == root


@dataclass(frozen=True)
class StandardMerkleTree:
    """A tree over asset leaves; build it with ``of``."""

    tree: tuple[bytes, ...]
    #: (leaf, index in ``tree``), in the order the leaves were given.
    values: tuple[tuple[AssetLeaf, int], ...]

    @classmethod
    def of(cls, leaves: Sequence[AssetLeaf]) -> StandardMerkleTree:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        hashed = sorted(((leaf_hash(*leaf), i) for i, leaf in enumerate(leaves)),
                        key=lambda pair: pair[0])
        size = 2 * len(hashed) - 1
        tree: list[bytes] = [b""] * size
        for position, (digest, _) in enumerate(hashed):
            tree[size - 1 - position] = digest
        for i in range(size - 1 - len(hashed), -1, -1):
            tree[i] = hash_pair(tree[2 * i + 1], tree[2 * i + 2])
        index_of = {original: size - 1 - position
                    for position, (_, original) in enumerate(hashed)}
        values = tuple((leaves[i], index_of[i]) for i in range(len(leaves)))
        return cls(tuple(tree), values)

    @property
    def root(self) -> bytes:
        return self.tree[0]

    @cached_property
    def _positions(self) -> dict[AssetLeaf, int]:
        return {leaf: index for leaf, index in self.values}

    def proof(self, leaf: AssetLeaf) -> list[bytes]:
        """Siblings from ``leaf`` up to the root, in the JS library's order."""
        index = self._positions.get(leaf)
        if index is None:
            raise KeyError(f"{leaf[0]} is not a leaf of this tree")
        proof = []
        while index > 0:
            proof.append(self.tree[index + 1 if index % 2 else index - 1])
            index = (index - 1) // 2
        return proof

    def dump(self) -> dict[str, Any]:
        """The JS library's ``dump()`` format (``StandardMerkleTree.load`` reads it)."""
        return {
            "format": "standard-v1",
            "leafEncoding": list(LEAF_TYPES),
            "tree": ["0x" + node.hex() for node in self.tree],
            "values": [{"value": [path, "0x" + digest.hex()], "treeIndex": index}
                       for (path, digest), index in self.values],
        }
