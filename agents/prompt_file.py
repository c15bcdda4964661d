"""Prompt files: one Prompty 2.x ``.prompty`` file per agent, validated, hashed and rendered.

The files follow the Prompty 2.x format (the ``prompty`` package on PyPI) so they open in
Prompty's own tools. The shape Atelier accepts is a strict subset of it::

    ---
    name: scriptwriter                      # required
    description: Writes the episode script  # optional
    metadata:
      version: "1.0.0"                      # required, text (quote it)
      authors: [atelier]                    # optional
      tags: [comic]                         # optional
    model:                                  # optional; absent = everything from config.toml
      id: SmolLM2-135M-Instruct             # optional; absent = config's model
      provider: local                       # optional; local | openai | ollama
      options:                              # Prompty's names (camelCase)
        temperature: 0.7                    # 0..2
        topP: 0.9                           # 0..1
        maxOutputTokens: 512                # 1..32768
        seed: 42                            # 0 or more
        additionalProperties:               # Prompty passes these through to the server
          repeat_penalty: 1.1               # 0.5..2 (llama.cpp / Ollama name)
    inputs:                                 # a list; each name is a template variable
      - name: premise
        kind: string                        # string|integer|number|boolean|array|object
        description: What the episode is about
      - name: characters
        kind: array
        items: {kind: string}               # arrays need items (Prompty requires it)
        default: []                         # an input with a default is optional
      - name: panels
        kind: integer
        default: 4
    template:                               # optional; these are the only values accepted
      format:
        kind: jinja2                        # strict: true may be added; false is refused
      parser:
        kind: prompty
    ---
    system:
    You write comic scripts in {{ panels }} panels.

    user:
    {{ premise }}

Body: Jinja2, split into messages by role-marker lines exactly as Prompty's parser finds
them (a line holding only ``system:``, ``user:`` or ``assistant:``, any case, optional
surrounding blanks and an optional leading ``#``). The body must start with a ``system:``
section (only blank lines before it) and contain a ``user:`` section; no section may be
empty. Role markers come from the template only: a marker line produced by an input value
stays text (Prompty's ``strict`` mode, which is its default, raises instead).

Normalization (what is hashed): the file's bytes decoded as strict UTF-8, a leading BOM
dropped, CRLF and lone CR turned into LF, trailing line breaks collapsed into exactly one LF.
Nothing else changes (no whitespace trimming, no Unicode normalization). The content hash is
keccak256 of the normalized text encoded as UTF-8; CRLF, CR and LF copies hash the same.

Every problem is reported as one line, ``<file>:<line>: <key>: <problem>``, with a hint.
Stricter than Prompty on purpose: unknown keys are errors (Prompty silently ignores them, so
``max_tokens:`` would quietly do nothing), ``${env:...}``/``${file:...}`` references and Jinja
``include``/``import`` are refused (the hash must pin the whole prompt), and every template
variable must be a declared input.
"""

from __future__ import annotations

import copy
import difflib
import re
import secrets
import traceback
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from eth_utils import keccak
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from atelier.errors import AtelierError

__all__ = [
    "MAX_BODY_CHARS",
    "ROLES",
    "GenerationParams",
    "ModelChoice",
    "PromptFile",
    "PromptFileError",
    "PromptInput",
    "load_prompt",
    "normalize_prompt_text",
    "parse_prompt",
    "prompt_hash",
]

#: Longest template body accepted, in characters (after normalization). Small local models
#: have small context windows; a body this long is almost always a mistake.
MAX_BODY_CHARS = 8000

#: Roles a section may have, in the order Prompty knows them (``developer`` is not used here).
ROLES: tuple[str, ...] = ("system", "user", "assistant")

Role = Literal["system", "user", "assistant"]
InputKind = Literal["string", "integer", "number", "boolean", "array", "object"]
ItemKind = Literal["string", "integer", "number", "boolean", "object"]
Provider = Literal["local", "openai", "ollama"]


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


def _error(
    source: str, line: int | None, key: str, problem: str, hint: str | None = None
) -> PromptFileError:
    problem = " ".join(problem.split())  # one line, whatever YAML or Jinja said
    where = f"{source}:{line}" if line else source
    return PromptFileError(
        f"{where}: {key}: {problem}", hint=hint, source=source, line=line, key=key, problem=problem
    )


