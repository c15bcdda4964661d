"""The embedded model for real: SmolLM2-135M in llama.cpp (xllamacpp), reached through the
same LangChain ChatOpenAI path as any OpenAI-compatible server. Kept small (~10 s)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from atelier.agents.models.factory import ChatModelHandle, chat_model_for, timings_of, usage_of
from atelier.agents.models.local import BUNDLED_GGUF_NAME, LocalModelError, LocalServer
from atelier.agents.models.settings import LocalModelSettings, ModelSettings
from atelier.agents.prompt_file import GenerationParams
from bench.throughput import bench_throughput

from model_helpers import MESSAGES, SCHEMA, Character

pytestmark = pytest.mark.model

PARAMS = GenerationParams(temperature=0.2, top_p=0.9, max_tokens=200, repeat_penalty=1.1,
                          seed=5)


@pytest.fixture(scope="module")
def local() -> Iterator[ChatModelHandle]:
    handle = chat_model_for(ModelSettings(), PARAMS)  # loads the bundled model once
    yield handle


def test_the_bundled_model_is_served_on_loopback(local: ChatModelHandle) -> None:
    from atelier.agents.models.catalog import SMOLLM2

    assert local.model_sha256 == SMOLLM2.sha256  # verified before it was loaded
    server = LocalServer.get(LocalModelSettings())
    assert server.running and server.load_seconds is not None
    assert (local.provider, local.model_name) == ("local", BUNDLED_GGUF_NAME)
    url = urlsplit(server.base_url)
    assert url.hostname == "127.0.0.1" and url.port and url.path == "/v1"
    assert str(local.model.openai_api_base) == server.base_url
    assert chat_model_for(ModelSettings(), PARAMS).model.openai_api_base == server.base_url


def test_structured_call_returns_schema_valid_json_with_usage_and_timings(
    local: ChatModelHandle,
) -> None:
    reply = local.structured(SCHEMA, "Character").invoke(MESSAGES)
    character = Character.model_validate_json(reply.content)  # the grammar held
    assert character.role in ("hero", "mentor", "villain")
    prompt_tokens, completion_tokens = usage_of(reply)
    assert prompt_tokens > 10 and 0 < completion_tokens <= PARAMS.max_tokens
    timings = timings_of(reply)
    assert timings["generation_ms"] > 0 and timings["tokens_per_second"] > 0
    assert reply.response_metadata["finish_reason"] == "stop"
    assert reply.response_metadata["model_name"] == BUNDLED_GGUF_NAME


def test_two_threads_at_once_both_get_valid_replies(local: ChatModelHandle) -> None:
    runnable = local.structured(SCHEMA, "Character")
    results: dict[int, Character] = {}
    errors: list[BaseException] = []

    def call(index: int) -> None:
        try:
            reply = runnable.invoke(MESSAGES)
            results[index] = Character.model_validate_json(reply.content)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sorted(results) == [0, 1]


def test_a_reply_cut_off_at_max_tokens_comes_back_marked(local: ChatModelHandle) -> None:
    short = chat_model_for(ModelSettings(), PARAMS.model_copy(update={"max_tokens": 4}))
    reply = short.structured(SCHEMA, "Character").invoke(MESSAGES)
    assert reply.response_metadata["finish_reason"] == "length"
    assert usage_of(reply)[1] == 4
    # The grammar's start, then cut. llama.cpp's grammar lets the model open a ```json
    # fence (stripped from complete replies), so a cut-off reply may start with it.
    assert reply.content.lstrip()[:1] in ("{", "`")


def test_a_cut_short_gguf_is_refused_before_llama_cpp_sees_it(tmp_path: Path) -> None:
    from atelier.agents.models.local import bundled_gguf

    truncated = tmp_path / "truncated.gguf"
    with bundled_gguf().open("rb") as source:
        truncated.write_bytes(source.read(2_000_000))  # a download cut short
    settings = ModelSettings(local=LocalModelSettings(gguf=truncated))
    with pytest.raises(LocalModelError) as raised:
        chat_model_for(settings, PARAMS)
    assert raised.value.message.startswith(
        f"{truncated} (2,000,000 bytes) is a damaged or cut-short GGUF file")


def test_a_gguf_llama_cpp_cannot_load_gives_llama_cpp_s_reason(tmp_path: Path) -> None:
    """A well-formed GGUF of an architecture this llama.cpp does not know passes the file
    checks; llama.cpp's own reason is reported."""
    import numpy as np
    from gguf import GGUFWriter

    path = tmp_path / "unknown.gguf"
    writer = GGUFWriter(str(path), "atelier-test")
    writer.add_tensor("token_embd.weight", np.arange(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    settings = ModelSettings(local=LocalModelSettings(gguf=path))
    with pytest.raises(LocalModelError) as raised:
        chat_model_for(settings, PARAMS)
    assert raised.value.message == (f"llama.cpp could not load {path}: llama_model_load: error "
                                    "loading model: unknown model architecture: 'atelier-test'")
    assert "does not know the model's architecture" in (raised.value.hint or "")


def test_throughput_benchmark_compares_wrapper_and_raw(local: ChatModelHandle) -> None:
    result = bench_throughput(n_tokens=16, runs=1)
    assert result["model"] == BUNDLED_GGUF_NAME
    for path in ("wrapper", "raw"):
        assert result[path]["completion_tokens"] == [16]
        assert result[path]["tokens_per_s"] > 0
    assert result["wrapper_over_raw"] > 0


def test_a_process_that_used_the_local_model_exits_promptly() -> None:
    """The in-process server stops at interpreter exit instead of keeping the process alive."""
    import subprocess
    import sys
    import time

    script = (
        "from atelier.agents.models import ModelSettings\n"
        "from atelier.agents.models.factory import chat_model_for\n"
        "from atelier.agents.prompt_file import GenerationParams\n"
        "handle = chat_model_for(ModelSettings(), GenerationParams(max_tokens=2))\n"
        "print(handle.model.invoke('Hi').response_metadata['finish_reason'])\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "length"
    assert time.perf_counter() - started < 60
