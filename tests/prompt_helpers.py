"""Shared by the prompt-file tests: fixture paths and the pinned tiny file."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "prompts"
SCRIPTWRITER = FIXTURES / "scriptwriter.prompty"
REPO_PROMPTS = Path(__file__).parent.parent / "prompts"

#: A tiny valid prompt file and its pinned hash: if this changes, normalization changed and
#: every approved hash on every chain stops matching. Do not update it casually.
TINY = '---\nname: tiny\nmetadata:\n  version: "1"\n---\nsystem:\nBe brief.\nuser:\nHi.\n'
TINY_HASH = "0x5ec64d63516a9bc1c68fda541ca51f17a4b5671841d6dfca4dd5fab1793e1a9b"
