"""The editor: turns what an audit learned about one agent (members' ratings and comments,
review findings, call statistics) into a draft rewrite of that agent's prompt file.

A small model cannot rewrite a whole prompt file, so the editor's model only writes a small
structured answer (``EditorAnswer``: a rationale, up to three one-sentence instructions and a
choice among allowed values for each sampling setting). Code applies it to the current file:

* the instructions become one marked block at the end of the ``system:`` section, between
  ``{# editor: audit N #}`` and ``{# editor: end #}`` (Jinja comments: they render to
  nothing), so a later audit replaces the block instead of stacking another one;
* the sampling values go into ``model.options`` of the YAML front matter, edited line by line
  so the rest of the file stays as it was (a front matter laid out otherwise, say in flow
  style, is written out again from its data); ``metadata.version`` gets a minor bump and
  ``editor`` joins ``metadata.authors``;
* the result is parsed with ``parse_prompt`` and must pass ``rewrite_problems``, the checks
  every rewrite of a prompt must pass, whether a person or the editor wrote it.

The text edits themselves are in ``atelier.agents.prompt_edits`` and the checks in
``atelier.agents.prompt_checks``; this module decides what to edit. ``rewrite_problems``,
``bump_version`` and the constants that moved with them stay importable from here.

Model text is untrusted (members' comments reach the model, and so may injected orders):
an instruction holding Jinja syntax, a line that reads as a role marker, control characters
or nothing but blanks makes the whole draft a ``DroppedDraft`` with the reason, never a line
in the file. So does any model failure: ``draft_rewrite`` never raises for bad model output.
An instruction that is no sentence (under three words) is fed back for another attempt; one
that only repeats a member's comment word for word is left out (small models parrot).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from atelier.agents import prompt_edits
from atelier.agents.context import AgentContext
from atelier.agents.prompt_checks import MAX_COMBINATIONS as MAX_COMBINATIONS
from atelier.agents.prompt_checks import SAMPLE_TEXT as SAMPLE_TEXT
from atelier.agents.prompt_checks import rewrite_problems
from atelier.agents.prompt_edits import BLOCK_END as BLOCK_END
from atelier.agents.prompt_edits import bump_version
from atelier.agents.prompt_file import PromptFile, parse_prompt
from atelier.agents.prompt_syntax import KeyPath, PromptFileError
from atelier.agents.structured import AgentOutputError, generate
from atelier.kernel.compliance import INJECTION, SECRET, check_text
from atelier.kernel.errors import AtelierError

AGENT = "editor"

MAX_INSTRUCTIONS = 3
INSTRUCTION_CHARS = 160
MIN_INSTRUCTION_WORDS = 3
RATIONALE_CHARS = 300
#: What the editor's prompt shows of the audit: enough for a small model's context window.
MAX_COMMENTS = 8
MAX_FINDINGS = 8
QUOTE_CHARS = 240
SYSTEM_VIEW_CHARS = 1500

# -- the model's answer ----------------------------------------------------------------------
# llama.cpp grammars ignore numeric bounds, so every sampling value is a choice among strings,
# all of them inside the bounds prompt files allow.
Temperature = Literal["keep", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0"]
TopP = Literal["keep", "0.8", "0.85", "0.9", "0.95", "1.0"]
RepeatPenalty = Literal["keep", "1.0", "1.05", "1.1", "1.15", "1.2", "1.3"]

# Not stripped: the safety checks must see the text exactly as the model wrote it. Nor
# narrowed with a regex pattern for the grammar (no braces, no line breaks): measured on the
# bundled llama.cpp build, a pattern made the server fail ("does not match the expected
# peg-native format") or stop holding maxItems; the checks in code hold on every backend.
Instruction = Annotated[str, StringConstraints(min_length=1, max_length=INSTRUCTION_CHARS)]


class EditorAnswer(BaseModel):
    """What the editor's model writes; code turns it into a prompt file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Every field is required, "keep" included: the model must decide each one (and a
    # grammar then cannot let it stop after the rationale), and OpenAI's strict mode needs it.
    rationale: Annotated[str, StringConstraints(min_length=1, max_length=RATIONALE_CHARS)] = Field(
        description="one or two sentences on what members asked for and what changes"
    )
    instructions: list[Instruction] = Field(
        max_length=MAX_INSTRUCTIONS,
        description="new instructions for the agent, each one short plain sentence",
    )
    temperature: Temperature
    top_p: TopP
    repeat_penalty: RepeatPenalty


