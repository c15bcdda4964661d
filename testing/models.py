"""The scripted cast as a model provider: a plugin module (``[models] plugins``) that
registers ``scripted`` at the same seam as the real providers.

    [models]
    provider = "scripted"
    plugins = ["atelier.testing.models"]

In-process tests and benchmarks that need another cast (a flaky model, a slow one) register
their own under a name of their choosing with ``scripted_provider``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from atelier.agents.models.factory import ChatModelHandle
from atelier.agents.models.providers import (
    ProviderFactory,
    register_provider,
    registered,
    unregister_provider,
)
from atelier.testing.cast import Answer, respond
from atelier.testing.scripted_model import ScriptedChatModel

PLUGIN = __name__


def scripted_handle(answer: Answer = respond, latency_s: float = 0.0) -> ChatModelHandle:
    """A chat model that answers every call with ``answer(messages)`` after ``latency_s``."""
    model = ScriptedChatModel(fallback=answer, latency_s=latency_s)
    return ChatModelHandle(model=model, provider="scripted", model_name="scripted",
                           structured_mode="none")


def scripted_factory(answer: Answer = respond, latency_s: float = 0.0) -> ProviderFactory:
    return lambda settings, params, model_name: scripted_handle(answer, latency_s)


@contextmanager
def scripted_provider(name: str, answer: Answer = respond,
                      latency_s: float = 0.0) -> Iterator[str]:
    """Register a scripted provider called ``name`` for the length of the block (one that
    had the name before gets it back after)."""
    before = registered(name)
    register_provider(name, scripted_factory(answer, latency_s))
    try:
        yield name
    finally:
        unregister_provider(name)
        if before is not None:
            register_provider(name, before)


#: A process started by a test (a served studio it kills) may slow the cast down, so that a
#: kill lands inside a node rather than after the whole run.
register_provider("scripted", scripted_factory(
    latency_s=float(os.environ.get("ATELIER_SCRIPTED_LATENCY_S", "0") or 0)))
