"""The bigger embedded model, Qwen2.5-Coder-0.5B-Instruct (the ``qwen-coder`` extra), for
real: joined from its packages, verified, loaded by llama.cpp and asked for one structured
reply through the agents' own call path. Skipped where the extra is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.agents.calls import MemoryCallLog
from atelier.agents.context import AgentContext
from atelier.agents.models.catalog import QWEN_CODER, ModelNotInstalled, model_file
from atelier.agents.models.factory import chat_model_for
from atelier.agents.models.settings import LocalModelSettings, ModelSettings
from atelier.agents.prompt_file import load_prompt
from atelier.agents.structured import generate

from model_helpers import Character

pytestmark = pytest.mark.model

PROMPT = """---
name: character
metadata:
  version: "1"
model:
  options:
    temperature: 0.3
    maxOutputTokens: 120
    seed: 7
---
system:
You describe one comic character as JSON.
user:
Mara, a stubborn lighthouse keeper in a yellow raincoat.
"""


@pytest.fixture(scope="module")
def qwen_installed() -> None:
    try:
        model_file(QWEN_CODER)
    except ModelNotInstalled:
        pytest.skip("the qwen-coder extra is not installed (`uv sync --extra qwen-coder`)")


def test_one_structured_call_on_qwen_logs_its_verified_file(qwen_installed: None,
                                                            tmp_path: Path) -> None:
    (tmp_path / "character.prompty").write_text(PROMPT)
    prompt = load_prompt(tmp_path / "character.prompty")
    settings = ModelSettings(local=LocalModelSettings(model=QWEN_CODER.key))
    handle = chat_model_for(settings, prompt.model.params)
    assert (handle.model_name, handle.model_sha256) == (QWEN_CODER.file_name, QWEN_CODER.sha256)
    log = MemoryCallLog()
    ctx = AgentContext(prompt=prompt, handle=handle, log=log)
    character = generate(agent="designer", task="character", prompt=ctx.prompt,
                         handle=ctx.handle, inputs={}, schema=Character, log=ctx.log)
    assert character.name.strip() and character.look.strip()
    [record] = log.records
    assert record.outcome == "ok" and record.completion_tokens > 0
    assert (record.model, record.model_sha256) == (QWEN_CODER.file_name, QWEN_CODER.sha256)
