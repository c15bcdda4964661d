"""LangChain chat models for agents, built from ``[models]`` settings and a prompt's params.

``chat_model_for`` returns a ``ChatModelHandle``: the LangChain ``BaseChatModel`` plus the
provider and model name the call log records. ``handle.structured(schema, name)`` is the
runnable an agent invokes for JSON constrained to an output schema, as far as each backend
allows:

=========================  =================================================================
backend                    how the schema is enforced
=========================  =================================================================
local (llama.cpp)          ``response_format`` ``json_schema`` -> a grammar (llguidance in
                           xllamacpp's build): the reply can only be JSON of that shape;
                           string lengths, item counts and numeric bounds held in tests.
openai, OpenAI itself      ``json_schema`` with ``strict: true`` when the schema qualifies
                           (every property required); unsupported keywords such as
                           ``maxLength`` are left out of the strict copy (the caller's
                           pydantic validation still checks them). Otherwise non-strict.
openai, other servers      ``json_schema`` as is (vLLM, llama.cpp server, LM Studio turn it
                           into guided decoding / a grammar).
openai, json_schema=false  ``json_object`` with the schema attached under ``schema`` (the
                           llama-cpp-python server turns that into a grammar) and repeated in
                           the system prompt.
ollama                     ``format`` = the schema (Ollama's structured outputs).
=========================  =================================================================

The runnable returns the raw ``AIMessage``: JSON text in ``content``, tokens in
``usage_metadata`` (see ``usage_of``), and backend details in ``response_metadata`` (llama.cpp
servers add ``timings``; Ollama adds its durations; see ``timings_of``).

OpenAI-compatible server pitfalls handled here:

* ``max_tokens``: ``ChatOpenAI`` sends ``max_completion_tokens`` (OpenAI's current name).
  llama.cpp's own server (and so xllamacpp) reads both, but llama-cpp-python's server and
  other servers written before that name existed read only ``max_tokens`` and silently
  generate until the context is full. Every OpenAI-compatible server reads ``max_tokens``,
  so for any server other than OpenAI itself Atelier sends ``max_tokens`` (in
  ``extra_body``) and not ``max_completion_tokens``; OpenAI gets ``max_completion_tokens``.
* ``repeat_penalty`` is a llama.cpp / vLLM / LM Studio extension: sent in ``extra_body`` to
  non-OpenAI servers, left out for OpenAI (which rejects unknown parameters).
* ``json_schema`` response format: llama.cpp's server and vLLM accept it; llama-cpp-python's
  server does not (set ``[models.openai] json_schema = false``, see the table above).
* ``json_object`` without a schema lets a small model ramble (measured: SmolLM2 ran to the
  token limit), and ``function_calling`` returned nothing from llama.cpp: neither is used.
* A reply cut off at ``max_tokens`` makes ``ChatOpenAI`` raise (the openai SDK's
  ``parse()`` raises ``LengthFinishReasonError`` whenever a ``response_format`` is set),
  losing the text and its token usage. ``ChatOpenAICompatible`` returns it instead, with
  ``response_metadata["finish_reason"] == "length"``: check that to tell "cut off, raise
  max_tokens" from "invalid JSON". (llama.cpp's JSON grammar lets the model wrap the JSON
  in a Markdown ```json fence, which the server strips from complete replies; a cut-off
  reply can therefore start with the fence.)
* Servers on your own machine need no key: a placeholder is sent when the key variable is
  unset and ``base_url`` is not OpenAI's.
* The model name: llama.cpp's server answers whatever ``model`` is asked for with the model
  it loaded; vLLM, LM Studio and Ollama's /v1 need the exact served name.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from atelier.agents.models import providers
from atelier.agents.models.providers import ModelConfigError
from atelier.agents.models.settings import (
    LocalModelSettings,
    ModelSettings,
    OllamaSettings,
    OpenAISettings,
)

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.runnables import Runnable

    from atelier.agents.prompt_file import GenerationParams

__all__ = [
    "ChatModelHandle",
    "ModelConfigError",
    "StructuredMode",
    "chat_model_for",
    "openai_strict_schema",
    "timings_of",
    "usage_of",
]

log = logging.getLogger(__name__)

#: How ``ChatModelHandle.structured`` asks the backend for schema-shaped JSON.
StructuredMode = Literal[
    "json_schema",  # response_format json_schema, schema as given (llama.cpp, vLLM, ...)
    "json_schema_strict",  # OpenAI itself: strict when the schema qualifies
    "json_object",  # response_format json_object + schema attached and in the prompt
    "ollama_format",  # Ollama: format=<schema>
    "none",  # the model is called as is (a plugin's own model, e.g. the scripted double)
]

_DEFAULT_MODES: dict[str, StructuredMode] = {
    "local": "json_schema",
    "openai": "json_schema",
    "ollama": "ollama_format",
}

_OPENAI_HOST = "api.openai.com"
_PLACEHOLDER_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key


@dataclass(frozen=True)
class ChatModelHandle:
    """A LangChain chat model and what the call log records about it."""

    model: BaseChatModel
    provider: str  # "local" | "openai" | "ollama" | a plugin's name
    model_name: str  # e.g. "SmolLM2-135M-Instruct.Q4_1.gguf" or "gpt-4o-mini"
    #: sha256 (hex) of the GGUF file a local model runs; ``None`` for a served model
    #: (openai, ollama, plugins), whose weights only its server knows.
    model_sha256: str | None = None
    #: ``None`` = the provider's usual mode (see ``StructuredMode``).
    structured_mode: StructuredMode | None = field(default=None, compare=False)

    def structured(self, schema: dict[str, Any], name: str) -> Runnable[Any, AIMessage]:
        """A runnable taking messages and returning the raw ``AIMessage`` whose content is
        JSON text constrained to ``schema`` (a JSON schema dict) as far as the backend allows.
        The caller parses and validates it."""
        mode = self.structured_mode or _DEFAULT_MODES.get(self.provider, "none")
        if mode == "none":
            return self.model  # type: ignore[return-value]
        if mode == "ollama_format":
            return self.model.bind(format=schema)  # type: ignore[return-value]
        if mode == "json_object":
            from langchain_core.runnables import RunnableLambda

            bound = self.model.bind(
                response_format={"type": "json_object", "schema": schema}
            )
            return RunnableLambda(_with_schema_instruction(schema), name="add_schema") | bound
        format_name = _format_name(name)
        if mode == "json_schema_strict":
            strict = openai_strict_schema(schema)
            if strict is not None:
                spec = {"name": format_name, "schema": strict, "strict": True}
            else:
                spec = {"name": format_name, "schema": schema, "strict": False}
        else:
            spec = {"name": format_name, "schema": schema}
        return self.model.bind(  # type: ignore[return-value]
            response_format={"type": "json_schema", "json_schema": spec}
        )


# --------------------------------------------------------------------------------------
# Building models
# --------------------------------------------------------------------------------------


def chat_model_for(
    settings: ModelSettings,
    params: GenerationParams,
    *,
    provider: str | None = None,
    model_name: str | None = None,
) -> ChatModelHandle:
    """The chat model for one agent: ``settings`` from config.toml, ``params`` and the
    optional ``provider`` / ``model_name`` overrides from the agent's prompt file.

    For ``local``, ``model_name`` may name the bundled model ("SmolLM2-135M-Instruct"),
    the configured GGUF's file name, or a path to another GGUF file. The local model is
    loaded here (once per process) so a bad path fails now, with a clear message.
    """
    chosen = provider or settings.provider
    return providers.provider(chosen, settings.plugins)(settings, params, model_name)


def local_model(
    settings: LocalModelSettings, params: GenerationParams, model_name: str | None
) -> ChatModelHandle:
    from atelier.agents.models.local import LOCAL_TIMEOUT_S, LocalServer

    server = LocalServer.get(_local_choice(settings, model_name))
    kwargs, extra_body = openai_params(params, official=False)
    model = _chat_openai(
        model=server.model_name,
        base_url=server.base_url,
        api_key=server.api_key,
        timeout=LOCAL_TIMEOUT_S,
        max_retries=0,  # an in-process server does not drop requests
        extra_body=extra_body,
        **kwargs,
    )
    return ChatModelHandle(model=model, provider="local", model_name=server.model_name,
                           model_sha256=server.model_sha256)


def _local_choice(settings: LocalModelSettings, model_name: str | None) -> LocalModelSettings:
    """``settings`` with a prompt's model id applied: a known model's key or file name
    (the bundled one included), the configured GGUF's file name, or a path to a GGUF."""
    from pathlib import Path

    from atelier.agents.models.catalog import KNOWN_MODELS
    from atelier.agents.models.local import BUNDLED_MODEL_NAME, LocalModelError

    if not model_name:
        return settings
    wanted = model_name.strip().lower()
    for known in KNOWN_MODELS.values():
        names = {known.key, known.file_name.lower(), known.file_name.lower().removesuffix(".gguf")}
        if known.extra is None:
            names.add(BUNDLED_MODEL_NAME.lower())
        if wanted in names:
            return settings.model_copy(update={"model": known.key, "gguf": None})
    configured = Path(settings.gguf).name.lower() if settings.gguf else None
    if configured and wanted in {configured, configured.removesuffix(".gguf")}:
        return settings
    if wanted.endswith(".gguf") or "/" in wanted or os.sep in wanted:
        return settings.model_copy(update={"model": None, "gguf": Path(model_name.strip())})
    raise LocalModelError(
        f"unknown local model {model_name!r}",
        hint="for provider local, a prompt's model id must be a known model "
        f"({', '.join(KNOWN_MODELS)}, or {BUNDLED_MODEL_NAME}), the configured GGUF's file "
        "name or a path to a .gguf file; or leave it out so config.toml decides",
    )


