"""Turn raw revert data into words: Solidity custom errors of every Atelier contract,
``Error(string)`` and ``Panic(uint256)``, decoded against the shipped ABIs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from atelier.governance.artifacts import abi

_ALL_CONTRACTS = ("Reputation", "TimelockController", "StudioGovernor", "StudioRegistry",
                  "ProvenanceRegistry", "RevenueSplits", "StudioReleases")


@dataclass(frozen=True)
class DecodedRevert:
    name: str
    args: tuple[Any, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(map(_show, self.args))})"


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _type_of(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_type_of(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return param["type"]


@cache
def _error_table() -> dict[bytes, tuple[str, list[str]]]:
    table: dict[bytes, tuple[str, list[str]]] = {
        function_signature_to_4byte_selector("Error(string)"): ("Error", ["string"]),
        function_signature_to_4byte_selector("Panic(uint256)"): ("Panic", ["uint256"]),
    }
    for contract in _ALL_CONTRACTS:
        for item in abi(contract):
            if item["type"] != "error":
                continue
            types = [_type_of(p) for p in item["inputs"]]
            selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
            table[selector] = (item["name"], types)
    return table


def decode_revert(data: str | bytes | None) -> DecodedRevert | None:
    """The error behind revert ``data`` (hex or bytes), or None if unknown or empty."""
    if isinstance(data, str):
        data = bytes.fromhex(data.removeprefix("0x")) if _is_hex(data) else b""
    if not data or len(data) < 4:
        return None
    entry = _error_table().get(data[:4])
    if entry is None:
        return None
    name, types = entry
    try:
        values = abi_decode(types, data[4:])
    except Exception:  # malformed payload: still report the name
        return DecodedRevert(name, ())
    args = tuple(
        to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True)
    )
    return DecodedRevert(name, args)


def _is_hex(text: str) -> bool:
    body = text.removeprefix("0x")
    return len(body) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in body)
