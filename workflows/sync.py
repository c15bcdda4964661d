"""``sync_governance``: what to make and with which prompts comes from the chain.

Runs at the start and after every audit: reads the goal and the approved prompt hashes,
makes sure each approved version is in the workspace's prompt store (recovering texts that
proposals carried), and says so when a working prompt file differs from what runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph.runtime import Runtime

from atelier.agents import AGENTS
from atelier.workflows.context import RunContext, WorkflowError, emit
from atelier.workflows.state import RunState

if TYPE_CHECKING:
    from atelier.governance.dao import StudioDAO
    from atelier.governance.goals import Goal
    from atelier.studio import Studio

ZERO_HASH = b"\0" * 32


def sync_governance(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    from atelier.agents.prompt_store import PromptStore
    from atelier.prompt_proposals import recover_from_proposals

    studio = runtime.context.get_studio()
    store = PromptStore(studio.workspace.prompt_store_dir)
    with studio.session() as dao:
        goal = _active_goal(dao, state["goal_id"])
        approved = {agent: dao.approved_prompt(agent)[0] for agent in AGENTS}
        unapproved = [agent for agent, digest in approved.items() if digest == ZERO_HASH]
        if unapproved:
            raise WorkflowError(
                f"no approved prompt yet for: {', '.join(unapproved)}",
                hint="propose the prompt files (`atelier prompts propose "
                f"{' '.join(unapproved)}`) and have the members approve them",
            )
        if not all(store.has(digest) for digest in approved.values()):
            recover_from_proposals(studio, dao)
        goal_proposal = _goal_proposal(dao, goal)
    missing = [agent for agent, digest in approved.items() if not store.has(digest)]
    if missing:
        raise WorkflowError(
            f"the approved prompt text of {', '.join(missing)} is not in this workspace and "
            "no proposal on the chain carries it",
            hint="copy the approved file into prompts/ (its hash must match) and run "
            "`atelier prompts list` to store it, then resume",
        )
    prompts = {agent: "0x" + digest.hex() for agent, digest in approved.items()}
    notices = _drafts_that_do_not_run(studio, prompts)
    for notice in notices:
        emit("notice", text=notice)
    emit("governance", goal=goal.id, prompts=prompts)
    proposal_ids = list(state.get("proposal_ids") or [])
    if goal_proposal is not None and goal_proposal not in proposal_ids:
        proposal_ids.insert(0, goal_proposal)
    spec = goal.spec
    assert spec is not None  # _active_goal refuses goals without their text
    return {
        "goal": spec.model_dump(),
        "audit_every": goal.audit_every,
        "prompts": prompts,
        "proposal_ids": proposal_ids,
        "notices": notices,
        "episode": state.get("episode") or 1,
    }


def _active_goal(dao: StudioDAO, goal_id: int) -> Goal:
    goal = dao.goal(goal_id)
    if not goal.active:
        raise WorkflowError(f"goal {goal_id} is not active",
                            hint="`atelier goal list` shows the active goals")
    if goal.spec is None:
        raise WorkflowError(
            f"goal {goal_id}'s text is not in any proposal on this chain",
            hint="goals are created by `atelier goal propose`, whose proposal carries the text",
        )
    return goal


def _goal_proposal(dao: StudioDAO, goal: Goal) -> str | None:
    """The number of the proposal that created the goal (provenance of everything made)."""
    from atelier.governance.goals import GoalSpec

    for proposal in dao.proposals():
        spec = GoalSpec.from_description(proposal.description)
        if spec is not None and spec.content_hash == goal.content_hash:
            return str(proposal.number)
    return None


def changed_drafts(studio: Studio, prompts: dict[str, str]) -> dict[str, Path]:
    """agent -> its working prompt file, where that file differs from the approved hash."""
    from atelier.agents.prompt_file import prompt_hash

    drafts = {}
    for agent, approved in prompts.items():
        path = studio.working_prompt_path(agent)
        if path.exists() and "0x" + prompt_hash(path.read_bytes()).hex() != approved:
            drafts[agent] = path
    return drafts


def _drafts_that_do_not_run(studio: Studio, prompts: dict[str, str]) -> list[str]:
    """A working file that differs from the approved version never runs silently."""
    return [
        f"{path} differs from the approved {agent} prompt; this run uses the approved version "
        f"{prompts[agent][:14]}… (the draft goes to the next audit, or "
        f"`atelier prompts propose {agent}`)"
        for agent, path in changed_drafts(studio, prompts).items()
    ]