def openai_model(
    settings: OpenAISettings, params: GenerationParams, model_name: str | None
) -> ChatModelHandle:
    base_url = settings.base_url or os.environ.get("OPENAI_BASE_URL") or None
    official = base_url is None or urlsplit(base_url).hostname == _OPENAI_HOST
    api_key = os.environ.get(settings.api_key_env)
    if not api_key:
        if official:
            raise ModelConfigError(
                f"no OpenAI API key: the environment variable {settings.api_key_env} is not set",
                hint=f"export {settings.api_key_env}=sk-..., or set [models.openai] base_url to "
                "your own OpenAI-compatible server (or api_key_env to the variable holding "
                "its key)",
            )
        api_key = _PLACEHOLDER_KEY
    kwargs, extra_body = openai_params(params, official=official)
    name = model_name or settings.model
    model = _chat_openai(
        model=name,
        base_url=base_url,
        api_key=api_key,
        timeout=settings.timeout,
        extra_body=extra_body or None,
        **kwargs,
    )
    if not settings.json_schema:
        mode: StructuredMode = "json_object"
    else:
        mode = "json_schema_strict" if official else "json_schema"
    return ChatModelHandle(model=model, provider="openai", model_name=name, structured_mode=mode)


def ollama_model(
    settings: OllamaSettings, params: GenerationParams, model_name: str | None
) -> ChatModelHandle:
    from langchain_ollama import ChatOllama

    name = model_name or settings.model
    model = ChatOllama(
        model=name,
        base_url=settings.host,
        client_kwargs={"timeout": settings.timeout},
        **ollama_params(params),
    )
    return ChatModelHandle(model=model, provider="ollama", model_name=name)


