"""``ChatOpenAI`` with two fixes for schema-constrained calls to OpenAI-compatible servers.

Not a new chat model: LangChain's own ``ChatOpenAI`` does every request and all parsing.
This subclass only changes what happens to the reply:

* **Cut-off replies come back instead of raising.** With a ``response_format``,
  ``ChatOpenAI`` goes through the openai SDK's ``parse()``, which raises
  ``LengthFinishReasonError`` when generation stopped at ``max_tokens``; the reply and its
  token usage are lost. Atelier validates and retries itself, so it needs that reply: it is
  returned as usual, with ``response_metadata["finish_reason"] == "length"``.
* **llama.cpp's ``timings`` are kept.** llama.cpp's server (inside xllamacpp, and
  ``llama-server``) adds ``timings`` (prompt and generation milliseconds, tokens per second)
  to each reply; ``ChatOpenAI`` drops fields OpenAI does not define. They are copied into
  ``response_metadata["timings"]``.
"""

from __future__ import annotations

from typing import Any

import openai
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from langchain_openai import ChatOpenAI

__all__ = ["ChatOpenAICompatible"]


class ChatOpenAICompatible(ChatOpenAI):
    """``ChatOpenAI`` that returns cut-off structured replies and keeps llama.cpp timings."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        try:
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        except openai.LengthFinishReasonError as exc:
            return self._create_chat_result(exc.completion)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        try:
            return await super()._agenerate(
                messages, stop=stop, run_manager=run_manager, **kwargs
            )
        except openai.LengthFinishReasonError as exc:
            return self._create_chat_result(exc.completion)

    def _create_chat_result(
        self, response: dict | Any, generation_info: dict | None = None
    ) -> ChatResult:
        result = super()._create_chat_result(response, generation_info)
        if isinstance(response, dict):
            timings = response.get("timings")
        else:  # an openai SDK model: fields OpenAI does not define live in model_extra
            timings = (getattr(response, "model_extra", None) or {}).get("timings")
        if isinstance(timings, dict):
            for generation in result.generations:
                generation.message.response_metadata["timings"] = dict(timings)
        return result
