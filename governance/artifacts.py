"""Compiled contract artifacts (ABI + bytecode) shipped in the package, so users need no Node."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

#: The contracts an Atelier DAO is made of (the reference ones exist only for benchmarks).
DAO_CONTRACTS = ("Reputation", "TimelockController", "StudioGovernor", "StudioRegistry",
                 "ProvenanceRegistry")


@cache
def load_artifact(name: str) -> dict[str, Any]:
    """The artifact JSON written by ``governance/build.mjs`` for contract ``name``."""
    path = resources.files("atelier.governance") / "artifacts" / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuntimeError(
            f"contract artifact {name}.json is missing from the installed package; "
            "reinstall atelier or rebuild with `npm run build` in governance/"
        ) from None


def abi(name: str) -> list[dict[str, Any]]:
    return load_artifact(name)["abi"]


def bytecode(name: str) -> str:
    return load_artifact(name)["bytecode"]