def openai_params(params: GenerationParams, *, official: bool) -> tuple[dict[str, Any], dict]:
    """``ChatOpenAI`` keyword arguments and ``extra_body`` for ``params``.

    OpenAI itself gets ``max_tokens`` as ``max_completion_tokens`` and no
    ``repeat_penalty``; every other server gets both in the request body under the names
    llama.cpp, vLLM and LM Studio read (``max_tokens``, ``repeat_penalty``).
    """
    kwargs: dict[str, Any] = {}
    extra_body: dict[str, Any] = {}
    if params.temperature is not None:
        kwargs["temperature"] = params.temperature
    if params.top_p is not None:
        kwargs["top_p"] = params.top_p
    if params.seed is not None:
        kwargs["seed"] = params.seed
    if official:
        if params.max_tokens is not None:
            kwargs["max_tokens"] = params.max_tokens  # sent as max_completion_tokens
        for name in ("repeat_penalty", "top_k", "min_p"):
            if getattr(params, name) is not None:
                log.info("%s=%s is not an OpenAI parameter; not sent", name,
                         getattr(params, name))
    else:
        if params.max_tokens is not None:
            extra_body["max_tokens"] = params.max_tokens
        for name in ("repeat_penalty", "top_k", "min_p"):  # llama.cpp's and vLLM's names
            if getattr(params, name) is not None:
                extra_body[name] = getattr(params, name)
    return kwargs, extra_body


def ollama_params(params: GenerationParams) -> dict[str, Any]:
    """``ChatOllama`` keyword arguments (Ollama's option names) for ``params``."""
    names = {
        "temperature": "temperature",
        "top_p": "top_p",
        "max_tokens": "num_predict",
        "repeat_penalty": "repeat_penalty",
        "seed": "seed",
        "top_k": "top_k",
        "min_p": "min_p",
    }
    values = params.model_dump()
    return {names[key]: value for key, value in values.items() if value is not None}


def _chat_openai(**kwargs: Any) -> BaseChatModel:
    from atelier.agents.models.openai_compatible import ChatOpenAICompatible

    return ChatOpenAICompatible(**kwargs)


