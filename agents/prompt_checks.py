"""The checks every rewrite of a prompt file must pass before it may replace the current
one, whoever wrote it, a person or the editor: ``rewrite_problems``.

An agent's code, not its prompt, decides what it passes to the template, so a rewrite must
keep what that code relies on: the prompt's name and its inputs (names, kinds, none that was
optional made required), every input the current template uses still used, and a template
that renders with every input set the current one renders with. Its sampling values must lie
within the bounds prompt files enforce.

Object inputs declare no shape, so the input sets are found by rendering the current template
with probes that record each key it reads (``_Probe``); the draft must then render with plain
values holding just those keys, so it cannot read a field the agent may not pass. Each value
a comparison in the template tests, and each input's default, gives further sets, combined
while they are few (``MAX_COMBINATIONS``).

Apart from the editor because nothing here depends on how a rewrite was made: the checks take
two parsed prompt files and return what is wrong in words (empty = nothing).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import Environment, nodes
from jinja2 import meta as jinja_meta

from atelier.agents.prompt_file import PromptFile, PromptInput
from atelier.agents.prompt_syntax import _RANGES, PromptFileError

#: GenerationParams field -> the prompt file's name for it (the bounds are keyed by that).
_BOUND_NAMES: dict[str, str] = {
    "temperature": "temperature",
    "top_p": "topP",
    "max_tokens": "maxOutputTokens",
    "seed": "seed",
    "repeat_penalty": "repeat_penalty",
}
#: What every sample text holds, a probe read as text included.
SAMPLE_TEXT = "sample"
#: Most input sets rendered to check one rewrite (each takes a few milliseconds).
MAX_COMBINATIONS = 32


def rewrite_problems(current: PromptFile, draft: PromptFile) -> list[str]:
    """Why ``draft`` may not replace ``current`` (empty = it may): the same name, the same
    inputs (names, kinds, element kinds; none that was optional made required), every input
    the current template uses still used, the draft renders with every input set the current
    one renders with (found by reading what the current template reads from each input),
    and sampling parameters within the bounds prompt files enforce."""
    problems: list[str] = []
    if draft.name != current.name:
        problems.append(
            f"name: changed from {current.name!r} to {draft.name!r} "
            "(a rewrite keeps the prompt's name)"
        )
    input_problems = _input_problems(current, draft)
    problems += input_problems
    used_now, used_then = _used_inputs(current), _used_inputs(draft)
    kept = {i.name for i in draft.inputs}
    for name in sorted((used_now - used_then) & kept):  # a removed input is reported above
        problems.append(
            f"body: the template no longer uses the input {name!r} "
            f"(the {{{{ {name} }}}} placeholder is gone)"
        )
    if not input_problems:
        problems += _render_problems(current, draft)
    for field, key in _BOUND_NAMES.items():
        value = getattr(draft.model.params, field)
        low, high = _RANGES[key]
        if value is not None and (value < low or (high is not None and value > high)):
            span = f"between {low} and {high}" if high is not None else f"{low} or more"
            problems.append(f"model.options: {key} {value} is out of range (must be {span})")
    return problems


def _input_problems(current: PromptFile, draft: PromptFile) -> list[str]:
    now = {i.name: i for i in current.inputs}
    then = {i.name: i for i in draft.inputs}
    gone = [n for n in now if n not in then]
    new = [n for n in then if n not in now]
    problems = []
    if len(gone) == 1 and len(new) == 1:
        problems.append(
            f"inputs: {gone[0]!r} was renamed to {new[0]!r} (the agent passes {gone[0]!r})"
        )
    else:
        problems += [f"inputs: {n!r} was removed (the agent passes it)" for n in gone]
        problems += [f"inputs: {n!r} is new (the agent does not pass it)" for n in new]
    for name in now.keys() & then.keys():
        old, kept = now[name], then[name]
        if (old.kind, old.items) != (kept.kind, kept.items):
            problems.append(f"inputs.{name}: kind changed from {_kind(old)} to {_kind(kept)}")
        elif not old.required and kept.required:
            problems.append(
                f"inputs.{name}: had a default and is now required (the agent may not pass it)"
            )
    return sorted(problems)


def _kind(item: PromptInput) -> str:
    return f"array of {item.items}" if item.kind == "array" and item.items else item.kind


_PARSE_ONLY = Environment()


def _used_inputs(prompt: PromptFile) -> set[str]:
    names = jinja_meta.find_undeclared_variables(_PARSE_ONLY.parse(prompt.body))
    return names & {i.name for i in prompt.inputs}


class _Reads:
    """What a template read from one input value: its keys, and its elements if looped."""

    def __init__(self) -> None:
        self.keys: dict[str, _Reads] = {}
        self.element: _Reads | None = None

    def key(self, name: str) -> _Reads:
        return self.keys.setdefault(name, _Reads())

    def each(self) -> _Reads:
        if self.element is None:
            self.element = _Reads()
        return self.element

    def sample(self) -> Any:
        """The smallest value holding everything that was read."""
        if self.keys:
            return {name: reads.sample() for name, reads in self.keys.items()}
        if self.element is not None:
            return [self.element.sample()]
        return SAMPLE_TEXT

    def mapping(self) -> dict[str, Any]:
        value = self.sample()
        return value if isinstance(value, dict) else {}


class _Probe(Mapping[str, Any]):
    """Stands in for an object input while the current template renders: every key read
    from it is recorded (and answered with another probe); looping over it yields one."""

    def __init__(self, reads: _Reads) -> None:
        self._reads = reads

    def __getitem__(self, key: object) -> _Probe:
        return _Probe(self._reads.key(str(key)))

    def __iter__(self) -> Iterator[Any]:
        return iter([_Probe(self._reads.each())])

    def __len__(self) -> int:
        return 1

    def __str__(self) -> str:
        return SAMPLE_TEXT


_OBSERVED = object()  # in a variant: this input's value comes from what the template reads


def _variants(prompt: PromptFile) -> list[dict[str, Any]]:
    """Input sets to render with: a full one (non-empty lists, observed objects), then one
    per value that flips a comparison in the template, and one per input at its default."""
    base: dict[str, Any] = {}
    for item in prompt.inputs:
        if item.kind in ("object",) or (item.kind == "array" and item.items == "object"):
            base[item.name] = _OBSERVED
        elif item.kind == "array":
            base[item.name] = [
                {"string": SAMPLE_TEXT, "integer": 1, "number": 1.0, "boolean": True}.get(
                    item.items or "string", SAMPLE_TEXT
                )
            ]
        elif item.default is not None:
            base[item.name] = item.default
        else:
            base[item.name] = {"string": SAMPLE_TEXT, "integer": 1, "number": 1.0, "boolean": True}[
                item.kind
            ]
    # Every combination of the values that flip comparisons, while they are few: a branch
    # may need two of them at once (task == "outline" and variants > 1).
    declared = {i.name: i for i in prompt.inputs}
    flips: dict[str, list[Any]] = {}
    for name, value in _compared_values(prompt.body):
        item = declared.get(name)
        if (
            item is not None
            and item.kind in ("string", "integer", "number")
            and item.accepts(value)
            and value != base[name]
        ):
            flips.setdefault(name, [base[name]]).append(value)
    combinations = math.prod(len(values) for values in flips.values())
    if combinations <= MAX_COMBINATIONS:
        variants = [
            {**base, **dict(zip(flips, chosen, strict=True))}
            for chosen in itertools.product(*flips.values())
        ]
    else:
        variants = [base] + [
            {**base, name: value} for name, values in flips.items() for value in values[1:]
        ]
    for item in prompt.inputs:
        if item.default is not None and item.default != base[item.name]:
            variants.append({**base, item.name: item.default})
        elif item.kind == "boolean":
            variants.append({**base, item.name: not base[item.name]})
    return variants


def _compared_values(body: str) -> list[tuple[str, Any]]:
    """(input name, value) pairs that flip the template's comparisons: each text an input is
    compared with (``task == "bible"``, ``task in [...]``), and each number and the next
    one up (``variants > 1``)."""
    found: list[tuple[str, Any]] = []
    for compare in _PARSE_ONLY.parse(body).find_all(nodes.Compare):
        operands = [compare.expr, *(op.expr for op in compare.ops)]
        names = [o.name for o in operands if isinstance(o, nodes.Name)]
        consts: list[Any] = []
        for operand in operands:
            if isinstance(operand, nodes.List | nodes.Tuple):
                consts += [i.value for i in operand.items if isinstance(i, nodes.Const)]
            elif isinstance(operand, nodes.Const):
                consts.append(operand.value)
        values: list[Any] = []
        for const in consts:
            if isinstance(const, str):
                values.append(const)
            elif isinstance(const, int | float) and not isinstance(const, bool):
                values += [const, const + 1]
        found += [(name, value) for name in names for value in values if (name, value) not in found]
    return found


def _values(
    prompt: PromptFile, variant: dict[str, Any], reads: dict[str, _Reads], probing: bool
) -> dict[str, Any]:
    kinds = {i.name: i.kind for i in prompt.inputs}
    values = {}
    for name, value in variant.items():
        if value is not _OBSERVED:
            values[name] = value
        elif kinds[name] == "object":
            values[name] = _Probe(reads[name]) if probing else reads[name].mapping()
        else:  # an array of objects
            element = reads[name].each()
            values[name] = [_Probe(element) if probing else element.mapping()]
    return values


def _render_problems(current: PromptFile, draft: PromptFile) -> list[str]:
    variants = _variants(current)
    reads = {i.name: _Reads() for i in current.inputs}
    probed = []
    for variant in variants:
        try:
            current.render(**_values(current, variant, reads, probing=True))
            probed.append(variant)
        except PromptFileError:
            continue
    # Plain values holding exactly what the current template reads: the draft must render
    # with them too, so it cannot read a field the agent may not pass.
    checked = 0
    for variant in probed:
        values = _values(current, variant, reads, probing=False)
        try:
            current.render(**values)
        except PromptFileError:
            continue
        checked += 1
        problem = _draft_fails(draft, values, variant, variants[0])
        if problem:
            return [problem]
    if checked:
        return []
    # Nothing plain renders the current template (it does arithmetic on a field, say):
    # at least the probes that render it must render the draft.
    for variant in probed:
        problem = _draft_fails(
            draft, _values(current, variant, reads, probing=True), variant, variants[0]
        )
        if problem:
            return [problem]
    return []


def _draft_fails(
    draft: PromptFile, values: dict[str, Any], variant: dict[str, Any], base: dict[str, Any]
) -> str | None:
    try:
        draft.render(**values)
    except PromptFileError as exc:
        differs = ", ".join(f"{k}={v!r}" for k, v in variant.items() if v != base.get(k))
        which = f" ({differs})" if differs else ""
        return (
            f"body: the draft does not render with inputs the current prompt renders "
            f"with{which}: {exc.message}"
        )
    return None
