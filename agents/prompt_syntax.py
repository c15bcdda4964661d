"""Prompt-file front matter: its strict schema, YAML parsing with key lines, and errors.

Everything here answers "where in the file, and what is wrong": ``PromptFileError`` and the
one-line ``<file>:<line>: <key>: <problem>`` format, the strict Prompty 2.x front-matter
schema, and the YAML walker that remembers the line of every key and turns schema failures
into messages with hints. The public entry points live in
``atelier.agents.prompt_file``.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from atelier.kernel.errors import AtelierError

InputKind = Literal["string", "integer", "number", "boolean", "array", "object"]
ItemKind = Literal["string", "integer", "number", "boolean", "object"]
Provider = Literal["local", "openai", "ollama"]

KeyPath = tuple[str | int, ...]


class PromptFileError(AtelierError):
    """A prompt file is unreadable or invalid, or rendering it failed.

    ``message`` is one line ``<file>:<line>: <key>: <problem>`` (``<file>: <key>: ...`` when
    no line applies); ``source``, ``line``, ``key`` and ``problem`` hold the parts.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        source: str = "<prompt>",
        line: int | None = None,
        key: str = "",
        problem: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.source = source
        self.line = line
        self.key = key
        self.problem = problem


def prompt_error(
    source: str, line: int | None, key: str, problem: str, hint: str | None = None
) -> PromptFileError:
    """A ``PromptFileError`` for ``<source>:<line>: <key>: <problem>`` (problem on one line)."""
    problem = " ".join(problem.split())  # one line, whatever YAML or Jinja said
    where = f"{source}:{line}" if line else source
    return PromptFileError(
        f"{where}: {key}: {problem}", hint=hint, source=source, line=line, key=key, problem=problem
    )


# --------------------------------------------------------------------------------------
# Front matter schema (Prompty 2.x names; strict: no coercion, no unknown keys)
# --------------------------------------------------------------------------------------

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class _RawExtra(BaseModel):
    model_config = _STRICT
    repeat_penalty: float | None = Field(None, ge=0.5, le=2)
    #: llama.cpp's (and Ollama's) min-p sampling: drop tokens under this share of the best.
    min_p: float | None = Field(None, ge=0, le=1)


class _RawOptions(BaseModel):
    model_config = _STRICT
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, alias="topP", ge=0, le=1)
    max_output_tokens: int | None = Field(None, alias="maxOutputTokens", ge=1, le=32768)
    seed: int | None = Field(None, ge=0)
    top_k: int | None = Field(None, alias="topK", ge=1, le=1000)
    additional_properties: _RawExtra | None = Field(None, alias="additionalProperties")


class _RawModel(BaseModel):
    model_config = _STRICT
    id: str | None = Field(None, min_length=1)
    provider: Provider | None = None
    options: _RawOptions | None = None


class _RawItems(BaseModel):
    model_config = _STRICT
    kind: ItemKind
    description: str = ""


class _RawInput(BaseModel):
    model_config = _STRICT
    name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
    kind: InputKind
    description: str = ""
    items: _RawItems | None = None
    default: Any = None
    required: bool | None = None


class _RawMetadata(BaseModel):
    model_config = _STRICT
    version: Annotated[str, Field(min_length=1, max_length=64)]
    authors: list[str] | None = None
    tags: list[str] | None = None


class _RawFormat(BaseModel):
    model_config = _STRICT
    kind: Literal["jinja2"]
    strict: Literal[True] | None = None


class _RawParser(BaseModel):
    model_config = _STRICT
    kind: Literal["prompty"]


class _RawTemplate(BaseModel):
    model_config = _STRICT
    format: _RawFormat
    parser: _RawParser


class _RawFront(BaseModel):
    model_config = _STRICT
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: str = ""
    metadata: _RawMetadata
    model: _RawModel | None = None
    inputs: list[_RawInput] | None = None
    template: _RawTemplate | None = None


