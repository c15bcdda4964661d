"""Generation speed of the local model: through Atelier's path vs raw xllamacpp, same run.

``bench_throughput`` loads the local model once, then alternates the same structured
request (same messages, JSON schema grammar, ``max_tokens``, greedy sampling, seed) over
two paths on the same server:

* ``wrapper``: what agents use, ``chat_model_for(...).structured(...).invoke(messages)``,
  i.e. LangChain ``ChatOpenAI`` -> openai SDK -> HTTP on loopback -> llama.cpp's server;
* ``raw``: ``xllamacpp.Server.handle_chat_completions(request)`` in-process (no HTTP,
  no LangChain, no SDK), the floor our path can reach.

The schema asks for more text than ``n_tokens`` so every run generates exactly
``n_tokens`` tokens, making the two paths' tokens/s directly comparable. One warm-up call
per path is not counted. Tokens/s is completion tokens over wall-clock time as the caller
sees it (prompt processing included, which the prompt cache makes small after the warm-up);
``server_tokens_per_s`` is llama.cpp's own generation-only figure.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from atelier.agents.models.settings import LocalModelSettings, ModelSettings

__all__ = ["BENCH_SCHEMA", "bench_throughput"]

#: More than ~128 tokens of text is required, so generation always stops at max_tokens.
BENCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 60},
        "panels": {
            "type": "array",
            "items": {"type": "string", "minLength": 120, "maxLength": 240},
            "minItems": 8,
            "maxItems": 8,
        },
    },
    "required": ["title", "panels"],
}

_SYSTEM = "You write comic scripts as JSON: a title and eight panel descriptions."
_USER = "A lighthouse keeper finds a glowing fish in a storm."


def bench_throughput(
    n_tokens: int = 128, runs: int = 3, settings: LocalModelSettings | None = None
) -> dict[str, Any]:
    """Tokens/s of one structured generation of ``n_tokens`` tokens, wrapper vs raw.

    Returns ``{"model", "threads", "cpu_count", "load_s", "n_tokens", "runs", "wrapper":
    {...}, "raw": {...}, "wrapper_over_raw"}``; each path holds ``tokens_per_s`` (median),
    ``tokens_per_s_runs``, ``server_tokens_per_s`` (median), ``completion_tokens`` and
    ``wall_s_runs``. ``load_s`` is the model load time (``None`` if it was already loaded
    by this process).
    """
    from langchain_core.messages import HumanMessage, SystemMessage

    from atelier.agents.models.factory import chat_model_for, timings_of, usage_of
    from atelier.agents.models.local import LocalServer
    from atelier.agents.prompt_file import GenerationParams

    settings = settings or LocalModelSettings()
    server = LocalServer.get(settings)
    was_running = server.running
    server.start()
    params = GenerationParams(temperature=0.0, seed=1, max_tokens=n_tokens)
    handle = chat_model_for(ModelSettings(provider="local", local=settings), params)
    runnable = handle.structured(BENCH_SCHEMA, "bench")
    messages = [SystemMessage(content=_SYSTEM), HumanMessage(content=_USER)]
    request = {
        "model": server.model_name,
        "messages": [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": _USER}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "bench", "schema": BENCH_SCHEMA},
        },
        "temperature": 0.0,
        "seed": 1,
        "max_tokens": n_tokens,
    }

    def via_wrapper() -> tuple[float, int, float]:
        started = time.perf_counter()
        reply = runnable.invoke(messages)
        wall = time.perf_counter() - started
        return wall, usage_of(reply)[1], timings_of(reply).get("tokens_per_second", 0.0)

    def via_raw() -> tuple[float, int, float]:
        started = time.perf_counter()
        reply = server.chat_completion(request)
        wall = time.perf_counter() - started
        timings = reply.get("timings") or {}
        return (wall, int(reply["usage"]["completion_tokens"]),
                float(timings.get("predicted_per_second") or 0.0))

    via_wrapper()  # warm-up: first-request costs and the prompt cache
    via_raw()
    samples: dict[str, list[tuple[float, int, float]]] = {"wrapper": [], "raw": []}
    for _ in range(runs):
        samples["wrapper"].append(via_wrapper())
        samples["raw"].append(via_raw())

    def summary(rows: list[tuple[float, int, float]]) -> dict[str, Any]:
        rates = [tokens / wall for wall, tokens, _ in rows]
        return {
            "tokens_per_s": round(statistics.median(rates), 2),
            "tokens_per_s_runs": [round(rate, 2) for rate in rates],
            "server_tokens_per_s": round(statistics.median(r[2] for r in rows), 2),
            "completion_tokens": [tokens for _, tokens, _ in rows],
            "wall_s_runs": [round(wall, 4) for wall, _, _ in rows],
        }

    wrapper, raw = summary(samples["wrapper"]), summary(samples["raw"])
    return {
        "model": server.model_name,
        "threads": server.threads,
        "cpu_count": os.cpu_count(),
        "load_s": None if was_running else round(server.load_seconds or 0.0, 3),
        "n_tokens": n_tokens,
        "runs": runs,
        "wrapper": wrapper,
        "raw": raw,
        "wrapper_over_raw": round(wrapper["tokens_per_s"] / raw["tokens_per_s"], 3)
        if raw["tokens_per_s"]
        else None,
    }
