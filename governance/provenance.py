"""The studio's provenance on the chain: anchor an episode's Merkle root once, read what a
root stands for, and check a file's proof against it.

Anchoring is idempotent (LangGraph re-runs an interrupted node from its start): the
registry is asked for the episode's root before anything is sent, so a resumed publish
finds its root and sends nothing, and an episode never gets two roots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import keccak, to_checksum_address

from atelier.governance.artifacts import abi
from atelier.governance.tx import call, transact
from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from atelier.governance.accounts import Signer
    from atelier.governance.chain.base import Chain
    from atelier.governance.dao import StudioDAO
    from atelier.governance.deploy import Deployment
    from atelier.governance.tx import Explainer

ANCHOR_ROLE = keccak(text="ANCHOR_ROLE")
_ZERO = b"\0" * 32


class NoProvenanceRegistry(AtelierError):
    """The studio (or the address given) has no provenance registry."""


class AnchorRefused(AtelierError):
    """The anchor cannot be written (no role, or the episode already has another root)."""


@dataclass(frozen=True)
class ProvenanceRecord:
    """What an anchored root stands for, as the registry holds it."""

    root: bytes
    run_key: bytes
    run: int
    episode: int
    leaf_count: int
    anchored_at: int
    goal_proposal_id: int
    prompts: dict[str, str]  # agent -> 0x prompt hash in force


@dataclass(frozen=True)
class Anchoring:
    """The outcome of ``anchor``; ``gas_used`` is None when the root was already on the
    chain (a resumed publish), whose earlier transaction ``tx`` names."""

    root: bytes
    tx: str | None
    block: int | None
    gas_used: int | None


def provenance_address(deployment: Deployment) -> str:
    """The studio's provenance registry, or a clear error for an older workspace."""
    if deployment.provenance is None:
        raise NoProvenanceRegistry(
            "this studio was deployed before provenance existed: it has no provenance "
            "registry, so its episodes are not anchored",
            hint="found a new studio (`atelier init --force`) to anchor published episodes",
        )
    return deployment.provenance


