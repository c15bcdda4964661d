"""config.toml errors: one clear line naming file, key and value; exit code 2; no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.config import Config, load_config
from atelier.kernel.errors import ConfigError

from cli_helpers import atelier

REPO_CONFIG = Path(__file__).resolve().parents[1] / "config.toml"


def test_the_shipped_config_is_valid_and_matches_the_defaults() -> None:
    assert load_config(REPO_CONFIG) == Config()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[chain]\nrpc_ulr = 'http://x'\n",
         "unknown key [chain] rpc_ulr; did you mean 'rpc_url'?"),
        ("[chain]\nkind = 'rpc'\nrpc_url = 'htp://127.0.0.1:8545'\n",
         "[chain] rpc_url = 'htp://127.0.0.1:8545': URL scheme should be 'http' or 'https'"),
        ("[chain]\nkind = 'rpc'\n", "[chain]: kind = 'rpc' needs rpc_url"),
        ("[chain]\nkind = 'solana'\n", "[chain] kind = 'solana': Input should be 'embedded' or"),
        ("[governance]\nvoting_period = '-1d'\n",
         "[governance] voting_period = '-1d': a duration cannot be negative"),
        ("[governance]\ntimelock_delay = 'soon'\n",
         "[governance] timelock_delay = 'soon': 'soon' is not a duration"),
        ("[governance]\nquorum_percent = 'many'\n",
         "[governance] quorum_percent = 'many': Input should be a valid integer"),
        ("[governance]\nquorum_percent = 150\n",
         "[governance] quorum_percent = 150: Input should be less than or equal to 100"),
        ("[members]\nalice = -5\n", "[members] alice = -5: Input should be greater than 0"),
        ("colour = 'blue'\n", "unknown key colour"),
        ("[models]\nprovider = 'scripted'\n",
         "[models] provider = 'scripted': unknown provider 'scripted'; use local, openai, "
         "ollama, or name the module that provides it in [models] plugins"),
        ("[agents.layout]\nprovider = 'mine'\n",
         "[agents.layout] provider = 'mine': unknown provider 'mine'"),
        ("[chain\nkind = 'rpc'\n", "invalid TOML: Expected ']' at the end of a table"),
    ],
)
def test_each_mistake_names_file_key_and_value(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(path) in raised.value.message
    assert expected in raised.value.message


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes("[studio]\nname = 'Caf\xe9'\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(latin)


def test_cli_reports_config_errors_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[governance]\nvoting_delay = '-3m'\n", encoding="utf-8")
    result = atelier(path, "dao", "status")
    assert result.code == 2
    first_line = result.err.splitlines()[0]
    assert first_line.startswith(f"error: {path}: [governance] voting_delay = '-3m'")
    assert "Traceback" not in result.err + result.out
    missing = atelier(tmp_path / "absent.toml", "chain", "status")
    assert missing.code == 2
    assert "config file not found" in missing.err


@pytest.mark.parametrize("url", [
    "ftp://user:hunter2pw@node.example/v2/KEYinPATH123?apikey=KEYinQUERY",
    "http://user:hunter2pw@node.example:8545/v2/KEYinPATH123?apikey=KEYinQUERY&x=",
])
def test_a_bad_url_is_named_without_its_secrets(tmp_path: Path, url: str) -> None:
    """Hosted nodes put API keys in the URL's path or query, some a user and password: an
    error about the URL names its host and never echoes them."""
    path = tmp_path / "config.toml"
    body = f'[chain]\nkind = "rpc"\nrpc_url = "{url}"\n'
    if url.startswith("http:"):
        body += 'request_timeout = "soon"\n[models]\nprovider = "openai"\n[models.openai]\n'
        body += f'base_url = "{url.replace("http:", "gopher:")}"\n'
    path.write_text(body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert "node.example" in text
    for secret in ("hunter2pw", "KEYinPATH123", "KEYinQUERY"):
        assert secret not in text
