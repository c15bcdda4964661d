"""The audit's reading of the members: their ratings and comments, the curation results, and
the **editor** agent's prompt rewrites drafted from them.

For each creative agent whose mean rating in the audit window fell below ``[audit]
rewrite_below``, or that a low-rating review's comment names, the editor drafts a rewrite of
that agent's approved prompt (``atelier.agents.editor``). A draft that fails the checks every
rewrite must pass is dropped with a note in the report; an agent a person already drafted
for keeps the person's draft. The drafts travel in the same audit proposal as a person's,
each labelled with its author, and members vote on them as on any other.

Reviews are counted only when their signature still checks out (``atelier reviews list``
shows the ones that do not).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from atelier.agents import CREATIVE_AGENTS
from atelier.workflows.audit import (
    EDITOR,
    AgentRatings,
    CurationResult,
    Feedback,
    MemberComment,
    PromptRewrite,
)
from atelier.workflows.context import StudioServices, emit

if TYPE_CHECKING:
    from atelier.agents.context import AgentContext
    from atelier.store.database import Store
    from atelier.store.models import Review, Run
    from atelier.workflows.state import RunState

#: Words that tie a member's comment to an agent (a comment naming none concerns every
#: agent its review rated low).
TOPICS: dict[str, tuple[str, ...]] = {
    "scriptwriter": ("script", "story", "stories", "dialogue", "dialog", "plot", "writing",
                     "words", "line", "caption", "title"),
    "designer": ("design", "character", "costume", "look", "palette", "colour", "color",
                 "face"),
    "layout": ("layout", "page", "panel", "order", "emphasis", "shot"),
}


def gather_feedback(studio: StudioServices, store: Store, run: Run, index: int,
                    window: tuple[int, int]) -> Feedback:
    """What the members said since the previous audit of the run: ratings per agent (with
    the trend against the window before), comments, and the ballots of the episodes in
    ``window`` (each closed before its episode was made).

    An audit follows its episode's publication at once, so the reviews of what it covers
    arrive while it is voted on; each audit therefore reads the reviews *received* since the
    one before (``created_at``), whatever episode they rate."""
    from atelier.workflows.community import review_is_valid

    since = _opened(store, run, index - 1)
    before = _opened(store, run, index - 2)
    reviews = [r for r in store.reviews(run.id) if before is None or r.created_at > before]
    notes: list[str] = []
    valid: list[Review] = []
    names = studio.account_names()
    domain = studio.signing_domain() if reviews else None
    for review in reviews:
        problem = review_is_valid(studio, store, review, domain=domain)
        if problem is None:
            valid.append(review)
        elif since is None or review.created_at > since:
            notes.append(f"a review of episode {review.episode} by "
                         f"{names.get(review.reviewer, review.reviewer)} is not counted: "
                         f"{problem}")
    current = [r for r in valid if since is None or r.created_at > since]
    previous = [r for r in valid if since is not None and r.created_at <= since]
    ratings = tuple(AgentRatings(agent, len(current), _mean(current, agent),
                                 _mean(previous, agent)) for agent in CREATIVE_AGENTS)
    comments = tuple(MemberComment(r.episode, names.get(r.reviewer, r.reviewer),
                                   (r.scriptwriter, r.designer, r.layout), r.comment)
                     for r in current if r.comment.strip())
    curation = []
    for ballot in store.ballots(run.id, status="closed"):
        if not window[0] <= ballot.episode <= window[1] or ballot.winner is None:
            continue
        curation.append(CurationResult(
            episode=ballot.episode, ballot=ballot.id or 0, variants=len(ballot.variants),
            winner=ballot.winner + 1, weights=tuple(ballot.tally),
            voters=len(store.curation_votes(ballot.id or 0)), root=ballot.tally_root or ""))
    return Feedback(ratings, comments, tuple(curation), tuple(notes))


def _opened(store: Store, run: Run, index: int) -> datetime | None:
    """When audit ``index`` of the run (its latest revision) was written; None before the
    first."""
    if index < 1:
        return None
    audit = store.latest_audit(run.id, index)
    return audit.created_at if audit else None


def _mean(reviews: Iterable[Review], agent: str) -> float | None:
    scores = [getattr(r, agent) for r in reviews]
    return round(statistics.fmean(scores), 2) if scores else None


def concerns(comment: MemberComment, agent: str, threshold: float) -> bool:
    """Whether a comment speaks to ``agent``: it names the agent's work, or it names no
    agent's work and came with a rating of this agent below the threshold."""
    words = comment.text.lower()
    named = {a for a, topics in TOPICS.items() if any(t in words for t in topics)}
    if named:
        return agent in named
    score = comment.ratings[CREATIVE_AGENTS.index(agent)]
    return score < threshold


def editor_rewrites(studio: StudioServices, store: Store, run: Run, state: RunState,
                    window: tuple[int, int], feedback: Feedback,
                    drafted_by_people: set[str]) -> tuple[list[PromptRewrite], list[str]]:
    """The editor's drafts for the agents the members' reviews ask to change, and notes on
    what it left alone or dropped."""
    threshold = studio.rewrite_below
    if threshold <= 0:
        return [], []
    targets = []
    for rating in feedback.ratings:
        low = rating.mean is not None and rating.mean < threshold
        comments = tuple(c.text for c in feedback.comments
                         if concerns(c, rating.agent, threshold)
                         and c.ratings[CREATIVE_AGENTS.index(rating.agent)] < threshold)
        if low or comments:
            targets.append((rating, comments))
    if not targets:
        return [], []
    from atelier.agents.editor import AgentFeedback, DroppedDraft, draft_rewrite

    prompts = studio.prompt_store
    findings = {e.number: tuple(e.findings) for e in store.episodes(run.id)
                if window[0] <= e.number <= window[1]}
    rewrites: list[PromptRewrite] = []
    notes: list[str] = []
    index = (state.get("audits") or 0) + 1
    editor = None
    for rating, comments in targets:
        agent = rating.agent
        if agent in drafted_by_people:
            notes.append(f"the editor left the {agent} prompt alone: a person's draft of it is "
                         "proposed")
            continue
        if editor is None:
            editor = _editor_context(studio, store, run, state, window[1])
        approved = state["prompts"][agent]
        current = prompts.get(bytes.fromhex(approved[2:]))
        calls = [c for c in store.calls(run.id) if c.agent == agent]
        result = draft_rewrite(editor, AgentFeedback(
            agent=agent, mean_rating=rating.mean, ratings=rating.count, comments=comments,
            findings=tuple(f for found in findings.values() for f in found),
            calls=len(calls), retries=sum(max(c.attempts - 1, 0) for c in calls),
            failures=sum(c.outcome != "ok" for c in calls)), current, audit=index)
        if isinstance(result, DroppedDraft):
            notes.append(f"the editor's draft for {agent} was dropped: {result.reason}")
            emit("editor", agent=agent, drafted=False, text=result.reason)
            continue
        rewrites.append(PromptRewrite(agent, approved, result.prompt, current.normalized_text,
                                      author=EDITOR, rationale=result.rationale,
                                      changes=result.changes))
        emit("editor", agent=agent, drafted=True, text=result.rationale)
    return rewrites, notes


def _editor_context(studio: StudioServices, store: Store, run: Run, state: RunState,
                    episode: int) -> AgentContext:
    """The editor with its approved prompt, its calls logged with the audit's last episode."""
    approved = state["prompts"]["editor"]
    prompt = studio.prompt_store.get(bytes.fromhex(approved[2:]))
    return studio.agent_context("editor", prompt, store.call_log(run.id, episode))
