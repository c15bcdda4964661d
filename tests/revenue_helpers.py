"""A contribution ledger for revenue tests: what ``plan_split`` reads of the store's rows."""

from __future__ import annotations

from dataclasses import dataclass

from atelier.governance.accounts import dev_signer


@dataclass
class Entry:
    id: int
    account: str
    kind: str


def ledger() -> list[Entry]:
    alice, bob, carol = (dev_signer(n).address for n in ("alice", "bob", "carol"))
    kinds = [(alice, "review"), (alice, "review"), (bob, "prompt_rewrite"),
             (carol, "curation_vote"), (carol, "curation_vote"), (carol, "curation_vote")]
    return [Entry(i, a, k) for i, (a, k) in enumerate(kinds, start=1)]