#: Keys Prompty knows that Atelier deliberately does not use, with what to do instead.
_UNSUPPORTED: dict[str, str] = {
    "displayName": "use name",
    "outputs": "output schemas live in the agent's code",
    "tools": "agents do not call tools",
    "apiType": "the provider decides the API",
    "connection": "endpoints and keys belong in config.toml, never in a prompt file",
    "frequencyPenalty": "not supported by the local backend",
    "presencePenalty": "not supported by the local backend",
    "topK": "not supported here",
    "stopSequences": "not supported here",
    "reasoningEffort": "not supported here",
    "allowMultipleToolCalls": "agents do not call tools",
}

#: Common wrong names (Prompty 1.x, OpenAI, llama.cpp spellings) -> the right place.
_RENAMES: dict[tuple[str, ...], dict[str, str]] = {
    (): {
        "version": "metadata.version",
        "authors": "metadata.authors",
        "tags": "metadata.tags",
        "parameters": "model.options",
        "sample": "a default on each input",
    },
    ("model",): {
        "name": "model.id",
        "parameters": "model.options",
        "configuration": "model.provider and model.id (connection details go in config.toml)",
        "api": "model.provider",
    },
    ("model", "options"): {
        "top_p": "model.options.topP",
        "max_tokens": "model.options.maxOutputTokens",
        "maxTokens": "model.options.maxOutputTokens",
        "max_output_tokens": "model.options.maxOutputTokens",
        "repeat_penalty": "model.options.additionalProperties.repeat_penalty",
        "repeatPenalty": "model.options.additionalProperties.repeat_penalty",
        "top_k": "model.options.topK",
        "min_p": "model.options.additionalProperties.min_p",
        "minP": "model.options.additionalProperties.min_p",
    },
    ("model", "options", "additionalProperties"): {
        "repeatPenalty": "model.options.additionalProperties.repeat_penalty",
        "minP": "model.options.additionalProperties.min_p",
        "topK": "model.options.topK",
        "top_k": "model.options.topK",
    },
    ("inputs", "*"): {"type": "kind", "sample": "default"},
}

#: How a whole section is written, for "wrong type" hints.
_SHAPES: dict[tuple[str | int, ...], str] = {
    ("model",): "write model: as a mapping: id:, provider:, options: (indented below it)",
    ("inputs",): "write inputs: as a list: '- name: premise' then 'kind: string' indented",
    ("template",): "write template: {format: {kind: jinja2}, parser: {kind: prompty}}",
    ("template", "format"): "write format: {kind: jinja2}",
    ("template", "parser"): "write parser: {kind: prompty}",
    ("metadata",): 'write metadata: as a mapping with version: "1.0.0" indented below it',
}

_RANGES: dict[str, tuple[float, float | None]] = {
    "temperature": (0, 2),
    "topP": (0, 1),
    "maxOutputTokens": (1, 32768),
    "seed": (0, None),
    "repeat_penalty": (0.5, 2),
    "topK": (1, 1000),
    "min_p": (0, 1),
}


def model_options(front: _RawFront) -> tuple[_RawOptions, _RawExtra]:
    """The front matter's ``model.options`` and its ``additionalProperties`` (empty if absent)."""
    opts = front.model.options if front.model and front.model.options else _RawOptions()
    return opts, opts.additional_properties or _RawExtra()


# --------------------------------------------------------------------------------------
# YAML front matter, with the file line of every key
# --------------------------------------------------------------------------------------


