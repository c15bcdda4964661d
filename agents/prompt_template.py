"""Prompt-file bodies: the Jinja2 sandbox, role-section checks and rendering into messages.

The body is Jinja2 split into ``system:`` / ``user:`` / ``assistant:`` sections by marker
lines, exactly as Prompty's parser finds them. This module checks the section layout and the
template (syntax, no ``include``/``import``, only declared variables) when a file is parsed,
and renders a body into role-tagged messages so that a marker produced by an input value
stays text.
"""

from __future__ import annotations

import difflib
import functools
import re
import secrets
import traceback
from collections.abc import Iterator
from typing import Any, Literal

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from atelier.agents.prompt_syntax import prompt_error

#: Roles a section may have, in the order Prompty knows them (``developer`` is not used here).
ROLES: tuple[str, ...] = ("system", "user", "assistant")

Role = Literal["system", "user", "assistant"]

_ENV = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
)
RESERVED_NAMES = frozenset(_ENV.globals) | {"loop", "self", "true", "false", "none"}

# Prompty's role-boundary test, applied to the stripped line (prompty/parsers/prompty.py):
# optional '#', a role word (any case), optional [attributes], ':' and nothing else.
_MARKER_RE = re.compile(r"^#?\s*([A-Za-z_]+)(\[[^\]]*\])?\s*:\s*$")
_PROMPTY_ROLES = (*ROLES, "developer")
_FOREIGN_ROLES = ("developer", "tool", "function")


# --------------------------------------------------------------------------------------
# Body checks
# --------------------------------------------------------------------------------------


def scan_sections(body: str, body_line: int, source: str) -> tuple[tuple[int, Role], ...]:
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
                    raise prompt_error(
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
                raise prompt_error(
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
        raise prompt_error(
            source,
            body_line,
            "body",
            "missing 'system:' section: the body has no role markers",
            hint="start the body with a line 'system:', then the instructions, then a line "
            "'user:' and the request",
        )
    if first_text is not None:
        raise prompt_error(
            source,
            body_line + first_text,
            "body",
            "missing 'system:' section: text before the first role marker",
            hint="put a line 'system:' above it (Jinja comments and tags go below it too)",
        )
    first_index, first_role = markers[0]
    if first_role != "system":
        raise prompt_error(
            source,
            body_line + first_index,
            "body",
            f"missing 'system:' section: the body starts with '{first_role}:'",
            hint="put a 'system:' section with the instructions first",
        )
    if not any(role == "user" for _, role in markers):
        last_index = markers[-1][0]
        raise prompt_error(
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
            raise prompt_error(
                source,
                body_line + index,
                "body",
                f"the '{role}:' section is empty",
                hint="write its text below the marker, or remove the marker",
            )
    return tuple(markers)


def check_template(
    body: str, body_line: int, source: str, inputs: dict[str, int], inputs_line: int | None
) -> None:
    """Check the Jinja2 syntax, refuse extends/include/import, and require declared inputs."""
    try:
        tree = _ENV.parse(body)
        _ENV.compile(tree)
    except TemplateSyntaxError as exc:
        raise prompt_error(
            source,
            body_line + (exc.lineno or 1) - 1,
            "body",
            f"Jinja2 syntax error: {exc.message}",
            hint="fix the {{ ... }} / {% ... %} on that line",
        ) from None
    for kind in (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport):
        found = next(iter(tree.find_all(kind)), None)
        if found is not None:
            raise prompt_error(
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
    raise prompt_error(
        source,
        body_line + lineno - 1,
        "body",
        f"template variable {name!r} is not a declared input{suggestion}",
        hint=f"declare it under inputs: (line {inputs_line or 2}) or fix the name; "
        f"declared: {declared}",
    )


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


def render_messages(
    body: str,
    markers: tuple[tuple[int, Role], ...],
    context: dict[str, Any],
    *,
    source: str,
    body_line: int,
) -> list[tuple[Role, str]]:
    """Render a checked body with ``context`` and split it into role-tagged messages.

    ``markers`` are the body's role-marker lines from ``scan_sections``; only those start
    sections, so a marker line produced by a value stays text.
    """
    nonce = secrets.token_hex(8)
    sentinels = {f"\ue000{nonce}:{role}\ue000": role for role in ROLES}
    by_role = {_MARKER_VARIABLE.format(role=role): s for s, role in sentinels.items()}
    try:
        rendered = _compiled(body, markers).render({**context, **by_role})
    except Exception as exc:  # any failure inside the template is the file's problem
        line = _template_line(exc)
        raise prompt_error(
            source,
            None if line is None else body_line + line - 1,
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
            index, role_name = markers[min(count, len(markers) - 1)]
            raise prompt_error(
                source,
                body_line + index,
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


#: The variable a role-marker line becomes in the compiled body: it renders to a sentinel
#: with a fresh nonce each time, so a value cannot forge a marker, and the compiled template
#: can be kept (compiling took ~9 ms of every agent call).
_MARKER_VARIABLE = "_atelier_role_marker_{role}"


@functools.lru_cache(maxsize=64)
def _compiled(body: str, markers: tuple[tuple[int, Role], ...]) -> Template:
    lines = body.split("\n")
    for index, role in markers:
        lines[index] = "{{ " + _MARKER_VARIABLE.format(role=role) + " }}"
    return _ENV.from_string("\n".join(lines))


def _template_line(exc: BaseException) -> int | None:
    """The template line where a render error happened (Jinja rewrites its frames)."""
    line = getattr(exc, "lineno", None)
    for frame in _walk_tb(exc):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def _walk_tb(exc: BaseException) -> Iterator[traceback.FrameSummary]:
    yield from traceback.extract_tb(exc.__traceback__)
