"""``sync_governance``: what to make and with which prompts comes from the chain.

Runs at the start and after every audit: reads the goal and the approved prompt hashes,
makes sure each approved version is in the workspace's prompt store (recovering texts that
proposals carried), and says so when a working prompt file differs from what runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from atelier.agents import AGENTS
from atelier.workflows.context import RunContext, StudioServices, WorkflowError, emit
from atelier.workflows.state import RunState

ZERO_HASH = b"\0" * 32


def sync_governance(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    from atelier.governance.dao import GoalUnavailable
    from atelier.workflows.prompt_versions import recover_from_proposals

    studio = runtime.context.get_studio()
    runs = runtime.context.get_store()
    if runs.run(state["run_id"]).status == "created":  # a run LangGraph's server starts
        runs.update_run(state["run_id"], status="running", message="")
    store = studio.prompt_store
    with studio.session() as dao:
        try:
            goal = dao.active_goal(state["goal_id"])
        except GoalUnavailable as exc:
            raise WorkflowError(exc.message, hint=exc.hint) from None
        approved = dao.approved_prompts(AGENTS)
        unapproved = [agent for agent, digest in approved.items() if digest == ZERO_HASH]
        if unapproved:
            raise WorkflowError(
                f"no approved prompt yet for: {', '.join(unapproved)}",
                hint="propose the prompt files (`atelier prompts propose "
                f"{' '.join(unapproved)}`) and have the members approve them",
            )
        wanted = [digest for digest in approved.values() if not store.has(digest)]
        if wanted:
            recover_from_proposals(store, dao, wanted)
    missing = [agent for agent, digest in approved.items() if not store.has(digest)]
    if missing:
        raise WorkflowError(
            f"the approved prompt text of {', '.join(missing)} is not in this workspace and "
            "no proposal on the chain carries it",
            hint="copy the approved file into prompts/ (its hash must match) and run "
            "`atelier prompts list` to store it, then resume",
        )
    prompts = {agent: "0x" + digest.hex() for agent, digest in approved.items()}
    notices = _fast_forward(studio, state.get("prompts") or {}, prompts)
    notices += _drafts_that_do_not_run(studio, prompts)
    for notice in notices:
        emit("notice", text=notice)
    emit("governance", goal=goal.id, prompts=prompts)
    proposal_ids = list(state.get("proposal_ids") or [])
    if goal.proposal is not None and str(goal.proposal) not in proposal_ids:
        proposal_ids.insert(0, str(goal.proposal))
    spec = goal.spec
    assert spec is not None  # active_goal refuses goals without their text
    return {
        "goal": spec.model_dump(),
        "audit_every": goal.audit_every,
        "prompts": prompts,
        "proposal_ids": proposal_ids,
        "notices": notices,
        "episode": state.get("episode") or 1,
    }


def changed_drafts(studio: StudioServices, prompts: dict[str, str]) -> dict[str, Path]:
    """agent -> its working prompt file, where that file differs from the approved hash."""
    from atelier.agents.prompt_file import prompt_hash

    drafts = {}
    for agent, approved in prompts.items():
        path = studio.working_prompt_path(agent)
        if path.exists() and "0x" + prompt_hash(path.read_bytes()).hex() != approved:
            drafts[agent] = path
    return drafts


def _fast_forward(studio: StudioServices, before: dict[str, str], prompts: dict[str, str]
                  ) -> list[str]:
    """A working file still holding the version that ran before the members approved a
    rewrite nobody typed into it (the editor's) is brought up to the approved text, so the
    next audit does not offer to undo the approval. A file with edits of its own is left."""
    from atelier.agents.prompt_file import prompt_hash

    notices = []
    for agent, path in changed_drafts(studio, prompts).items():
        old = before.get(agent)
        if old is None or old == prompts[agent]:
            continue
        if "0x" + prompt_hash(path.read_bytes()).hex() != old:
            continue  # someone edited it: their draft, not ours to overwrite
        text = studio.prompt_store.get(bytes.fromhex(prompts[agent][2:])).normalized_text
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        notices.append(f"{path} now holds the approved {agent} prompt {prompts[agent][:14]}… "
                       "(a rewrite the members approved)")
    return notices


def _drafts_that_do_not_run(studio: StudioServices, prompts: dict[str, str]) -> list[str]:
    """A working file that differs from the approved version never runs silently."""
    return [
        f"{path} differs from the approved {agent} prompt; this run uses the approved version "
        f"{prompts[agent][:14]}… (the draft goes to the next audit, or "
        f"`atelier prompts propose {agent}`)"
        for agent, path in changed_drafts(studio, prompts).items()
    ]
