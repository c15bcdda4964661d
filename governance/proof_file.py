"""The proof written beside an exported file (``<file>.proof.json``) and its checks.

A proof file carries everything a stranger needs besides the file itself and a node: the
leaf (path below the run folder, sha256), the Merkle proof, the root, and the registry and
chain it was anchored on. Its contents are untrusted: the local checks recompute the leaf and
the root from the file, and the chain decides (``ProvenanceRegistry.verifyAsset``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from atelier.governance.merkle import LEAF_TYPES, StandardMerkleTree, leaf_hash, process_proof
from atelier.kernel.errors import AtelierError

FORMAT = "atelier-provenance-proof-v1"
PROOF_SUFFIX = ".proof.json"
_HEX32 = r"^0x[0-9a-fA-F]{64}$"
_CHUNK = 1 << 20


class ProofError(AtelierError):
    """The file or its proof cannot be read (bad input)."""

    exit_code = 2


class NotVerified(AtelierError):
    """The file is not what the proof or the chain says: changed, mismatched, or not the
    studio's."""


class ProofFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    format: str = FORMAT
    leaf_encoding: list[str] = Field(default=list(LEAF_TYPES), alias="leafEncoding")
    #: Shown to people: no control characters (a proof file is foreign text).
    path: str = Field(min_length=1, max_length=1000, pattern=r"^[^\x00-\x1f\x7f]+$")
    sha256: str = Field(pattern=_HEX32)
    leaf: str = Field(pattern=_HEX32)
    proof: list[str] = Field(default_factory=list, max_length=64)
    root: str = Field(pattern=_HEX32)
    registry: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    chain_id: int = Field(alias="chainId", ge=1)
    run: int = Field(ge=0)
    episode: int = Field(ge=0)

    @property
    def proof_bytes(self) -> list[bytes]:
        return [bytes.fromhex(p.removeprefix("0x")) for p in self.proof]

    @property
    def root_bytes(self) -> bytes:
        return bytes.fromhex(self.root.removeprefix("0x"))

    @property
    def sha256_bytes(self) -> bytes:
        return bytes.fromhex(self.sha256.removeprefix("0x"))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.model_dump(by_alias=True), indent=2) + "\n",
                        encoding="utf-8")


def proof_for(tree: StandardMerkleTree, leaf: tuple[str, bytes], *, registry: str,
              chain_id: int, run: int, episode: int) -> ProofFile:
    path, digest = leaf
    return ProofFile(
        path=path, sha256="0x" + digest.hex(), leaf="0x" + leaf_hash(path, digest).hex(),
        proof=["0x" + p.hex() for p in tree.proof(leaf)], root="0x" + tree.root.hex(),
        registry=registry, chain_id=chain_id, run=run, episode=episode,
    )


def load_proof(path: Path) -> ProofFile:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProofError(f"no proof at {path}",
                         hint="`atelier assets export` writes FILE.proof.json beside each "
                         "file; pass it with --proof") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProofError(f"{path} is not a readable proof ({exc.__class__.__name__})",
                         hint="pass the .proof.json `atelier assets export` wrote") from None
    try:
        proof = ProofFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise ProofError(f"{path} is not an Atelier proof: {where}: {first['msg']}",
                         hint="pass the .proof.json `atelier assets export` wrote") from None
    if proof.format != FORMAT or tuple(proof.leaf_encoding) != LEAF_TYPES:
        raise ProofError(f"{path} is a proof of another format ({proof.format})",
                         hint=f"this atelier reads {FORMAT} over {list(LEAF_TYPES)}")
    return proof


def file_sha256(path: Path) -> bytes:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise ProofError(f"cannot read {path} ({exc.__class__.__name__})",
                         hint="name a file that exists") from None
    return digest.digest()


@dataclass(frozen=True)
class LocalCheck:
    sha256: bytes
    leaf: bytes


def check_locally(file: Path, proof: ProofFile) -> LocalCheck:
    """The file against its proof, without a chain: the same bytes, the same leaf, a proof
    that leads to the root. Raises ``NotVerified`` saying which failed."""
    digest = file_sha256(file)
    if digest != proof.sha256_bytes:
        raise NotVerified(
            f"{file} changed: its sha256 is {digest.hex()[:16]}…, the anchored file's "
            f"{proof.sha256[2:18]}…",
            hint="only the exact bytes the studio published verify; export the file again",
        )
    leaf = leaf_hash(proof.path, digest)
    if "0x" + leaf.hex() != proof.leaf.lower() or process_proof(leaf, proof.proof_bytes) \
            != proof.root_bytes:
        raise NotVerified(
            f"the proof does not match {file}: it does not lead from the file to root "
            f"{proof.root[:14]}…",
            hint="pass the .proof.json exported beside this very file",
        )
    return LocalCheck(sha256=digest, leaf=leaf)
