"""Secrets stay secret: the main commands, with a keystore account, an RPC URL that carries an
API key in its path and its query, and an OpenAI key in the environment, against endpoints
that do not answer. No output and no workspace file holds the passphrase, the private key,
the URL's keys or the API key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from cli_helpers import atelier, write_config

PASSPHRASE = "correct horse battery staple 42"
PATH_KEY = "pathkey0123456789abcdef"
QUERY_KEY = "querykey9876543210fedcba"
API_KEY = "sk-testkey-0123456789abcdefghij"


@pytest.mark.anvil
def test_no_secret_reaches_an_output_or_a_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    config = write_config(tmp_path, f'''
[chain]
kind = "rpc"
rpc_url = "http://127.0.0.1:9/v2/{PATH_KEY}?apikey={QUERY_KEY}"
accounts = "keystore"
request_timeout = "2s"

[models]
provider = "openai"

[models.openai]
base_url = "http://127.0.0.1:9/v1"
model = "gpt-test"
api_key_env = "OPENAI_API_KEY"

[workflow]
operator = "treasurer"
''')
    outputs = []
    deployed = _deployed_then_unreachable(tmp_path / "deployed", monkeypatch)
    for args in (("chain", "status"), ("dao", "status"), ("proposals", "list"),
                 ("goal", "propose", "--title", "T", "--brief", "B", "--as", "alice"),
                 ("vote", "1", "for", "--as", "alice"), ("run", "start"), ("members", "list")):
        result = atelier(deployed, *args)
        assert result.code != 0 and "Traceback" not in result.err, (args, result.err)
        outputs.append(result.out + result.err)
    for args in (("accounts", "new", "treasurer"), ("accounts", "list", "--json"),
                 ("chain", "status"), ("dao", "status"), ("init",), ("proposals", "list"),
                 ("goal", "propose", "--title", "T", "--brief", "B", "--as", "treasurer"),
                 ("vote", "1", "for", "--as", "treasurer"), ("run", "start"),
                 ("run", "list"), ("members", "list")):
        result = atelier(config, *args)
        assert "Traceback" not in result.err, (args, result.err)
        outputs.append(result.out + result.err)
    keystore = tmp_path / ".atelier" / "keystore" / "treasurer.json"
    key = Account.decrypt(json.loads(keystore.read_text()), PASSPHRASE).hex().removeprefix("0x")
    secrets = [PASSPHRASE, key, PATH_KEY, QUERY_KEY, API_KEY]
    assert "cannot reach the chain node" in "\n".join(outputs)  # they did try the node
    for text in outputs:
        for secret in secrets:
            assert secret not in text
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "config.toml":  # the operator's own file
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, (path, secret[:6])


def _deployed_then_unreachable(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A studio deployed on a real anvil, whose node then goes away, its config now naming an
    RPC URL with keys in it (a hosted node's usual form)."""
    from atelier.governance.chain.anvil import running_anvil

    folder.mkdir()
    with running_anvil() as url:
        config = write_config(folder, f'\n[chain]\nkind = "rpc"\nrpc_url = "{url}"\n')
        result = atelier(config, "init")
        assert result.code == 0, result.err
    text = config.read_text().replace(
        f'rpc_url = "{url}"',
        f'rpc_url = "http://127.0.0.1:9/v2/{PATH_KEY}?apikey={QUERY_KEY}"\n'
        'request_timeout = "2s"')
    config.write_text(text)
    return config
