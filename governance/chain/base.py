"""What every chain backend offers, and the extra powers only local dev chains have.

The split follows ape's provider design: code that must work on a real network uses
``Chain`` only; ``DevChain`` (mine, move time) exists on the embedded EVM and anvil.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web3 import Web3


class Chain(ABC):
    """A connection to one EVM chain, opened for the length of one command."""

    #: "embedded" or "rpc"; shown by `atelier chain status`.
    kind: str

    @property
    @abstractmethod
    def w3(self) -> Web3:
        """A web3 instance bound to this chain. Send only raw signed transactions."""

    @abstractmethod
    def get_logs(
        self,
        *,
        address: str | Sequence[str],
        topics: Sequence[Any] | None = None,
        from_block: int = 0,
        to_block: int | None = None,
    ) -> list[dict[str, Any]]:
        """Logs like ``eth_getLogs`` (each with ``address``, ``topics``, ``data``,
        ``blockNumber``, ``transactionHash``, ``logIndex``), in chain order."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the chain; the embedded chain persists its state here."""

    def __enter__(self) -> Chain:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class DevChain(Chain):
    """A local chain whose clock and blocks we control (embedded EVM, anvil)."""

    @abstractmethod
    def mine(self, timestamp: int | None = None) -> int:
        """Mine an empty block (at ``timestamp`` if given) and return its timestamp."""

    @abstractmethod
    def advance_time(self, seconds: int) -> int:
        """Move the chain clock forward by ``seconds`` and mine a block there; return its
        timestamp. Later blocks keep following the wall clock plus this offset."""