#: The sampling settings the editor may change: answer field -> (front matter key path,
#: GenerationParams field).
_SETTINGS: dict[str, tuple[KeyPath, str]] = {
    "temperature": (("model", "options", "temperature"), "temperature"),
    "top_p": (("model", "options", "topP"), "top_p"),
    "repeat_penalty": (
        ("model", "options", "additionalProperties", "repeat_penalty"),
        "repeat_penalty",
    ),
}


def check_answer(answer: EditorAnswer) -> list[str]:
    """Semantic check (fed back to the model for another attempt): every instruction is a
    sentence. Unsafe text is not checked here but refused after generation, so that it
    drops the draft with a finding rather than being retried until it looks harmless."""
    problems = []
    for index, text in enumerate(answer.instructions):
        if instruction_problems([text]):
            continue  # refused after generation, with the finding
        words = re.findall(r"[^\W\d_]{2,}", prompt_edits.clean(text))
        if len(words) < MIN_INSTRUCTION_WORDS:
            problems.append(
                f"instructions.{index}: write a whole sentence that tells the agent what to "
                f"do ({MIN_INSTRUCTION_WORDS} words or more)"
            )
    return problems


# -- what the workflow passes in and gets back -----------------------------------------------
@dataclass(frozen=True)
class AgentFeedback:
    """What one audit learned about one agent."""

    agent: str  # "scriptwriter" | "designer" | "layout"
    mean_rating: float | None  # members' mean rating 1..5 in the audit window (None = none)
    ratings: int  # how many ratings
    comments: tuple[str, ...]  # members' comments that concern this agent (untrusted text)
    findings: tuple[str, ...]  # automatic review findings of the episodes (untrusted text)
    calls: int = 0
    retries: int = 0
    failures: int = 0


@dataclass(frozen=True)
class EditorDraft:
    agent: str
    prompt: PromptFile  # the draft, parsed and checked
    text: str  # its normalized text (what gets hashed and proposed)
    rationale: str  # one or two sentences, shown to members
    changes: tuple[str, ...]  # "temperature 0.8 → 0.5", "added instruction: ..."


@dataclass(frozen=True)
class DroppedDraft:
    agent: str
    reason: str  # a one-line finding for the audit report: why the draft was dropped