# --------------------------------------------------------------------------------------
# Public models
# --------------------------------------------------------------------------------------


class GenerationParams(BaseModel):
    """Sampling parameters; ``None`` leaves the backend's (or config's) default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    repeat_penalty: float | None = None
    seed: int | None = None


class ModelChoice(BaseModel):
    """Which model a prompt asks for; ``None`` fields fall back to config.toml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Provider | None = None
    name: str | None = None
    params: GenerationParams = GenerationParams()


class PromptInput(BaseModel):
    """One declared template input. An input is required exactly when it has no default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: InputKind
    description: str = ""
    default: Any = None
    required: bool = True
    items: ItemKind | None = None  # element kind of an array input (Prompty requires it)

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` fits this input's kind (and, for arrays, the element kind)."""
        if not _kind_matches(self.kind, value):
            return False
        return self.items is None or all(_kind_matches(self.items, v) for v in value)

    def expected(self) -> str:
        """The kind in words, for messages."""
        if self.kind == "array" and self.items:
            return f"a list of {_KIND_WORDS[self.items]} values"
        return _KIND_WORDS[self.kind]


class PromptFile(BaseModel):
    """A parsed, validated prompt file and its content hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path | None
    name: str
    description: str
    version: str
    model: ModelChoice
    inputs: tuple[PromptInput, ...]
    body: str
    normalized_text: str
    content_hash: bytes

    # Where things are in the file, for error messages raised by render().
    _source: str = PrivateAttr(default="<prompt>")
    _body_line: int = PrivateAttr(default=1)
    _input_lines: dict[str, int] = PrivateAttr(default_factory=dict)
    _inputs_line: int | None = PrivateAttr(default=None)
    _markers: tuple[tuple[int, Role], ...] = PrivateAttr(default=())

    def __hash__(self) -> int:
        return hash(self.content_hash)

    @property
    def hash_hex(self) -> str:
        """The content hash as ``0x`` + 64 lowercase hex digits."""
        return "0x" + self.content_hash.hex()

    def render(self, /, **values: Any) -> list[tuple[Role, str]]:
        """Render the template with ``values`` and split it into role-tagged messages.

        Defaults fill missing optional inputs; a missing required input, an undeclared
        input, or a value of the wrong kind is a ``PromptFileError``. Messages come out in
        file order, as Prompty's ``prepare`` would produce them (text stripped of leading and
        trailing blank lines; a section with no lines at all yields no message).
        """
        src = self._source
        declared = {i.name: i for i in self.inputs}
        unknown = sorted(set(values) - set(declared))
        if unknown:
            names = ", ".join(declared) or "none"
            raise _error(
                src,
                self._inputs_line,
                "inputs",
                f"unknown input {unknown[0]!r} given to render (declared: {names})",
                hint=f"declare {unknown[0]!r} under inputs: or stop passing it",
            )
        context: dict[str, Any] = {}
        for item in self.inputs:
            line = self._input_lines.get(item.name)
            if item.name in values:
                value = values[item.name]
                if not item.accepts(value):
                    raise _error(
                        src,
                        line,
                        f"inputs.{item.name}",
                        f"expected {item.expected()}, got {_describe(value)}",
                        hint=f"pass a {item.kind} value for {item.name!r}",
                    )
                context[item.name] = value
            elif item.default is not None:
                context[item.name] = copy.deepcopy(item.default)
            else:
                raise _error(
                    src,
                    line,
                    f"inputs.{item.name}",
                    f"required input {item.name!r} was not given",
                    hint=f"pass {item.name}=... (or give the input a default in the file)",
                )

        nonce = secrets.token_hex(8)
        sentinels = {f"\ue000{nonce}:{role}\ue000": role for role in ROLES}
        by_role = {role: s for s, role in sentinels.items()}
        lines = self.body.split("\n")
        for index, role in self._markers:
            lines[index] = by_role[role]
        try:
            template = _ENV.from_string("\n".join(lines))
            rendered = template.render(**context)
        except Exception as exc:  # any failure inside the template is the file's problem
            line = _template_line(exc)
            raise _error(
                src,
                None if line is None else self._body_line + line - 1,
                "body",
                f"rendering failed: {type(exc).__name__}: {exc}",
                hint="check the template expression on that line against the inputs given",
            ) from exc

        messages: list[tuple[Role, str]] = []
        role: Role = "system"
        buffer: list[str] = []
        seen_marker = False
        pieces = rendered.split("\n")
        if pieces[-1] == "":
            pieces.pop()  # like str.splitlines(), which Prompty's parser uses
        count = 0
        for text_line in pieces:
            marker = sentinels.get(text_line)
            if marker is None and nonce in text_line:
                index, role_name = self._markers[min(count, len(self._markers) - 1)]
                raise _error(
                    src,
                    self._body_line + index,
                    "body",
                    f"the '{role_name}:' marker was joined to another line by Jinja whitespace "
                    "control, so it no longer starts a section",
                    hint="remove the '-' from the {%- / -%} / {{- / -}} next to the marker",
                )
            if marker is not None:
                count += 1
                # Only blank lines can precede the first marker (parse_prompt checks); Prompty
                # strips them with the front matter, so they never make a message.
                if buffer and seen_marker:
                    messages.append((role, "\n".join(buffer).strip("\n")))
                role, buffer, seen_marker = marker, [], True
            else:
                buffer.append(text_line)
        if buffer:
            messages.append((role, "\n".join(buffer).strip("\n")))
        return messages


# --------------------------------------------------------------------------------------
# Normalization and hashing
# --------------------------------------------------------------------------------------


def normalize_prompt_text(raw: bytes | str, *, source: str = "<prompt>") -> str:
    """The normalized text of a prompt file: the exact text that is hashed.

    Strict UTF-8 (invalid bytes are an error naming the line and byte offset), a leading BOM
    dropped, CRLF and lone CR turned into LF, trailing line breaks collapsed into exactly one
    LF. Nothing else changes.
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = raw[: exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            line = before.count(b"\n") + 1
            column = len(before) - (before.rfind(b"\n") + 1) + 1
            raise _error(
                source,
                line,
                "encoding",
                f"byte 0x{raw[exc.start]:02x} at offset {exc.start} (column {column}) "
                "is not valid UTF-8",
                hint="save the file as UTF-8 (most editors: 'Save with encoding' > UTF-8)",
            ) from None
    else:
        text = raw
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip("\n") + "\n"


def prompt_hash(raw: bytes | str) -> bytes:
    """keccak256 of the normalized text (UTF-8): the 32-byte hash governance approves."""
    return keccak(normalize_prompt_text(raw).encode("utf-8"))


# --------------------------------------------------------------------------------------
# Front matter schema (Prompty 2.x names; strict: no coercion, no unknown keys)
# --------------------------------------------------------------------------------------

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class _RawExtra(BaseModel):
    model_config = _STRICT
    repeat_penalty: float | None = Field(None, ge=0.5, le=2)


class _RawOptions(BaseModel):
    model_config = _STRICT
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, alias="topP", ge=0, le=1)
    max_output_tokens: int | None = Field(None, alias="maxOutputTokens", ge=1, le=32768)
    seed: int | None = Field(None, ge=0)
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
    },
    ("model", "options", "additionalProperties"): {
        "repeatPenalty": "model.options.additionalProperties.repeat_penalty",
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
}

