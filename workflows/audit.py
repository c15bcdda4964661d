"""Audit checkpoints: a report of how the agents did, and one proposal to keep or rewrite them.

Every K episodes (K from the on-chain goal) the run writes an ``AuditReport`` — per agent:
calls, retries, failures, tokens, latency, prompt version; the review findings; pending
prompt rewrites with diffs — and opens **one** proposal: its description is the report plus
the full text of each proposed prompt, its calldata records the report's hash and sets the
new prompt hashes. Then the run pauses (``interrupt``) until the members have decided.

The audit row is stored before the proposal is opened and the proposal is idempotent, so a
checkpoint that runs again after a crash reuses both.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_utils import keccak
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from atelier.agents import AGENTS
from atelier.workflows.context import RunContext, StudioServices, WorkflowError, emit
from atelier.workflows.state import RunState
from atelier.workflows.sync import changed_drafts

if TYPE_CHECKING:
    from atelier.agents.prompt_file import PromptFile
    from atelier.governance.proposals import Proposal
    from atelier.store.database import Store
    from atelier.store.models import Audit, ModelCall, Run


@dataclass(frozen=True)
class AgentStats:
    agent: str
    prompt_hashes: tuple[str, ...]
    calls: int
    retries: int
    failures: int
    tokens: int
    median_latency_s: float

    @classmethod
    def of(cls, agent: str, calls: list[ModelCall]) -> AgentStats:
        mine = [c for c in calls if c.agent == agent]
        latencies = [c.latency_ms / 1000 for c in mine]
        return cls(
            agent=agent,
            prompt_hashes=tuple(dict.fromkeys(c.prompt_hash for c in mine)),
            calls=len(mine),
            retries=sum(max(c.attempts - 1, 0) for c in mine),
            failures=sum(c.outcome != "ok" for c in mine),
            tokens=sum(c.prompt_tokens + c.completion_tokens for c in mine),
            median_latency_s=round(statistics.median(latencies), 2) if latencies else 0.0,
        )


@dataclass(frozen=True)
class PromptRewrite:
    agent: str
    approved_hash: str
    proposed: PromptFile
    approved_text: str | None


@dataclass(frozen=True)
class AuditReport:
    run_id: int
    index: int
    revision: int
    goal_id: int
    goal_title: str
    episodes: tuple[int, int]  # first and last episode covered
    token_budget: int
    tokens_used: int  # the whole run so far
    agents: tuple[AgentStats, ...]
    findings: dict[int, list[str]]  # episode -> review findings
    rewrites: tuple[PromptRewrite, ...] = field(default=())

    def markdown(self) -> str:
        first, last = self.episodes
        covered = f"episode {first}" if first == last else f"episodes {first} to {last}"
        revision = f" (revision {self.revision})" if self.revision > 1 else ""
        lines = [
            f"# Audit {self.index} of run {self.run_id}{revision}: {self.goal_title}", "",
            f"Goal {self.goal_id}, after {covered}. Tokens used by the run so far: "
            f"{self.tokens_used:,} of a budget of {self.token_budget:,}.", "",
            "Vote **for** to record this report and approve the prompt rewrites below; "
            "**against** to keep the current prompts (the run stays paused until a "
            "revised audit passes).", "",
            "## Agents", "",
            "| agent | prompt | calls | retries | failures | tokens | median latency |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for s in self.agents:
            hashes = ", ".join(h[:10] + "…" for h in s.prompt_hashes) or "-"
            lines.append(f"| {s.agent} | {hashes} | {s.calls} | {s.retries} | {s.failures} | "
                         f"{s.tokens:,} | {s.median_latency_s:.2f} s |")
        lines += ["", "## Review findings", ""]
        if not any(self.findings.values()):
            lines.append("None.")
        for episode, found in sorted(self.findings.items()):
            lines += [f"- episode {episode}: {item}" for item in found]
        lines += ["", "## Member ratings", "", "None recorded.", "", "## Prompt rewrites", ""]
        if not self.rewrites:
            lines.append("None proposed: the current prompts stay.")
        return "\n".join(lines) + "\n"

    def description(self) -> str:
        """The proposal description: the report, then each proposed prompt in full."""
        from atelier.workflows.prompt_versions import prompt_sections

        changes = {r.agent: (r.proposed, r.approved_text) for r in self.rewrites}
        return self.markdown() + "\n".join(prompt_sections(changes))


def waiting_audit(store: Store, run_id: int, values: RunState | dict[str, Any]
                  ) -> tuple[int, Audit | None]:
    """The audit checkpoint a run is at (or waits on), from its graph state: its index and
    its latest revision in the store (None before it is recorded)."""
    index = (values.get("audits") or 0) + 1
    return index, store.latest_audit(run_id, index)


def run_key(run: Run) -> bytes:
    """The run's id on the chain: unique across workspaces that share a registry."""
    return keccak(text=f"atelier-run:{run.id}:{run.created_at.isoformat()}")