class FrontMatter:
    """Parses the YAML front matter, remembering the file line of every key."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[KeyPath, int] = {}  # key path -> file line of the key (or list item)
        self.starts: dict[KeyPath, int] = {}  # mapping path -> file line where it starts

    # front matter line 1 is file line 2; YAML marks count from 0
    @staticmethod
    def _file_line(mark_line: int) -> int:
        return mark_line + 2

    def line(self, path: KeyPath) -> int | None:
        while True:
            if path in self.lines:
                return self.lines[path]
            if path in self.starts:
                return self.starts[path]
            if not path:
                return 2
            path = path[:-1]

    def error(self, path: KeyPath, problem: str, hint: str | None = None) -> PromptFileError:
        return prompt_error(self.source, self.line(path), _dotted(path), problem, hint)

    def parse(self, front_text: str) -> _RawFront:
        loader = yaml.SafeLoader(front_text)
        try:
            node = loader.get_single_node()
            if not isinstance(node, MappingNode):
                raise prompt_error(
                    self.source,
                    2,
                    "front matter",
                    "must be a mapping of keys (name:, metadata:, model:, inputs:, template:)",
                    hint="write the front matter as key: value lines",
                )
            # Check keys on the node tree before constructing: the constructor would
            # silently keep the last of two equal keys and fold merge keys in.
            self._walk(node, (), ("model", _RawFront), set())
            data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or "invalid YAML"
            if exc.context:
                problem = f"{problem} ({exc.context})"
            raise prompt_error(
                self.source,
                self._file_line(mark.line) if mark else 2,
                "front matter",
                f"invalid YAML: {problem}",
                hint="fix the YAML on that line (indent with spaces, quote text holding ': ')",
            ) from None
        except yaml.YAMLError as exc:
            raise prompt_error(self.source, 2, "front matter", f"invalid YAML: {exc}") from None
        finally:
            loader.dispose()
        try:
            return _RawFront.model_validate(data)
        except ValidationError as exc:
            raise self._validation_error(exc) from None

    def _walk(
        self,
        node: Node,
        path: KeyPath,
        schema: tuple[str, type[BaseModel]] | None,
        stack: set[int],
    ) -> None:
        if id(node) in stack:
            raise self.error(path, "recursive YAML alias")
        stack = stack | {id(node)}
        if isinstance(node, MappingNode):
            self.starts[path] = self._file_line(node.start_mark.line)
            model = schema[1] if schema and schema[0] == "model" else None
            fields = _fields_by_alias(model) if model else None
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                line = self._file_line(key_node.start_mark.line)
                if not isinstance(key_node, ScalarNode) or key_node.tag.endswith(":merge"):
                    shown = key_node.value if isinstance(key_node, ScalarNode) else "?"
                    raise prompt_error(
                        self.source,
                        line,
                        _dotted((*path, shown)),
                        "keys must be plain words (YAML merge keys and complex keys are not "
                        "allowed)",
                        hint="write each key out in full",
                    )
                key = key_node.value
                key_path = (*path, key)
                self.lines[key_path] = line
                if key in seen:
                    raise self.error(
                        key_path,
                        f"duplicate key (first at line {seen[key]})",
                        hint="keep one of them",
                    )
                seen[key] = line
                sub = None
                if fields is not None:
                    if key not in fields:
                        raise self._unknown_key(key_path, sorted(fields))
                    sub = _sub_schema(fields[key])
                self._walk(value_node, key_path, sub, stack)
        elif isinstance(node, SequenceNode):
            item_schema = ("model", schema[1]) if schema and schema[0] == "list" else None
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = self._file_line(item.start_mark.line)
                self._walk(item, (*path, index), item_schema, stack)
        elif (
            isinstance(node, ScalarNode)
            and node.tag.endswith(":str")
            and node.value.startswith("${")
        ):
            raise self.error(
                path,
                f"{node.value!r}: ${{...}} references are not allowed",
                hint="Prompty would fill them in from the environment or other files at load "
                "time, so the approved hash would not pin the prompt; write the value itself",
            )

    def _unknown_key(self, path: KeyPath, allowed: list[str]) -> PromptFileError:
        key = str(path[-1])
        pattern = tuple("*" if isinstance(p, int) else p for p in path[:-1])
        allowed_text = ", ".join(allowed)
        if key in _UNSUPPORTED:
            return self.error(
                path,
                f"unknown key: Prompty has {key!r} but Atelier does not use it "
                f"({_UNSUPPORTED[key]})",
                hint=f"remove it; allowed here: {allowed_text}",
            )
        rename = _RENAMES.get(pattern, {}).get(key)
        if rename:
            return self.error(
                path,
                f"unknown key (did you mean {rename}?)",
                hint=f"Prompty 2.x spells it {rename}; allowed here: {allowed_text}",
            )
        by_lower = {a.lower(): a for a in allowed}
        guess = by_lower.get(key.lower()) or next(
            iter(difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)), None
        )
        suggestion = f" (did you mean {guess!r}?)" if guess else ""
        return self.error(path, f"unknown key{suggestion}", hint=f"allowed here: {allowed_text}")

    def _validation_error(self, exc: ValidationError) -> PromptFileError:
        found: list[tuple[int, PromptFileError]] = []
        for err in exc.errors():
            path: KeyPath = tuple(err["loc"])
            line = self.line(path) or 2
            found.append((line, self._explain(err, path)))
        found.sort(key=lambda pair: pair[0])
        return found[0][1]

    def _explain(self, err: Any, path: KeyPath) -> PromptFileError:
        kind: str = err["type"]
        value = err.get("input")
        key = str(path[-1]) if path else ""
        if kind == "missing":
            example = {
                "name": "name: scriptwriter",
                "metadata": 'metadata: with version: "1.0.0" under it',
                "version": 'version: "1.0.0" under metadata:',
                "kind": "kind: string",
                "format": "format: {kind: jinja2}",
                "parser": "parser: {kind: prompty}",
            }.get(key, f"{key}: ...")
            return self.error(path, "required key is missing", hint=f"add {example}")
        if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
            low, high = _RANGES.get(key, (None, None))
            span = f"between {low} and {high}" if high is not None else f"{low} or more"
            return self.error(
                path, f"{value!r} is out of range: must be {span}", hint=f"use a value {span}"
            )
        if kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "").replace("True", "true")
            return self.error(
                path,
                f"{_yaml_repr(value)} is not allowed: must be {expected}",
                hint=f"use {expected}",
            )
        if kind in {"string_too_short", "string_too_long"}:
            return self.error(path, err["msg"].lower(), hint="give it a short, non-empty value")
        if kind == "string_pattern_mismatch":
            return self.error(
                path,
                f"{value!r} is not a valid input name",
                hint="use a letter followed by letters, digits or underscores (a Jinja2 name)",
            )
        wanted = {
            "float_type": "a number",
            "int_type": "a whole number",
            "string_type": "text",
            "bool_type": "true or false",
            "list_type": "a list (lines starting with '- ')",
            "model_type": "a mapping (indented key: value lines)",
            "model_attributes_type": "a mapping (indented key: value lines)",
            "dict_type": "a mapping (indented key: value lines)",
        }.get(kind)
        if wanted:
            hint = _SHAPES.get(path, f"write {key}: followed by {wanted}")
            if kind == "string_type" and isinstance(value, int | float):
                hint = f'quote it: {key}: "{value}"'
            elif kind == "int_type" and isinstance(value, float) and value.is_integer():
                hint = f"write it without a decimal point: {key}: {int(value)}"
            return self.error(path, f"expected {wanted}, got {describe_value(value)}", hint=hint)
        return self.error(path, err["msg"])


def _fields_by_alias(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f.annotation for name, f in model.model_fields.items()}


def _sub_schema(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """("model", M) when the value is a mapping of model M, ("list", M) for a list of M."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _sub_schema(arg)
            if found:
                return found
        return None
    if origin is Annotated:
        return _sub_schema(get_args(annotation)[0])
    if origin in (list, tuple):
        inner = _sub_schema(get_args(annotation)[0])
        return ("list", inner[1]) if inner and inner[0] == "model" else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ("model", annotation)
    return None


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _yaml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    return repr(value)


def describe_value(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"whole number {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text {shown!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__