# -- the agent -------------------------------------------------------------------------------
def draft_rewrite(
    ctx: AgentContext, feedback: AgentFeedback, current: PromptFile, *, audit: int
) -> EditorDraft | DroppedDraft:
    """A draft rewrite of ``current`` (the prompt ``feedback`` is about), or why there is
    none. Bad model output, a failed model call and a draft that fails the checks all come
    back as a ``DroppedDraft``; only a caller's mistake raises."""
    agent = feedback.agent
    if current.name != agent:
        raise ValueError(f"feedback about {agent!r} given with the {current.name!r} prompt")
    try:
        answer = generate(
            agent=AGENT,
            task="rewrite",
            prompt=ctx.prompt,
            handle=ctx.handle,
            log=ctx.log,
            inputs=editor_inputs(feedback, current),
            schema=EditorAnswer,
            check=check_answer,
            max_attempts=ctx.max_attempts,
        )
    except AgentOutputError as exc:
        shown = "; ".join(exc.problems[:2])
        return _dropped(
            agent, f"the editor gave no valid answer in {exc.attempts} attempt(s): {shown}"
        )
    except PromptFileError as exc:
        return _dropped(agent, f"the editor's own prompt did not render: {exc.message}")
    except AtelierError as exc:  # AgentCallError, and a backend's own errors
        return _dropped(agent, f"the editor's model call failed: {exc.message}")

    refused = instruction_problems(answer.instructions)
    if refused:
        return _dropped(agent, "the editor's answer was refused: " + "; ".join(refused))
    # A member's comment copied word for word is not an instruction (small models parrot
    # their input), and keeping it would let any member write lines into a prompt file.
    heard = {_gist(text) for text in (*feedback.comments, *feedback.findings)}
    own = [text for text in answer.instructions if _gist(text) not in heard]
    try:
        text, changes = apply_answer(
            current, answer.model_copy(update={"instructions": own}), audit=audit
        )
    except prompt_edits.EditRefused as exc:
        return _dropped(agent, str(exc))
    if not changes:
        if len(own) < len(answer.instructions):
            return DroppedDraft(
                agent, "no change: the editor's instructions only repeated members' comments"
            )
        return DroppedDraft(agent, "no change")
    source = f"{agent}.prompty (editor draft, audit {audit})"
    try:
        draft = parse_prompt(text, source=source)
    except PromptFileError as exc:
        return _dropped(agent, f"the draft is not a valid prompt file: {exc.message}")
    problems = rewrite_problems(current, draft)
    if problems:
        return _dropped(agent, "the draft fails the rewrite checks: " + "; ".join(problems))
    if draft.content_hash == current.content_hash:  # guards the "no change" logic above
        return DroppedDraft(agent, "no change")
    return EditorDraft(
        agent=agent,
        prompt=draft,
        text=draft.normalized_text,
        rationale=_rationale(answer.rationale, feedback, audit),
        changes=tuple(changes),
    )


def editor_inputs(feedback: AgentFeedback, current: PromptFile) -> dict[str, Any]:
    """The editor prompt's inputs for one agent's feedback (bounded to fit the context)."""
    mean = feedback.mean_rating if feedback.ratings > 0 else None
    findings = [_quote(f) for f in feedback.findings[:MAX_FINDINGS]]
    if feedback.calls:
        findings.append(
            f"{feedback.calls} model calls: {feedback.retries} needed retries, "
            f"{feedback.failures} failed."
        )
    params = current.model.params
    return {
        "agent": feedback.agent,
        "mean_rating": 0 if mean is None else round(mean, 2),
        "ratings": 0 if mean is None else feedback.ratings,
        "comments": [_quote(c) for c in feedback.comments[:MAX_COMMENTS]],
        "findings": findings,
        "current_params": {
            name: "default" if getattr(params, field) is None else str(getattr(params, field))
            for name, (_, field) in _SETTINGS.items()
        },
        "current_system": system_view(current),
    }


def system_view(prompt: PromptFile) -> str:
    """The system section as the editor's model sees it: the text with Jinja left out (an
    expression shown as ``<brief.format>``), so a small model is not tempted to copy template
    syntax into its instructions."""
    lines = prompt.body.split("\n")
    start, end = prompt_edits.system_range(prompt.body, lines)
    shown = []
    for line in lines[start:end]:
        line = re.sub(r"\{#.*?#\}", "", line)
        line = re.sub(r"\{%.*?%\}", "", line)
        line = re.sub(r"\{\{-?\s*(.*?)\s*-?\}\}", r"<\1>", line)
        if line.strip() or (shown and shown[-1]):
            shown.append(line.strip())
    return "\n".join(shown).strip()[:SYSTEM_VIEW_CHARS]


# -- untrusted text --------------------------------------------------------------------------
_JINJA_TOKENS = ("{{", "}}", "{%", "%}", "{#", "#}")
_ROLE_START_RE = re.compile(
    r"^#?\s*(system|user|assistant|developer|tool|function)\s*(\[[^\]]*\])?\s*:", re.IGNORECASE
)
_MARKER_LINE_RE = re.compile(r"^#?\s*[A-Za-z_]+(\[[^\]]*\])?\s*:\s*$")


