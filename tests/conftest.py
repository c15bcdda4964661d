"""Shared fixtures: real chains (the embedded EVM and a real anvil) and a deployed DAO."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from atelier.governance.accounts import dev_signers
from atelier.governance.chain.anvil import find_anvil, running_anvil
from atelier.governance.chain.base import DevChain
from atelier.governance.dao import StudioDAO
from atelier.governance.deploy import Deployment

from dao_helpers import deploy_test_dao
from postgres_helpers import PostgresServer, running_postgres


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks for PostgreSQL is in the postgres tier, wherever it lives."""
    for item in items:
        if {"postgres_server", "postgres_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def deployed_chain_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Deployment]:
    """An embedded chain with the test DAO deployed, built once: tests get copies."""
    from atelier.governance.chain.embedded import EmbeddedChain

    path = tmp_path_factory.mktemp("deployed") / "chain.sqlite3"
    with EmbeddedChain.open(path) as embedded:
        deployment = deploy_test_dao(embedded).deployment
    return path, deployment


@pytest.fixture(params=["embedded", pytest.param("anvil", marks=pytest.mark.anvil)])
def chain(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DevChain]:
    """A fresh local chain of each kind (for a test that asks for ``dao`` too, an embedded
    chain with the DAO already on it)."""
    if request.param == "embedded":
        from atelier.governance.chain.embedded import EmbeddedChain

        path = tmp_path / "chain.sqlite3"
        if "dao" in request.fixturenames:
            shutil.copyfile(request.getfixturevalue("deployed_chain_file")[0], path)
        with EmbeddedChain.open(path) as embedded:
            yield embedded
        return
    if find_anvil() is None:
        pytest.fail("anvil is missing: run `npm ci` in governance/ (.ci/run does)")
    from atelier.governance.chain.rpc import RpcChain

    with running_anvil() as url:
        rpc = RpcChain.connect(url)
        assert isinstance(rpc, DevChain)
        yield rpc


@pytest.fixture
def dao(request: pytest.FixtureRequest, chain: DevChain) -> StudioDAO:
    """The test DAO on ``chain``: deployed there (anvil), or copied with the chain file."""
    if chain.kind == "embedded":
        deployment = request.getfixturevalue("deployed_chain_file")[1]
        return StudioDAO(chain, deployment,
                         names={s.address: n for n, s in dev_signers().items()})
    return deploy_test_dao(chain)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the whole session (skips if not installed)."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """A postgresql:// URL of a database on the session's throwaway server."""
    return postgres_server.create_database("atelier")