_KIND_WORDS: dict[str, str] = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
}

_ENV = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
)
_RESERVED_NAMES = frozenset(_ENV.globals) | {"loop", "self", "true", "false", "none"}

# Prompty's role-boundary test, applied to the stripped line (prompty/parsers/prompty.py):
# optional '#', a role word (any case), optional [attributes], ':' and nothing else.
_MARKER_RE = re.compile(r"^#?\s*([A-Za-z_]+)(\[[^\]]*\])?\s*:\s*$")
_PROMPTY_ROLES = (*ROLES, "developer")
_FOREIGN_ROLES = ("developer", "tool", "function")


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------


def load_prompt(path: Path) -> PromptFile:
    """Read, normalize, validate and hash the prompt file at ``path``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _error(
            str(path),
            None,
            "file",
            f"cannot read the prompt file ({exc.strerror or exc})",
            hint="check the path; the agents' prompt files live in prompts/",
        ) from None
    return parse_prompt(raw, source=str(path), path=path)


def parse_prompt(
    raw: bytes | str, *, source: str = "<prompt>", path: Path | None = None
) -> PromptFile:
    """Validate a prompt file's content; ``source`` names it in error messages."""
    text = normalize_prompt_text(raw, source=source)
    lines = text.split("\n")

    # --- front matter delimiters (the first line, then the next '---' line) -----------
    if lines[0].rstrip() != "---":
        raise _error(
            source,
            1,
            "front matter",
            "the file must start with a '---' line (YAML front matter)",
            hint="start the file with ---, the front matter (name, metadata, model, inputs), "
            "then --- and the template body",
        )
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if close is None:
        raise _error(
            source,
            1,
            "front matter",
            "no closing '---' line after the front matter",
            hint="end the front matter with a line holding only ---",
        )
    for i in range(1, close):
        # Prompty's loader ends the front matter at the first '---' or '+++' anywhere,
        # even inside a value; such a file would mean something else in Prompty's tools.
        if "---" in lines[i] or "+++" in lines[i]:
            raise _error(
                source,
                i + 1,
                "front matter",
                "contains '---' or '+++', which Prompty's loader takes as the end of the "
                "front matter",
                hint="rephrase that value without three dashes or plus signs in a row",
            )
    front_text = "\n".join(lines[1:close]) + "\n"
    body = "\n".join(lines[close + 1 :])
    body_line = close + 2  # file line number of the body's first line

    ctx = _Front(source)
    front = ctx.parse(front_text)

    # --- inputs -------------------------------------------------------------------------
    inputs: list[PromptInput] = []
    input_lines: dict[str, int] = {}
    for index, item in enumerate(front.inputs or ()):
        where = ("inputs", index)
        if item.name in input_lines:
            raise ctx.error(
                (*where, "name"),
                f"input {item.name!r} is declared twice (first at line {input_lines[item.name]})",
                hint="give each input a different name",
            )
        if item.name in _RESERVED_NAMES:
            raise ctx.error(
                (*where, "name"),
                f"{item.name!r} is a Jinja2 built-in name and cannot be an input",
                hint="rename the input",
            )
        input_lines[item.name] = ctx.line(where) or 0
        if item.kind == "array" and item.items is None:
            raise ctx.error(
                (*where, "kind"),
                "an array input needs items: (Prompty requires it)",
                hint="add e.g. items: {kind: string} under the input",
            )
        if item.kind != "array" and item.items is not None:
            raise ctx.error(
                (*where, "items"),
                f"items: only applies to kind: array (this input is kind: {item.kind})",
                hint="remove items:, or change the kind to array",
            )
        declared = PromptInput(
            name=item.name,
            kind=item.kind,
            description=item.description,
            default=item.default,
            required=item.default is None,
            items=item.items.kind if item.items else None,
        )
        if item.default is not None and not declared.accepts(item.default):
            raise ctx.error(
                (*where, "default"),
                f"default must be {declared.expected()} (kind: {item.kind}), "
                f"got {_describe(item.default)}",
                hint="make the default match the kind, or change the kind",
            )
        if item.required is True and item.default is not None:
            raise ctx.error(
                (*where, "required"),
                "an input with a default is optional, so it cannot be required: true",
                hint="drop required: true, or drop the default",
            )
        if item.required is False and item.default is None:
            raise ctx.error(
                (*where, "required"),
                "an optional input needs a default (Prompty would render it as empty)",
                hint='give it a default (e.g. default: "") or drop required: false',
            )
        inputs.append(declared)

    # --- body -----------------------------------------------------------------------------
    if len(body) > MAX_BODY_CHARS:
        over_line = body_line + body[:MAX_BODY_CHARS].count("\n")
        raise _error(
            source,
            over_line,
            "body",
            f"the template body is {len(body)} characters, over the limit of {MAX_BODY_CHARS} "
            f"(reached on this line)",
            hint="shorten the prompt; small models follow short prompts better anyway",
        )
    markers = _scan_sections(body, body_line, source)
    _check_template(body, body_line, source, input_lines, ctx.line(("inputs",)))

    opts = front.model.options if front.model and front.model.options else _RawOptions()
    extra = opts.additional_properties or _RawExtra()
    model = ModelChoice(
        provider=front.model.provider if front.model else None,
        name=front.model.id if front.model else None,
        params=GenerationParams(
            temperature=opts.temperature,
            top_p=opts.top_p,
            max_tokens=opts.max_output_tokens,
            repeat_penalty=extra.repeat_penalty,
            seed=opts.seed,
        ),
    )
    prompt = PromptFile(
        path=path,
        name=front.name,
        description=front.description,
        version=front.metadata.version,
        model=model,
        inputs=tuple(inputs),
        body=body,
        normalized_text=text,
        content_hash=keccak(text.encode("utf-8")),
    )
    prompt._source = source
    prompt._body_line = body_line
    prompt._input_lines = input_lines
    prompt._inputs_line = ctx.line(("inputs",))
    prompt._markers = markers
    return prompt


