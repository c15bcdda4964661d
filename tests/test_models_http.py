"""The server backends over recorded HTTP (vcrpy cassettes in tests/cassettes/, replayed with
record_mode="none": these tests never touch the network).

Each test checks what Atelier SENDS (the request must equal the cassette's, compared as
JSON, and the fields that matter are asserted by name) and that the reply is PARSED
(content, token usage, timings). How each cassette was made: tests/cassettes/README.md.

Re-record the OpenAI-protocol cassettes against the real llama.cpp server inside xllamacpp:
``ATELIER_RECORD_CASSETTES=1 uv run pytest tests/test_models_http.py``.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr
from vcr.errors import CannotOverwriteExistingCassetteException

from atelier.agents.models.factory import chat_model_for, timings_of, usage_of
from atelier.agents.models.settings import ModelSettings, OllamaSettings, OpenAISettings
from atelier.agents.prompt_file import GenerationParams

from model_helpers import MESSAGES, SCHEMA, Character

CASSETTES = Path(__file__).parent / "cassettes"
RECORDING = os.environ.get("ATELIER_RECORD_CASSETTES") == "1"
#: The address the OpenAI-protocol cassettes name (the recording server's port is rewritten).
RECORDED_SERVER = "http://127.0.0.1:8080/v1"
RECORDED_MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
KEY_ENV = "ATELIER_TEST_SERVER_KEY"

PARAMS = GenerationParams(temperature=0.2, top_p=0.9, max_tokens=120, repeat_penalty=1.1,
                          seed=5)


def _json_body(live: Any, recorded: Any) -> None:
    """vcrpy matcher: the request bodies must be equal as JSON (key order aside)."""
    assert json.loads(live.body or b"null") == json.loads(recorded.body or b"null")


class Wire:
    """A vcrpy configuration that remembers the requests the code under test sent."""

    def __init__(self, rewrite: tuple[str, str] | None = None, record: bool = False) -> None:
        self.sent: list[dict[str, Any]] = []
        self._rewrite = rewrite
        self.vcr = vcr.VCR(
            cassette_library_dir=str(CASSETTES),
            record_mode="all" if record else "none",
            match_on=["method", "scheme", "host", "port", "path", "query", "json_body"],
            filter_headers=["authorization"],
            decode_compressed_response=True,
            before_record_request=self._before_record,
        )
        self.vcr.register_matcher("json_body", _json_body)

    def _before_record(self, request: Any) -> Any:
        request = copy.deepcopy(request)
        if self._rewrite:  # the recording server's random port -> the recorded address
            request.uri = request.uri.replace(*self._rewrite)
            for name in [n for n in request.headers if n.lower() == "host"]:
                request.headers[name] = request.headers[name].replace(*self._rewrite)
        body = json.loads(request.body or b"null")
        entry = {"method": request.method, "uri": request.uri, "body": body}
        if entry not in self.sent:  # vcrpy calls this more than once per request
            self.sent.append(entry)
        return request

    def cassette(self, name: str) -> Any:
        return self.vcr.use_cassette(name)


@pytest.fixture
def openai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], tuple[str, Wire]]]:
    """(base_url, wire) for the OpenAI protocol: the recorded address when replaying; the
    embedded llama.cpp server (a real OpenAI-compatible server) when recording."""

    def make() -> tuple[str, Wire]:
        if not RECORDING:
            monkeypatch.delenv(KEY_ENV, raising=False)
            return RECORDED_SERVER, Wire()
        from atelier.agents.models.local import LocalServer
        from atelier.agents.models.settings import LocalModelSettings

        server = LocalServer.get(LocalModelSettings())
        monkeypatch.setenv(KEY_ENV, server.api_key)
        live = server.base_url.removesuffix("/v1").removeprefix("http://")
        return server.base_url, Wire(rewrite=(live, "127.0.0.1:8080"), record=True)

    yield make


def test_openai_protocol_json_schema_against_llama_cpp_server(openai_server: Any) -> None:
    base_url, wire = openai_server()
    settings = ModelSettings(
        provider="openai",
        openai=OpenAISettings(base_url=base_url, model=RECORDED_MODEL, api_key_env=KEY_ENV),
    )
    handle = chat_model_for(settings, PARAMS)
    with wire.cassette("openai_llamacpp_json_schema.yaml"):
        reply = handle.structured(SCHEMA, "Character").invoke(MESSAGES)

    [request] = wire.sent
    assert request["method"] == "POST"
    assert request["uri"] == f"{RECORDED_SERVER}/chat/completions"
    body = request["body"]
    assert body["model"] == RECORDED_MODEL
    assert body["messages"] == [
        {"role": "system", "content": MESSAGES[0].content},
        {"role": "user", "content": MESSAGES[1].content},
    ]
    assert body["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "Character", "schema": SCHEMA}
    }
    # llama.cpp-family names, top level (extra_body is merged into the body by the SDK):
    assert (body["max_tokens"], body["repeat_penalty"]) == (120, 1.1)
    assert "max_completion_tokens" not in body
    assert (body["temperature"], body["top_p"], body["seed"]) == (0.2, 0.9, 5)

    character = Character.model_validate_json(reply.content)  # the server's grammar held
    assert character.role in ("hero", "mentor", "villain")
    prompt_tokens, completion_tokens = usage_of(reply)
    assert prompt_tokens > 10 and 0 < completion_tokens <= 120
    assert timings_of(reply)["tokens_per_second"] > 0  # llama.cpp's timings survived
    assert reply.response_metadata["finish_reason"] == "stop"


def test_openai_protocol_json_object_fallback_against_llama_cpp_server(
    openai_server: Any,
) -> None:
    base_url, wire = openai_server()
    settings = ModelSettings(
        provider="openai",
        openai=OpenAISettings(base_url=base_url, model=RECORDED_MODEL, api_key_env=KEY_ENV,
                              json_schema=False),
    )
    handle = chat_model_for(settings, PARAMS)
    with wire.cassette("openai_llamacpp_json_object.yaml"):
        reply = handle.structured(SCHEMA, "Character").invoke(MESSAGES)

    [request] = wire.sent
    body = request["body"]
    assert body["response_format"] == {"type": "json_object", "schema": SCHEMA}
    system = body["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith(MESSAGES[0].content)
    assert json.dumps(SCHEMA, separators=(",", ":")) in system["content"]
    assert body["max_tokens"] == 120 and "max_completion_tokens" not in body

    Character.model_validate_json(reply.content)  # json_object + schema: also a grammar
    assert usage_of(reply)[1] > 0


def test_ollama_protocol_structured_chat() -> None:
    wire = Wire()  # written from Ollama's API docs; there is no Ollama server here
    settings = ModelSettings(
        provider="ollama", ollama=OllamaSettings(host="http://127.0.0.1:11434", model="llama3.2")
    )
    handle = chat_model_for(settings, PARAMS)
    with wire.cassette("ollama_chat_structured.yaml"):
        reply = handle.structured(SCHEMA, "Character").invoke(MESSAGES)

    [request] = wire.sent
    assert (request["method"], request["uri"]) == ("POST", "http://127.0.0.1:11434/api/chat")
    body = request["body"]
    assert body["model"] == "llama3.2"
    assert body["format"] == SCHEMA
    assert body["options"] == {
        "temperature": 0.2, "top_p": 0.9, "num_predict": 120, "repeat_penalty": 1.1, "seed": 5,
    }
    assert body["messages"] == [
        {"role": "system", "content": MESSAGES[0].content},
        {"role": "user", "content": MESSAGES[1].content},
    ]
    assert body["stream"] is True  # ChatOllama streams and joins the chunks

    assert Character.model_validate_json(reply.content) == Character(
        name="Mara", role="hero", look="Yellow raincoat, wind-blown hair, a brass lantern"
    )
    assert usage_of(reply) == (58, 24)  # prompt_eval_count, eval_count of the final chunk
    timings = timings_of(reply)
    assert timings["generation_ms"] == 480.0 and timings["tokens_per_second"] == 50.0
    assert reply.response_metadata["done_reason"] == "stop"


def test_replay_refuses_a_request_that_differs_from_the_cassette() -> None:
    """What we send is checked: other options than the recorded ones find no answer."""
    settings = ModelSettings(provider="ollama")
    handle = chat_model_for(settings, PARAMS.model_copy(update={"max_tokens": 64}))
    with (
        pytest.raises(CannotOverwriteExistingCassetteException),
        Wire().cassette("ollama_chat_structured.yaml"),
    ):
        handle.structured(SCHEMA, "Character").invoke(MESSAGES)
