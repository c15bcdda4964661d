"""Who the members are and what their word weighs, at a moment of the chain clock.

Off-chain member acts (reviews, curation votes) are weighed like Governor votes: by
reputation at a past timepoint (``getPastVotes``), so reputation earned after a ballot
opened does not count on it. Members are the accounts with voting power at that moment,
read from the token's ``DelegateVotesChanged`` events, so an account that ever held
reputation is found however it got it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_utils import to_checksum_address

from atelier.governance.deploy import REPUTATION_UNIT

#: keccak256("Transfer(address,address,uint256)"): ERC-20's event (mints and burns only here).
TRANSFER = bytes.fromhex("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
#: keccak256("DelegateVotesChanged(address,uint256,uint256)"), ERC-5805's event.
DELEGATE_VOTES_CHANGED = bytes.fromhex(
    "dec2bacdd2f05b59de34da9b523dff8be42e5e38e818c82fdb0bae774387a724")

if TYPE_CHECKING:
    from atelier.governance.dao import StudioDAO
    from atelier.governance.member_messages import StudioDomain


def studio_domain(dao: StudioDAO) -> StudioDomain:
    """The EIP-712 domain members sign in: this chain and this studio's registry."""
    from atelier.governance.member_messages import StudioDomain

    return StudioDomain(chain_id=dao.deployment.chain_id, registry=dao.deployment.registry)


def chain_time(dao: StudioDAO) -> int:
    """The timestamp of the latest block: a moment whose reputation is settled."""
    return int(dao.chain.w3.eth.get_block("latest")["timestamp"])


def reputation_at(dao: StudioDAO, address: str, timepoint: int, *,
                  clock: int | None = None) -> int:
    """``address``'s voting power at ``timepoint`` (chain time), in whole points. A moment the
    clock has not passed yet reads the current power (nothing can have changed it since the
    latest block). ``clock``: the token's clock, when the caller read it already."""
    token = dao.token.functions
    address = to_checksum_address(address)
    if clock is None:
        clock = int(token.clock().call())
    if timepoint >= clock:
        return int(token.getVotes(address).call()) // REPUTATION_UNIT
    return int(token.getPastVotes(address, timepoint).call()) // REPUTATION_UNIT


def members_at(dao: StudioDAO, timepoint: int) -> dict[str, int]:
    """Every account with voting power at ``timepoint`` -> its power in whole points.

    Read from the token's ``DelegateVotesChanged`` events, which are its vote checkpoints
    (ERC-5805: one per change of a delegate's votes, carrying the new total): a delegate's
    power at a moment is the total of its last event at or before it. One log query and a
    block header per block with events, instead of a call per account."""
    logs = dao.chain.get_logs(address=dao.deployment.token, topics=[DELEGATE_VOTES_CHANGED],
                              from_block=dao.deployment.block)
    w3 = dao.chain.w3
    times: dict[int, int] = {}
    powers: dict[str, int] = {}
    for log in logs:  # in chain order: a later event replaces an earlier one
        block = int(log["blockNumber"])
        if block not in times:
            times[block] = int(w3.eth.get_block(block)["timestamp"])
        if times[block] > timepoint:
            break
        # The delegate is the one indexed argument (topic 1); data is (previous, new votes).
        delegate = to_checksum_address(bytes(log["topics"][1])[-20:])
        powers[delegate] = int.from_bytes(bytes(log["data"])[32:64], "big") // REPUTATION_UNIT
    return {address: power for address, power in powers.items() if power > 0}


def balances(dao: StudioDAO) -> dict[str, int]:
    """Every holder's reputation balance now, in whole points (what decay burns: a balance,
    not the voting power delegated to an account). Summed from the token's ``Transfer``
    events, which are only mints (from 0) and burns (to 0): reputation does not move."""
    logs = dao.chain.get_logs(address=dao.deployment.token, topics=[TRANSFER],
                              from_block=dao.deployment.block)
    held: dict[str, int] = {}
    for log in logs:
        source = to_checksum_address(bytes(log["topics"][1])[-20:])
        target = to_checksum_address(bytes(log["topics"][2])[-20:])
        value = int.from_bytes(bytes(log["data"])[:32], "big")
        held[source] = held.get(source, 0) - value
        held[target] = held.get(target, 0) + value
    zero = to_checksum_address(b"\0" * 20)
    return {a: units // REPUTATION_UNIT for a, units in sorted(held.items())
            if a != zero and units > 0}
