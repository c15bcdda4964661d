"""`atelier verify FILE [--proof PROOF]`: is this file one the studio published, and what
made it? Checked against the provenance registry on the chain, from anywhere: the file, its
proof, an RPC URL (or the workspace) and the registry address are all it needs."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from atelier.cli.context import studio_of
from atelier.cli.output import console, emit_json

if TYPE_CHECKING:
    from atelier.governance.chain.base import Chain
    from atelier.governance.proof_file import ProofFile
    from atelier.governance.provenance import ProvenanceRecord
    from atelier.studio import Studio


def verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The file to check.")],
    proof: Annotated[Path | None, typer.Option(
        "--proof", help="Its proof (default: FILE.proof.json beside it; without one, the "
        "workspace's store is searched for the file).")] = None,
    rpc_url: Annotated[str | None, typer.Option(
        "--rpc-url", help="A JSON-RPC node of the chain (default: the workspace's chain).")]
    = None,
    registry: Annotated[str | None, typer.Option(
        "--registry", help="The studio's provenance registry (default: the workspace's).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check FILE against the studio's provenance on the chain; print the run, episode,
    goal proposal and prompt versions that made it, or why it does not verify."""
    studio = None if rpc_url else studio_of(ctx)
    found = check_file(studio, file, proof=proof, rpc_url=rpc_url, registry=registry)
    if as_json:
        emit_json(found.as_json())
        return
    show(found, studio)


@dataclass(frozen=True)
class Verified:
    file: Path
    proof: ProofFile
    registry: str
    note: str  # how far to trust the registry address
    record: ProvenanceRecord
    versions: dict[str, int | None]

    def as_json(self) -> dict[str, Any]:
        record = self.record
        return {"verified": True, "file": str(self.file), "path": self.proof.path,
                "sha256": self.proof.sha256, "root": self.proof.root,
                "registry": self.registry, "chain_id": self.proof.chain_id,
                "run": record.run, "episode": record.episode,
                "run_key": "0x" + record.run_key.hex(), "anchored_at": record.anchored_at,
                "goal_proposal_id": str(record.goal_proposal_id),
                "prompts": {a: {"hash": h, "version": self.versions.get(a)}
                            for a, h in record.prompts.items()}}


def check_file(studio: Studio | None, file: Path, *, proof: Path | None = None,
               rpc_url: str | None = None, registry: str | None = None) -> Verified:
    """``file`` checked against the chain (raises ``ProofError`` / ``NotVerified``)."""
    from atelier.governance.proof_file import PROOF_SUFFIX, ProofError, check_locally, load_proof

    if not file.is_file():
        raise ProofError(f"no file {file}", hint="name the exported file to check")
    beside = file.with_name(file.name + PROOF_SUFFIX)
    if proof is not None:
        found = load_proof(proof)
    elif beside.is_file():
        found = load_proof(beside)
    else:
        found = _proof_from_store(studio, file)
    check = check_locally(file, found)
    address, note = _registry_address(studio, registry, found)
    with _open_chain(studio, rpc_url) as chain:
        record, versions = _check_on_chain(chain, address, found, check.leaf)
    return Verified(file, found, address, note, record, versions)


