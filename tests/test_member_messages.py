"""Member messages: a signature counts only for its signer, its exact fields and its domain."""

from __future__ import annotations

import dataclasses
import json

import pytest
from eth_abi import encode
from eth_account import Account
from eth_keys.constants import SECPK1_N
from eth_utils import keccak

from atelier.governance.accounts import dev_signer
from atelier.governance.member_messages import (
    CurationVote,
    InvalidMessage,
    Review,
    StudioDomain,
    check_fields,
    digest,
    sign,
    signer_of,
    typed_data,
    verify,
)
from atelier.kernel.errors import AtelierError

ALICE = dev_signer("alice")
BOB = dev_signer("bob")
DOMAIN = StudioDomain(chain_id=31337, registry="0x5FbDB2315678afecb367f032d93F642f64180aa3")
OTHER_REGISTRY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
RUN = keccak(text="run-1")
BALLOT = keccak(text="ballot-1")


def review(**changes: object) -> Review:
    base = Review(
        reviewer=ALICE.address,
        run=RUN,
        episode=3,
        scriptwriter=4,
        designer=5,
        layout=2,
        comment="Strong pacing.\nPanel 4 is muddy.",
        signed_at=1_700_000_000,
    )
    return dataclasses.replace(base, **changes)


def vote(**changes: object) -> CurationVote:
    base = CurationVote(voter=ALICE.address, ballot=BALLOT, choice=1, signed_at=1_700_000_000)
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize("message", [review(), vote()], ids=["review", "vote"])
def test_a_signed_message_verifies_and_names_its_signer(message: Review | CurationVote) -> None:
    signature = sign(message, ALICE, DOMAIN)
    assert len(signature) == 65
    assert signer_of(message, signature, DOMAIN) == ALICE.address
    verify(message, signature, DOMAIN)


def test_a_forged_review_is_refused() -> None:
    forged = review()  # claims alice
    signature = sign(forged, BOB, DOMAIN)
    assert signer_of(forged, signature, DOMAIN) == BOB.address
    with pytest.raises(InvalidMessage) as caught:
        verify(forged, signature, DOMAIN)
    assert ALICE.address in caught.value.message and BOB.address in caught.value.message
    assert caught.value.hint and "\n" not in caught.value.message
    assert isinstance(caught.value, AtelierError)


