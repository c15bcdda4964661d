"""Prompt texts inside proposal descriptions: how a prompt version travels with its vote.

A proposal that sets a prompt hash carries the full text in a fenced block, so members read
what they approve in any Governor UI, and any workspace can recover the text from the chain
(checked against the hash) instead of trusting a file copied by hand.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from atelier.agents.prompt_file import PromptFile
    from atelier.agents.prompt_store import PromptStore
    from atelier.governance.dao import StudioDAO

_PROMPT_BLOCK = re.compile(r"````prompty agent=([a-z_]+) hash=(0x[0-9a-f]{64})\n(.*?)\n````",
                           re.DOTALL)


def prompt_texts_in(description: str) -> dict[str, tuple[bytes, str]]:
    """Prompt files carried in a proposal description: agent -> (hash, text)."""
    return {agent: (bytes.fromhex(digest[2:]), text + "\n")
            for agent, digest, text in _PROMPT_BLOCK.findall(description)}


def proposal_description(changes: dict[str, tuple[PromptFile, str | None]], note: str) -> str:
    """Markdown readable in any Governor UI: why, the diff, and each full new text."""
    lines = [f"# Prompt update: {', '.join(changes)}", ""]
    if note:
        lines += [note, ""]
    return "\n".join(lines + prompt_sections(changes)) + "\n" + prompt_compliance(changes, note)


def prompt_compliance(changes: dict[str, tuple[PromptFile, str | None]], note: str) -> str:
    """The ethics committee's findings on a person's prompt proposal: the note and each new
    prompt text (no model call produced them)."""
    from atelier.kernel.compliance import check_texts, section

    findings = check_texts([("the note", note)])
    findings += check_texts([(f"the proposed {agent} prompt", prompt.normalized_text)
                             for agent, (prompt, _) in changes.items()], prompt_file=True)
    return section(findings, ["the note and the full text of each proposed prompt"], None,
                   no_model="None: a person wrote these prompt files; no model call produced "
                   "them.")


def prompt_sections(changes: dict[str, tuple[PromptFile, str | None]]) -> list[str]:
    """Per agent: the new hash, the diff against the approved text, the full new text."""
    lines: list[str] = []
    for agent, (prompt, old_text) in changes.items():
        lines += [f"## {agent}: {prompt.hash_hex}", ""]
        if old_text is not None:
            diff = difflib.unified_diff(old_text.splitlines(), prompt.normalized_text.splitlines(),
                                        "approved", "proposed", lineterm="")
            lines += ["```diff", *diff, "```", ""]
        lines += [f"````prompty agent={agent} hash={prompt.hash_hex}",
                  prompt.normalized_text.rstrip("\n"), "````", ""]
    return lines


def recover_from_proposals(store: PromptStore, dao: StudioDAO,
                           wanted: Iterable[bytes] | None = None) -> int:
    """Store prompt texts carried by proposals (from any machine) whose hash checks out:
    those of the ``wanted`` hashes, or every one. Returns how many were added."""
    from atelier.agents.prompt_file import prompt_hash

    if wanted is None:
        proposals = dao.proposals()
    else:  # only the proposals that carry one of them: a lookup, not a scan of history
        found = {p.number: p for digest in wanted
                 for p in dao.proposals_carrying(f"hash=0x{digest.hex()}")}
        proposals = [found[n] for n in sorted(found)]
    added = 0
    for proposal in proposals:
        for _agent_name, (digest, text) in prompt_texts_in(proposal.description).items():
            if not store.has(digest) and prompt_hash(text.encode("utf-8")) == digest:
                store.put(text)
                added += 1
    return added
