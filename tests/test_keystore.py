"""Encrypted keystore accounts for real networks: keys stay encrypted and unprinted."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from atelier.governance.keystore import create_account, list_accounts, load_signer
from atelier.kernel.errors import AtelierError

from cli_helpers import atelier, write_config


def test_create_then_load_with_the_passphrase(tmp_path: Path, monkeypatch) -> None:
    address = create_account(tmp_path, "treasurer", "correct horse battery")
    path = tmp_path / "treasurer.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list_accounts(tmp_path) == {"treasurer": address}
    monkeypatch.setenv("ATELIER_PASSPHRASE", "correct horse battery")
    signer = load_signer(tmp_path, "treasurer")
    assert signer.address == address
    assert signer.account.key.hex().removeprefix("0x") not in path.read_text()
    assert "key" not in repr(signer).lower()


def test_wrong_passphrase_and_missing_account(tmp_path: Path, monkeypatch) -> None:
    create_account(tmp_path, "treasurer", "correct horse battery")
    monkeypatch.setenv("ATELIER_PASSPHRASE", "wrong one")
    with pytest.raises(AtelierError, match="wrong passphrase for account 'treasurer'"):
        load_signer(tmp_path, "treasurer")
    with pytest.raises(AtelierError, match="no account 'nobody'"):
        load_signer(tmp_path, "nobody")
    monkeypatch.delenv("ATELIER_PASSPHRASE")
    asked: list[str] = []
    signer = load_signer(tmp_path, "treasurer", lambda who: asked.append(who) or
                         "correct horse battery")
    assert asked == ["treasurer"]
    assert signer.name == "treasurer"


def test_refuses_overwrite_short_passphrase_and_bad_names(tmp_path: Path) -> None:
    create_account(tmp_path, "treasurer", "correct horse battery")
    before = (tmp_path / "treasurer.json").read_bytes()
    with pytest.raises(AtelierError, match="already exists"):
        create_account(tmp_path, "treasurer", "another passphrase")
    assert (tmp_path / "treasurer.json").read_bytes() == before
    with pytest.raises(AtelierError, match="at least 8 characters"):
        create_account(tmp_path, "short", "abc")
    with pytest.raises(AtelierError, match="is not an account name"):
        create_account(tmp_path, "../escape", "correct horse battery")


def test_cli_creates_and_lists_keystore_accounts(tmp_path: Path, monkeypatch) -> None:
    config = write_config(tmp_path, '[chain]\nkind = "rpc"\nrpc_url = "http://127.0.0.1:9"\n'
                          'accounts = "keystore"\n')
    monkeypatch.setenv("ATELIER_PASSPHRASE", "correct horse battery")
    created = atelier(config, "accounts", "new", "treasurer")
    assert created.code == 0, created.err
    listed = json.loads(atelier(config, "accounts", "list", "--json").out)
    assert listed["kind"] == "keystore"
    assert list(listed["accounts"]) == ["treasurer"]
    key_file = tmp_path / ".atelier" / "keystore" / "treasurer.json"
    signer = load_signer(key_file.parent, "treasurer")
    assert signer.account.key.hex().removeprefix("0x") not in created.out + json.dumps(listed)