@pytest.mark.parametrize(
    "changes",
    [
        {"scriptwriter": 5},
        {"designer": 1},
        {"layout": 3},
        {"comment": "Strong pacing.\nPanel 4 is great."},
        {"comment": ""},
        {"episode": 4},
        {"run": keccak(text="run-2")},
        {"signed_at": 1_700_000_001},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_a_review_changed_or_replayed_after_signing_is_refused(changes: dict[str, object]) -> None:
    signature = sign(review(), ALICE, DOMAIN)
    changed = review(**changes)
    assert signer_of(changed, signature, DOMAIN) != ALICE.address
    with pytest.raises(InvalidMessage, match="signature is from"):
        verify(changed, signature, DOMAIN)


@pytest.mark.parametrize(
    "changes",
    [
        {"ballot": keccak(text="ballot-2")},
        {"choice": 0},
        {"choice": 2},
        {"signed_at": 1},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_a_vote_replayed_onto_another_ballot_or_choice_is_refused(
    changes: dict[str, object],
) -> None:
    signature = sign(vote(), ALICE, DOMAIN)
    with pytest.raises(InvalidMessage, match="signature is from"):
        verify(vote(**changes), signature, DOMAIN)


@pytest.mark.parametrize("message", [review(), vote()], ids=["review", "vote"])
@pytest.mark.parametrize(
    "other",
    [
        StudioDomain(chain_id=1, registry=DOMAIN.registry),
        StudioDomain(chain_id=DOMAIN.chain_id, registry=OTHER_REGISTRY),
    ],
    ids=["other-chain", "other-registry"],
)
def test_a_signature_counts_only_in_its_domain(
    message: Review | CurationVote, other: StudioDomain
) -> None:
    signature = sign(message, ALICE, DOMAIN)
    assert digest(message, other) != digest(message, DOMAIN)
    with pytest.raises(InvalidMessage):
        verify(message, signature, other)


def _high_s(signature: bytes) -> bytes:
    """The same signature's malleable twin: s -> n - s, v flipped (ecrecover still accepts)."""
    s = int.from_bytes(signature[32:64], "big")
    return signature[:32] + (SECPK1_N - s).to_bytes(32, "big") + bytes([55 - signature[64]])


@pytest.mark.parametrize(
    "mangle",
    [
        lambda sig: sig[:64],
        lambda sig: sig + b"\x00",
        lambda sig: b"",
        lambda sig: b"\x00" * 65,
        lambda sig: b"\xff" * 65,
        lambda sig: sig[:64] + bytes([sig[64] - 27]),
        lambda sig: sig[:64] + b"\x05",
        _high_s,
        lambda sig: sig.hex(),
    ],
    ids=["short", "long", "empty", "zeros", "ones", "v-0-or-1", "bad-v", "high-s", "hex-text"],
)
def test_a_malformed_signature_raises_invalid_message(mangle: object) -> None:
    message = review()
    bad = mangle(sign(message, ALICE, DOMAIN))  # type: ignore[operator]
    with pytest.raises(InvalidMessage):
        signer_of(message, bad, DOMAIN)
    with pytest.raises(InvalidMessage):
        verify(message, bad, DOMAIN)


def test_well_formed_garbage_recovers_to_a_stranger_and_is_refused() -> None:
    # Any in-range r, s, v recovers to *some* key: garbage is caught by the signer check.
    message = review()
    real = sign(message, ALICE, DOMAIN)
    garbage = real[:32] + (1).to_bytes(32, "big") + real[64:]
    assert signer_of(message, garbage, DOMAIN) not in (ALICE.address, BOB.address)
    with pytest.raises(InvalidMessage, match="signature is from"):
        verify(message, garbage, DOMAIN)


@pytest.mark.parametrize(
    ("message", "words"),
    [
        (review(scriptwriter=0), "scriptwriter"),
        (review(designer=6), "designer"),
        (review(layout=True), "layout"),
        (review(comment="x" * 501), "501 characters"),
        (review(comment="fine\x1b[2J"), "control character"),
        (review(comment="a\rb"), "control"),
        (review(run=RUN[:31]), "31 bytes"),
        (review(run=RUN.hex()), "32 bytes"),
        (review(episode=0), "episode"),
        (review(episode=2**32), "episode"),
        (review(signed_at=-1), "signed_at"),
        (review(signed_at=2**64), "signed_at"),
        (review(reviewer=ALICE.address.lower()), "checksum"),
        (review(reviewer="0x1234"), "checksum"),
        (vote(ballot=b"\x00" * 33), "33 bytes"),
        (vote(choice=256), "choice"),
        (vote(choice=-1), "choice"),
        (vote(voter="alice"), "checksum"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_check_fields_refuses_out_of_range_fields(
    message: Review | CurationVote, words: str
) -> None:
    with pytest.raises(InvalidMessage, match=words) as caught:
        check_fields(message)
    assert caught.value.hint
    with pytest.raises(InvalidMessage):
        sign(message, ALICE, DOMAIN)
    with pytest.raises(InvalidMessage):
        verify(message, b"\x00" * 65, DOMAIN)


def test_check_fields_accepts_the_edges() -> None:
    check_fields(
        review(
            scriptwriter=1,
            designer=5,
            layout=1,
            comment="é\t✓\n" + "x" * 496,
            episode=2**32 - 1,
            signed_at=0,
        )
    )
    check_fields(review(comment=""))
    check_fields(vote(choice=0, signed_at=2**64 - 1))
    check_fields(vote(choice=255))


@pytest.mark.parametrize("message", [review(), vote()], ids=["review", "vote"])
def test_a_wallet_signing_the_typed_data_json_gives_the_same_signature(
    message: Review | CurationVote,
) -> None:
    # A browser wallet gets the JSON text, not Python objects: round-trip it.
    data = json.loads(json.dumps(typed_data(message, DOMAIN)))
    assert set(data) == {"types", "primaryType", "domain", "message"}
    assert "EIP712Domain" in data["types"]
    wallet = Account.sign_typed_data(ALICE.account.key, full_message=data)
    assert bytes(wallet.signature) == sign(message, ALICE, DOMAIN)
    assert bytes(wallet.message_hash) == digest(message, DOMAIN)


def _domain_separator(domain: StudioDomain) -> bytes:
    type_hash = keccak(
        text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                type_hash,
                keccak(text="Atelier Studio"),
                keccak(text="1"),
                domain.chain_id,
                domain.registry,
            ],
        )
    )


def test_the_digests_are_what_a_contract_computes() -> None:
    """Pins the type strings and field order a Solidity verifier will hard-code."""
    message = review()
    type_hash = keccak(
        text="Review(address reviewer,bytes32 run,uint32 episode,uint8 "
        "scriptwriter,uint8 designer,uint8 layout,string comment,"
        "uint64 signedAt)"
    )
    struct = keccak(
        encode(
            [
                "bytes32",
                "address",
                "bytes32",
                "uint32",
                "uint8",
                "uint8",
                "uint8",
                "bytes32",
                "uint64",
            ],
            [
                type_hash,
                message.reviewer,
                message.run,
                message.episode,
                message.scriptwriter,
                message.designer,
                message.layout,
                keccak(text=message.comment),
                message.signed_at,
            ],
        )
    )
    assert digest(message, DOMAIN) == keccak(b"\x19\x01" + _domain_separator(DOMAIN) + struct)

    ballot = vote()
    type_hash = keccak(
        text="CurationVote(address voter,bytes32 ballot,uint8 choice,uint64 signedAt)"
    )
    struct = keccak(
        encode(
            ["bytes32", "address", "bytes32", "uint8", "uint64"],
            [type_hash, ballot.voter, ballot.ballot, ballot.choice, ballot.signed_at],
        )
    )
    assert digest(ballot, DOMAIN) == keccak(b"\x19\x01" + _domain_separator(DOMAIN) + struct)
