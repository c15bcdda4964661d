"""One structured call of an agent: prompt file + chat model + output schema.

The recipe for small models (DESIGN.md, agents/): grammar-constrained decoding where the
backend has it, pydantic validation, at most N attempts with the problems fed back to the
model, then semantic checks. After the last attempt the caller gets ``AgentOutputError`` —
never a half-valid object. Every call, good or bad, is written to the call log.

Readability (``atelier.agents.readability``) is checked last and retried the same way, but
it never fails a call: once its own retries (or the attempts) are spent, the most readable
valid reply is kept, its problems stay in the call log and the review reports them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from atelier.agents.calls import CallLog, CallRecord, MeteredCallLog, Outcome
from atelier.kernel.errors import AtelierError
from atelier.kernel.redact import scrub

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from atelier.agents.models.factory import ChatModelHandle
    from atelier.agents.prompt_file import PromptFile

T = TypeVar("T", bound=BaseModel)

#: Semantic check: returns problems in words (empty = fine).
Check = Callable[[T], list[str]]

#: Given a (sub)schema and the property name it sits under, return a replacement or None.
Narrowing = Callable[[str | None, dict[str, Any]], dict[str, Any] | None]

DEFAULT_ATTEMPTS = 3
#: What a budget reserves for a reply when the prompt file sets no max_tokens.
DEFAULT_MAX_TOKENS = 1024
_MAX_PROBLEMS_SHOWN = 6


class AgentOutputError(AtelierError):
    """An agent gave no valid output within its attempts; the workflow records this."""

    def __init__(
        self, agent: str, task: str, attempts: int, problems: list[str], last_output: str
    ) -> None:
        shown = "; ".join(problems[:_MAX_PROBLEMS_SHOWN])
        super().__init__(
            f"the {agent} agent gave no valid {task} after {attempts} attempt(s): {shown}",
            hint="a bigger model usually fixes this: set [models] in config.toml "
            "(a GGUF path, an OpenAI-compatible server or Ollama)",
        )
        self.agent = agent
        self.task = task
        self.attempts = attempts
        self.problems = problems
        self.last_output = last_output


class AgentCallError(AtelierError):
    """The model backend failed (server down, timeout): nothing to validate."""


def generate(
    *,
    agent: str,
    task: str,
    prompt: PromptFile,
    handle: ChatModelHandle,
    inputs: Mapping[str, Any],
    schema: type[T],
    log: CallLog,
    check: Check[T] | None = None,
    narrow: Narrowing | None = None,
    max_attempts: int = DEFAULT_ATTEMPTS,
    readable: Check[T] | None = None,
    readable_retries: int = 0,
) -> T:
    """Render ``prompt`` with ``inputs``, call the model for a ``schema`` object, validate,
    retry with feedback, check semantics; log the call; return the object or raise.

    ``narrow`` tightens the JSON schema sent to the backend for this one call (say, the
    character ids that exist as an enum), so grammar-constrained decoding cannot produce
    what the semantic check would reject; validation and checks still run on every reply.

    ``readable`` lists a valid reply's unreadable fields; they are fed back like any problem
    at most ``readable_retries`` times, then the valid reply with the fewest is returned.
    """
    messages = _messages(prompt.render(**inputs))
    json_schema = schema.model_json_schema()
    if narrow is not None:
        json_schema = narrow_schema(json_schema, narrow)
    runnable = handle.structured(json_schema, schema.__name__)
    prompt_tokens = completion_tokens = 0
    problems: list[str] = []
    output = ""
    outcome: Outcome = "invalid"
    started = time.perf_counter()
    attempt = 0
    best: tuple[T, list[str]] | None = None  # the most readable valid reply so far
    readable_tries = 0

    def finish(result: Outcome) -> None:
        params = prompt.model.params.model_dump(exclude_none=True)
        log.record(
            CallRecord(
                agent=agent,
                task=task,
                prompt_hash=prompt.hash_hex,
                provider=handle.provider,
                model=handle.model_name,
                # the file's sha256 for a local model; a served one's weights only its
                # server knows (a plugin's own handle may lack the attribute)
                model_sha256=getattr(handle, "model_sha256", None),
                params=params,
                seed=params.get("seed"),
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                latency_ms=(time.perf_counter() - started) * 1000,
                attempts=attempt,
                outcome=result,
                problems=tuple(problems),
            )
        )

    from atelier.agents.models.factory import usage_of

    # What a call may cost, asked of a metered log before each attempt: the prompt (~3
    # characters a token, on the high side) plus the most the model may write.
    estimate = sum(len(str(m.content)) for m in messages) // 3 + (
        prompt.model.params.max_tokens or DEFAULT_MAX_TOKENS)
    for attempt in range(1, max_attempts + 1):
        if isinstance(log, MeteredCallLog):
            # this call's earlier attempts are not in the log yet: count them here
            log.allow(agent, estimate + len("\n".join(problems)) // 3 + prompt_tokens
                      + completion_tokens)
        try:
            reply = runnable.invoke(messages)
        except AtelierError as exc:
            problems = [exc.message]
            finish("error")
            raise
        except Exception as exc:  # transport and server errors from any backend
            # A server's error text may echo the API key or the URL with its credentials.
            reason = scrub(str(exc), limit=300)
            problems = [f"{type(exc).__name__}: {reason}"]
            finish("error")
            raise AgentCallError(
                f"the {agent} agent's model call failed ({handle.provider}/{handle.model_name}):"
                f" {reason}",
                hint="check that the model server is running and reachable ([models] in "
                "config.toml)",
            ) from None
        used_in, used_out = usage_of(reply)
        prompt_tokens += used_in
        completion_tokens += used_out
        output = reply.content if isinstance(reply.content, str) else str(reply.content)
        cut_off = (getattr(reply, "response_metadata", None) or {}).get("finish_reason")
        try:
            value = schema.model_validate_json(output)
        except ValidationError as exc:
            problems, outcome = _validation_problems(exc), "invalid"
            if cut_off == "length":
                problems = [
                    f"the reply was cut off at the token limit "
                    f"({prompt.model.params.max_tokens or 'default'} tokens); write less, or "
                    "raise maxOutputTokens in the prompt file",
                    *problems,
                ]
        else:
            problems = check(value) if check else []
            outcome = "semantic"
            if not problems:
                problems = readable(value) if readable else []
                if best is None or len(problems) < len(best[1]):
                    best = (value, problems)
                if not problems or readable_tries >= readable_retries:
                    break
                readable_tries += 1
        if attempt < max_attempts:
            messages = [*messages, _assistant(output), _feedback(problems)]
    if best is not None:  # valid: kept even when not every field reads well
        value, problems = best
        finish("ok")
        return value
    finish(outcome)
    raise AgentOutputError(agent, task, attempt, problems, output)


def narrow_schema(schema: dict[str, Any], narrow: Narrowing) -> dict[str, Any]:
    """A copy of ``schema`` with every subschema that ``narrow`` replaces replaced."""

    def walk(node: Any, key: str | None) -> Any:
        if isinstance(node, dict):
            replaced = narrow(key, node)
            if replaced is not None:
                return replaced
            if "properties" in node:
                node = {**node, "properties": {
                    name: walk(sub, name) for name, sub in node["properties"].items()}}
            return {k: (v if k == "properties" else walk(v, key if k == "items" else k))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item, key) for item in node]
        return node

    return walk(schema, None)


def _validation_problems(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "the JSON"
        problems.append(f"{where}: {error['msg']}")
    return problems


def _messages(rendered: list[tuple[str, str]]) -> list[BaseMessage]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[role](content=text) for role, text in rendered]


def _assistant(text: str) -> BaseMessage:
    from langchain_core.messages import AIMessage

    return AIMessage(content=text)


def _feedback(problems: list[str]) -> BaseMessage:
    from langchain_core.messages import HumanMessage

    listed = "\n".join(f"- {p}" for p in problems[:_MAX_PROBLEMS_SHOWN])
    return HumanMessage(
        content=f"That JSON has problems:\n{listed}\nReply with the corrected JSON only."
    )
