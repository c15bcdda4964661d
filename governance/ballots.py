"""EIP-712 ballots: a member's vote signed off-chain, for anyone to relay to the Governor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_account.messages import encode_typed_data

if TYPE_CHECKING:
    from atelier.governance.accounts import Signer


def sign_ballot(
    voter: Signer,
    *,
    chain_id: int,
    governor: str,
    name: str,
    version: str,
    proposal_id: int,
    support: int,
    nonce: int,
    reason: str | None = None,
) -> bytes:
    """EIP-712 signature of a Governor ballot (``ExtendedBallot`` when a reason is given)."""
    domain = {"name": name, "version": version, "chainId": chain_id,
              "verifyingContract": governor}
    fields = [
        {"name": "proposalId", "type": "uint256"}, {"name": "support", "type": "uint8"},
        {"name": "voter", "type": "address"}, {"name": "nonce", "type": "uint256"},
    ]
    message: dict[str, Any] = {"proposalId": proposal_id, "support": support,
                               "voter": voter.address, "nonce": nonce}
    if reason:
        types = {"ExtendedBallot": [*fields, {"name": "reason", "type": "string"},
                                    {"name": "params", "type": "bytes"}]}
        message |= {"reason": reason, "params": b""}
    else:
        types = {"Ballot": fields}
    signable = encode_typed_data(domain, types, message)
    return bytes(voter.account.sign_message(signable).signature)
