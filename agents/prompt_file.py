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
        topK: 40                            # 1..1000 (not sent to OpenAI itself)
        additionalProperties:               # Prompty passes these through to the server
          repeat_penalty: 1.1               # 0.5..2 (llama.cpp / Ollama name)
          min_p: 0.05                       # 0..1 (llama.cpp / Ollama min-p sampling)
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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eth_utils import keccak
from pydantic import BaseModel, ConfigDict, PrivateAttr

from atelier.agents.prompt_syntax import (
    FrontMatter,
    InputKind,
    ItemKind,
    PromptFileError,
    Provider,
    describe_value,
    model_options,
    prompt_error,
)
from atelier.agents.prompt_template import (
    RESERVED_NAMES,
    ROLES,
    Role,
    check_template,
    render_messages,
    scan_sections,
)

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
    top_k: int | None = None
    min_p: float | None = None


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
    #: metadata.authors: who wrote the prompt (an author named like a studio account is
    #: credited in the contribution ledger when members approve the version).
    authors: tuple[str, ...] = ()
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
            raise prompt_error(
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
                    raise prompt_error(
                        src,
                        line,
                        f"inputs.{item.name}",
                        f"expected {item.expected()}, got {describe_value(value)}",
                        hint=f"pass a {item.kind} value for {item.name!r}",
                    )
                context[item.name] = value
            elif item.default is not None:
                context[item.name] = copy.deepcopy(item.default)
            else:
                raise prompt_error(
                    src,
                    line,
                    f"inputs.{item.name}",
                    f"required input {item.name!r} was not given",
                    hint=f"pass {item.name}=... (or give the input a default in the file)",
                )

        return render_messages(
            self.body, self._markers, context, source=src, body_line=self._body_line
        )


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
            raise prompt_error(
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
# Input kinds
# --------------------------------------------------------------------------------------

_KIND_WORDS: dict[str, str] = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
}


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
# Parsing
# --------------------------------------------------------------------------------------


def load_prompt(path: Path) -> PromptFile:
    """Read, normalize, validate and hash the prompt file at ``path``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise prompt_error(
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
    front_text, body, body_line = _split_front_matter(text, source)

    ctx = FrontMatter(source)
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
        if item.name in RESERVED_NAMES:
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
                f"got {describe_value(item.default)}",
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
        raise prompt_error(
            source,
            over_line,
            "body",
            f"the template body is {len(body)} characters, over the limit of {MAX_BODY_CHARS} "
            f"(reached on this line)",
            hint="shorten the prompt; small models follow short prompts better anyway",
        )
    markers = scan_sections(body, body_line, source)
    check_template(body, body_line, source, input_lines, ctx.line(("inputs",)))

    opts, extra = model_options(front)
    model = ModelChoice(
        provider=front.model.provider if front.model else None,
        name=front.model.id if front.model else None,
        params=GenerationParams(
            temperature=opts.temperature,
            top_p=opts.top_p,
            max_tokens=opts.max_output_tokens,
            repeat_penalty=extra.repeat_penalty,
            seed=opts.seed,
            top_k=opts.top_k,
            min_p=extra.min_p,
        ),
    )
    prompt = PromptFile(
        path=path,
        name=front.name,
        description=front.description,
        version=front.metadata.version,
        authors=tuple(front.metadata.authors or ()),
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


def _split_front_matter(text: str, source: str) -> tuple[str, str, int]:
    """Split normalized text into (front matter YAML, body, file line of the body's start).

    The front matter runs from the first line (which must be ``---``) to the next ``---``
    line; a ``---`` or ``+++`` inside it is refused, as Prompty's loader would stop there.
    """
    lines = text.split("\n")

    if lines[0].rstrip() != "---":
        raise prompt_error(
            source,
            1,
            "front matter",
            "the file must start with a '---' line (YAML front matter)",
            hint="start the file with ---, the front matter (name, metadata, model, inputs), "
            "then --- and the template body",
        )
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if close is None:
        raise prompt_error(
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
            raise prompt_error(
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

    return front_text, body, body_line
