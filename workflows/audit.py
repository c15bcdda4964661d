"""Audit checkpoints: a report of how the agents did, and one proposal to keep or rewrite them.

Every K episodes (K from the on-chain goal) the run writes an ``AuditReport`` — per agent:
calls, retries, failures, tokens, latency, prompt version; the members' ratings (mean,
count, trend) and comments; the curation results with their tally roots; the review
findings; the prompt rewrites with diffs, each labelled with who drafted it (a person's
working file, or the **editor** agent, which turns low ratings and comments into a draft;
see ``workflows.editing``) — and opens **one** proposal: its description is the report plus
the full text of each proposed prompt, its calldata records the report's hash and sets the
new prompt hashes. Then the run pauses (``interrupt``) until the members have decided.

The audit row is stored before the proposal is opened and the proposal is idempotent, so a
checkpoint that runs again after a crash reuses both.
"""

from __future__ import annotations

import re
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

#: Who drafted a prompt rewrite.
PERSON, EDITOR = "person", "editor"

if TYPE_CHECKING:
    from atelier.agents.prompt_file import PromptFile
    from atelier.agents.readability_story import ReadabilityStats
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
    author: str = PERSON  # who drafted it: PERSON or EDITOR
    rationale: str = ""
    changes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.author == EDITOR:
            return "drafted by the editor agent from the members' reviews"
        return "drafted by a person (the working prompt file)"


@dataclass(frozen=True)
class AgentRatings:
    """The members' ratings of one agent in an audit window (signatures checked)."""

    agent: str
    count: int
    mean: float | None
    previous_mean: float | None  # in the previous audit's window

    @property
    def trend(self) -> str:
        if self.mean is None or self.previous_mean is None:
            return "-"
        delta = self.mean - self.previous_mean
        return "=" if abs(delta) < 0.05 else f"{delta:+.1f}"


@dataclass(frozen=True)
class MemberComment:
    episode: int
    member: str
    ratings: tuple[int, int, int]  # scriptwriter, designer, layout
    text: str


@dataclass(frozen=True)
class CurationResult:
    episode: int
    ballot: int
    variants: int
    winner: int  # 1-based
    weights: tuple[int, ...]
    voters: int
    root: str


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
    ratings: tuple[AgentRatings, ...] = ()
    comments: tuple[MemberComment, ...] = ()
    curation: tuple[CurationResult, ...] = ()
    #: What the audit noticed about the reviews and drafts (dropped drafts, invalid reviews).
    notes: tuple[str, ...] = ()
    #: The reputation section: the rule, and the power table before and after the proposal.
    reputation: tuple[str, ...] = ()
    #: Per agent that writes text: its texts in this window, measured for readability.
    readability: dict[str, ReadabilityStats] = field(default_factory=dict)

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
        lines += _readability_section(self.readability)
        lines += ["", "## Review findings", ""]
        if not any(self.findings.values()):
            lines.append("None.")
        for episode, found in sorted(self.findings.items()):
            lines += [f"- episode {episode}: {item}" for item in found]
        lines += ["", "## Member ratings", ""]
        if not any(r.count for r in self.ratings):
            lines.append("None recorded: `atelier review EPISODE --as NAME ...` rates an "
                         "episode.")
        else:
            lines += ["| agent | mean (1-5) | ratings | trend vs previous audit |",
                      "|---|---:|---:|---:|"]
            lines += [f"| {r.agent} | {'-' if r.mean is None else f'{r.mean:.2f}'} | "
                      f"{r.count} | {r.trend} |" for r in self.ratings]
        if self.comments:
            lines += ["", "### Comments", ""]
            lines += [f"- episode {c.episode}, {c.member} (scriptwriter {c.ratings[0]}, "
                      f"designer {c.ratings[1]}, layout {c.ratings[2]}): {_quoted(c.text)}"
                      for c in self.comments]
        lines += ["", "## Curation", ""]
        if not self.curation:
            lines.append("No curation ballot in this window.")
        for c in self.curation:
            weights = ", ".join(f"{i + 1}: {w}" for i, w in enumerate(c.weights))
            lines.append(f"- episode {c.episode}, ballot {c.ballot}: variant {c.winner} of "
                         f"{c.variants} produced; reputation per variant {weights}; "
                         f"{c.voters} signed votes; tally root `{c.root}`")
        if self.notes:
            lines += ["", "## Audit notes", ""]
            lines += [f"- {_plain(note)}" for note in self.notes]
        if self.reputation:
            lines += ["", "## Reputation", "", *self.reputation]
        lines += ["", "## Prompt rewrites", ""]
        if not self.rewrites:
            lines.append("None proposed: the current prompts stay.")
        for r in self.rewrites:
            lines.append(f"- **{r.agent}** {r.approved_hash[:10]}… → {r.proposed.hash_hex[:10]}…, "
                         f"{r.label}" + (f": {_quoted(r.rationale)}" if r.rationale else ""))
            lines += [f"  - {_plain(change)}" for change in r.changes]
        if self.rewrites:
            lines.append("")  # the full texts follow in the proposal description
        return "\n".join(lines) + "\n"

    def description(self) -> str:
        """The proposal description: the report, then each proposed prompt in full."""
        from atelier.workflows.prompt_versions import prompt_sections

        changes = {r.agent: (r.proposed, r.approved_text) for r in self.rewrites}
        return self.markdown() + "\n".join(prompt_sections(changes))


