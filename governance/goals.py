"""Production goals: what the studio should make, with what budget, and how often to audit.

The full goal text travels in the proposal description (readable in any Governor UI); the
registry stores its keccak256 content hash, so anyone can check the text that was approved.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated

from eth_utils import keccak
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from atelier.kernel.compliance import check_texts, secret_spans, section

_GOAL_BLOCK = re.compile(r"```json atelier-goal\n(.*?)\n```", re.DOTALL)


class GoalSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[str, Field(min_length=1, max_length=120)]
    brief: Annotated[str, Field(max_length=4000)] = ""
    format: Annotated[str, Field(max_length=40)] = "serialized comic"
    episodes: Annotated[int, Field(ge=1, le=1000)] = 2
    audit_every: Annotated[int, Field(ge=1, le=1000)] = 1
    #: A uint256 on-chain; bounded far below that, at what a uint64 holds.
    token_budget: Annotated[int, Field(ge=0, le=2**64 - 1)] = 200_000

    @field_validator("title")
    @classmethod
    def _title_has_words(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a title needs more than spaces")
        return value

    @field_validator("title", "brief")
    @classmethod
    def _no_secret(cls, value: str) -> str:
        # The text goes on-chain for good (description and hashed JSON): a key pasted by
        # mistake is refused here rather than flagged after it is public.
        secrets = secret_spans(value)
        if secrets:
            raise ValueError(f"holds what looks like a secret ({secrets[0].masked(value)}): "
                             "a proposal is public and permanent; remove it")
        return value

    @model_validator(mode="after")
    def _audit_within_run(self) -> GoalSpec:
        if self.audit_every > self.episodes:
            raise ValueError(
                f"audit_every ({self.audit_every}) cannot exceed episodes ({self.episodes})"
            )
        return self

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":"))

    @property
    def content_hash(self) -> bytes:
        return keccak(text=self.canonical_json())

    def description(self) -> str:
        """The proposal description: a readable summary plus the exact hashed document."""
        return (
            f"# Goal: {self.title}\n\n"
            f"{self.brief}\n\n"
            f"- format: {self.format}\n- episodes: {self.episodes}\n"
            f"- audit every {self.audit_every} episode(s)\n- token budget: {self.token_budget}\n\n"
            f"```json atelier-goal\n{self.canonical_json()}\n```\n\n"
            + self.compliance_section()
        )

    def compliance_section(self) -> str:
        """The ethics committee's findings on the goal's own texts (a member wrote them)."""
        findings = check_texts([("the title", self.title), ("the brief", self.brief)])
        return section(findings, ["the goal's title and brief"], None,
                       no_model="None: a member wrote this goal; no model call produced it.")

    @classmethod
    def from_description(cls, description: str) -> GoalSpec | None:
        match = _GOAL_BLOCK.search(description)
        if not match:
            return None
        try:
            return cls.model_validate_json(match.group(1))
        except ValueError:
            return None


@dataclass(frozen=True)
class Goal:
    """A goal as stored on-chain (registry), with its text and the number of the proposal
    that carried it (None when no proposal on this chain does)."""

    id: int
    content_hash: bytes
    episodes: int
    audit_every: int
    token_budget: int
    active: bool
    spec: GoalSpec | None = None
    proposal: int | None = None
