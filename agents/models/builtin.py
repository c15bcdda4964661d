"""The built-in providers, registered as plugins like any other (see ``providers``):
``local`` (llama.cpp in-process), ``openai`` (any OpenAI-compatible server), ``ollama``."""

from __future__ import annotations

from atelier.agents.models.factory import local_model, ollama_model, openai_model
from atelier.agents.models.providers import register_provider

register_provider("local", lambda settings, params, name: local_model(settings.local, params, name))
register_provider("openai",
                  lambda settings, params, name: openai_model(settings.openai, params, name))
register_provider("ollama",
                  lambda settings, params, name: ollama_model(settings.ollama, params, name))