def _readability_section(stats: dict[str, ReadabilityStats]) -> list[str]:
    """How well the agents' texts read (``atelier.agents.readability_story``): the review
    findings below say where."""
    if not stats:
        return []
    lines = ["", "## Readability", "",
             "| agent | fields | words known | junk | loops | repeated lines | short actions |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    shown = ("junk", "word_loop", "repeated_line", "short_action")
    others = []
    for agent, s in stats.items():
        share = "-" if s.word_share is None else f"{s.word_share:.1%}"
        junk = f"{s.junk_fields}" + (f" ({s.junk_share:.0%})" if s.junk_share else "")
        lines.append(f"| {agent} | {s.fields} | {share} | {junk} | {s.count('word_loop')} | "
                     f"{s.count('repeated_line')} | {s.count('short_action')} |")
        other = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in
                          sorted(s.findings.items()) if kind not in shown)
        if other:
            others.append(f"- {agent}: {other}")
    lines += ["", "Fields: the text fields the agent wrote; words known: the share of "
              "dictionary words (and the story's names), weighted by length; junk: fields with "
              "junk characters. The layout agent writes no text."]
    if others:
        lines += ["", "Other readability findings:", "", *others]
    return lines


def _quoted(text: str) -> str:
    """Member and model text inside the report: one line, quoted, with no markdown of its own
    (no links, tables, headings or HTML in a proposal description)."""
    return "“" + _plain(text) + "”"


def _plain(text: str) -> str:
    flat = " ".join(text.split()).replace("`", "'")
    return re.sub(r"([\\\[\]<>*_#|!~])", r"\\\1", flat)


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
        rewrites.append(PromptRewrite(agent, approved[agent], working, old, author=PERSON))
    return rewrites


def audit_window(store: Store, run: Run, state: RunState, index: int) -> tuple[int, int]:
    """The first and last episode an audit covers."""
    previous = store.latest_audit(run.id, index - 1) if index > 1 else None
    first = previous.after_episode + 1 if previous else 1
    return first, state["episode"] - 1  # publish has moved on to the next episode


def build_report(store: Store, run: Run, state: RunState, index: int, revision: int,
                 rewrites: list[PromptRewrite], feedback: Feedback | None = None,
                 reputation: tuple[str, ...] = (),
                 readability: dict[str, ReadabilityStats] | None = None) -> AuditReport:
    first, last = audit_window(store, run, state, index)
    calls = store.calls(run.id)
    # The series bible (no episode) belongs to the first audit.
    window = [c for c in calls if (first <= c.episode <= last if c.episode is not None
                                   else first == 1)]
    findings = {e.number: list(e.findings) for e in store.episodes(run.id)
                if first <= e.number <= last}
    feedback = feedback or Feedback()
    return AuditReport(
        run_id=run.id, index=index, revision=revision, goal_id=run.goal_id,
        goal_title=run.goal_title, episodes=(first, last),
        token_budget=int(state["goal"].get("token_budget", 0)),
        tokens_used=sum(c.prompt_tokens + c.completion_tokens for c in calls),
        agents=tuple(AgentStats.of(agent, window) for agent in AGENTS),
        findings=findings, rewrites=tuple(rewrites), ratings=feedback.ratings,
        comments=feedback.comments, curation=feedback.curation, notes=feedback.notes,
        reputation=reputation, readability=readability or {},
    )


