"""Broken prompt files: each mistake is one line naming the file, the line and the key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from atelier.agents.prompt_file import (
    MAX_BODY_CHARS,
    PromptFileError,
    load_prompt,
    parse_prompt,
)

from prompt_helpers import SCRIPTWRITER, TINY

# --- broken files: one line "<file>:<line>: <key>: <problem>" -------------------------------

Mutation = Callable[[str], str]


def replace(old: str, new: str) -> Mutation:
    def apply(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return apply


BROKEN: dict[str, tuple[Mutation, int, str, str]] = {
    # name: (mutation of the scriptwriter fixture, line, key, fragment of the problem)
    "bad yaml": (
        replace("  provider: local\n", "  provider: local\n bad: [\n"),
        11,
        "front matter",
        "invalid YAML",
    ),
    "tab in yaml": (
        replace("  provider: local", "\tprovider: local"),
        10,
        "front matter",
        "invalid YAML",
    ),
    "unknown top-level key": (
        replace("name: scriptwriter\n", "name: scriptwriter\nversion: 2\n"),
        3,
        "version",
        "did you mean metadata.version",
    ),
    "unknown parameter (OpenAI spelling)": (
        replace("maxOutputTokens", "max_tokens"),
        14,
        "model.options.max_tokens",
        "did you mean model.options.maxOutputTokens",
    ),
    "misspelt parameter": (
        replace("temperature: 0.7", "temprature: 0.7"),
        12,
        "model.options.temprature",
        "did you mean 'temperature'",
    ),
    "repeat_penalty in the wrong place": (
        replace("    seed: 42\n", "    seed: 42\n    repeat_penalty: 1.1\n"),
        16,
        "model.options.repeat_penalty",
        "additionalProperties.repeat_penalty",
    ),
    "Prompty key Atelier does not use": (
        replace("    seed: 42\n", "    seed: 42\n    frequencyPenalty: 0.5\n"),
        16,
        "model.options.frequencyPenalty",
        "does not use it",
    ),
    "unknown input key": (
        replace("    kind: integer", "    type: integer"),
        29,
        "inputs[2].type",
        "did you mean kind",
    ),
    "duplicate key": (
        replace("  provider: local\n", "  provider: local\n  provider: openai\n"),
        11,
        "model.provider",
        "duplicate key",
    ),
    "wrong type": (
        replace("temperature: 0.7", 'temperature: "hot"'),
        12,
        "model.options.temperature",
        "expected a number, got text 'hot'",
    ),
    "integer written as float": (
        replace("maxOutputTokens: 512", "maxOutputTokens: 512.0"),
        14,
        "model.options.maxOutputTokens",
        "expected a whole number",
    ),
    "version not quoted": (
        replace('version: "1.0.0"', "version: 1.0"),
        5,
        "metadata.version",
        "expected text",
    ),
    "temperature out of range": (
        replace("temperature: 0.7", "temperature: 2.5"),
        12,
        "model.options.temperature",
        "between 0 and 2",
    ),
    "topP out of range": (
        replace("topP: 0.9", "topP: 1.5"),
        13,
        "model.options.topP",
        "between 0 and 1",
    ),
    "maxOutputTokens out of range": (
        replace("maxOutputTokens: 512", "maxOutputTokens: 40000"),
        14,
        "model.options.maxOutputTokens",
        "between 1 and 32768",
    ),
    "repeat_penalty out of range": (
        replace("repeat_penalty: 1.1", "repeat_penalty: 0.1"),
        17,
        "model.options.additionalProperties.repeat_penalty",
        "between 0.5 and 2",
    ),
    "negative seed": (
        replace("seed: 42", "seed: -1"),
        15,
        "model.options.seed",
        "0 or more",
    ),
    "unknown provider": (
        replace("provider: local", "provider: azure"),
        10,
        "model.provider",
        "'azure' is not allowed",
    ),
    "unknown input kind": (
        replace("kind: integer", "kind: int"),
        29,
        "inputs[2].kind",
        "'int' is not allowed",
    ),
    "default of the wrong kind": (
        replace("default: 4", 'default: "four"'),
        31,
        "inputs[2].default",
        "must be a whole number",
    ),
    "array without items": (
        replace("    items:\n      kind: string\n", ""),
        23,
        "inputs[1].kind",
        "needs items",
    ),
    "missing name": (replace("name: scriptwriter\n", ""), 2, "name", "required key is missing"),
    "missing version": (
        replace('  version: "1.0.0"\n', ""),
        4,
        "metadata.version",
        "required key is missing",
    ),
    "template as a string": (
        replace(
            "template:\n  format:\n    kind: jinja2\n  parser:\n    kind: prompty\n",
            "template: x\n",
        ),
        32,
        "template",
        "expected a mapping",
    ),
    "environment reference": (
        replace("id: SmolLM2-135M-Instruct", "id: ${env:MODEL}"),
        9,
        "model.id",
        "references are not allowed",
    ),
    "three dashes inside the front matter": (
        replace("panel-by-panel", "panel---panel"),
        3,
        "front matter",
        "'---'",
    ),
    "no front matter": (lambda t: t.split("---\n", 2)[2], 1, "front matter", "must start"),
    "front matter not closed": (
        replace("---\nsystem:", "system:"),
        1,
        "front matter",
        "no closing",
    ),
    "missing system section": (
        replace("system:\n", ""),
        38,
        "body",
        "missing 'system:' section",
    ),
    "user section first": (
        replace("system:\n", "user:\n"),
        38,
        "body",
        "missing 'system:' section",
    ),
    "missing user section": (replace("user:\n", ""), 38, "body", "missing 'user:' section"),
    "unsupported role marker": (
        replace("user:\n", "developer:\n"),
        43,
        "body",
        "'developer:'",
    ),
    "misspelt role marker": (
        replace("system:\n", "sytem:\n"),
        38,
        "body",
        "(did you mean 'system:'?)",
    ),
    "undeclared template variable": (
        replace("{{ premise }}", "{{ premis }}"),
        44,
        "body",
        "'premis' is not a declared input (did you mean 'premise'?)",
    ),
    "jinja syntax error": (
        replace("{%- endfor %}", "{%- endfo %}"),
        49,
        "body",
        "Jinja2 syntax error",
    ),
    "unknown jinja filter": (
        replace("{{ panels }}", "{{ panels | nope }}"),
        40,
        "body",
        "No filter named 'nope'",
    ),
    "include": (
        replace("Premise:", "{% include 'x.txt' %}Premise:"),
        44,
        "body",
        "include is not allowed",
    ),
    "over-long body": (
        lambda t: t + ("x" * 99 + "\n") * (MAX_BODY_CHARS // 100 + 5),
        # the fixture's body is 302 characters on lines 38-50; each added line is 100
        51 + (MAX_BODY_CHARS - 302) // 100,
        "body",
        f"over the limit of {MAX_BODY_CHARS}",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_broken_file_gives_one_clear_line(case: str) -> None:
    mutate, line, key, fragment = BROKEN[case]
    text = mutate(SCRIPTWRITER.read_text())
    with pytest.raises(PromptFileError) as info:
        parse_prompt(text.encode("utf-8"), source="sw.prompty")
    error = info.value
    assert error.message.startswith(f"sw.prompty:{line}: {key}: "), error.message
    assert fragment in error.message
    assert "\n" not in error.message
    assert error.hint
    assert (error.line, error.key) == (line, key)


def test_over_long_body_limit_is_exact() -> None:
    head = TINY.replace("Hi.\n", "")
    body_len = len(head.split("---\n", 2)[2])
    fits = head + "x" * (MAX_BODY_CHARS - body_len - 1) + "\n"
    assert len(parse_prompt(fits).body) == MAX_BODY_CHARS
    with pytest.raises(PromptFileError, match="over the limit"):
        parse_prompt(fits.replace("xx", "xxx", 1))


def test_non_utf8_names_file_line_and_byte(tmp_path: Path) -> None:
    raw = SCRIPTWRITER.read_bytes().replace(b"episode", b"\xffpisode")
    path = tmp_path / "latin1.prompty"
    path.write_bytes(raw)
    with pytest.raises(PromptFileError) as info:
        load_prompt(path)
    assert info.value.message.startswith(f"{path}:3: encoding: byte 0xff at offset ")
    assert "UTF-8" in info.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PromptFileError, match="cannot read the prompt file"):
        load_prompt(tmp_path / "nope.prompty")


def test_input_with_default_cannot_be_required() -> None:
    text = SCRIPTWRITER.read_text().replace("default: 4\n", "default: 4\n    required: true\n")
    with pytest.raises(PromptFileError, match=r"sw.prompty:32: inputs\[2\].required: "):
        parse_prompt(text, source="sw.prompty")


def test_optional_input_needs_a_default() -> None:
    text = SCRIPTWRITER.read_text().replace(
        "    description: What the episode is about.\n",
        "    description: What the episode is about.\n    required: false\n",
    )
    with pytest.raises(PromptFileError, match=r"sw.prompty:22: inputs\[0\].required: "):
        parse_prompt(text, source="sw.prompty")
