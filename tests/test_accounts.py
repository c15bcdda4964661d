"""Dev accounts: the stored addresses are the ones the mnemonic derives; keys come on demand."""

from __future__ import annotations

from eth_account import Account

from atelier.governance.accounts import (
    DEV_ACCOUNT_NAMES,
    DEV_ADDRESSES,
    DEV_MNEMONIC,
    dev_signer,
    dev_signers,
)


def test_stored_dev_addresses_match_the_mnemonic() -> None:
    Account.enable_unaudited_hdwallet_features()
    derived = tuple(
        Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").address
        for index in range(len(DEV_ACCOUNT_NAMES))
    )
    assert derived == DEV_ADDRESSES


def test_dev_signer_key_signs_for_its_address() -> None:
    signer = dev_signer("bob")
    assert signer.address == DEV_ADDRESSES[DEV_ACCOUNT_NAMES.index("bob")]
    assert signer.account.address == signer.address
    assert "key" not in repr(signer) and signer.account.key.hex() not in repr(signer)
    assert list(dev_signers()) == list(DEV_ACCOUNT_NAMES)
