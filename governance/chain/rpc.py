"""Any JSON-RPC node (anvil, a testnet, an L2, mainnet) behind the ``Chain`` interface.

Raw RPC and transport errors are translated here, in one place, into ``ChainError``s whose
messages say what to do next. URLs are shown without path or query: those often hold API keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from atelier.governance.chain.base import Chain, DevChain
from atelier.kernel.errors import AtelierError, ChainError, ChainUnavailable
from atelier.kernel.redact import scrub

if TYPE_CHECKING:
    from web3 import Web3


def redact_url(url: str) -> str:
    """``https://eth.example/v3/SECRET?k=1`` -> ``https://eth.example``."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


class RpcChain(Chain):
    kind = "rpc"

    def __init__(self, w3: Web3, url: str) -> None:
        self._w3 = w3
        self.url = url

    @property
    def w3(self) -> Web3:
        return self._w3

    @classmethod
    def connect(cls, url: str, *, timeout: float = 30) -> RpcChain:
        """Connect and check the node answers; anvil and hardhat nodes get dev powers."""
        from web3 import HTTPProvider, Web3

        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": timeout}))
        try:
            client = str(w3.client_version).lower()
        except Exception as exc:
            raise translate_chain_exception(exc, url) from None
        if client.startswith(("anvil", "hardhat")):
            return DevRpcChain(w3, url)
        return cls(w3, url)

    def get_logs(
        self,
        *,
        address: str | Sequence[str],
        topics: Sequence[Any] | None = None,
        from_block: int = 0,
        to_block: int | None = None,
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "address": address if isinstance(address, str) else list(address),
            "fromBlock": from_block,
            "toBlock": "latest" if to_block is None else to_block,
        }
        if topics is not None:
            params["topics"] = list(topics)
        return [dict(log) for log in self._w3.eth.get_logs(params)]  # type: ignore[arg-type]


class DevRpcChain(RpcChain, DevChain):
    """anvil (or hardhat): a node whose clock and mining we may drive."""

    def mine(self, timestamp: int | None = None) -> int:
        if timestamp is not None:
            self._w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])  # type: ignore[arg-type]
        self._w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        return int(self._w3.eth.get_block("latest")["timestamp"])

    def advance_time(self, seconds: int) -> int:
        self._w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        return self.mine()


def translate_chain_exception(exc: BaseException, url: str | None = None) -> AtelierError:
    """One place that turns transport and node errors into messages with a next step."""
    import requests
    from web3.exceptions import ProviderConnectionError, Web3RPCError

    where = f" at {redact_url(url)}" if url else ""
    if isinstance(exc, requests.exceptions.Timeout):
        return ChainUnavailable(
            f"the chain node{where} did not answer in time",
            hint="check the node is running and reachable, or raise [chain] request_timeout",
        )
    if isinstance(exc, requests.exceptions.ConnectionError | ProviderConnectionError | OSError):
        return ChainUnavailable(
            f"cannot reach the chain node{where} (connection refused or host unknown)",
            hint="start the node (e.g. anvil) or fix [chain] rpc_url in config.toml",
        )
    if isinstance(exc, Web3RPCError):
        message = exc.rpc_response.get("error", {}).get("message") if exc.rpc_response else None
        return ChainError(
            f"the chain node{where} refused the request: {scrub(str(message or exc), limit=300)}",
            hint="if it mentions funds or nonce, check the sending account on that network",
        )
    return ChainError(f"chain request failed{where}: {scrub(str(exc), limit=300)}")
