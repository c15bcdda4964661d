"""Releases: a published (anchored) episode minted as an ERC-721 token owned by the treasury
(``StudioReleases``), sold once at a fixed price that goes to the treasury, so the next
revenue split pays it out by contribution: sale → treasury → split → claim.

Every write is checked before it is sent (the refusals exit with code 2, nothing sent).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from atelier.governance.proposals import Action
from atelier.governance.tx import transact
from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from atelier.governance.accounts import Signer
    from atelier.governance.dao import StudioDAO


class ReleaseRefused(AtelierError):
    """A release or a purchase that cannot happen; nothing was sent."""

    exit_code = 2


@dataclass(frozen=True)
class Release:
    token_id: int
    root: bytes
    price: int  # wei
    owner: str

    def for_sale(self, treasury: str) -> bool:
        return self.owner == treasury


def releases_contract(dao: StudioDAO) -> Any:
    if not dao.deployment.releases:
        raise ReleaseRefused("this studio's DAO has no releases contract (it was deployed "
                             "before releases existed)",
                             hint="deploy a new DAO with `atelier init` to release episodes")
    return dao.releases  # built once a session (web3 takes ~20 ms to build one from its ABI)


def releases(dao: StudioDAO) -> list[Release]:
    contract = releases_contract(dao)
    found = []
    for token_id in range(1, int(contract.functions.releaseCount().call()) + 1):
        root, price = contract.functions.releaseOf(token_id).call()
        found.append(Release(token_id, bytes(root), int(price),
                             str(contract.functions.ownerOf(token_id).call())))
    return found


def release_action(dao: StudioDAO, root: bytes, price: int) -> Action:
    """The proposal's action minting the episode anchored under ``root`` to the treasury;
    refuses a root never anchored and an episode released already."""
    from atelier.governance.provenance import studio_provenance

    if studio_provenance(dao).record(root) is None:
        raise ReleaseRefused(f"root 0x{root.hex()} is not anchored: only a published episode "
                             "is released")
    done = next((r for r in releases(dao) if r.root == root), None)
    if done is not None:
        raise ReleaseRefused(f"that episode is release {done.token_id} already")
    contract = releases_contract(dao)
    calldata = bytes.fromhex(contract.encode_abi("release", [root, price])[2:])
    return Action(contract.address, 0, calldata,
                  f"StudioReleases.release(root=0x{root.hex()}, price={price} wei)")


def release_description(run: int, episode: int, root: bytes, price: int) -> str:
    """The release proposal's text: what is minted, to whom, at what price."""
    from atelier.governance.revenue import eth

    return (f"# Release episode {episode} of run {run} at {eth(price)} ETH\n\n"
            f"Mints the episode whose provenance root is 0x{root.hex()} as an ERC-721 token "
            f"owned by the treasury, for sale at {eth(price)} ETH; the sale is income the next "
            "revenue split pays out by contribution.\n")


def buy(dao: StudioDAO, signer: Signer, token_id: int) -> tuple[Release, TxReceipt]:
    """Buy release ``token_id`` from the treasury at its price (checked before sending)."""
    found = {r.token_id: r for r in releases(dao)}
    if token_id not in found:
        raise ReleaseRefused(f"there is no release {token_id}",
                             hint="`atelier release list` shows the releases")
    wanted = found[token_id]
    if not wanted.for_sale(dao.deployment.timelock):
        raise ReleaseRefused(f"release {token_id} is sold (to {dao.name_of(wanted.owner)})")
    receipt = transact(dao.chain, signer, releases_contract(dao).functions.buy(token_id),
                       action=f"buying release {token_id}", explain=dao.explain,
                       value=wanted.price)
    return wanted, receipt


def metadata(dao: StudioDAO, token_id: int) -> dict[str, Any]:
    """The release's JSON metadata, decoded from its data: URI."""
    uri = str(releases_contract(dao).functions.tokenURI(token_id).call())
    prefix = "data:application/json;base64,"
    return json.loads(base64.b64decode(uri.removeprefix(prefix)))


def royalty(dao: StudioDAO, token_id: int, sale_price: int) -> tuple[str, int]:
    """ERC-2981: who receives a resale's royalty, and how much."""
    receiver, amount = releases_contract(dao).functions.royaltyInfo(token_id, sale_price).call()
    return str(receiver), int(amount)
