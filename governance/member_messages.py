"""EIP-712 messages members sign off-chain: performance reviews of an episode, curation votes.

Signing costs a member no gas (as on Snapshot): anyone can collect the signatures and tally
them, and anyone can check each one against the member it claims. The domain binds every
signature to one chain and one studio registry, and the message names its run, episode or
ballot, so a signature cannot be replayed elsewhere. ``typed_data`` is exactly the JSON a
browser wallet's ``eth_signTypedData_v4`` takes, so a wallet and ``sign`` agree byte for byte.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_keys.constants import SECPK1_N
from eth_keys.exceptions import BadSignature
from eth_utils import is_checksum_address, keccak
from eth_utils.exceptions import ValidationError

from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from atelier.governance.accounts import Signer

DOMAIN_NAME = "Atelier Studio"
DOMAIN_VERSION = "1"
MAX_COMMENT = 500


def _struct(fields: str) -> list[dict[str, str]]:
    """EIP-712 type fields from their Solidity spelling, so they read as the contract's do."""
    return [{"name": name, "type": kind} for kind, name in map(str.split, fields.split(","))]


_DOMAIN_TYPE = _struct("string name, string version, uint256 chainId, address verifyingContract")
_TYPES = {
    "Review": _struct(
        "address reviewer, bytes32 run, uint32 episode, uint8 scriptwriter, uint8 designer, "
        "uint8 layout, string comment, uint64 signedAt"
    ),
    "CurationVote": _struct("address voter, bytes32 ballot, uint8 choice, uint64 signedAt"),
}


class InvalidMessage(AtelierError):
    """A member message or signature that cannot be what it claims."""


@dataclass(frozen=True)
class StudioDomain:
    """Where a signature counts: one chain, one studio registry (the verifying contract)."""

    chain_id: int
    registry: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": self.registry,
        }


@dataclass(frozen=True)
class Review:
    """A member's 1..5 ratings of each role's work on one episode of a run."""

    reviewer: str
    run: bytes
    episode: int
    scriptwriter: int
    designer: int
    layout: int
    comment: str
    signed_at: int


@dataclass(frozen=True)
class CurationVote:
    """A member's pick among a curation ballot's variants (0-based)."""

    voter: str
    ballot: bytes
    choice: int
    signed_at: int


Message = Review | CurationVote


def _describe(message: Message) -> tuple[str, str, str]:
    """(what it is, the role of its signer, the address it claims signed it)."""
    if isinstance(message, Review):
        return "review", "reviewer", message.reviewer
    if isinstance(message, CurationVote):
        return "curation vote", "voter", message.voter
    raise InvalidMessage(
        f"not a member message: {type(message).__name__}", hint="pass a Review or a CurationVote"
    )


def _check_int(kind: str, name: str, value: object, low: int, high: int, hint: str) -> None:
    # bool is an int subclass; True as a rating is a bug, not a 1.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidMessage(f"{kind} {name} {value!r} is outside {low}..{high}", hint=hint)


def _check_key(kind: str, name: str, value: object) -> None:
    if not isinstance(value, bytes) or len(value) != 32:
        size = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise InvalidMessage(
            f"{kind} {name} key must be 32 bytes, not {size}",
            hint=f"use the {name}'s on-chain key (a bytes32), not its name",
        )


def check_fields(message: Message) -> None:
    """Refuse a message whose fields its EIP-712 types cannot hold or the studio does not accept."""
    kind, role, claimed = _describe(message)
    if not isinstance(claimed, str) or not is_checksum_address(claimed):
        raise InvalidMessage(
            f"{kind} {role} {claimed!r} is not a checksum address",
            hint="give the 0x address with its mixed-case checksum (EIP-55)",
        )
    stamp = "a unix time in seconds that fits a uint64"
    if isinstance(message, CurationVote):
        _check_key(kind, "ballot", message.ballot)
        _check_int(kind, "choice", message.choice, 0, 255, "pick a 0-based variant index")
        _check_int(kind, "signed_at", message.signed_at, 0, 2**64 - 1, stamp)
        return
    _check_key(kind, "run", message.run)
    _check_int(kind, "episode", message.episode, 1, 2**32 - 1, "episodes count from 1")
    scale = "rate each role from 1 (poor) to 5 (excellent)"
    for name in ("scriptwriter", "designer", "layout"):
        _check_int(kind, f"rating {name}", getattr(message, name), 1, 5, scale)
    comment = message.comment
    if not isinstance(comment, str):
        raise InvalidMessage(
            f"review comment must be text, not {type(comment).__name__}",
            hint='use "" for no comment',
        )
    if len(comment) > MAX_COMMENT:
        raise InvalidMessage(
            f"review comment is {len(comment)} characters, over {MAX_COMMENT}",
            hint=f"shorten it to {MAX_COMMENT} characters or fewer",
        )
    for position, char in enumerate(comment):
        # Control characters could rewrite how a comment shows in a terminal or a log.
        if unicodedata.category(char) == "Cc" and char not in "\n\t":
            raise InvalidMessage(
                f"review comment has control character {char!r} at {position}",
                hint="only newlines and tabs are allowed besides printable text",
            )
    _check_int(kind, "signed_at", message.signed_at, 0, 2**64 - 1, stamp)


