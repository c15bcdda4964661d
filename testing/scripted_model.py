"""``ScriptedChatModel``: a chat model that answers from a script, for tests and benchmarks.

A testing tool in the spirit of ``langchain_core``'s fake chat models, placed at the same
seam as the real backends (a provider returning a ``ChatModelHandle``, see
``atelier.testing.models``), so everything above the model (prompt rendering, validation,
retries, call logging, workflows) runs for real without one::

    model = ScriptedChatModel(['{"title": "Storm"}', ValueError("server down")])
    model.enqueue(lambda messages: json.dumps({"echo": messages[-1].content}))
    handle = ChatModelHandle(model=model, provider="scripted", model_name="scripted")

Each call takes the next entry: a string is the reply; a callable receives the messages and
returns the reply; an exception instance is raised. When the script runs out the call
raises ``ScriptExhaustedError``, unless a ``fallback`` callable answers the rest. ``calls``
records the messages of every call; replies carry ``usage_metadata`` from a rough estimate
(four characters per token). ``latency_s`` adds a sleep per call, to benchmark concurrency
without a model. Thread-safe.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Union

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

from atelier.kernel.errors import AtelierError

__all__ = ["ScriptEntry", "ScriptExhaustedError", "ScriptedChatModel", "estimate_tokens"]

#: One scripted answer: the reply text, a function of the messages, or an error to raise.
ScriptEntry = Union[str, Callable[[list[BaseMessage]], str], BaseException]  # noqa: UP007


class ScriptExhaustedError(AtelierError):
    """A ScriptedChatModel was called more often than its script has answers."""


def estimate_tokens(text: str) -> int:
    """A rough token count: about four characters per token."""
    return math.ceil(len(text) / 4) if text else 0


class ScriptedChatModel(BaseChatModel):
    """A chat model that replies from a script (see the module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    #: Seconds each call sleeps before answering (simulated generation time).
    latency_s: float = Field(default=0.0, ge=0)
    #: Name reported in ``response_metadata["model_name"]``.
    model_name: str = "scripted"
    #: Answers every call once the script is empty (a whole scripted cast for workflows,
    #: where concurrent branches make the order of calls unknowable).
    fallback: Callable[[list[BaseMessage]], str] | None = None

    _script: deque[ScriptEntry] = PrivateAttr(default_factory=deque)
    _calls: list[list[BaseMessage]] = PrivateAttr(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, responses: Iterable[ScriptEntry] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enqueue(*responses)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def calls(self) -> list[list[BaseMessage]]:
        """The messages of each call so far, oldest first."""
        with self._lock:
            return list(self._calls)

    @property
    def remaining(self) -> int:
        """How many scripted answers are left."""
        with self._lock:
            return len(self._script)

    def enqueue(self, *responses: ScriptEntry) -> ScriptedChatModel:
        """Append answers to the script; returns the model for chaining."""
        for response in responses:
            if not (isinstance(response, str | BaseException) or callable(response)):
                raise TypeError(
                    "a scripted answer is a str, a callable(messages) -> str or an exception, "
                    f"not {type(response).__name__}"
                )
        with self._lock:
            self._script.extend(responses)
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self._lock:
            self._calls.append(list(messages))
            call_number = len(self._calls)
            entry = self._script.popleft() if self._script else self.fallback
        if entry is None:
            raise ScriptExhaustedError(
                f"ScriptedChatModel has no answer left for call {call_number} "
                f"({call_number - 1} scripted answer(s) were used)",
                hint="enqueue one answer per expected model call (retries count as calls)",
            )
        if self.latency_s:
            time.sleep(self.latency_s)
        if isinstance(entry, BaseException):
            raise entry
        reply = entry if isinstance(entry, str) else entry(list(messages))
        # A callable may return a whole AIMessage, e.g. to script a reply cut off at the
        # token limit (finish_reason "length").
        finish_reason = "stop"
        if isinstance(reply, AIMessage):
            finish_reason = reply.response_metadata.get("finish_reason", "stop")
            reply = reply.content if isinstance(reply.content, str) else None
        if not isinstance(reply, str):
            raise TypeError("a scripted callable must return str or an AIMessage with text")
        text = reply
        prompt_tokens = sum(estimate_tokens(_text_of(m)) for m in messages)
        completion_tokens = estimate_tokens(text)
        message = AIMessage(
            content=text,
            usage_metadata={
                "input_tokens": prompt_tokens,
                "output_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            response_metadata={"model_name": self.model_name, "finish_reason": finish_reason},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


def _text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(
        part if isinstance(part, str) else str(part.get("text", "")) for part in content
    )