def pending_rewrites(studio: StudioServices, approved: dict[str, str]) -> list[PromptRewrite]:
    """Working prompt files that differ from the approved versions: the drafts an audit
    carries to the members. A broken draft stops the audit with the loader's message."""
    from atelier.agents.prompt_file import load_prompt

    store = studio.prompt_store
    rewrites = []
    for agent, path in changed_drafts(studio, approved).items():
        working = load_prompt(path)
        digest = bytes.fromhex(approved[agent][2:])
        old = store.get(digest).normalized_text if store.has(digest) else None
        rewrites.append(PromptRewrite(agent, approved[agent], working, old))
    return rewrites


def build_report(store: Store, run: Run, state: RunState, index: int, revision: int,
                 rewrites: list[PromptRewrite]) -> AuditReport:
    previous = store.latest_audit(run.id, index - 1) if index > 1 else None
    first = previous.after_episode + 1 if previous else 1
    last = state["episode"] - 1  # publish has moved on to the next episode
    calls = store.calls(run.id)
    # The series bible (no episode) belongs to the first audit.
    window = [c for c in calls if (first <= c.episode <= last if c.episode is not None
                                   else first == 1)]
    findings = {e.number: list(e.findings) for e in store.episodes(run.id)
                if first <= e.number <= last}
    return AuditReport(
        run_id=run.id, index=index, revision=revision, goal_id=run.goal_id,
        goal_title=run.goal_title, episodes=(first, last),
        token_budget=int(state["goal"].get("token_budget", 0)),
        tokens_used=sum(c.prompt_tokens + c.completion_tokens for c in calls),
        agents=tuple(AgentStats.of(agent, window) for agent in AGENTS),
        findings=findings, rewrites=tuple(rewrites),
    )


def open_audit(studio: StudioServices, store: Store, run: Run, state: RunState, index: int,
               revision: int) -> Audit:
    """Store the audit, then open its proposal (both idempotent)."""
    from atelier.store.models import Audit

    audit = store.latest_audit(run.id, index)
    if audit is None or audit.revision < revision:
        rewrites = pending_rewrites(studio, state["prompts"])
        report = build_report(store, run, state, index, revision, rewrites)
        description = report.description()
        audit = store.put_audit(Audit(
            run_id=run.id, index=index, revision=revision, after_episode=report.episodes[1],
            report_markdown=description, report_hash="0x" + keccak(text=description).hex(),
            proposed_prompts={r.agent: r.proposed.hash_hex for r in rewrites},
        ))
        _store_drafts(studio, rewrites)
    if audit.proposal_id is None:
        proposal = _propose(studio, run, audit)
        audit = store.update_audit(audit.id, proposal_id=str(proposal.id),
                                   proposal_number=proposal.number)
        _record_proposed(studio, audit)
    return audit


def _store_drafts(studio: StudioServices, rewrites: list[PromptRewrite]) -> None:
    prompts = studio.prompt_store
    for rewrite in rewrites:
        prompts.put(rewrite.proposed.normalized_text)


def _record_proposed(studio: StudioServices, audit: Audit) -> None:
    prompts = studio.prompt_store
    for agent, digest in audit.proposed_prompts.items():
        prompts.record(agent, bytes.fromhex(digest[2:]), event="proposed",
                       proposal=str(audit.proposal_number), note=f"audit {audit.index}")


def _propose(studio: StudioServices, run: Run, audit: Audit) -> Proposal:
    signer = studio.operator()
    with studio.session() as dao:
        return dao.propose_audit(
            signer, run_key=run_key(run), index=audit.index,
            report_hash=bytes.fromhex(audit.report_hash[2:]),
            prompt_hashes={agent: bytes.fromhex(digest[2:])
                           for agent, digest in audit.proposed_prompts.items()},
            description=audit.report_markdown,
        )


def audit_checkpoint(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    context = runtime.context
    studio, store = context.get_studio(), context.get_store()
    run = store.run(state["run_id"])
    index, latest = waiting_audit(store, run.id, state)
    audit = open_audit(studio, store, run, state, index, latest.revision if latest else 1)
    final = state["episode"] > state["episodes"]
    if latest is None or latest.proposal_id is None:  # not when resuming after the vote
        from atelier.reader import publish_reader

        # The reader lists the audits; show this one (and its proposal) right away.
        publish_reader(store, studio.assets_dir, run.id, goal=state.get("goal"))
        emit("audit", index=index, proposal=audit.proposal_number, final=final,
             prompts=audit.proposed_prompts)
    if final:  # nothing left to resume into: the report still goes to the members
        return {"audits": index}
    store.update_run(run.id, status="paused",
                     message=f"waiting for audit proposal {audit.proposal_number}")
    decision = interrupt({"run_id": run.id, "audit": index,
                          "proposal": audit.proposal_number})
    executed = str(decision.get("proposal")) if isinstance(decision, dict) else None
    if executed is None:
        raise WorkflowError("the run was resumed without an executed audit proposal",
                            hint="use `atelier run resume RUN`, which checks the proposal")
    return {"audits": index,
            "proposal_ids": [*(state.get("proposal_ids") or []), executed]}
