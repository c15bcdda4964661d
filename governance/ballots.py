"""EIP-712 ballots: a member's vote signed off-chain (by a dev key here, or by the member's own
wallet in the browser), for anyone to relay to the Governor with ``castVoteBySig``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from atelier.governance.accounts import Signer
    from atelier.governance.dao import StudioDAO
    from atelier.governance.proposals import Proposal

_FIELDS = [
    {"name": "proposalId", "type": "uint256"}, {"name": "support", "type": "uint8"},
    {"name": "voter", "type": "address"}, {"name": "nonce", "type": "uint256"},
]
_DOMAIN = [
    {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
]


def ballot_message(
    *,
    chain_id: int,
    governor: str,
    name: str,
    version: str,
    proposal_id: int,
    support: int,
    voter: str,
    nonce: int,
    reason: str | None = None,
) -> dict[str, Any]:
    """The full EIP-712 JSON of a Governor ballot (``ExtendedBallot`` when a reason is given),
    as ``eth_signTypedData_v4`` takes it: numbers as decimal strings where they may exceed
    JavaScript's safe integers, bytes as 0x-hex."""
    domain = {"name": name, "version": version, "chainId": chain_id,
              "verifyingContract": governor}
    message: dict[str, Any] = {"proposalId": str(proposal_id), "support": support,
                               "voter": voter, "nonce": str(nonce)}
    if reason:
        primary = "ExtendedBallot"
        fields = [*_FIELDS, {"name": "reason", "type": "string"},
                  {"name": "params", "type": "bytes"}]
        message |= {"reason": reason, "params": "0x"}
    else:
        primary, fields = "Ballot", _FIELDS
    return {"types": {"EIP712Domain": _DOMAIN, primary: fields}, "primaryType": primary,
            "domain": domain, "message": message}


def ballot_for(dao: StudioDAO, proposal: Proposal, voter: str, support: int,
               reason: str | None = None) -> dict[str, Any]:
    """What ``voter`` signs to vote ``support`` on ``proposal`` now (its current nonce)."""
    g = dao.governor.functions
    return ballot_message(chain_id=dao.chain.w3.eth.chain_id, governor=dao.deployment.governor,
                          name=g.name().call(), version=g.version().call(),
                          proposal_id=proposal.id, support=support, voter=voter,
                          nonce=int(g.nonces(voter).call()), reason=reason)


def relay_ballot(dao: StudioDAO, relayer: Signer, proposal: Proposal, voter: str, support: int,
                 signature: bytes, reason: str | None = None) -> TxReceipt:
    """Submit ``voter``'s signed ballot; ``relayer`` pays the gas. The Governor checks the
    signature (a wrong one reverts with ``GovernorInvalidSignature``)."""
    from atelier.governance.tx import transact

    dao.check_can_vote(voter, proposal)
    g = dao.governor.functions
    fn = (g.castVoteWithReasonAndParamsBySig(proposal.id, support, voter, reason, b"", signature)
          if reason else g.castVoteBySig(proposal.id, support, voter, signature))
    return transact(dao.chain, relayer, fn,
                    action=f"{dao.name_of(voter)}'s signed vote (relayed by "
                    f"{dao.name_of(relayer.address)})", explain=dao.explain)