@dataclass(frozen=True)
class Feedback:
    """What the members said in an audit window (see ``workflows.editing``)."""

    ratings: tuple[AgentRatings, ...] = ()
    comments: tuple[MemberComment, ...] = ()
    curation: tuple[CurationResult, ...] = ()
    notes: tuple[str, ...] = ()


def open_audit(studio: StudioServices, store: Store, run: Run, state: RunState, index: int,
               revision: int) -> Audit:
    """Store the audit, then open its proposal (both idempotent)."""
    from atelier.store.models import Audit
    from atelier.workflows.compliance import with_compliance
    from atelier.workflows.earning import (
        claim_key,
        power_table,
        settle_for_audit,
    )
    from atelier.workflows.editing import editor_rewrites, gather_feedback

    audit = store.latest_audit(run.id, index)
    if audit is None or audit.revision < revision:
        rewrites = pending_rewrites(studio, state["prompts"])
        window = audit_window(store, run, state, index)
        feedback = gather_feedback(studio, store, run, index, window)
        drafted, notes = editor_rewrites(studio, store, run, state, window, feedback,
                                         drafted_by_people={r.agent for r in rewrites})
        feedback = Feedback(feedback.ratings, feedback.comments, feedback.curation,
                            (*feedback.notes, *notes))
        rewrites += drafted
        with studio.session() as dao:
            settlement, _ = settle_for_audit(studio, store, dao)
        table = tuple(power_table(settlement, studio.account_names()))
        report = build_report(store, run, state, index, revision, rewrites, feedback, table,
                              _measured(studio, store, run, state, window))
        description = with_compliance(report.description(), studio, store, run, report)
        audit = store.put_audit(Audit(
            run_id=run.id, index=index, revision=revision, after_episode=report.episodes[1],
            report_markdown=description, report_hash="0x" + keccak(text=description).hex(),
            proposed_prompts={r.agent: r.proposed.hash_hex for r in rewrites},
            drafted_by={r.agent: _authors(studio, r) for r in rewrites},
            settlement=settlement.as_json(),
        ))
        _store_drafts(studio, rewrites)
    if audit.settlement:  # claimed before proposing: no contribution counts in two audits
        store.settle_contributions(list(audit.settlement.get("contributions") or []),
                                   claim_key(audit))
    if audit.proposal_id is None:
        proposal = _propose(studio, run, audit)
        audit = store.update_audit(audit.id, proposal_id=str(proposal.id),
                                   proposal_number=proposal.number)
        _record_proposed(studio, audit)
    return audit


def _measured(studio: StudioServices, store: Store, run: Run, state: RunState,
              window: tuple[int, int]) -> dict[str, ReadabilityStats]:
    from atelier.agents.scriptwriter import SeriesBible
    from atelier.workflows.production import brief_of
    from atelier.workflows.readability import agent_readability

    bible = SeriesBible.model_validate(state["bible"]) if state.get("bible") else None
    return agent_readability(store, studio.assets_dir, run.id, window, bible, brief_of(state),
                             studio.readability)


def _authors(studio: StudioServices, rewrite: PromptRewrite) -> list[str]:
    """Who the ledger credits for a rewrite once approved: the file's authors that are studio
    accounts (a person's draft), or the editor (who earns nothing)."""
    from atelier.workflows.ledger import EDITOR_AUTHOR

    if rewrite.author == EDITOR:
        return [EDITOR_AUTHOR]
    known = set(studio.account_names().values())
    return [name for name in rewrite.proposed.authors if name in known]


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
    from atelier.workflows.earning import StoredSettlement, settlement_actions

    signer = studio.operator()
    with studio.session() as dao:
        reputation = (settlement_actions(dao, StoredSettlement.from_json(audit.settlement))
                      if audit.settlement else [])
        return dao.propose_audit(
            signer, run_key=run_key(run), index=audit.index,
            report_hash=bytes.fromhex(audit.report_hash[2:]),
            prompt_hashes={agent: bytes.fromhex(digest[2:])
                           for agent, digest in audit.proposed_prompts.items()},
            description=audit.report_markdown, reputation=reputation,
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
        # The run is done (the Runner says so too; a run LangGraph's server drives has only
        # this to tell `run list`).
        store.update_run(run.id, status="done",
                         message=f"final audit proposal {audit.proposal_number} is open for votes")
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