def typed_data(message: Message, domain: StudioDomain) -> dict[str, Any]:
    """The full EIP-712 JSON of ``message`` as ``eth_signTypedData_v4`` takes it."""
    check_fields(message)
    primary = "Review" if isinstance(message, Review) else "CurationVote"
    # The dataclasses declare their fields in the EIP-712 types' order; only signed_at differs.
    values = {
        "signedAt" if field.name == "signed_at" else field.name: getattr(message, field.name)
        for field in dataclasses.fields(message)
    }
    # JSON has no bytes: bytes32 goes as 0x-hex, which is what wallets expect.
    body = {key: "0x" + v.hex() if isinstance(v, bytes) else v for key, v in values.items()}
    return {
        "types": {"EIP712Domain": _DOMAIN_TYPE, primary: _TYPES[primary]},
        "primaryType": primary,
        "domain": domain.as_dict(),
        "message": body,
    }


def _signable(message: Message, domain: StudioDomain) -> SignableMessage:
    return encode_typed_data(full_message=typed_data(message, domain))


def digest(message: Message, domain: StudioDomain) -> bytes:
    """The 32-byte EIP-712 hash: keccak256(0x1901 || domainSeparator || hashStruct(message))."""
    signable = _signable(message, domain)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign(message: Message, signer: Signer, domain: StudioDomain) -> bytes:
    """The 65-byte signature (r || s || v, v in 27/28) of ``message`` by ``signer``."""
    return bytes(signer.account.sign_message(_signable(message, domain)).signature)


def signer_of(message: Message, signature: bytes, domain: StudioDomain) -> str:
    """The checksum address whose key made ``signature`` over ``message`` in ``domain``."""
    kind, _, _ = _describe(message)
    hint = "the signature must be the 65 bytes r || s || v an EIP-712 wallet returns"
    if not isinstance(signature, bytes | bytearray):
        kind_of = type(signature).__name__
        raise InvalidMessage(f"{kind} signature must be bytes, not {kind_of}", hint=hint)
    if len(signature) != 65:
        raise InvalidMessage(f"{kind} signature is {len(signature)} bytes, not 65", hint=hint)
    r, s, v = int.from_bytes(signature[:32]), int.from_bytes(signature[32:64]), signature[64]
    # Only low s and v 27/28 (as OpenZeppelin's ECDSA): one signature per message and signer,
    # so a relayer cannot mint a second valid-looking copy of someone's signature.
    if v not in (27, 28) or not 0 < r < SECPK1_N or not 0 < s <= SECPK1_N // 2:
        raise InvalidMessage(f"{kind} signature is malformed (bad r, s or v)", hint=hint)
    try:
        return Account.recover_message(_signable(message, domain), signature=bytes(signature))
    except (BadSignature, ValidationError, ValueError) as error:
        raise InvalidMessage(
            f"{kind} signature recovers to no account: {error}", hint=hint
        ) from error


def verify(message: Message, signature: bytes, domain: StudioDomain) -> None:
    """Refuse ``message`` unless the account it names as its signer made ``signature``."""
    check_fields(message)
    kind, role, claimed = _describe(message)
    actual = signer_of(message, signature, domain)
    if actual != claimed:
        raise InvalidMessage(
            f"{kind} claims {role} {claimed} but its signature is from {actual}",
            hint=f"ask {claimed} to sign the {kind} again; a message changed after signing, "
            "or signed for another chain or registry, recovers to another account",
        )