def instruction_problems(instructions: Sequence[str]) -> list[str]:
    """Why these instructions may not go into a prompt file (empty = they may)."""
    problems = []
    for number, text in enumerate(instructions, start=1):
        where = f"instruction {number}"
        found = [token for token in _JINJA_TOKENS if token in text]
        if found:
            problems.append(f"{where} contains Jinja syntax ({', '.join(found)})")
        for line in text.splitlines():
            role = _ROLE_START_RE.match(line.strip())
            if role:
                problems.append(
                    f"{where} has a line that starts with a role marker ({role.group(1)}:)"
                )
                break
            if _MARKER_LINE_RE.match(line.strip()):
                problems.append(f"{where} has a line that reads as a section marker")
                break
        if not text.strip():
            problems.append(f"{where} is empty")
        elif any(unicodedata.category(ch).startswith("C") and ch not in "\n\t\r" for ch in text):
            problems.append(f"{where} contains control or invisible format characters")
        # A prompt's text goes on-chain exact (its hash is voted on): an instruction override
        # or a key there cannot be redacted later. (Line-start role markers are checked above.)
        problems += [f"{where} holds {f.kind}: {f.detail}" for f in check_text(
            where, text, prompt_file=True) if f.kind in (INJECTION, SECRET)]
    return problems


def _gist(text: str) -> str:
    """Text reduced to its words, to tell a copy from an instruction of the editor's own."""
    return " ".join(re.sub(r"[\W_]+", " ", prompt_edits.clean(text).casefold()).split())


def _quote(text: str) -> str:
    """A member's text as a one-line quote of bounded length."""
    text = "".join(
        ch for ch in prompt_edits.clean(text) if not unicodedata.category(ch).startswith("C")
    )
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 3] + "..."


def _rationale(text: str, feedback: AgentFeedback, audit: int) -> str:
    shown = _quote(text)[:RATIONALE_CHARS]
    if shown:
        return shown
    if feedback.mean_rating is not None and feedback.ratings:
        return (
            f"Audit {audit}: members rated the {feedback.agent} "
            f"{feedback.mean_rating:.1f} out of 5 over {feedback.ratings} ratings."
        )
    return f"Audit {audit}: changes drawn from the review findings."


def _dropped(agent: str, reason: str) -> DroppedDraft:
    return DroppedDraft(agent, " ".join(reason.split()))


# -- applying an answer ----------------------------------------------------------------------
def apply_answer(current: PromptFile, answer: EditorAnswer, *, audit: int) -> tuple[str, list[str]]:
    """The draft's text and its changes in words; ``(current text, [])`` when the answer
    changes nothing. The caller checks the instructions first (``instruction_problems``)."""
    params = current.model.params
    changes: list[str] = []
    edits: list[prompt_edits.Edit] = []
    for name, (path, field) in _SETTINGS.items():
        choice = getattr(answer, name)
        old = getattr(params, field)
        if choice == "keep" or (old is not None and float(choice) == old):
            continue
        edits.append((path, float(choice), choice))
        changes.append(
            f"{name} {'default' if old is None else prompt_edits.number(old)} → {choice}"
        )

    front_text, body = prompt_edits.split(current.normalized_text)
    instructions = [prompt_edits.clean(i) for i in answer.instructions]
    new_body, added, removed = prompt_edits.with_block(body, instructions, audit)
    changes += [f"added instruction: {line}" for line in added]
    changes += [f"removed instruction: {line}" for line in removed]
    if not changes:
        return current.normalized_text, []

    data = yaml.safe_load(front_text)
    version = bump_version(current.version, audit)
    edits.append((("metadata", "version"), version, json.dumps(version)))
    authors = (data.get("metadata") or {}).get("authors") or []
    if AGENT not in authors:
        edits.append((("metadata", "authors"), [*authors, AGENT], None))
    changes.append(f"version {current.version} → {version}")
    new_front = prompt_edits.edit_front(front_text, edits)
    return f"---\n{new_front}---\n{new_body}", changes
