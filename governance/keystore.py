"""Encrypted key files (Web3 Secret Storage, via eth-account) for real networks.

Keys are decrypted only in memory, with the passphrase from ``ATELIER_PASSPHRASE`` or a
prompt; they are never printed, logged or written anywhere unencrypted.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from eth_account import Account

from atelier.governance.accounts import Signer
from atelier.kernel.errors import AtelierError
from atelier.kernel.text import clip_repr

PASSPHRASE_ENV = "ATELIER_PASSPHRASE"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def keystore_path(directory: Path, name: str) -> Path:
    if not _NAME.match(name):
        raise AtelierError(
            f"{clip_repr(name)} is not an account name",
            hint="use lowercase letters, digits, - and _ (at most 32)",
        )
    return directory / f"{name}.json"


def create_account(directory: Path, name: str, passphrase: str) -> str:
    """Create a new random key for ``name``, store it encrypted, return its address."""
    path = keystore_path(directory, name)
    if path.exists():
        raise AtelierError(f"account {name!r} already exists in {directory}")
    if len(passphrase) < 8:
        raise AtelierError("the passphrase must have at least 8 characters")
    account = Account.create()
    directory.mkdir(parents=True, exist_ok=True)
    encrypted = Account.encrypt(account.key, passphrase)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(encrypted, handle)
    return account.address


def list_accounts(directory: Path) -> dict[str, str]:
    """name -> address of every key file (addresses are stored in clear in the file)."""
    found = {}
    for path in sorted(directory.glob("*.json")):
        try:
            found[path.stem] = "0x" + json.loads(path.read_text())["address"].removeprefix("0x")
        except (ValueError, KeyError):
            continue
    return found


def load_signer(
    directory: Path, name: str, ask_passphrase: Callable[[str], str] | None = None
) -> Signer:
    path = keystore_path(directory, name)
    if not path.exists():
        raise AtelierError(
            f"no account {name!r} in {directory}",
            hint="create one with `atelier accounts new NAME`",
        )
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if passphrase is None:
        if ask_passphrase is None:
            raise AtelierError(
                f"the passphrase for {name!r} is needed", hint=f"set {PASSPHRASE_ENV}"
            )
        passphrase = ask_passphrase(name)
    try:
        key = Account.decrypt(json.loads(path.read_text(encoding="utf-8")), passphrase)
    except ValueError:
        raise AtelierError(
            f"wrong passphrase for account {name!r}", hint=f"check {PASSPHRASE_ENV}"
        ) from None
    account = Account.from_key(key)
    return Signer(name=name, address=account.address, _account=account)