_KeyPath = tuple[str | int, ...]


class _Front:
    """Parses the YAML front matter, remembering the file line of every key."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[_KeyPath, int] = {}  # key path -> file line of the key (or list item)
        self.starts: dict[_KeyPath, int] = {}  # mapping path -> file line where it starts

    # front matter line 1 is file line 2; YAML marks count from 0
    @staticmethod
    def _file_line(mark_line: int) -> int:
        return mark_line + 2

    def line(self, path: _KeyPath) -> int | None:
        while True:
            if path in self.lines:
                return self.lines[path]
            if path in self.starts:
                return self.starts[path]
            if not path:
                return 2
            path = path[:-1]

    def error(self, path: _KeyPath, problem: str, hint: str | None = None) -> PromptFileError:
        return _error(self.source, self.line(path), _dotted(path), problem, hint)

    def parse(self, front_text: str) -> _RawFront:
        loader = yaml.SafeLoader(front_text)
        try:
            node = loader.get_single_node()
            if not isinstance(node, MappingNode):
                raise _error(
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
            raise _error(
                self.source,
                self._file_line(mark.line) if mark else 2,
                "front matter",
                f"invalid YAML: {problem}",
                hint="fix the YAML on that line (indent with spaces, quote text holding ': ')",
            ) from None
        except yaml.YAMLError as exc:
            raise _error(self.source, 2, "front matter", f"invalid YAML: {exc}") from None
        finally:
            loader.dispose()
        try:
            return _RawFront.model_validate(data)
        except ValidationError as exc:
            raise self._validation_error(exc) from None

    def _walk(
        self,
        node: Node,
        path: _KeyPath,
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
                    raise _error(
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

    def _unknown_key(self, path: _KeyPath, allowed: list[str]) -> PromptFileError:
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
            path: _KeyPath = tuple(err["loc"])
            line = self.line(path) or 2
            found.append((line, self._explain(err, path)))
        found.sort(key=lambda pair: pair[0])
        return found[0][1]

    def _explain(self, err: Any, path: _KeyPath) -> PromptFileError:
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
            return self.error(path, f"expected {wanted}, got {_describe(value)}", hint=hint)
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


def _dotted(path: _KeyPath) -> str:
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


def _describe(value: Any) -> str:
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


def _kind_matches(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list | tuple)
    if kind == "object":
        return isinstance(value, Mapping)
    return False


# --------------------------------------------------------------------------------------
# Body checks
# --------------------------------------------------------------------------------------


def _scan_sections(body: str, body_line: int, source: str) -> tuple[tuple[int, Role], ...]:
    """Find the role-marker lines (index within body, role) and check the section layout."""
    markers: list[tuple[int, Role]] = []
    first_text: int | None = None  # body index of text before the first marker
    for index, line in enumerate(body.split("\n")):
        file_line = body_line + index
        match = _MARKER_RE.match(line.strip())
        if match:
            word = match.group(1).lower()
            if word in ROLES:
                if match.group(2):
                    raise _error(
                        source,
                        file_line,
                        "body",
                        f"role marker {line.strip()!r} has attributes, which are not supported",
                        hint=f"write just {word}:",
                    )
                markers.append((index, word))  # type: ignore[arg-type]
                continue
            close = difflib.get_close_matches(word, ROLES, n=1, cutoff=0.8)
            if word in _FOREIGN_ROLES or close:
                what = (
                    "is a Prompty role Atelier does not use"
                    if word in _PROMPTY_ROLES
                    else "is not a role"
                )
                fix = f" (did you mean '{close[0]}:'?)" if close else ""
                raise _error(
                    source,
                    file_line,
                    "body",
                    f"role marker {line.strip()!r} {what}{fix}; sections are system:, user: "
                    "or assistant:",
                    hint="use one of those roles; if the line is meant as text, add words "
                    "after the colon",
                )
        if not markers and first_text is None and line.strip():
            first_text = index
    if not markers:
        raise _error(
            source,
            body_line,
            "body",
            "missing 'system:' section: the body has no role markers",
            hint="start the body with a line 'system:', then the instructions, then a line "
            "'user:' and the request",
        )
    if first_text is not None:
        raise _error(
            source,
            body_line + first_text,
            "body",
            "missing 'system:' section: text before the first role marker",
            hint="put a line 'system:' above it (Jinja comments and tags go below it too)",
        )
    first_index, first_role = markers[0]
    if first_role != "system":
        raise _error(
            source,
            body_line + first_index,
            "body",
            f"missing 'system:' section: the body starts with '{first_role}:'",
            hint="put a 'system:' section with the instructions first",
        )
    if not any(role == "user" for _, role in markers):
        last_index = markers[-1][0]
        raise _error(
            source,
            body_line + last_index,
            "body",
            "missing 'user:' section",
            hint="add a line 'user:' followed by the request (usually built from the inputs)",
        )
    lines = body.split("\n")
    ends = [index for index, _ in markers[1:]] + [len(lines)]
    for (index, role), end in zip(markers, ends, strict=True):
        if not any(text.strip() for text in lines[index + 1 : end]):
            raise _error(
                source,
                body_line + index,
                "body",
                f"the '{role}:' section is empty",
                hint="write its text below the marker, or remove the marker",
            )
    return tuple(markers)


def _check_template(
    body: str, body_line: int, source: str, inputs: dict[str, int], inputs_line: int | None
) -> None:
    try:
        tree = _ENV.parse(body)
        _ENV.compile(tree)
    except TemplateSyntaxError as exc:
        raise _error(
            source,
            body_line + (exc.lineno or 1) - 1,
            "body",
            f"Jinja2 syntax error: {exc.message}",
            hint="fix the {{ ... }} / {% ... %} on that line",
        ) from None
    for kind in (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport):
        found = next(iter(tree.find_all(kind)), None)
        if found is not None:
            raise _error(
                source,
                body_line + found.lineno - 1,
                "body",
                f"{kind.__name__.lower()} is not allowed: a prompt file must be self-contained",
                hint="paste the text in; the approved hash must pin the whole prompt",
            )
    undeclared = meta.find_undeclared_variables(tree) - set(_ENV.globals) - set(inputs)
    if not undeclared:
        return
    first: tuple[int, str] | None = None
    for name_node in tree.find_all(nodes.Name):
        if (
            name_node.name in undeclared
            and name_node.ctx == "load"
            and (first is None or name_node.lineno < first[0])
        ):
            first = (name_node.lineno, name_node.name)
    lineno, name = first if first else (1, sorted(undeclared)[0])
    guess = difflib.get_close_matches(name, list(inputs), n=1, cutoff=0.6)
    suggestion = f" (did you mean {guess[0]!r}?)" if guess else ""
    declared = ", ".join(inputs) or "none"
    raise _error(
        source,
        body_line + lineno - 1,
        "body",
        f"template variable {name!r} is not a declared input{suggestion}",
        hint=f"declare it under inputs: (line {inputs_line or 2}) or fix the name; "
        f"declared: {declared}",
    )


def _template_line(exc: BaseException) -> int | None:
    """The template line where a render error happened (Jinja rewrites its frames)."""
    line = getattr(exc, "lineno", None)
    for frame in _walk_tb(exc):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def _walk_tb(exc: BaseException) -> Iterator[traceback.FrameSummary]:
    yield from traceback.extract_tb(exc.__traceback__)
