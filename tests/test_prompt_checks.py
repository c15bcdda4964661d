"""The checks every prompt rewrite must pass, a person's or the editor's
(``atelier.agents.prompt_checks.rewrite_problems``), against the shipped prompt files."""

from __future__ import annotations

import pytest

from atelier.agents.prompt_checks import rewrite_problems
from atelier.agents.prompt_file import PromptFile, load_prompt, parse_prompt

from agent_helpers import PROMPTS

AGENTS = ("scriptwriter", "designer", "layout")


def shipped(agent: str) -> PromptFile:
    return load_prompt(PROMPTS / f"{agent}.prompty")


@pytest.mark.parametrize("agent", [*AGENTS, "editor"])
def test_a_shipped_prompt_passes_against_itself(agent: str) -> None:
    assert rewrite_problems(shipped(agent), shipped(agent)) == []


def variant(agent: str, *replacements: tuple[str, str]) -> PromptFile:
    text = shipped(agent).normalized_text
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    return parse_prompt(text, source=f"{agent}-draft.prompty")


def test_a_rewording_by_a_person_passes() -> None:
    draft = variant(
        "layout",
        ("Quiet beats can be small.", "Quiet beats are small."),
        ("temperature: 0.2", "temperature: 0.25"),
    )
    assert rewrite_problems(shipped("layout"), draft) == []


def test_a_renamed_input_is_caught() -> None:
    draft = variant(
        "layout",
        ("- name: title", "- name: episode_title"),
        ("Episode: {{ title }}", "Episode: {{ episode_title }}"),
    )
    assert rewrite_problems(shipped("layout"), draft) == [
        "inputs: 'title' was renamed to 'episode_title' (the agent passes 'title')"
    ]


def test_a_removed_input_is_caught() -> None:
    draft = variant(
        "designer",
        ("Look: {{ character.look }}\n", ""),
        (
            "  - name: appearances\n    kind: array\n    items:\n      kind: string\n"
            "    description: Script lines showing the character in action.\n"
            "    default: []\n",
            "",
        ),
        (
            "{% if appearances -%}\nIn the script:\n{% for line in appearances -%}\n"
            "- {{ line }}\n{% endfor -%}\n{% endif -%}\n",
            "",
        ),
    )
    assert rewrite_problems(shipped("designer"), draft) == [
        "inputs: 'appearances' was removed (the agent passes it)"
    ]


def test_a_placeholder_left_out_is_caught() -> None:
    draft = variant("layout", ("Episode: {{ title }}\n", ""))
    assert rewrite_problems(shipped("layout"), draft) == [
        "body: the template no longer uses the input 'title' (the {{ title }} placeholder is gone)"
    ]


def test_a_changed_name_is_caught() -> None:
    draft = variant("layout", ("name: layout\n", "name: layouts\n"))
    assert rewrite_problems(shipped("layout"), draft) == [
        "name: changed from 'layout' to 'layouts' (a rewrite keeps the prompt's name)"
    ]


def test_a_changed_kind_or_a_lost_default_is_caught() -> None:
    draft = variant(
        "scriptwriter",
        (
            "  - name: episode\n    kind: integer\n    default: 1\n",
            "  - name: episode\n    kind: string\n",
        ),
    )
    assert rewrite_problems(shipped("scriptwriter"), draft) == [
        "inputs.episode: kind changed from integer to string"
    ]
    draft = variant("designer", ("    default: []\n", ""))
    assert rewrite_problems(shipped("designer"), draft) == [
        "inputs.appearances: had a default and is now required (the agent may not pass it)"
    ]


@pytest.mark.parametrize(
    ("where", "replacement"),
    [
        ("system", ("the characters you are given.",
                    "the characters {{ brief.secret_plan }} gives you.")),
        # only rendered for task == "bible": the check renders every branch it can reach
        (
            "bible branch",
            (
                "Episodes planned: {{ brief.episodes }}",
                "Episodes planned: {{ brief.episode_count }}",
            ),
        ),
        # only rendered when variants > 1
        (
            "variants branch",
            ("This is version {{ variant }}", "This is version {{ variant.name }}"),
        ),
        ("loop", ("- {{ c.id }}: {{ c.name }}", "- {{ c.id }}: {{ c.nickname }}")),
    ],
)
def test_an_undefined_template_variable_is_caught(where: str, replacement: tuple[str, str]) -> None:
    draft = variant("scriptwriter", replacement)
    [problem] = rewrite_problems(shipped("scriptwriter"), draft)
    assert problem.startswith(
        "body: the draft does not render with inputs the current prompt renders with"
    )
    assert "scriptwriter-draft.prompty" in problem and "UndefinedError" in problem


def test_a_variable_in_a_layout_panel_loop_is_caught() -> None:
    draft = variant("layout", ("{{ p.action }}", "{{ p.action }} {{ p.weight }}"))
    [problem] = rewrite_problems(shipped("layout"), draft)
    assert "'weight'" in problem


def test_parameters_out_of_bounds_are_caught() -> None:
    current = shipped("layout")
    params = current.model.params.model_copy(update={"temperature": 2.5, "top_p": 1.5})
    draft = current.model_copy(
        update={"model": current.model.model_copy(update={"params": params})}
    )
    assert rewrite_problems(current, draft) == [
        "model.options: temperature 2.5 is out of range (must be between 0 and 2)",
        "model.options: topP 1.5 is out of range (must be between 0 and 1)",
    ]