# --------------------------------------------------------------------------------------
# Structured output helpers
# --------------------------------------------------------------------------------------

#: JSON-schema keywords OpenAI's strict mode accepts (its documented subset).
_STRICT_KEYWORDS = frozenset({
    "type", "properties", "required", "additionalProperties", "items", "enum", "const",
    "anyOf", "$defs", "$ref", "description", "title", "pattern", "format", "minItems",
    "maxItems", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
})


def openai_strict_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """A copy of ``schema`` fit for OpenAI's ``strict: true``, or ``None`` if it cannot be.

    Strict mode needs every object to list all its properties as required and to forbid
    extra ones. A schema with optional fields (pydantic defaults) would change meaning, so
    it is not made strict. Keywords outside the strict subset (``maxLength``, ``default``,
    ...) are dropped from the copy: the caller's own validation still enforces them.
    """
    if _has_optional_properties(schema):
        return None
    return _strict_copy(copy.deepcopy(schema))


def _has_optional_properties(node: Any) -> bool:
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and set(props) - set(node.get("required", ())):
            return True
        return any(_has_optional_properties(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_optional_properties(v) for v in node)
    return False


def _strict_copy(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict_copy(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in _STRICT_KEYWORDS:
            continue
        if key in ("properties", "$defs"):
            out[key] = {name: _strict_copy(sub) for name, sub in value.items()}
        else:
            out[key] = _strict_copy(value)
    if out.get("type") == "object" or "properties" in out:
        out["additionalProperties"] = False
        out.setdefault("properties", {})
        out["required"] = list(out["properties"])
    return out


def _format_name(name: str) -> str:
    """OpenAI requires ``^[a-zA-Z0-9_-]{1,64}$`` for a response format's name."""
    cleaned = re.sub(r"[^a-zA-Z0-9_-]+", "_", name).strip("_")[:64]
    return cleaned or "output"


def _with_schema_instruction(schema: dict[str, Any]) -> Any:
    """Messages -> messages with the schema stated in the (first) system message."""
    instruction = (
        "Reply with one JSON object, and nothing else, that matches this JSON schema:\n"
        + json.dumps(schema, separators=(",", ":"))
    )

    def add(messages: list[BaseMessage]) -> list[BaseMessage]:
        from langchain_core.messages import SystemMessage

        messages = list(messages)
        for index, message in enumerate(messages):
            if isinstance(message, SystemMessage) and isinstance(message.content, str):
                messages[index] = SystemMessage(content=f"{message.content}\n\n{instruction}")
                return messages
        return [SystemMessage(content=instruction), *messages]

    return add


# --------------------------------------------------------------------------------------
# Reading replies
# --------------------------------------------------------------------------------------


def usage_of(message: AIMessage) -> tuple[int, int]:
    """(prompt tokens, completion tokens) of a reply from any backend; 0s when unknown."""
    usage = getattr(message, "usage_metadata", None)
    if usage:
        return int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
    meta = getattr(message, "response_metadata", None) or {}
    token_usage = meta.get("token_usage") or {}
    if token_usage:
        return (
            int(token_usage.get("prompt_tokens") or 0),
            int(token_usage.get("completion_tokens") or 0),
        )
    if "eval_count" in meta or "prompt_eval_count" in meta:  # Ollama
        return int(meta.get("prompt_eval_count") or 0), int(meta.get("eval_count") or 0)
    return 0, 0


def timings_of(message: AIMessage) -> dict[str, float]:
    """Server-side timings of a reply, when the backend reports them (else ``{}``).

    Keys: ``prompt_ms``, ``generation_ms`` and ``tokens_per_second`` (generation speed).
    llama.cpp servers report ``timings``; Ollama reports durations in nanoseconds.
    """
    meta = getattr(message, "response_metadata", None) or {}
    timings = meta.get("timings")
    if isinstance(timings, dict) and "predicted_ms" in timings:
        return {
            "prompt_ms": float(timings.get("prompt_ms") or 0.0),
            "generation_ms": float(timings.get("predicted_ms") or 0.0),
            "tokens_per_second": float(timings.get("predicted_per_second") or 0.0),
        }
    if "eval_duration" in meta:
        generation_ms = float(meta.get("eval_duration") or 0) / 1e6
        count = float(meta.get("eval_count") or 0)
        return {
            "prompt_ms": float(meta.get("prompt_eval_duration") or 0) / 1e6,
            "generation_ms": generation_ms,
            "tokens_per_second": count / (generation_ms / 1000) if generation_ms else 0.0,
        }
    return {}
