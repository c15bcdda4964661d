"""Named local dev accounts (embedded EVM and anvil) and the account handle signers use.

The dev accounts derive from the public test mnemonic that anvil and hardhat also use, so
the same names hold the same addresses on both local chains. They are for local chains only:
on any other network a keystore account is required (see ``atelier.governance.keystore``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

#: The dev accounts' addresses, in the order of ``DEV_ACCOUNT_NAMES``. Deriving them from the
#: mnemonic costs ~0.1 s (and importing eth_account ~0.4 s) per process, so commands that only
#: show names look them up here; keys are derived on first use, when something is signed.
#: ``tests/test_accounts.py`` checks these against the derivation.
DEV_ADDRESSES: tuple[str, ...] = (
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
)

#: Wei each dev account holds at genesis of the embedded chain (anvil gives the same).
DEV_BALANCE_WEI = 10_000 * 10**18


@dataclass(frozen=True)
class Signer:
    """A named account that can sign. ``repr`` never shows the key.

    A dev account's key is derived from the mnemonic the first time ``account`` is used.
    """

    name: str
    address: str
    _account: LocalAccount | None = field(default=None, repr=False, compare=False)
    _dev_index: int | None = field(default=None, repr=False, compare=False)

    @property
    def account(self) -> LocalAccount:
        if self._account is not None:
            return self._account
        if self._dev_index is None:
            raise ValueError(f"account {self.name!r} has no key")
        return _derive(self._dev_index)


@cache
def _derive(index: int) -> LocalAccount:
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    if account.address != DEV_ADDRESSES[index]:  # a wrong constant would misname accounts
        raise RuntimeError(f"dev account {index} derives to {account.address}, "
                           f"not {DEV_ADDRESSES[index]}")
    return account


def dev_signer(name: str) -> Signer:
    """The dev account called ``name``; raises KeyError for an unknown name."""
    index = DEV_ACCOUNT_NAMES.index(name) if name in DEV_ACCOUNT_NAMES else None
    if index is None:
        raise KeyError(name)
    return Signer(name=name, address=DEV_ADDRESSES[index], _dev_index=index)


def dev_signers() -> dict[str, Signer]:
    """All dev accounts by name, in derivation order."""
    return {name: dev_signer(name) for name in DEV_ACCOUNT_NAMES}