def show(found: Verified, studio: Studio | None) -> None:
    record = found.record
    when = datetime.fromtimestamp(record.anchored_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    console.print(f"[green]✓[/] {escape(str(found.file))} is the studio's: "
                  f"{escape(found.proof.path)} of run {record.run}, episode {record.episode}",
                  soft_wrap=True)
    rows = [("root", found.proof.root), ("anchored", f"{when} on chain {found.proof.chain_id}"),
            ("registry", found.registry + found.note), ("run key", "0x" + record.run_key.hex()),
            ("goal proposal", _proposal_text(studio, record.goal_proposal_id)),
            *((f"{agent} prompt", f"{digest} (version {found.versions.get(agent) or '?'})")
              for agent, digest in sorted(record.prompts.items()))]
    for key, value in rows:
        console.print(f"[bold]{key:>20}[/]  {escape(value)}", soft_wrap=True)


def _proof_from_store(studio: Studio | None, file: Path) -> ProofFile:
    """A proof rebuilt from the workspace's store, for a file that has none beside it."""
    from atelier.governance.merkle import StandardMerkleTree
    from atelier.governance.proof_file import PROOF_SUFFIX, ProofError, file_sha256, proof_for

    missing = ProofError(f"no proof for {file}: no {file.name}{PROOF_SUFFIX} beside it",
                         hint="pass --proof PROOF (`atelier assets export` writes them)")
    if studio is None:
        raise missing
    deployment = studio.deployment()
    digest = file_sha256(file)
    with studio.open_store() as store:
        known = store.assets_with_hash(digest.hex())
        for asset in known:
            episode = store.episode(asset.run_id, asset.episode) if asset.episode else None
            leaves = [(p, bytes.fromhex(h)) for p, h in (episode.provenance_leaves or [])] \
                if episode else []
            leaf = (asset.path.removeprefix(f"run-{asset.run_id}/"), digest)
            if leaf in leaves and deployment.provenance:
                return proof_for(StandardMerkleTree.of(leaves), leaf,
                                 registry=deployment.provenance, chain_id=deployment.chain_id,
                                 run=asset.run_id, episode=asset.episode or 0)
    from atelier.governance.proof_file import NotVerified

    if known:  # a file the studio made, in a version no episode anchored
        raise NotVerified(
            f"{file} is {known[0].path} of this workspace, but this version of it was never "
            "anchored on the chain",
            hint="a reader page is anchored as published and rewritten later; the run's "
            "index and the bible belong to no episode")
    raise NotVerified(f"{file} is not the studio's: no anchored episode of this workspace "
                      "holds a file with its sha256",
                      hint="pass --proof PROOF if it came with one")


def _registry_address(studio: Studio | None, given: str | None, proof: ProofFile
                      ) -> tuple[str, str]:
    """The registry to trust, and a note when it came from the (untrusted) proof file."""
    from eth_utils import is_address, to_checksum_address

    from atelier.governance.proof_file import ProofError
    from atelier.governance.provenance import provenance_address

    if given is not None:
        if not is_address(given):
            raise ProofError(f"--registry {given!r} is not an address",
                             hint="give the registry's 0x address (40 hex digits)")
        return to_checksum_address(given), ""
    if studio is not None and studio.workspace.is_initialised:
        return provenance_address(studio.deployment()), ""
    return (to_checksum_address(proof.registry),
            " (from the proof file: check that it is the studio's)")


def _open_chain(studio: Studio | None, rpc_url: str | None) -> AbstractContextManager[Chain]:
    if rpc_url is not None:
        from atelier.governance.chain.rpc import RpcChain

        return RpcChain.connect(rpc_url)
    assert studio is not None
    return studio.open_chain()


def _check_on_chain(chain: Chain, address: str, proof: ProofFile, leaf: bytes
                    ) -> tuple[ProvenanceRecord, dict[str, int | None]]:
    from atelier.governance.proof_file import NotVerified
    from atelier.governance.provenance import ProvenanceRegistry

    chain_id = chain.w3.eth.chain_id
    if chain_id != proof.chain_id:
        raise NotVerified(f"the proof is for chain {proof.chain_id}, this node is chain "
                          f"{chain_id}", hint="point --rpc-url at the chain the proof names")
    registry = ProvenanceRegistry(chain, address)
    registry.require_deployed()
    record = registry.record(proof.root_bytes)
    if record is None:
        raise NotVerified(f"not the studio's: root {proof.root[:14]}… was never anchored in "
                          f"the registry {address}",
                          hint="the file may come from another studio, or its proof is forged")
    if not registry.verify_asset(proof.root_bytes, proof.proof_bytes, proof.path,
                                 proof.sha256_bytes):
        raise NotVerified("the proof does not match the anchored root on the chain",
                          hint="pass the .proof.json exported beside this very file")
    return record, registry.prompt_versions(record.prompts)


def _proposal_text(studio: Studio | None, proposal_id: int) -> str:
    short = f"{proposal_id:#x}"[:14] + "…"
    if studio is None or not studio.workspace.is_initialised or proposal_id == 0:
        return short
    try:
        with studio.session() as dao:
            return f"{dao.number_of(proposal_id)} ({short})"
    except Exception:  # naming is a courtesy; the id stands on its own
        return short
