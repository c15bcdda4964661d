"""Shared fixtures: real chains (the embedded EVM and a real anvil) and a deployed DAO."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from atelier.governance.chain.anvil import find_anvil, running_anvil
from atelier.governance.chain.base import DevChain
from atelier.governance.dao import StudioDAO

from dao_helpers import deploy_test_dao
from postgres_helpers import PostgresServer, running_postgres


@pytest.fixture(params=["embedded", pytest.param("anvil", marks=pytest.mark.anvil)])
def chain(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DevChain]:
    """A fresh local chain of each kind."""
    if request.param == "embedded":
        from atelier.governance.chain.embedded import EmbeddedChain

        with EmbeddedChain.open(tmp_path / "chain.sqlite3") as embedded:
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
def dao(chain: DevChain) -> StudioDAO:
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
