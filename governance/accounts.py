"""Named local dev accounts (embedded EVM and anvil) and the account handle signers use.

The dev accounts derive from the public test mnemonic that anvil and hardhat also use, so
the same names hold the same addresses on both local chains. They are for local chains only:
on any other network a keystore account is required (see ``atelier.governance.keystore``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

# Public, well-known, worthless outside a local dev chain (anvil's and hardhat's default).
DEV_MNEMONIC = "test test test test test test test test test test test junk"

#: Index in the mnemonic's derivation path -> name. ``ethics`` is the ethics committee
#: (the governor's proposal guardian); ``mallory`` is a dev account that holds no reputation.
DEV_ACCOUNT_NAMES: tuple[str, ...] = (
    "deployer",
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "mallory",
    "ethics",
)

#: Wei each dev account holds at genesis of the embedded chain (anvil gives the same).
DEV_BALANCE_WEI = 10_000 * 10**18


@dataclass(frozen=True)
class Signer:
    """A named account that can sign. ``repr`` never shows the key."""

    name: str
    address: str
    _account: LocalAccount = field(repr=False, compare=False)

    @property
    def account(self) -> LocalAccount:
        return self._account


@cache
def _derive(index: int) -> LocalAccount:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def dev_signer(name: str) -> Signer:
    """The dev account called ``name``; raises KeyError for an unknown name."""
    index = DEV_ACCOUNT_NAMES.index(name) if name in DEV_ACCOUNT_NAMES else None
    if index is None:
        raise KeyError(name)
    account = _derive(index)
    return Signer(name=name, address=account.address, _account=account)


def dev_signers() -> dict[str, Signer]:
    """All dev accounts by name, in derivation order."""
    return {name: dev_signer(name) for name in DEV_ACCOUNT_NAMES}