class ProvenanceRegistry:
    """The client of one ProvenanceRegistry contract."""

    def __init__(self, chain: Chain, address: str, *, explain: Explainer | None = None,
                 name_of: Callable[[str], str] = str) -> None:
        self.chain = chain
        self._name_of = name_of
        self.address = to_checksum_address(address)
        self.contract: Any = chain.w3.eth.contract(address=self.address,
                                                   abi=abi("ProvenanceRegistry"))
        self._explain = explain

    def require_deployed(self) -> None:
        """A clear error if nothing (or no provenance registry) lives at the address."""
        if not self.chain.w3.eth.get_code(self.address):
            raise NoProvenanceRegistry(
                f"there is no contract at {self.address} on this chain "
                f"(id {self.chain.w3.eth.chain_id})",
                hint="check the registry address and the RPC URL (or workspace)",
            )
        try:
            self.contract.functions.ANCHOR_ROLE().call()
        except Exception:  # any contract without the getter: reverts, empty or bad data
            raise NoProvenanceRegistry(
                f"the contract at {self.address} is not a provenance registry",
                hint="`atelier dao status` or deployment.json names the studio's registry",
            ) from None

    def can_anchor(self, account: str) -> bool:
        return bool(self.contract.functions.hasRole(ANCHOR_ROLE, account).call())

    def root_of(self, run_key: bytes, episode: int) -> bytes | None:
        root = bytes(self.contract.functions.rootOf(run_key, episode).call())
        return None if root == _ZERO else root

    def record(self, root: bytes) -> ProvenanceRecord | None:
        """What ``root`` stands for, or None if it was never anchored here."""
        raw = call(self.contract.functions.recordOf(root), action="reading a provenance record")
        run_key, run, episode, leaf_count, anchored_at, goal_proposal_id, agents, hashes = raw
        if int(anchored_at) == 0:
            return None
        return ProvenanceRecord(
            root=root, run_key=bytes(run_key), run=int(run), episode=int(episode),
            leaf_count=int(leaf_count), anchored_at=int(anchored_at),
            goal_proposal_id=int(goal_proposal_id),
            prompts={agent: "0x" + bytes(h).hex() for agent, h in zip(agents, hashes,
                                                                       strict=True)},
        )

    def verify_asset(self, root: bytes, proof: Sequence[bytes], path: str, sha256: bytes
                     ) -> bool:
        """OpenZeppelin's ``MerkleProof`` on the chain: is the file under the anchored root?"""
        return bool(self.contract.functions.verifyAsset(root, list(proof), path, sha256).call())

    def studio_registry(self) -> str:
        return str(self.contract.functions.studioRegistry().call())

    def anchor(
        self, signer: Signer, *, root: bytes, run_key: bytes, run: int, episode: int,
        leaf_count: int, goal_proposal_id: int, prompts: Mapping[str, str],
    ) -> Anchoring:
        """Record ``root`` for ``episode`` of the run, once: if the chain already holds this
        root for it, nothing is sent; another root for it is refused."""
        existing = self.root_of(run_key, episode)
        if existing == root:  # a resumed publish: the chain has it; find its transaction
            tx, block = self._anchored_in(root)
            return Anchoring(root=root, tx=tx, block=block, gas_used=None)
        if existing is not None:
            raise AnchorRefused(
                f"episode {episode} of run {run} already has another root on the chain "
                f"(0x{existing.hex()[:12]}…, this one 0x{root.hex()[:12]}…): one root per "
                "episode, so nothing was sent",
                hint="a file of the episode changed after it was anchored; the anchored "
                "files are the episode's record",
            )
        if not self.can_anchor(signer.address):
            raise AnchorRefused(
                f"{self._name_of(signer.address)} may not anchor provenance: the DAO never "
                "granted it the anchor role or has revoked it; nothing was sent",
                hint="a proposal calling grantRole(ANCHOR_ROLE, operator) on the provenance "
                f"registry {self.address} restores it; then `atelier run resume`",
            )
        ordered = sorted(prompts.items())
        fn = self.contract.functions.anchor(
            root, run_key, run, episode, leaf_count, goal_proposal_id,
            [agent for agent, _ in ordered],
            [bytes.fromhex(h.removeprefix("0x")) for _, h in ordered],
        )
        receipt = transact(self.chain, signer, fn,
                           action=f"anchoring episode {episode}'s provenance",
                           explain=self._explain)
        return Anchoring(root=root, tx="0x" + bytes(receipt["transactionHash"]).hex(),
                         block=int(receipt["blockNumber"]), gas_used=int(receipt["gasUsed"]))

    def _anchored_in(self, root: bytes) -> tuple[str | None, int | None]:
        event = self.contract.events.Anchored()
        logs = self.chain.get_logs(address=self.address, topics=[event.topic, "0x" + root.hex()])
        if not logs:
            return None, None
        return "0x" + bytes(logs[0]["transactionHash"]).hex(), int(logs[0]["blockNumber"])

    def prompt_versions(self, prompts: Mapping[str, str]) -> dict[str, int | None]:
        """agent -> version number of each prompt hash, from the studio registry's
        ``PromptApproved`` events (None: not found there)."""
        registry = self.chain.w3.eth.contract(address=self.studio_registry(),
                                              abi=abi("StudioRegistry"))
        event = registry.events.PromptApproved()
        versions: dict[str, int | None] = {}
        for agent, digest in prompts.items():
            topic = "0x" + digest.removeprefix("0x").rjust(64, "0")
            logs = self.chain.get_logs(address=registry.address, topics=[event.topic, topic])
            found = [event.process_log(log)["args"] for log in logs]
            version = next((int(a["version"]) for a in found if a["agent"] == agent), None)
            versions[agent] = version
        return versions


def studio_provenance(dao: StudioDAO) -> ProvenanceRegistry:
    """The provenance registry of ``dao``'s studio, its errors explained in the DAO's names."""
    return ProvenanceRegistry(dao.chain, provenance_address(dao.deployment), explain=dao.explain,
                              name_of=dao.name_of)
