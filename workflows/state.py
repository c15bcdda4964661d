"""The production run's state: what flows between the graph's nodes and is checkpointed.

Everything here is plain JSON (dicts of pydantic dumps), so the checkpointer, LangGraph's
server and a process started tomorrow all read the same state. Files live on disk; the
state holds where they are (relative to the workspace's assets folder) and what made them.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

# pydantic (LangGraph's JSON schemas of the graph's input and output) needs this TypedDict
# on Python < 3.12.
from typing_extensions import TypedDict


def merge(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer for keyed results written by concurrent branches (one per character)."""
    return {**(left or {}), **(right or {})}


def produced(left: list[dict[str, Any]] | None, right: list[dict[str, Any]] | None
             ) -> list[dict[str, Any]]:
    """Reducer for files awaiting publication; ``[]`` written alone (publish) clears it."""
    if right == []:
        return []
    return [*(left or []), *(right or [])]


class RunInput(TypedDict):
    run_id: int
    goal_id: int
    episodes: int  # how many episodes this run makes (at most the goal's)


class ProducedFile(TypedDict, total=False):
    """A file a node wrote, with what made it; ``publish`` records it as an asset."""

    kind: str
    path: str  # relative to the workspace's assets folder, posix
    episode: int | None
    agent: str | None
    prompt_hash: str | None
    provider: str | None
    model: str | None
    model_sha256: str | None  # the local model file's sha256; None for a served model
    params: dict[str, Any]
    seed: int | None


class RunState(TypedDict, total=False):
    run_id: int
    goal_id: int
    episodes: int
    goal: dict[str, Any]  # the approved GoalSpec
    audit_every: int
    #: agent -> 0x hash of the approved prompt version in force (read from the chain).
    prompts: dict[str, str]
    #: Proposals that govern what is made now: the goal's, then each executed audit's.
    proposal_ids: list[str]
    notices: Annotated[list[str], operator.add]
    bible: dict[str, Any] | None
    episode: int  # the episode being made, 1-based
    summaries: list[str]  # of finished episodes, fed to the scriptwriter
    #: The episode's outline variants (EpisodeOutline dumps); one when curation is off.
    outlines: list[dict[str, Any]] | None
    outline: dict[str, Any] | None  # the one being produced (the members' pick)
    script: dict[str, Any] | None
    #: character id -> {"sheet": CharacterSheet dump, "designed_from": bible fingerprint}
    sheets: Annotated[dict[str, Any], merge]
    layout: dict[str, Any] | None  # {"plan": LayoutPlan dump, "pages": [Page as dict]}
    findings: list[str]  # review findings of the current episode
    files: Annotated[list[ProducedFile], produced]
    audits: int  # audit checkpoints reached so far


class DesignTask(TypedDict):
    """One fan-out branch: a sheet for one new or changed character."""

    run_id: int
    episode: int
    character: dict[str, Any]
    appearances: list[str]
    bible: dict[str, Any]
    prompts: dict[str, str]


class RunOutput(TypedDict, total=False):
    run_id: int
    episode: int
    prompts: dict[str, str]
    notices: list[str]
