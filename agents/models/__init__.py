"""Chat models for the agents: settings, the provider seam and the built-in backends.

* ``settings``  — ``ModelSettings`` (the ``[models]`` section): provider, plugins and the
  settings of each built-in backend.
* ``providers`` — providers by name: ``register_provider``, ``load_plugins``; the seam every
  backend plugs into (the tests' scripted cast, ``atelier.testing.models``, included).
* ``builtin``   — registers ``local``, ``openai`` and ``ollama`` through that seam.
* ``factory``   — ``chat_model_for(settings, params)`` -> ``ChatModelHandle`` (a LangChain
  ``BaseChatModel`` + provider + model name; ``.structured(schema, name)`` for schema-shaped
  JSON), ``usage_of`` / ``timings_of`` to read replies.
* ``local``     — llama.cpp in-process (xllamacpp) serving the bundled SmolLM2-135M, another
  known model or any GGUF on a private loopback port; ``TINY_MODEL_NOTICE`` for users.
* ``catalog``   — the models known by name (``[models.local] model``): their packages, pinned
  sha256 and GGUF metadata; joins a model shipped in parts into the cache folder.
* ``verify``    — a GGUF file's sha256 and metadata checked before llama.cpp loads it.

Importing this package is cheap: LangChain, the OpenAI client and xllamacpp load only when
a model is built.
"""

from atelier.agents.models.local import TINY_MODEL_NOTICE, LocalModelError, bundled_gguf
from atelier.agents.models.settings import (
    LocalModelSettings,
    ModelSettings,
    OllamaSettings,
    OpenAISettings,
)

__all__ = [
    "TINY_MODEL_NOTICE",
    "LocalModelError",
    "LocalModelSettings",
    "ModelSettings",
    "OllamaSettings",
    "OpenAISettings",
    "bundled_gguf",
]
